package verifier

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// windowFrom builds a window of items from spec: each byte is one job, its
// low bits the signature's class (fixtures.SigClasses), bit 5 which of two
// keys it is checked under, bit 6 whether it was already checked while
// scanning, bit 7 whether it starts a new item.
func windowFrom(spec []byte) (items []*item, valid []bool) {
	keys := []fixtures.CraftKey{fixtures.CraftKeyOf(fixtures.Key("batch a")), fixtures.CraftKeyOf(fixtures.Key("batch b"))}
	other := fixtures.CraftKeyOf(fixtures.Key("batch other"))
	var pubs []*format.PublicKey
	for _, k := range keys {
		p, err := format.NewPublicKey(k.Pub)
		if err != nil {
			panic(err)
		}
		pubs = append(pubs, p)
	}
	var it *item
	for i, c := range spec {
		if it == nil || c&0x80 != 0 {
			it = &item{pos: int64(len(items))}
			items = append(items, it)
		}
		class := fixtures.SigClasses[int(c&0x1f)%len(fixtures.SigClasses)]
		k := int(c>>5) & 1
		data := []byte{byte(i), byte(i >> 8), 'd'}
		full := append([]byte(format.PrefixEnvelope), data...)
		j := &job{pub: pubs[k], prefix: format.PrefixEnvelope, data: data[:2], tail: "d", sig: class.Craft(keys[k], other, full)}
		if c&0x40 != 0 {
			j.done, j.ok = true, class.Valid
		}
		it.jobs = append(it.jobs, j)
		valid = append(valid, class.Valid)
	}
	return items, valid
}

// FuzzBatchWindow holds the batched check of a window to the single check
// of every job: the same answer for each signature, whatever honest and
// crafted signatures share its batch, under whichever keys.
func FuzzBatchWindow(f *testing.F) {
	honest := make([]byte, 300)
	oneBad := slices.Clone(honest)
	oneBad[7] = 9 // S + L
	twoKeys := make([]byte, 300)
	for i := range twoKeys {
		twoKeys[i] = byte(i%2) << 5
	}
	twoKeys[200] |= 16 // R moved by torsion, under the second key
	mixed := make([]byte, 0, 200)
	for i := 0; i < 200; i++ {
		mixed = append(mixed, byte(i%len(fixtures.SigClasses))|byte(i%3)<<5|byte(i%7/6)<<7)
	}
	f.Add(honest)
	f.Add(oneBad)
	f.Add(twoKeys)
	f.Add(mixed)
	f.Add([]byte{1, 2, 3, 4, 5, 0x41, 6})
	f.Fuzz(func(t *testing.T, spec []byte) {
		if len(spec) > 600 {
			spec = spec[:600]
		}
		items, valid := windowFrom(spec)
		w := newBatcher()
		w.verify(items)
		n := 0
		for _, it := range items {
			for _, j := range it.jobs {
				if single := j.single(); j.ok != single || single != valid[n] {
					t.Fatalf("job %d: window says %v, single check %v, its class %v", n, j.ok, single, valid[n])
				}
				n++
			}
		}
	})
}

// A batch that fails is decided member by member, and its key is checked
// one by one for the rest of the window: one bad signature per batch costs
// one failed batch per key and window, not one per batch.
func TestFailedBatchDropsToSingles(t *testing.T) {
	spec := make([]byte, 3*maxBatch)
	spec[5] = 6 // non-canonical R in the first batch
	items, valid := windowFrom(spec)
	w := newBatcher()
	w.verify(items)
	if w.stats != (batchStats{batches: 1, failed: 1, singles: 3 * maxBatch}) {
		t.Fatalf("stats %+v: want one failed batch, then single checks", w.stats)
	}
	for i, j := range items[0].jobs {
		if j.ok != valid[i] {
			t.Fatalf("job %d: %v, want %v", i, j.ok, valid[i])
		}
	}
	// Without the bad signature, every batch passes and none is split.
	items, _ = windowFrom(make([]byte, 3*maxBatch))
	w = newBatcher()
	w.verify(items)
	if w.stats != (batchStats{batches: 3}) {
		t.Fatalf("stats %+v: want three batches", w.stats)
	}
}

// respliced re-signs records of a bundle from position from on, each
// with the signature class classOf gives it (nil: an honest one), relinking
// the chain so that only the signatures differ.
func respliced(t *testing.T, lines [][]byte, from int, classOf func(i int) *fixtures.SigClass) (out [][]byte, bad []int64) {
	t.Helper()
	logKey := fixtures.CraftKeyOf(fixtures.Key("log"))
	other := fixtures.CraftKeyOf(fixtures.Key("not the log key"))
	out = make([][]byte, len(lines))
	copy(out, lines)
	for i := from; i < len(out); i++ {
		line := slices.Clone(out[i])
		p := bytes.Index(line, []byte(`"prev":"`)) + len(`"prev":"`)
		prev := format.RecordHash(out[i-1])
		copy(line[p:], prev.String())
		n := len(line) - len(`"}`) - 128
		unsigned := append(slices.Clone(line[:n-len(`,"lsig":"`)]), '}')
		msg := format.Message(format.PrefixEnvelope, unsigned)
		var sig []byte
		if c := classOf(i); c != nil {
			sig = c.Craft(logKey, other, msg)
		}
		switch {
		case len(sig) != 64: // a class that does not fit the line
			sig = ed25519.Sign(fixtures.Key("log"), msg)
		case !classOf(i).Valid:
			bad = append(bad, int64(i))
		}
		copy(line[n:], hex.EncodeToString(sig))
		out[i] = line
	}
	return out, bad
}

