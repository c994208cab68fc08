// Command feedmill is a feed aggregator daemon: it polls RSS, Atom and JSON
// feeds, de-duplicates and tags their items into an embedded SQLite
// database, and serves curated output feeds over HTTP.
//
// Usage:
//
//	feedmill [--config FILE] COMMAND [ARGS]
//
// Run "feedmill help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // the command ran, and some of its work failed
	exitUsage  = 2 // bad arguments or a bad configuration
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, stop, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what every command gets from the process.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	// stopSignals restores default signal handling, so that a second
	// SIGINT/SIGTERM during a graceful shutdown kills the process at once.
	stopSignals func()
	// global flags
	configPath string
	logLevel   string
	logFormat  string
}

// usageError is a bad command line; run prints it with the usage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitError carries a specific exit code for an error already reported.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the daemon: poll feeds on schedule and serve the outputs", cmdServe},
		{"fetch", "fetch all (or the named) feeds once, now", cmdFetch},
		{"items", "list stored items, newest first", cmdItems},
		{"explain", "show an item's topics and the terms that matched", cmdExplain},
		{"retag", "apply the current topic rules to every stored item", cmdRetag},
		{"stories", "list stories: items of several sources about one event", cmdStories},
		{"restory", "group every stored item into stories again with the current thresholds", cmdRestory},
		{"topics", "preview a query (topics test) or a rule change (topics diff)", cmdTopics},
		{"feeds", "list feeds with their last fetch, status and item count", cmdFeeds},
		{"discover", "print the feeds a web page offers", cmdDiscover},
		{"replay", "re-run the pipeline over kept raw bodies of past fetches", cmdReplay},
		{"prune", "apply retention now: delete old items, keep their keys", cmdPrune},
		{"backup", "write a consistent copy of the database, even while serve runs", cmdBackup},
		{"migrate", "copy a SQLite database into PostgreSQL (--from FILE.db --to postgres://...)", cmdMigrate},
		{"outputs", "print the subscribe URLs of the outputs", cmdOutputs},
		{"opml", "export the feeds as OPML, or import an OPML file's feeds", cmdOPML},
		{"check", "validate the configuration", cmdCheck},
		{"version", "print the version", cmdVersion},
	}
}

func run(ctx context.Context, stopSignals func(), args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr, stopSignals: stopSignals}
	fs := flag.NewFlagSet("feedmill", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	e.globalFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return exitOK
		}
		fmt.Fprintf(stderr, "feedmill: %v\n\n", err)
		usage(stderr)
		return exitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 {
		usage(stderr)
		return exitUsage
	}
	name, cmdArgs := rest[0], rest[1:]
	if name == "help" {
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != name {
			continue
		}
		err := c.run(ctx, e, cmdArgs)
		var ue *usageError
		var ee *exitError
		switch {
		case err == nil:
			return exitOK
		case errors.As(err, &ee):
			return ee.code
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "feedmill %s: %v\n", name, err)
			fmt.Fprintf(stderr, "Run 'feedmill %s -h' for usage.\n", name)
			return exitUsage
		case errors.As(err, new(*configError)):
			fmt.Fprintln(stderr, err)
			return exitUsage
		default:
			fmt.Fprintf(stderr, "feedmill %s: %v\n", name, err)
			return exitFailed
		}
	}
	fmt.Fprintf(stderr, "feedmill: unknown command %q\n\n", name)
	usage(stderr)
	return exitUsage
}

// globalFlags are accepted before the command and by every command.
func (e *env) globalFlags(fs *flag.FlagSet) {
	fs.StringVar(&e.configPath, "config", e.configPath, "configuration `file` (default $FEEDMILL_CONFIG, else ./config.yaml)")
	fs.StringVar(&e.logLevel, "log-level", e.logLevel, "log `level`: debug, info, warn or error")
	fs.StringVar(&e.logFormat, "log-format", e.logFormat, "log `format`: text or json (default: text on a terminal, else json)")
}

// newFlags returns a command's flag set; -h prints usage (a synopsis and
// what the command does), then the flags.
func newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses a command's flags, the global ones included.
func (e *env) parseFlags(fs *flag.FlagSet, args []string) error {
	e.globalFlags(fs)
	fs.SetOutput(e.stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return &exitError{code: exitOK}
		}
		return &exitError{code: exitUsage}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: feedmill [--config FILE] COMMAND [ARGS]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n")
	fs := flag.NewFlagSet("feedmill", flag.ContinueOnError)
	(&env{}).globalFlags(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nExit status: 0 success, 1 some work failed, 2 usage or configuration error.\n")
}
