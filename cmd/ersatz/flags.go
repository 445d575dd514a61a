package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// envName is the environment twin of a flag: --data-dir is ERSATZ_DATA_DIR.
func envName(flagName string) string {
	return "ERSATZ_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// parseWithEnv parses args into fs after setting every flag whose twin is
// set in the environment (non-empty), so the command line wins over the
// environment and the environment over the defaults. A twin is parsed as
// its flag is: a boolean twin takes true/false/1/0, a duration "5s". A value
// that does not parse is an error naming the variable.
func parseWithEnv(fs *flag.FlagSet, args []string) error {
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		name := envName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v (the twin of --%s)", name, v, err, f.Name))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return fs.Parse(args)
}

// printFlags lists fs's flags, one per entry, with their environment twin
// and default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		kind, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if kind != "" {
			line += " " + kind
		}
		line += "\n        " + usage + "\n        env " + envName(f.Name)
		if f.DefValue != "" && f.DefValue != "false" {
			line += ", default " + f.DefValue
		}
		fmt.Fprintln(w, line)
	})
}

// helpUsage sets fs's usage to head followed by its flags, and returns fs
// for chaining.
func helpUsage(fs *flag.FlagSet, w io.Writer, head string) *flag.FlagSet {
	fs.SetOutput(w)
	fs.Usage = func() {
		_, _ = io.WriteString(w, head)
		if head != "" && !strings.HasSuffix(head, "\n") {
			_, _ = io.WriteString(w, "\n")
		}
		fmt.Fprintln(w, "\nFlags (each has an ERSATZ_* environment twin; the command line wins):")
		printFlags(w, fs)
	}
	return fs
}

// logLevels are the names --log-level takes.
var logLevels = []string{"debug", "info", "warn", "error"}

func checkLogLevel(level string) error {
	for _, l := range logLevels {
		if strings.EqualFold(level, l) {
			return nil
		}
	}
	return fmt.Errorf("--log-level (ERSATZ_LOG_LEVEL) must be one of %s, not %q", strings.Join(logLevels, ", "), level)
}