func bundleLines(t *testing.T, data []byte) (lines [][]byte, trailer []byte) {
	t.Helper()
	rd := format.NewReader(bytes.NewReader(data))
	defer rd.Close()
	for {
		l, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return lines, trailer
		}
		if err != nil {
			t.Fatal(err)
		}
		b := slices.Clone(l.Bytes)
		if format.IsTrailer(b) {
			trailer = b
			continue
		}
		lines = append(lines, b)
	}
}

// Batched and single verification give byte-identical Results on a
// realistic bundle whose envelopes carry every class of signature, honest
// and crafted, spread over many batches, and findings name exactly the
// records whose signatures §4.1 refuses.
func TestBatchedResultEqualsSingle(t *testing.T) {
	var buf bytes.Buffer
	g, err := fixtures.Realistic(&buf, 3000)
	if err != nil {
		t.Fatal(err)
	}
	lines, trailer := bundleLines(t, buf.Bytes())
	const from = 200
	classes := fixtures.SigClasses
	lines, bad := respliced(t, lines, from, func(i int) *fixtures.SigClass {
		if i%37 == 0 || i > 2000 && i%5 == 0 {
			return &classes[(i/37)%len(classes)]
		}
		return nil
	})
	if len(bad) < 100 {
		t.Fatalf("only %d crafted refusals", len(bad))
	}
	trust, err := PinGenesis(g.String())
	if err != nil {
		t.Fatal(err)
	}
	data := fixtures.Pack(lines, trailer)
	var outs [][]byte
	for _, o := range []Options{{Workers: 1}, {Workers: 2}, {Workers: 2, singly: true}} {
		// Relinking changes the records' hashes, which the statements of
		// the runs name: those findings are the same on every path too.
		o.MaxFindings = 1 << 20
		if o.Workers <= 0 {
			o.Workers = 1
		}
		v := newRun(trust, o)
		if err := v.run(context.Background(), bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		res := v.result()
		if st := v.batchStats; o.singly != (st.batches == 0) || st.failed == 0 && !o.singly {
			t.Fatalf("%+v: batch counts %+v", o, st)
		}
		var envelope []int64
		for _, f := range res.Findings {
			if f.Rule == RuleEnvelope {
				envelope = append(envelope, f.Records...)
			}
		}
		if !slices.Equal(envelope, bad) {
			t.Fatalf("%+v: envelope findings on %v, want %v", o, envelope, bad)
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Fatalf("Result %d differs from the first:\n%s\n%s", i, outs[0], outs[i])
		}
	}
}

// A bundle whose log key spoils one signature in every batch gets the same
// Result batched as checked singly: a finding on each spoiled record.
func TestSpoiledBundleSameResult(t *testing.T) {
	var buf bytes.Buffer
	g, err := fixtures.RealisticSpoiled(&buf, 3000, 128)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := PinGenesis(g.String())
	if err != nil {
		t.Fatal(err)
	}
	var outs [][]byte
	for _, o := range []Options{{Workers: 2, MaxFindings: 1 << 20}, {Workers: 2, MaxFindings: 1 << 20, singly: true}} {
		res, err := Verify(context.Background(), bytes.NewReader(buf.Bytes()), trust, o)
		if err != nil {
			t.Fatal(err)
		}
		envelope := 0
		for _, f := range res.Findings {
			if f.Rule == RuleEnvelope {
				envelope++
			}
		}
		// About 3,000 log-key signatures (envelopes, seals), one in 128
		// spoiled.
		if envelope < 20 || envelope > 24 {
			t.Fatalf("%d envelope findings", envelope)
		}
		b, _ := json.Marshal(res)
		outs = append(outs, b)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatalf("batched and single Results differ:\n%s\n%s", outs[0], outs[1])
	}
}

// Keys with too few signatures in the window for a batch of their own
// share one; when it fails, its members are checked one by one.
func TestSmallGroupsShareABatch(t *testing.T) {
	spec := make([]byte, 20)
	for i := range spec {
		spec[i] = byte(i%2) << 5 // ten under each of two keys
	}
	items, _ := windowFrom(spec)
	w := newBatcher()
	w.verify(items)
	if w.stats != (batchStats{batches: 1}) {
		t.Fatalf("stats %+v: want one shared batch", w.stats)
	}
	spec[3] |= 9 // S + L under the second key
	items, valid := windowFrom(spec)
	w = newBatcher()
	w.verify(items)
	if w.stats != (batchStats{batches: 1, failed: 1, singles: 20}) {
		t.Fatalf("stats %+v: want one failed shared batch, then single checks", w.stats)
	}
	for i, j := range items[0].jobs {
		if j.ok != valid[i] {
			t.Fatalf("job %d: %v, want %v", i, j.ok, valid[i])
		}
	}
}
