package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/verifier"
)

func TestProgress(t *testing.T) {
	var out bytes.Buffer
	clock := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	p := newProgress(&out, 10<<20, func() time.Time { return clock })
	for i := int64(0); i < 4096; i++ {
		if i == 2047 {
			clock = clock.Add(2 * time.Second)
		}
		p.Record(&verifier.Event{Seq: i, Bytes: (i + 1) * 1280})
	}
	p.done()
	got := out.String()
	// One redraw: the clock moved once, and redraws are at most every 250 ms.
	want := "\r\x1b[2Kverifying: 2048 records, 2.5 MiB of 10.0 MiB, 1024 records/s, about 6s left\r\x1b[2K"
	if got != want {
		t.Fatalf("progress wrote %q, want %q", got, want)
	}
}

// verify draws progress on stderr when it is a terminal, and only then.
func TestProgressOnlyOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	if _, err := fixtures.Realistic(&buf, 5000); err != nil {
		t.Fatal(err)
	}
	bundle := write(t, t.TempDir(), "big.csb", buf.Bytes())
	for _, term := range []bool{false, true} {
		e, out, errb := testEnv(nil, nil)
		clock := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
		e.now = func() time.Time { clock = clock.Add(time.Second); return clock }
		e.stderrTerminal = func() bool { return term }
		if code := e.dispatch(t.Context(), []string{"verify", "--unsafe-no-trust", bundle}); code != exitOK {
			t.Fatalf("verify exited %d: %s", code, errb)
		}
		drawn := strings.Contains(errb.String(), "\r\x1b[2Kverifying: 1024 records, ")
		if drawn != term || strings.Contains(out.String(), "verifying:") {
			t.Fatalf("stderr a terminal: %v; progress drawn: %v\nstderr %q", term, drawn, errb)
		}
		if term && !strings.HasSuffix(errb.String(), "\r\x1b[2K") {
			t.Fatalf("progress line not cleared at the end: %q", errb)
		}
	}
}
