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

// BenchmarkStoreMemory feeds the browser's store what the verifier hands
// out for a bundle of ten million records (one event a record, a run
// timeline for every twelve, as in the realistic bundles) without
// generating the bundle, and reports the heap the store holds at the end:
// the browser's own share of memory at 10 M records, beside the
// verifier's (which countersign-bench measures).
func BenchmarkStoreMemory(b *testing.B) {
	const records = 10_000_000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		st := newStore(1 << 30)
		ev := &verifier.Event{Type: "attempt", Time: "2026-11-02T09:00:00.000Z", OK: true}
		for seq := int64(0); seq < records; seq++ {
			ev.Seq = seq
			st.event(ev)
			if seq%12 == 11 {
				st.addRun(syntheticRun(seq))
			}
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "store-heap-MiB")
		b.ReportMetric(float64(len(st.runs)), "runs-listed")
		b.ReportMetric(float64(st.runsDropped), "runs-counted-only")
		runtime.KeepAlive(st)
	}
}

// syntheticRun is a run timeline of the realistic bundles' shape ending
// at record end.
func syntheticRun(end int64) *verifier.RunTimeline {
	rs := func(seq int64) verifier.RecordStatus {
		return verifier.RecordStatus{Seq: seq, Hash: strings.Repeat("ab", 32), Time: "2026-11-02T09:00:00.000Z", Actor: "agent.pay01", Intact: true, Findings: []verifier.Finding{}}
	}
	first := end - 11
	tl := &verifier.RunTimeline{Run: fmt.Sprintf("pay-%08d", end/12), State: verifier.RunExecuted,
		Proposal: &verifier.ProposalStep{RecordStatus: rs(first), Class: "payment", Action: strings.Repeat("x", 160), Digest: strings.Repeat("cd", 32),
			Summary: map[string]string{"amount": "100.00", "currency": "EUR"}, Signer: &verifier.Signer{Principal: "agent.pay01", Name: "Principal agent.pay01"}, Reason: "prepared"}}
	for j := int64(0); j < 4; j++ {
		a := &verifier.AttemptStep{RecordStatus: rs(first + 2 + 2*j), Act: "signoff", Signer: &verifier.Signer{Principal: "risk.off1", Name: "Principal risk.off1"},
			Meaning: "approval", Reason: "supplier verified; amount within budget"}
		a.Outcome = &verifier.OutcomeStep{RecordStatus: rs(first + 3 + 2*j), Result: "accepted", Code: "ok", Detail: "accepted"}
		tl.Attempts = append(tl.Attempts, a)
	}
	tl.Execution = &verifier.ExecutionStep{RecordStatus: rs(end)}
	return tl
}
