// Package tui is the terminal browser of a countersign bundle: countersign
// browse. It shows what the bundle says and what the verifier found, and
// decides nothing itself.
//
// The browser opens at once on a bundle of any length: it reads records
// through the seek table (SPEC.md §2.3), only those on screen, while the
// verifier reads the whole file in the background, in order, from the same
// file. Every record shown carries the verifier's status: pending until
// the verifier reaches it, then ok or finding. Should the seek table
// disagree with what the verifier reads in order, the browser switches to
// that linear reading and says so in a banner, for the rest of the
// session.
//
// The screens (overview, records, record detail, runs, principals and
// keys, controls, findings) render three things the verifier hands out:
// its per-record events, its run timelines and change log (see
// verifier.Options), and its Result. What the browser keeps of the two
// streams is bounded; past the bound it counts what it did not keep.
//
// Every string that came from the bundle is shown through the same
// escaping as the command line (internal/display): a control, escape or
// bidirectional character is shown as a visible escape, never sent to the
// terminal.
package tui

import (
	"context"
	"errors"
	"io"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/verifier"
)

// Trust modes: how the trust root was given.
const (
	TrustPinned = iota + 1
	TrustUnsafe
)

// Config is what the browser is started with.
type Config struct {
	// File is the bundle, read with ReadAt only, and Size its length.
	File io.ReaderAt
	Size int64
	// Name is how the bundle is named on screen (escaped when shown).
	Name string
	// Trust is the trust root and TrustMode how it was given (TrustPinned
	// or TrustUnsafe).
	Trust     verifier.Trust
	TrustMode int
	// NoColor draws without colour (NO_COLOR).
	NoColor bool
	// Now is the clock, for the pace of progress (time.Now when nil).
	Now func() time.Time
}

// Run shows the browser on a terminal (input from in, drawing on out) until
// the user quits, and returns the exit code of the verification (see
// Model.ExitCode): 0 when it passed, 1 when it failed or did not finish, 3
// when the file is not a bundle after all.
func Run(ctx context.Context, cfg Config, in io.Reader, out io.Writer) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, cfg)
	defer m.Close()
	p := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out), tea.WithContext(ctx))
	final, err := p.Run()
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) && !errors.Is(err, tea.ErrInterrupted) {
		return 1, err
	}
	if fm, ok := final.(*Model); ok {
		return fm.ExitCode(), nil
	}
	return m.ExitCode(), nil
}
