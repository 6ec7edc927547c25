package verifier

import (
	"bytes"
	"context"
	"runtime"
	"testing"

	"github.com/countersign/countersign/fixtures"
)

// peakHeap verifies data and returns the largest live heap seen, sampled
// after every 4th record.
func peakHeap(t testing.TB, data []byte, trust Trust) (uint64, *Result) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	peak := uint64(0)
	n := 0
	obs := ObserverFunc(func(ev *Event) {
		n++
		if n%4 != 0 {
			return
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > base && ms.HeapAlloc-base > peak {
			peak = ms.HeapAlloc - base
		}
	})
	res, err := Verify(context.Background(), bytes.NewReader(data), trust, Options{Workers: 1, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	return peak, res
}

// TestOpenRunsMemory: runs left open with large actions must not make the
// verifier hold their actions (SPEC.md §10).
func TestOpenRunsMemory(t *testing.T) {
	const runs, size = 48, 1000000
	data, g := fixtures.OpenRuns(runs, size)
	trust, _ := PinGenesis(g)
	peak, res := peakHeap(t, data, trust)
	t.Logf("bundle %d bytes, %d open runs of %d-byte actions: peak live heap %.1f MiB (%.0f B per run); %d findings", len(data), runs, size, float64(peak)/(1<<20), float64(peak)/runs, len(res.Findings))
}
