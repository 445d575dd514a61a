#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the store tests (internal/store/postgres)
# and prints the environment that points the tests at it.
#
#   eval "$(bash .ci/postgres.sh)"    # start; exports ERSATZ_TEST_POSTGRES and ERSATZ_PG_DIR
#   source .ci/postgres.sh            # the same
#   go test ./internal/store/...      # now runs the PostgreSQL tests too
#   bash .ci/postgres.sh stop         # stop the cluster in $ERSATZ_PG_DIR and delete it
#   bash .ci/postgres.sh restart DIR  # restart the cluster in DIR (fast shutdown, same port)
#
# stdout carries only `export NAME=value` lines (or, on failure, a command that
# fails, so that `eval "$(...)"` under `set -e` stops too); logs go to stderr.
#
# Installs Debian's postgresql package when initdb/pg_ctl are missing. The
# cluster lives in a temp dir, owned by an unprivileged user when run as root
# (the postgres user if it exists, else a new system user ersatz-ci), listens
# on 127.0.0.1 only, on the first free port from $ERSATZ_PG_PORT (default
# 55432), with trust authentication for the role ersatz and a database
# ersatz_test, whose collation is ICU en-US where available (a locale that does
# not sort bytewise, which the store must not depend on).

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
	# Sourced: run in a child bash and take its exports.
	eval "$(bash "${BASH_SOURCE[0]}" "$@")"
	return
fi

set -euo pipefail

exec 3>&1 1>&2 # keep stdout for the exports
cd / # the cluster user may not be able to read the caller's directory
log() { echo "postgres.sh: $*" >&2; }
fail_out() { echo "echo '.ci/postgres.sh failed (see above)' >&2; false" >&3; }

