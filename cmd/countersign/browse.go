package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"

	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/tui"
)

// runBrowse opens the terminal browser on a bundle file. It draws on
// stderr and reads keys from the terminal, and exits with the code verify
// would: 0 only when the verification finished and passed.
func runBrowse(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("browse")
	trustArg := fs.String("trust", "", "")
	unsafe := fs.Bool("unsafe-no-trust", false, "")
	pos, code, ok := e.parse("browse", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("browse", "browse takes exactly one BUNDLE file; got %d arguments", len(pos))
	}
	trust, mode, code := e.trustFlags("browse", flagSet(fs, "trust"), *trustArg, *unsafe, "browse needs --trust FP (the genesis hash obtained out of band) or, to check integrity only, --unsafe-no-trust")
	if code != 0 {
		return code
	}
	cfg := tui.Config{Trust: trust, TrustMode: tui.TrustUnsafe}
	if mode == trustPinned {
		cfg.TrustMode = tui.TrustPinned
	}
	if pos[0] == "-" {
		return e.usageError("browse", "browse reads a file, not stdin: it moves about in the bundle (use countersign verify - for a stream)")
	}

	name := display.Escape(pos[0])
	f, err := os.Open(pos[0])
	if err != nil {
		return e.ioError(name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return e.ioError(name, err)
	}
	if !fi.Mode().IsRegular() {
		return e.errorf(exitInput, "%s is not a regular file: browse reads a bundle file", name)
	}
	head := make([]byte, 4)
	if n, _ := f.ReadAt(head, 0); n < 4 || string(head) != string(zstdMagic) {
		detail := "the file is empty"
		if n > 0 {
			detail = fmt.Sprintf("it does not begin with a zstd frame (first bytes % x)", head[:n])
		}
		e.errorf(exitInput, "%s is not a countersign bundle: %s", name, detail)
		e.hintf("a bundle is a zstd file written by countersign; check the path, and that the file was copied whole")
		return exitInput
	}

	noTerminal := func() int {
		e.errorf(exitUsage, "browse needs a terminal: it draws on stderr and reads keys from the terminal, and there is none")
		e.hintf("for output a script can read, use 'countersign verify --json' or 'countersign inspect --runs --json'")
		return exitUsage
	}
	if e.stderrTerminal == nil || !e.stderrTerminal() {
		return noTerminal()
	}
	in, closeIn, ok := e.terminalInput()
	if !ok {
		return noTerminal()
	}
	defer closeIn()
	cfg.File, cfg.Size, cfg.Name = f, fi.Size(), name
	cfg.NoColor = e.getenv("NO_COLOR") != ""
	code, err = tui.Run(ctx, cfg, in, e.stderr)
	if err != nil {
		return e.errorf(exitFail, "browse: %s", display.Escape(err.Error()))
	}
	return code
}

// terminalInput is where the browser reads keys: stdin when it is a
// terminal, else the controlling terminal, so that browse works with
// stdin redirected.
func (e *env) terminalInput() (io.Reader, func(), bool) {
	if e.interactive != nil && e.interactive() {
		return e.stdin, func() {}, true
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return nil, nil, false
	}
	if !term.IsTerminal(int(tty.Fd())) {
		tty.Close()
		return nil, nil, false
	}
	return tty, func() { tty.Close() }, true
}
