package verifier

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/countersign/countersign/fixtures"
)

// liveHeap collects garbage twice, so that what sync.Pool keeps for one
// cycle is gone too, and returns the live heap.
func liveHeap(ms *runtime.MemStats) uint64 {
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(ms)
	return ms.HeapAlloc
}

// peakHeap verifies data and returns the largest live heap seen, sampled
// after every 8th record and each of the last 8 of records, and the
// smallest live heap over those last 8, when what remains is the state the
// bundle left (the smallest, so that a buffer that happens to be live at
// one sample does not count as state).
func peakHeap(t testing.TB, data []byte, trust Trust, records int) (uint64, uint64, *Result) {
	var ms runtime.MemStats
	base := liveHeap(&ms)
	peak := uint64(0)
	last := uint64(1<<63 - 1)
	n := 0
	obs := ObserverFunc(func(ev *Event) {
		// Sample every 8th record, and every record near the end, where
		// what is left is the state.
		if n++; n%8 != 0 && n < records-8 {
			return
		}
		heap := uint64(0)
		if h := liveHeap(&ms); h > base {
			heap = h - base
		}
		peak = max(peak, heap)
		if n >= records-8 {
			last = min(last, heap)
		}
	})
	res, err := Verify(context.Background(), bytes.NewReader(data), trust, Options{Workers: 1, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	return peak, last, res
}

// TestOpenRunsMemory: runs left open with large actions must not make the
// verifier hold their actions (SPEC.md §10). It measures the peak live
// heap for two numbers of open runs and bounds the cost of one more run.
// Before the verifier kept only what its rules need, one open run with a
// 1 MB action cost about 3 MB.
func TestOpenRunsMemory(t *testing.T) {
	const size = 256 << 10
	var peaks, lasts [2]uint64
	counts := [2]int{32, 192}
	// A first verification, unmeasured, so that what the process builds
	// once (tables, pools) is not counted as state of either bundle.
	warm, wg := fixtures.OpenRuns(2, size)
	wtrust, _ := PinGenesis(wg)
	peakHeap(t, warm, wtrust, 6)
	for i, runs := range counts {
		data, g := fixtures.OpenRuns(runs, size)
		trust, _ := PinGenesis(g)
		peak, last, res := peakHeap(t, data, trust, 2+2*runs) // genesis, an enrolment, a proposal and its outcome per run
		if res.Verdict != VerdictFail || len(res.Findings) != runs {
			t.Fatalf("%d open runs: verdict %s, %d findings; want fail with one missing outcome per run", runs, res.Verdict, len(res.Findings))
		}
		peaks[i], lasts[i] = peak, last
		t.Logf("bundle %d bytes, %d open runs of %d-byte actions: peak live heap %.1f MiB, %.1f MiB at the last record", len(data), runs, size, float64(peak)/(1<<20), float64(last)/(1<<20))
	}
	perRun := (float64(lasts[1]) - float64(lasts[0])) / float64(counts[1]-counts[0])
	t.Logf("cost of one more open run: %.0f B", perRun)
	if perRun > 64<<10 { // a kept action would cost more than its 256 KiB
		t.Fatalf("each open run costs %.0f B: the verifier keeps its action", perRun)
	}
}

// TestFindingsPastTheCap: findings past MaxFindings are counted, not kept,
// and a flood of unparseable lines stops after MaxUnparseable (SPEC.md §10).
func TestFindingsPastTheCap(t *testing.T) {
	tests := []struct {
		name      string
		data      []byte
		max       int
		wantKept  int
		wantTotal int
	}{
		{name: "empty-line flood stops", data: fixtures.EmptyLines(200, 10000), max: 1000, wantKept: MaxUnparseable + 1, wantTotal: MaxUnparseable + 1},
		{name: "cap counts the rest", data: fixtures.EmptyLines(1, 100), max: 10, wantKept: 10, wantTotal: MaxUnparseable + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := verifyBytes(t, tt.data, UnsafeNoTrust(), Options{MaxFindings: tt.max})
			if len(res.Findings) != tt.wantKept || len(res.Findings)+res.FindingsOmitted != tt.wantTotal {
				t.Fatalf("kept %d, omitted %d; want %d kept of %d", len(res.Findings), res.FindingsOmitted, tt.wantKept, tt.wantTotal)
			}
			for _, f := range res.Findings {
				if f.Message == "" || f.Rule != RuleParse {
					t.Fatalf("finding %+v", f)
				}
			}
		})
	}
}