find_bindir() {
	local d found=()
	shopt -s nullglob
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/initdb && -x $d/pg_ctl ]] && found+=("$d")
	done
	shopt -u nullglob
	if ((${#found[@]})); then
		printf '%s\n' "${found[@]}" | sort -V | tail -n 1
		return 0
	fi
	if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
		dirname "$(readlink -f "$(command -v initdb)")"
		return 0
	fi
	return 1
}

run_as() { # run_as USER CMD...: as USER when we are root
	# fd 3 (the script's stdout) is closed for the command: the server must
	# not hold it open, or "$(bash .ci/postgres.sh)" would never return.
	local user=$1
	shift
	if [[ $EUID -eq 0 ]]; then
		runuser -u "$user" -- "$@" 3>&-
	else
		"$@" 3>&-
	fi
}

stop_cluster() {
	local dir=${1:-${ERSATZ_PG_DIR:-}}
	if [[ -z $dir ]]; then
		log "stop: no directory given and ERSATZ_PG_DIR is not set"
		exit 2
	fi
	if [[ ! -f $dir/data/PG_VERSION || $(basename "$dir") != ersatz-pg.* ]]; then
		log "stop: $dir is not a cluster made by this script"
		exit 2
	fi
	local bindir owner
	bindir=$(find_bindir) || {
		log "stop: pg_ctl not found"
		exit 1
	}
	owner=$(stat -c %U "$dir/data")
	run_as "$owner" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop || log "stop: pg_ctl stop failed (already stopped?)"
	rm -rf -- "$dir"
	log "stopped and removed $dir"
}

restart_cluster() {
	local dir=${1:-${ERSATZ_PG_DIR:-}}
	if [[ -z $dir || ! -f $dir/data/PG_VERSION || $(basename "$dir") != ersatz-pg.* ]]; then
		log "restart: ${dir:-(no directory)} is not a cluster made by this script"
		exit 2
	fi
	local bindir owner
	bindir=$(find_bindir) || {
		log "restart: pg_ctl not found"
		exit 1
	}
	owner=$(stat -c %U "$dir/data")
	# pg_ctl restart starts the server with the options of the last start
	# (postmaster.opts); -l keeps its output away from pg_ctl's stdout.
	run_as "$owner" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -m fast -w -t 60 restart >/dev/null
	log "restarted $dir"
}

emit() { # emit NAME VALUE: print a single-quoted export line for eval
	local q=\'
	printf "export %s='%s'\n" "$1" "${2//$q/$q\\$q$q}" >&3
}

port_in_use() { (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_cluster() {
	local bindir user base port
	if ! bindir=$(find_bindir); then
		if [[ $EUID -ne 0 ]]; then
			log "initdb/pg_ctl not found, and installing postgresql needs root"
			return 1
		fi
		log "installing postgresql (apt-get)"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q 3>&-
		apt-get install -y -q --no-install-recommends postgresql 3>&-
		bindir=$(find_bindir)
	fi
	log "using $bindir"

	user=$(id -un)
	if [[ $EUID -eq 0 ]]; then
		if id postgres >/dev/null 2>&1; then
			user=postgres
		else
			id ersatz-ci >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ersatz-ci
			user=ersatz-ci
		fi
	fi

	base=$(mktemp -d "${TMPDIR:-/tmp}/ersatz-pg.XXXXXX")
	chmod 700 "$base"
	if [[ $EUID -eq 0 ]]; then chown "$user" "$base"; fi
	# From here on, a failure removes the half-made cluster (see on_exit).
	cleanup_base=$base cleanup_user=$user cleanup_bindir=$bindir

	port=${ERSATZ_PG_PORT:-55432}
	local last=$((port + 100))
	while port_in_use "$port"; do
		port=$((port + 1))
		if ((port > last)); then
			log "no free port in ${ERSATZ_PG_PORT:-55432}..$last"
			false
		fi
	done

	log "initdb in $base/data as $user"
	run_as "$user" "$bindir/initdb" -D "$base/data" -U ersatz --auth=trust \
		--encoding=UTF8 --locale=C >"$base/initdb.log" 2>&1 || {
		cat "$base/initdb.log" >&2
		false
	}
	log "starting on 127.0.0.1:$port"
	run_as "$user" "$bindir/pg_ctl" -D "$base/data" -l "$base/postgres.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$base" start
	# An ICU en-US database when the server supports it: its collation does not
	# sort bytewise, so the tests catch a text column missing COLLATE "C".
	if ! run_as "$user" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U ersatz --template=template0 \
		--encoding=UTF8 --locale-provider=icu --icu-locale=en-US ersatz_test 2>/dev/null; then
		log "no ICU collation: creating ersatz_test with the C locale"
		run_as "$user" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U ersatz ersatz_test
	fi

	local dsn="postgres://ersatz@127.0.0.1:$port/ersatz_test?sslmode=disable"
	log "ready: $dsn (stop with: bash .ci/postgres.sh stop)"
	emit ERSATZ_TEST_POSTGRES "$dsn"
	emit ERSATZ_PG_DIR "$base"
	started=1
}

# on_exit runs however the script ends: unless the cluster started, it removes
# what was made and prints a failing command for eval.
started=0 cleanup_base='' cleanup_user='' cleanup_bindir=''
on_exit() {
	local rc=$?
	((started)) && return 0
	if [[ -n $cleanup_base ]]; then
		[[ -f $cleanup_base/postgres.log ]] && tail -n 30 "$cleanup_base/postgres.log" >&2
		run_as "$cleanup_user" "$cleanup_bindir/pg_ctl" -D "$cleanup_base/data" -m immediate stop >/dev/null 2>&1 || true
		rm -rf -- "$cleanup_base"
	fi
	fail_out
	return "$rc"
}

case "${1:-start}" in
start)
	trap on_exit EXIT
	start_cluster
	;;
stop) stop_cluster "${2:-}" ;;
restart) restart_cluster "${2:-}" ;;
*)
	log "usage: $0 [start|stop [DIR]|restart [DIR]]"
	exit 2
	;;
esac
