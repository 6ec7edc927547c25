package verifier

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"runtime"
	"sync"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

var realisticOnce struct {
	sync.Once
	data  []byte
	trust Trust
}

func realistic(b *testing.B) ([]byte, Trust) {
	realisticOnce.Do(func() {
		var buf bytes.Buffer
		g, err := fixtures.Realistic(&buf, 20000)
		if err != nil {
			b.Fatal(err)
		}
		realisticOnce.data = buf.Bytes()
		realisticOnce.trust, _ = PinGenesis(g.String())
	})
	return realisticOnce.data, realisticOnce.trust
}

// BenchmarkVerify verifies a realistic 20,000-record bundle; compare its
// signatures/s with BenchmarkBareEd25519 from the same run.
func BenchmarkVerify(b *testing.B) {
	data, trust := realistic(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	cpu0 := cpuTime()
	var sigs, recs int64
	for i := 0; i < b.N; i++ {
		res, err := Verify(context.Background(), bytes.NewReader(data), trust, Options{})
		if err != nil || res.Verdict != VerdictPass {
			b.Fatal(err, res.Verdict)
		}
		sigs += res.Counts.Signatures
		recs += res.Counts.Records
	}
	b.ReportMetric(float64(sigs)/b.Elapsed().Seconds(), "sigs/s")
	b.ReportMetric(float64(recs)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(sigs)/(cpuTime()-cpu0).Seconds(), "sigs/cpu-s")
}

// BenchmarkBareEd25519 is the bound: crypto/ed25519.Verify in a loop on
// every core, over envelope-sized messages.
func BenchmarkBareEd25519(b *testing.B) {
	k := fixtures.Key("bench")
	pub := k.Public().(ed25519.PublicKey)
	msg := format.Message(format.PrefixEnvelope, make([]byte, 600))
	sig := ed25519.Sign(k, msg)
	b.SetParallelism(1)
	b.ResetTimer()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !ed25519.Verify(pub, msg, sig) {
				panic("bad signature")
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "sigs/cpu-s")
	_ = runtime.GOMAXPROCS(0)
}

// BenchmarkScan is the scan stage alone (parse, decode, statements, rules'
// bookkeeping) over a realistic bundle's lines, with no signature checked:
// the per-record cost that batching leaves.
func BenchmarkScan(b *testing.B) {
	data, trust := realistic(b)
	var lines []format.Line
	rd := format.NewReader(bytes.NewReader(data))
	for {
		l, err := rd.Next()
		if err != nil {
			break
		}
		l.Bytes = append([]byte{}, l.Bytes...)
		lines = append(lines, l)
	}
	rd.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		v := newRun(trust, Options{Workers: 1, MaxFindings: 1000})
		v.resolve = func() {}
		for _, l := range lines {
			it := v.scan(l, 0)
			if it != nil && len(it.findings) > 0 {
				b.Fatalf("record %d: %v", it.pos, it.findings)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines))/1000, "µs/record")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*len(lines))/1000, "cpu-µs/record")
	b.ReportMetric(0, "ns/op")
}
