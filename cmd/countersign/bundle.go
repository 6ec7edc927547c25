package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// zstdMagic is how every bundle begins (SPEC.md §2.1).
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// bundleInput is an opened bundle argument.
type bundleInput struct {
	r     *bufio.Reader
	name  string // as shown to the user, escaped
	size  int64  // the file's size, 0 for stdin
	close func()
}

// openBundle opens path, or stdin for "-". On failure it reports the error
// and returns the exit code.
func (e *env) openBundle(path string) (*bundleInput, int) {
	if path == "-" {
		return &bundleInput{r: bufio.NewReaderSize(e.stdin, 1<<16), name: "<stdin>", close: func() {}}, 0
	}
	name := display.Escape(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, e.ioError(name, err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, e.errorf(exitInput, "%s is a directory, not a countersign bundle", name)
	}
	in := &bundleInput{r: bufio.NewReaderSize(f, 1<<16), name: name, close: func() { f.Close() }}
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		in.size = fi.Size()
	}
	return in, 0
}

// ioError reports a failure to read or write the file called name.
func (e *env) ioError(name string, err error) int {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return e.errorf(exitInput, "cannot read %s: %s", name, display.Escape(err.Error()))
}

// verifyBundle runs the verifier over an opened bundle and reports an
// input that is not a bundle, or cannot be read, with exit code 3.
func (e *env) verifyBundle(ctx context.Context, in *bundleInput, trust verifier.Trust, opts verifier.Options) (*verifier.Result, int) {
	// Peek before verifying, so the explanation sees the file's start even
	// after the verifier has consumed it.
	head, _ := in.r.Peek(4)
	head = append([]byte(nil), head...)
	if opts.Observer == nil && e.stderrTerminal != nil && e.stderrTerminal() {
		p := newProgress(e.stderr, in.size, e.now)
		opts.Observer = p
		defer p.done()
	}
	res, err := verifier.Verify(ctx, in.r, trust, opts)
	if err == nil {
		return res, 0
	}
	return e.readError(in, head, err)
}

// readError reports a bundle that could not be read: not a bundle at all
// (with the document saying so, for --json), interrupted, or an I/O error,
// all with exit code 3. head is the file's first bytes.
func (e *env) readError(in *bundleInput, head []byte, err error) (*verifier.Result, int) {
	if errors.Is(err, verifier.ErrNotBundle) {
		detail := ""
		switch {
		case len(head) == 0:
			detail = "the file is empty"
		case len(head) < 4 || string(head) != string(zstdMagic):
			detail = fmt.Sprintf("it does not begin with a zstd frame (first bytes % x)", head)
		default:
			detail = strings.TrimPrefix(strings.TrimPrefix(err.Error(), format.ErrNotBundle.Error()), ": ")
			if detail == "" {
				detail = "no genesis record could be read"
			}
			detail = display.Escape(detail)
		}
		e.errorf(exitInput, "%s is not a countersign bundle: %s", in.name, detail)
		e.hintf("a bundle is a zstd file written by countersign; check the path, and that the file was copied whole")
		return verifier.NotBundleResult(detail), exitInput
	}
	if errors.Is(err, context.Canceled) {
		return nil, e.errorf(exitInput, "%s: interrupted", in.name)
	}
	return nil, e.errorf(exitInput, "%s: %s", in.name, display.Escape(err.Error()))
}
