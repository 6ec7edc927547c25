package main

import (
	"fmt"
	"io"
	"time"

	"github.com/countersign/countersign/verifier"
)

// progress draws one status line on a terminal while a long verification
// runs: records and bytes read, the rate, and the time left when the size
// of the input is known. It redraws at most every interval and only looks
// at the clock every 1,024 records, so it costs the verifier nothing
// measurable.
type progress struct {
	w        io.Writer
	total    int64 // compressed size, 0 when unknown (stdin)
	now      func() time.Time
	interval time.Duration
	start    time.Time
	last     time.Time
	n        int64
	drawn    bool
}

func newProgress(w io.Writer, total int64, now func() time.Time) *progress {
	t := now()
	return &progress{w: w, total: total, now: now, interval: 250 * time.Millisecond, start: t, last: t}
}

// Record is the verifier's observer callback.
func (p *progress) Record(ev *verifier.Event) {
	p.n++
	if p.n%1024 != 0 {
		return
	}
	t := p.now()
	if t.Sub(p.last) < p.interval {
		return
	}
	p.last = t
	p.draw(ev.Seq+1, ev.Bytes, t.Sub(p.start))
}

func (p *progress) draw(records, bytes int64, elapsed time.Duration) {
	line := fmt.Sprintf("verifying: %d records, %s", records, mib(bytes))
	if p.total > 0 {
		line += " of " + mib(p.total)
	}
	if s := elapsed.Seconds(); s > 0 {
		line += fmt.Sprintf(", %.0f records/s", float64(records)/s)
		if p.total > 0 && bytes > 0 && bytes < p.total {
			left := time.Duration(float64(elapsed) * float64(p.total-bytes) / float64(bytes))
			line += ", about " + left.Round(time.Second).String() + " left"
		}
	}
	// \r and the erase-line sequence are the only control bytes written;
	// nothing from the bundle reaches this line.
	fmt.Fprintf(p.w, "\r\x1b[2K%s", line)
	p.drawn = true
}

// done clears the status line, so the result starts on a clean line.
func (p *progress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
