package tui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/verifier"
)

// changedMsg says the store has news for the screens; doneMsg that the
// verification ended.
type (
	changedMsg struct{}
	doneMsg    struct{}
)

// notifyEvery is how often, at most, the verification wakes the screens.
const notifyEvery = 100 * time.Millisecond

// verification runs the verifier over the whole file in the background,
// feeding the store. It reads the same file the source reads, from the
// start, through a section reader (ReadAt), and hashes what it reads.
type verification struct {
	st     *Store
	src    *Source
	notify chan tea.Msg
	last   time.Time
	now    func() time.Time
}

// start begins the verification and returns the channel that wakes the
// screens.
func startVerification(ctx context.Context, r io.ReaderAt, size int64, trust verifier.Trust, st *Store, src *Source, now func() time.Time) <-chan tea.Msg {
	v := &verification{st: st, src: src, notify: make(chan tea.Msg, 1), now: now}
	go v.run(ctx, r, size, trust)
	return v.notify
}

func (v *verification) wake() {
	if t := v.now(); t.Sub(v.last) >= notifyEvery {
		v.last = t
		select {
		case v.notify <- changedMsg{}:
		default:
		}
	}
}

func (v *verification) run(ctx context.Context, r io.ReaderAt, size int64, trust verifier.Trust) {
	h := sha256.New()
	cr := &countReader{r: io.NewSectionReader(r, 0, size)}
	in := io.TeeReader(cr, h)
	disagree := ""
	opts := verifier.Options{
		Observer: verifier.ObserverFunc(func(ev *verifier.Event) {
			if why := v.src.seen(ev.Seq, ev.Frame); why != "" && disagree == "" {
				disagree = why
				v.src.SwitchLinear(why)
			}
			v.st.mu.Lock()
			v.st.event(ev)
			v.st.register.afterRecord(ev)
			v.st.mu.Unlock()
			if ev.Seq%512 == 0 {
				v.wake()
			}
		}),
		Timeline: func(tl *verifier.RunTimeline) {
			v.st.mu.Lock()
			v.st.addRun(tl)
			v.st.mu.Unlock()
		},
		Changes: func(c *verifier.Change) {
			v.st.mu.Lock()
			v.st.addChange(c)
			v.st.mu.Unlock()
		},
		Notices: func(n *verifier.Notice) {
			v.st.mu.Lock()
			v.st.addNotice(n)
			v.st.mu.Unlock()
		},
	}
	res, err := verifier.Verify(ctx, in, trust, opts)
	// The verifier may stop before the end (a container problem it cannot
	// read past): the hash takes the rest of the file too.
	sum := ""
	if err == nil {
		if _, err2 := io.Copy(h, io.NewSectionReader(r, cr.n, size-cr.n)); err2 == nil {
			sum = hex.EncodeToString(h.Sum(nil))
		}
	}
	if err == nil && disagree == "" {
		if tr := v.src.TableRecords(); tr >= 0 && tr != res.Counts.Records {
			v.src.SwitchLinear("the seek table lists " + itoa(tr) + " records; read in order the file holds " + itoa(res.Counts.Records))
		}
		for _, f := range res.Findings {
			if f.Rule == verifier.RuleContainer && strings.Contains(f.Message, "seek table") {
				v.src.SwitchLinear("the verifier found the seek table wrong: " + f.Message)
				break
			}
		}
	}
	v.st.mu.Lock()
	v.st.done, v.st.result, v.st.err, v.st.sha256 = true, res, err, sum
	v.st.mu.Unlock()
	select {
	case v.notify <- doneMsg{}:
	case <-ctx.Done():
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
