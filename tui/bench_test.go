package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/verifier"
)

// benchBundle returns a realistic bundle of n records, generated once and
// kept in the repository's bench/ folder (where countersign-bench keeps
// its own), and its genesis.
func benchBundle(b *testing.B, n int64) (string, string) {
	b.Helper()
	dir := filepath.Join("..", "bench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("browse-realistic-%d.csb", n))
	gpath := path + ".genesis"
	if g, err := os.ReadFile(gpath); err == nil {
		if _, err := os.Stat(path); err == nil {
			return path, strings.TrimSpace(string(g))
		}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	g, err := fixtures.Realistic(f, n)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %s in %s", path, time.Since(start).Round(time.Millisecond))
	if err := os.WriteFile(gpath, []byte(g.String()+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	return path, g.String()
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS(b *testing.B) int64 {
	s, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(s), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	b.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// BenchmarkBrowse opens the browser on a realistic bundle of
// COUNTERSIGN_BROWSE_RECORDS records (1,000,000 by default) and reports
// the time to the first screen of records, the time to a filter's first
// match and to its last, the time the background verification takes, and
// the peak resident set of the whole (the generator's peak is reset
// first). Run it with -benchtime=1x.
func BenchmarkBrowse(b *testing.B) {
	n := int64(1_000_000)
	if v := os.Getenv("COUNTERSIGN_BROWSE_RECORDS"); v != "" {
		var err error
		if n, err = strconv.ParseInt(v, 10, 64); err != nil {
			b.Fatal(err)
		}
	}
	path, genesis := benchBundle(b, n)
	tr, err := verifier.PinGenesis(genesis)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	// Reset the peak resident set, so the generator's is not counted.
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		fi, _ := f.Stat()
		m := New(context.Background(), Config{File: f, Size: fi.Size(), Name: path, Trust: tr, TrustMode: TrustPinned, NoColor: true})
		m.Update(sizeMsg(80, 24))
		press(m, "2", ":")
		typeText(m, strconv.FormatInt(n/2, 10))
		press(m, "enter")
		screen := m.render()
		first := time.Since(start)
		if !strings.Contains(screen, strconv.FormatInt(n/2, 10)) {
			b.Fatalf("the first screen does not show record %d:\n%s", n/2, screen)
		}

		// Keys while the verification runs: a key's handling and the
		// redraw it causes, on the records and the runs screens.
		var keys time.Duration
		const presses = 40
		for j := 0; j < presses; j++ {
			k := time.Now()
			press(m, []string{"2", "j", "3", "j"}[j%4])
			m.render()
			keys += time.Since(k)
		}

		// A filter on a rare text: its first match, and its end.
		fstart := time.Now()
		press(m, "2", "/")
		typeText(m, "INV-00000777")
		press(m, "enter")
		var firstMatch time.Duration
		for {
			got, _, _, done := m.records.filter.snapshot()
			if got > 0 && firstMatch == 0 {
				firstMatch = time.Since(fstart)
			}
			if done {
				break
			}
			time.Sleep(time.Millisecond)
		}
		filterAll := time.Since(fstart)
		if got, _, _, _ := m.records.filter.snapshot(); got == 0 {
			b.Fatal("the filter found nothing")
		}
		m.render()

		// The background verification, to its end.
		for {
			msg := <-m.notify
			m.Update(msg)
			if _, ok := msg.(doneMsg); ok {
				break
			}
		}
		verified := time.Since(start)
		m.render()
		if m.st.result == nil || m.st.sha256 == "" {
			b.Fatalf("verification ended without a result: %v", m.st.err)
		}
		if p := os.Getenv("COUNTERSIGN_BROWSE_HEAP"); p != "" {
			hf, err := os.Create(p)
			if err != nil {
				b.Fatal(err)
			}
			runtime.GC()
			pprof.WriteHeapProfile(hf)
			hf.Close()
		}
		b.ReportMetric(float64(first.Microseconds())/1000, "first-screen-ms")
		b.ReportMetric(float64(firstMatch.Microseconds())/1000, "filter-first-ms")
		b.ReportMetric(float64(keys.Microseconds())/1000/presses, "key-to-screen-ms")
		b.ReportMetric(float64(filterAll.Microseconds())/1000, "filter-all-ms")
		b.ReportMetric(verified.Seconds(), "verified-s")
		b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-RSS-MiB")
		m.Close()
		f.Close()
	}
}
