package format_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

var signClasses = fixtures.SigClasses

// batchFrom builds a batch from spec: each byte picks a member's class
// and whether its message is split into data and tail.
func batchFrom(spec, msg []byte) (*format.PublicKey, []format.Entry, []bool) {
	k := fixtures.CraftKeyOf(seedKey("batch"))
	other := fixtures.CraftKeyOf(seedKey("batch other"))
	pub, err := format.NewPublicKey(k.Pub)
	if err != nil {
		panic(err)
	}
	var entries []format.Entry
	var valid []bool
	for i, c := range spec {
		class := signClasses[int(c)%len(signClasses)]
		m := append(append([]byte{}, msg...), byte(i), byte(i>>8))
		full := append([]byte(format.PrefixStatement), m...)
		e := format.Entry{Prefix: format.PrefixStatement, Data: m, Sig: class.Craft(k, other, full)}
		if c&0x80 != 0 && len(m) > 0 {
			e.Data, e.Tail = m[:len(m)-1], string(m[len(m)-1:])
		}
		entries = append(entries, e)
		valid = append(valid, class.Valid)
	}
	return pub, entries, valid
}

func TestSignClasses(t *testing.T) {
	k := fixtures.CraftKeyOf(seedKey("batch"))
	other := fixtures.CraftKeyOf(seedKey("batch other"))
	msg := []byte("countersign batch class")
	for _, c := range signClasses {
		if got := referenceVerify(k.Pub, msg, c.Craft(k, other, msg)); got != c.Valid {
			t.Errorf("%s: the reference of §4.1 says %v, the table %v", c.Name, got, c.Valid)
		}
	}
}

// FuzzBatchVerify holds the batch check to the single check and to the
// reference of §4.1: a batch passes exactly when every member passes on
// its own, whatever mix of honest and crafted members it holds.
func FuzzBatchVerify(f *testing.F) {
	all := make([]byte, len(signClasses))
	for i := range all {
		all[i] = byte(i)
	}
	f.Add([]byte{0, 0, 0, 0}, []byte("m"))
	f.Add([]byte{0, 1, 2, 3, 4, 5}, []byte("accepted classes"))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 6}, []byte("one non-canonical R"))
	f.Add([]byte{9, 0, 0, 0, 0, 0, 0, 0, 0}, []byte("S + L first"))
	f.Add([]byte{0, 0x80, 1, 0x81, 12, 0}, []byte("another key, split"))
	f.Add([]byte{16, 0, 1, 2}, []byte("R moved by torsion"))
	f.Add(all, []byte("every class"))
	f.Add([]byte{0, 0x40, 0x80, 0xc0, 0x41, 0x81, 0, 0x40}, []byte("three keys, honest and crafted"))
	f.Add([]byte{0, 0x40, 0x80, 0x49, 0x41, 0x81, 0, 0x40}, []byte("three keys, S + L under the second"))
	f.Fuzz(func(t *testing.T, spec, msg []byte) {
		if len(spec) > 64 {
			spec = spec[:64]
		}
		pub, entries, valid := batchFrom(spec, msg)
		want := true
		for i := range entries {
			e := &entries[i]
			single := pub.VerifyEntry(e)
			full := append(append([]byte(e.Prefix), e.Data...), e.Tail...)
			if ref := referenceVerify(pub.Raw(), full, e.Sig); single != ref || single != valid[i] {
				t.Fatalf("member %d: single %v, reference %v, class says %v", i, single, ref, valid[i])
			}
			want = want && single
		}
		b := format.NewBatch()
		for round := 0; round < 2; round++ {
			if got := b.Verify(pub, entries); got != want {
				t.Fatalf("round %d: batch of %d says %v, its members one by one %v", round, len(entries), got, want)
			}
		}
		// The same members under several keys (bit 6 of each byte picks
		// one of three), in one equation with a term per key.
		keys, mixed, mixedWant := mixedBatchFrom(spec, msg)
		for i := range mixed {
			if keys[i].VerifyEntry(&mixed[i]) != mixedWant[i] {
				t.Fatalf("mixed member %d: single check disagrees with its class", i)
			}
		}
		all := true
		for _, ok := range mixedWant {
			all = all && ok
		}
		if got := b.VerifyKeys(keys, mixed); got != all {
			t.Fatalf("batch of %d under several keys says %v, its members one by one %v", len(mixed), got, all)
		}
	})
}

// mixedBatchFrom is batchFrom with each member under one of three keys.
func mixedBatchFrom(spec, msg []byte) ([]*format.PublicKey, []format.Entry, []bool) {
	var craft []fixtures.CraftKey
	var pubs []*format.PublicKey
	for _, name := range []string{"batch", "batch b", "batch c"} {
		k := fixtures.CraftKeyOf(seedKey(name))
		p, err := format.NewPublicKey(k.Pub)
		if err != nil {
			panic(err)
		}
		craft, pubs = append(craft, k), append(pubs, p)
	}
	other := fixtures.CraftKeyOf(seedKey("batch other"))
	var keys []*format.PublicKey
	var entries []format.Entry
	var valid []bool
	for i, c := range spec {
		class := signClasses[int(c&0x3f)%len(signClasses)]
		ki := int(c>>6) % 3
		m := append(append([]byte{}, msg...), byte(i), byte(i>>8))
		full := append([]byte(format.PrefixEnvelope), m...)
		keys = append(keys, pubs[ki])
		entries = append(entries, format.Entry{Prefix: format.PrefixEnvelope, Data: m, Sig: class.Craft(craft[ki], other, full)})
		valid = append(valid, class.Valid)
	}
	return keys, entries, valid
}

func BenchmarkBatchVerify(b *testing.B) {
	for _, n := range []int{1, 16, 64, 128, 256} {
		spec := make([]byte, n)
		pub, entries, _ := batchFrom(spec, make([]byte, 500))
		bv := format.NewBatch()
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if !bv.Verify(pub, entries) {
					b.Fatal("batch refused")
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "sigs/s")
		})
	}
	spec := make([]byte, 1)
	pub, entries, _ := batchFrom(spec, make([]byte, 500))
	b.Run("single", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if !pub.VerifyEntry(&entries[0]) {
				b.Fatal("refused")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
	})
	b.Run("crypto/ed25519", func(b *testing.B) {
		full := append([]byte(entries[0].Prefix), entries[0].Data...)
		for i := 0; i < b.N; i++ {
			if !ed25519.Verify(pub.Raw(), full, entries[0].Sig) {
				b.Fatal("refused")
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
	})
}
