// Command countersign verifies, inspects and signs countersign evidence
// bundles. It is a thin layer over the format, verifier and keyfile
// packages: it parses flags, calls them, prints what they return and maps
// the outcome to an exit code (exit.go).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/internal/keyfile"
	"golang.org/x/term"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// env is what a command may touch of the outside world. Tests build their
// own to drive commands in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// getenv reads an environment variable.
	getenv func(string) string
	// now is the clock: a signer's claimed time, and the pace of progress.
	now func() time.Time
	// interactive reports whether stdin is a terminal a person can answer
	// prompts on.
	interactive func() bool
	// stderrTerminal reports whether stderr is a terminal, where progress
	// is drawn.
	stderrTerminal func() bool
	// passphrase asks for a passphrase on the terminal (twice when confirm
	// is set). It is only called when the environment variable named by
	// keyfile.PassphraseEnv is unset or empty.
	passphrase func(prompt string, confirm bool) ([]byte, error)
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{
		stdin:       stdin,
		stdout:      stdout,
		stderr:      stderr,
		getenv:      os.Getenv,
		now:         time.Now,
		interactive: func() bool { return isTerminal(stdin) },
		stderrTerminal: func() bool {
			f, ok := stderr.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		},
		passphrase: keyfile.Passphrase,
	}
	return e.dispatch(ctx, args)
}

// isTerminal reports whether r is a terminal (not merely a character
// device: /dev/null is one too).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// command is one entry of the dispatcher.
type command struct {
	name string
	run  func(ctx context.Context, e *env, args []string) int
}

// commands is the dispatcher table. Usage texts live in usage.go.
var commands = []command{
	{"verify", runVerify},
	{"inspect", runInspect},
	{"browse", runBrowse},
	{"register", runRegister},
	{"checkpoint", runCheckpoint},
	{"report", runReport},
	{"keygen", runKeygen},
	{"sign", runSign},
	{"demo", runDemo},
	{"selftest", runSelftest},
	{"version", runVersion},
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func (e *env) dispatch(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stderr, mainUsage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		return e.help(rest)
	case "--version", "-version":
		return runVersion(ctx, e, nil)
	}
	c := lookup(name)
	if c == nil {
		if strings.HasPrefix(name, "-") {
			return e.usageError("", "unknown flag %s before the command", name)
		}
		return e.usageError("", "unknown command %s", display.Quote(name))
	}
	return c.run(ctx, e, rest)
}

// help prints the overview, or one command's usage.
func (e *env) help(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(e.stdout, mainUsage)
		return exitOK
	}
	if len(args) > 1 {
		return e.usageError("", "help takes at most one command name")
	}
	u, ok := usages[args[0]]
	if !ok {
		return e.usageError("", "no help for unknown command %s", display.Quote(args[0]))
	}
	fmt.Fprint(e.stdout, u)
	return exitOK
}

// errorf prints "countersign: error: ..." on stderr and returns code.
func (e *env) errorf(code int, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "countersign: error: %s\n", fmt.Sprintf(format, args...))
	return code
}

// hintf prints "countersign: hint: ..." on stderr.
func (e *env) hintf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "countersign: hint: %s\n", fmt.Sprintf(format, args...))
}

// usageError reports a command-line mistake and points at the usage text
// of cmd (the overview when cmd is "").
func (e *env) usageError(cmd, format string, args ...any) int {
	e.errorf(exitUsage, format, args...)
	if cmd == "" {
		e.hintf("run 'countersign help' for the list of commands")
	} else {
		e.hintf("run 'countersign %s -h' for usage", cmd)
	}
	return exitUsage
}

// newFlagSet returns a flag set for cmd whose -h prints cmd's usage text.
func (e *env) newFlagSet(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with fs, allowing flags after positional arguments
// (countersign verify evidence.csb --json). An argument "--" ends the
// flags. It returns the positional arguments, or, when parsing ended the
// command (-h, or a bad flag), the exit code and false.
func (e *env) parse(cmd string, fs *flag.FlagSet, args []string) ([]string, int, bool) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(e.stdout, usages[cmd])
			return nil, exitOK, false
		}
		if err != nil {
			return nil, e.usageError(cmd, "%s: %s", cmd, display.Escape(err.Error())), false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, 0, true
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), 0, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}
