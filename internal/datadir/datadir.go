// Package datadir prepares Ersatz's data directory: it creates the folder,
// tells a folder that cannot be written from other errors, and locks it so
// that one process at a time uses it.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the name of the lock file inside the data directory; it holds
// the process id of the Ersatz using the folder.
const LockFile = "ersatz.lock"

// ErrInUse is returned by Lock when another process holds the folder.
var ErrInUse = errors.New("data dir in use")

// InUseError is a data directory another process holds.
type InUseError struct {
	Dir    string
	Holder string // "pid N", or "process id unknown"
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("data dir %s is used by another Ersatz (%s): stop it, "+
		"or give this one a folder of its own with --data-dir (or ERSATZ_DATA_DIR), or use --store memory", e.Dir, e.Holder)
}

// Is makes errors.Is(err, ErrInUse) hold.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// Lock is a held data directory.
type Lock struct {
	dir string
	f   *os.File
}

// Dir is the locked folder.
func (l *Lock) Dir() string { return l.dir }

// Acquire creates dir when missing and locks it for this process. A folder
// that cannot be created or written gives an error naming the folder and
// the permission it lacks; a folder another process holds gives an error
// wrapping ErrInUse that names that process.
func Acquire(dir string) (*Lock, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, explain(abs, "create", err)
	}
	path := filepath.Join(abs, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, explain(abs, "write in", err)
	}
	if err := lockFile(f); err != nil {
		holder := readHolder(f)
		_ = f.Close()
		if errors.Is(err, errLocked) {
			return nil, &InUseError{Dir: abs, Holder: holder}
		}
		return nil, fmt.Errorf("lock data dir %s: %w", abs, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		if err != nil {
			_ = f.Close()
			return nil, explain(abs, "write in", err)
		}
	} else {
		_ = f.Close()
		return nil, explain(abs, "write in", err)
	}
	return &Lock{dir: abs, f: f}, nil
}

// Release unlocks the folder. The lock file stays (emptied), so that a
// process waiting on it never locks a file that is about to vanish.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	_ = l.f.Truncate(0)
	err := l.f.Close() // closing the descriptor releases the lock
	l.f = nil
	return err
}

func readHolder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid := strings.TrimSpace(string(buf[:n]))
	if _, err := strconv.Atoi(pid); err != nil || pid == "" {
		return "process id unknown"
	}
	return "pid " + pid
}

// explain turns a file system error on the data directory into one saying
// what to do.
func explain(dir, what string, err error) error {
	uid := os.Getuid()
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("data dir %s: this user (uid %d) has no write permission to %s it: "+
			"give write permission (e.g. chmod u+w, or chown to uid %d), or choose a writable folder with --data-dir (or ERSATZ_DATA_DIR): %w",
			dir, uid, what, uid, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("data dir %s is on a read-only file system: choose a writable folder with --data-dir (or ERSATZ_DATA_DIR): %w", dir, err)
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, fs.ErrExist):
		return fmt.Errorf("data dir %s: a part of the path is a file, not a folder: choose another --data-dir (or ERSATZ_DATA_DIR): %w", dir, err)
	}
	return fmt.Errorf("data dir %s: cannot %s it: %w", dir, what, err)
}
