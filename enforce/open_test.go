package enforce_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
	"github.com/countersign/countersign/verifier"
)

// memHeads is a HeadStore in memory: the form an embedder's own store (a
// database row, a counter behind a key service) takes.
type memHeads struct {
	mu   sync.Mutex
	head []byte
	fail error
}

func (m *memHeads) LoadHead() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.head == nil {
		return nil, enforce.ErrNoHead
	}
	return bytes.Clone(m.head), nil
}

func (m *memHeads) StoreHead(seq int64, head []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.head = bytes.Clone(head)
	return nil
}

func journalPath(dir string) string { return filepath.Join(dir, "journal.csj") }

func readJournal(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(journalPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lineStarts returns the byte offset at which each record line starts.
func lineStarts(b []byte) []int {
	starts := []int{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// wantTampered opens dir and wants a *JournalError naming record seq at
// byte off (seq < 0: any), with the journal left as it was.
func wantTampered(t *testing.T, cfg enforce.Config, seq, off int64) *enforce.JournalError {
	t.Helper()
	before := readJournal(t, cfg.Dir)
	core, err := enforce.Open(cfg)
	if err == nil {
		core.Close()
		t.Fatal("journal opened")
	}
	var je *enforce.JournalError
	if !errors.Is(err, enforce.ErrJournalTampered) || !errors.As(err, &je) {
		t.Fatalf("want ErrJournalTampered, got %v", err)
	}
	if seq >= 0 && (je.Seq != seq || je.Offset != off) {
		t.Fatalf("refused record %d at byte %d (%s), want record %d at byte %d", je.Seq, je.Offset, je.Reason, seq, off)
	}
	if !bytes.Equal(readJournal(t, cfg.Dir), before) {
		t.Fatal("a refused Open changed the journal")
	}
	return je
}

func cfgFor(dir string) enforce.Config {
	return enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir)}
}

// TestForgedApprovalsRefused: with write access to the journal and no key,
// two accepted stage-2 sign-offs are appended (statement signatures of
// zeros, envelopes signed by another key with the log key's ID written in).
// Open refuses the first of them; the payment cannot execute.
func TestForgedApprovalsRefused(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.approvePolicy()
	d := o.ok(o.propose("pay-1", "agent.payments", payment("1250.00"), nil, ""))
	o.ok(o.signoff("agent.reviewer", d.Requests[0], "", "matches invoice INV-2026-0142"))
	approval := d.Requests[1]
	o.core.Close()

	j := readJournal(t, dir)
	starts := lineStarts(j)
	last, err := format.ParseRecord(bytes.TrimSuffix(j[starts[len(starts)-1]:], []byte("\n")))
	if err != nil {
		t.Fatal(err)
	}
	logID := format.KeyIDOf(key("log").Public().(ed25519.PublicKey))
	intruder := key("intruder")
	intruderID := format.KeyIDOf(intruder.Public().(ed25519.PublicKey))
	seq, prev, at := last.Seq+1, last.Hash, last.Time
	forge := func(typ, actor string, body any, sigs []format.Signed) []byte {
		raw, _ := format.MarshalJSON(body)
		line, err := produce.EncodeRecord(produce.Fields{Seq: seq, Time: at, Type: typ, Actor: actor, Prev: prev, Body: raw, Sigs: sigs}, intruder)
		if err != nil {
			t.Fatal(err)
		}
		line = bytes.Replace(line, []byte(intruderID.String()), []byte(logID.String()), 1)
		seq, prev = seq+1, format.RecordHash(line)
		return line
	}
	var forged []byte
	for _, id := range []string{"risk.ana", "risk.ben"} {
		st, _ := approval.Statement(id, o.ppl[id].Name, at, "", "approved")
		st.Bundle, st.Principal, st.Name, st.Time = o.core.Genesis().String(), id, o.ppl[id].Name, at
		raw, _ := st.Encode()
		sig := format.Signed{Key: format.KeyIDOf(key(id).Public().(ed25519.PublicKey)), Stmt: raw, Sig: make([]byte, 64)}
		attempt := seq
		forged = append(forged, forge(format.TypeAttempt, id, &format.Attempt{Act: format.ActSignoff, Run: "pay-1"}, []format.Signed{sig})...)
		forged = append(forged, '\n')
		forged = append(forged, forge(format.TypeOutcome, "", &format.Outcome{Attempt: attempt, Result: format.ResultAccepted, Code: "ok", Detail: "signoff accepted"}, nil)...)
		forged = append(forged, '\n')
	}
	if err := os.WriteFile(journalPath(dir), append(bytes.Clone(j), forged...), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  enforce.Config
	}{
		{"with the head store", cfgFor(dir)},
		{"without a head store", enforce.Config{Dir: dir, LogKey: key("log"), UnsafeNoHeadStore: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			je := wantTampered(t, c.cfg, last.Seq+1, int64(len(j)))
			if !strings.Contains(je.Reason, "envelope") {
				t.Fatalf("reason %q does not name the envelope", je.Reason)
			}
		})
	}
}

// TestTruncatedRunRefused: an executed run cut off the end of the journal
// by whole records is refused at Open, at every cut, so it cannot execute a
// second time. Without a head store the cut cannot be seen.
func TestTruncatedRunRefused(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.approvePolicy()
	d := o.ok(o.propose("pay-1", "agent.payments", payment("1250.00"), nil, ""))
	o.ok(o.signoff("agent.reviewer", d.Requests[0], "", "matches invoice INV-2026-0142"))
	o.ok(o.signoff("risk.ana", d.Requests[1], "", "supplier verified"))
	o.ok(o.signoff("risk.ben", d.Requests[1], "", "four-eyes check done"))
	before := len(lineStarts(readJournal(t, dir)))
	ex := o.ok(o.execute("agent.payments", "pay-1"))
	o.core.Close()
	j := readJournal(t, dir)
	starts := lineStarts(j)
	if int64(len(starts)-1) < ex.Execution {
		t.Fatalf("journal has %d records, execution is record %d", len(starts), ex.Execution)
	}
	for cut := len(starts) - 1; cut >= before; cut-- {
		if err := os.WriteFile(journalPath(dir), j[:starts[cut]], 0o600); err != nil {
			t.Fatal(err)
		}
		wantTampered(t, cfgFor(dir), int64(cut), int64(starts[cut]))
	}

	// The residual risk of running without a head store: the cut journal
	// opens and the payment executes again.
	if err := os.WriteFile(journalPath(dir), j[:starts[before]], 0o600); err != nil {
		t.Fatal(err)
	}
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), UnsafeNoHeadStore: true, Clock: o.now})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	o.core = core
	if _, err := o.execute("agent.payments", "pay-1"); err != nil {
		t.Fatalf("without a head store the cut journal should reopen with the run open: %v", err)
	}
}

// TestReorderedRefused: two records swapped, or one repeated, is refused at
// the first record out of place.
func TestReorderedRefused(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.core.Close()
	j := readJournal(t, dir)
	starts := append(lineStarts(j), len(j))
	rec := func(i int) []byte { return j[starts[i]:starts[i+1]] }
	for _, c := range []struct {
		name string
		at   int
		make func() []byte
	}{
		{"swapped", 3, func() []byte {
			var b []byte
			b = append(b, j[:starts[3]]...)
			b = append(b, rec(4)...)
			b = append(b, rec(3)...)
			return append(b, j[starts[5]:]...)
		}},
		{"repeated", 4, func() []byte {
			var b []byte
			b = append(b, j[:starts[4]]...)
			b = append(b, rec(3)...)
			return append(b, j[starts[4]:]...)
		}},
		{"removed from the middle", 2, func() []byte {
			return append(bytes.Clone(j[:starts[2]]), j[starts[3]:]...)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(journalPath(dir), c.make(), 0o600); err != nil {
				t.Fatal(err)
			}
			wantTampered(t, cfgFor(dir), int64(c.at), int64(starts[c.at]))
		})
	}
}

// TestEveryByteChanged changes each byte of a small journal in turn (under
// -short or the race detector, every seventh): every change is refused,
// naming the record that holds the byte, and the journal is left as it
// was.
func TestEveryByteChanged(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.core.Close()
	j := readJournal(t, dir)
	starts := append(lineStarts(j), len(j))
	step := 1
	if testing.Short() || raceOn {
		step = 7
	}
	f, err := os.OpenFile(journalPath(dir), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec := 0
	for pos := 0; pos < len(j); pos += step {
		for starts[rec+1] <= pos {
			rec++
		}
		if _, err := f.WriteAt([]byte{j[pos] ^ 0x01}, int64(pos)); err != nil {
			t.Fatal(err)
		}
		core, err := enforce.Open(cfgFor(dir))
		if err == nil {
			core.Close()
			t.Fatalf("byte %d (record %d) changed: journal opened", pos, rec)
		}
		var je *enforce.JournalError
		if !errors.As(err, &je) || !errors.Is(err, enforce.ErrJournalTampered) {
			t.Fatalf("byte %d changed: want a JournalError, got %v", pos, err)
		}
		if je.Seq != int64(rec) || je.Offset != int64(starts[rec]) {
			t.Fatalf("byte %d (record %d at %d) changed: refused record %d at byte %d (%s)", pos, rec, starts[rec], je.Seq, je.Offset, je.Reason)
		}
		got := readJournal(t, dir)
		if len(got) != len(j) || got[pos] != j[pos]^0x01 || !bytes.Equal(got[:pos], j[:pos]) || !bytes.Equal(got[pos+1:], j[pos+1:]) {
			t.Fatalf("byte %d changed: the refused Open changed the journal", pos)
		}
		if _, err := f.WriteAt(j[pos:pos+1], int64(pos)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d bytes changed one at a time, each refused at its own record", (len(j)+step-1)/step)
}

// TestTornTailBeforeHeadRefused: a record cut in the middle is repaired
// only when it is past the kept head; the kept head's own record cut short
// is a removal, refused, and nothing is truncated.
func TestTornTailBeforeHeadRefused(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.core.Close()
	j := readJournal(t, dir)
	starts := lineStarts(j)
	lastStart := starts[len(starts)-1]
	for _, cut := range []int{len(j) - 1, lastStart + 10, lastStart + 1} {
		if err := os.WriteFile(journalPath(dir), j[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		wantTampered(t, cfgFor(dir), int64(len(starts)-1), int64(lastStart))
	}
}

// TestJournalAheadOfHead: a write whose head could not be kept (a crash
// between the journal's sync and the head's, staged here by a failing
// store) is not acknowledged, the core refuses further writes, and Open
// checks the records after the kept head, keeps them, and moves the head.
func TestJournalAheadOfHead(t *testing.T) {
	dir := t.TempDir()
	heads := &memHeads{}
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: heads, SealEvery: 3})
	kept, _ := heads.LoadHead()
	heads.fail = errors.New("head volume unavailable")
	if _, err := o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""); err == nil {
		t.Fatal("a write whose head was not kept was acknowledged")
	}
	if _, err := o.propose("pay-2", "agent.payments", payment("10.00"), nil, ""); err == nil || !strings.Contains(err.Error(), "reopen") {
		t.Fatalf("a core whose head store failed went on writing: %v", err)
	}
	o.core.Close()
	if h, _ := heads.LoadHead(); !bytes.Equal(h, kept) {
		t.Fatal("head moved")
	}
	heads.fail = nil
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: heads})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	if h, _ := heads.LoadHead(); bytes.Equal(h, kept) {
		t.Fatal("Open did not keep the head of the records it recovered")
	}
	o.core = core
	if _, err := o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""); err == nil {
		t.Fatal("the recovered proposal was lost: its run ID was free again")
	}
	if res := verifyCore(t, core); res.Verdict != verifier.VerdictPass {
		t.Fatalf("recovered bundle: %+v", res.Findings)
	}
}

// TestHeadRefused: a head that is not this log's, or not signed by its log
// key, or missing, is refused.
func TestHeadRefused(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	ha, hb := &memHeads{}, &memHeads{}
	newOrgWith(t, enforce.Config{Dir: a, LogKey: key("log"), HeadStore: ha}).core.Close()
	newOrgWith(t, enforce.Config{Dir: b, LogKey: key("log"), HeadStore: hb}, "test-b").core.Close()
	good, _ := ha.LoadHead()

	// Another log's head, under the same log key.
	other, _ := hb.LoadHead()
	wantTampered(t, enforce.Config{Dir: a, LogKey: key("log"), HeadStore: &memHeads{head: other}}, 0, 0)

	cases := []struct {
		name    string
		head    []byte
		wantErr error
	}{
		{"signature changed", flipHex(good, bytes.LastIndex(good, []byte(`"sig":"`))+10), enforce.ErrHeadInvalid},
		{"seq changed", bytes.Replace(good, []byte(`"seq":`), []byte(`"seq":1`), 1), enforce.ErrHeadInvalid},
		{"signed by another key", resign(t, good, key("intruder")), enforce.ErrHeadInvalid},
		{"not a head", []byte("{}"), enforce.ErrHeadInvalid},
		{"missing", nil, enforce.ErrNoHead},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := enforce.Open(enforce.Config{Dir: a, LogKey: key("log"), HeadStore: &memHeads{head: c.head}})
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("want %v, got %v", c.wantErr, err)
			}
		})
	}
	core, err := enforce.Open(enforce.Config{Dir: a, LogKey: key("log"), HeadStore: &memHeads{head: good}})
	if err != nil {
		t.Fatalf("the genuine head: %v", err)
	}
	core.Close()
}

func flipHex(b []byte, i int) []byte {
	b = bytes.Clone(b)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return b
}

// resign signs the head good names with another key.
func resign(t *testing.T, good []byte, k ed25519.PrivateKey) []byte {
	t.Helper()
	var h struct {
		Bundle, Hash string
		Seq          int64
	}
	if err := format.DecodeJSON(good, &struct {
		Bundle *string `json:"bundle"`
		Seq    *int64  `json:"seq"`
		Hash   *string `json:"hash"`
		LKey   string  `json:"lkey"`
		Sig    string  `json:"sig"`
	}{&h.Bundle, &h.Seq, &h.Hash, "", ""}, format.Strict); err != nil {
		t.Fatal(err)
	}
	g, _ := format.ParseHash(h.Bundle)
	r, _ := format.ParseHash(h.Hash)
	out, err := enforce.SignHead(g, h.Seq, r, k)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConfigHeadStore: a head store is required, explicitly waived, never
// both, and never a file inside the journal directory; Create will not take
// over a store that already keeps a head.
func TestConfigHeadStore(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		cfg     enforce.Config
		wantErr string
	}{
		{"no head store", enforce.Config{Dir: dir, LogKey: key("log")}, "HeadStore is required"},
		{"both", enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: &memHeads{}, UnsafeNoHeadStore: true}, "both set"},
		{"file inside Dir", enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: enforce.NewFileHeadStore(filepath.Join(dir, "sub", "head"))}, "inside the journal directory"},
		{"file is Dir's own journal", enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: enforce.NewFileHeadStore(filepath.Join(dir, ".", "journal.csj"))}, "inside the journal directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := enforce.Open(c.cfg)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("want %q, got %v", c.wantErr, err)
			}
		})
	}
	heads := &memHeads{}
	newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: heads}).core.Close()
	o := &org{t: t}
	if _, err := enforce.Create(enforce.Config{Dir: t.TempDir(), LogKey: key("log"), HeadStore: heads}, o.genesis()); err == nil || !strings.Contains(err.Error(), "already keeps a head") {
		t.Fatalf("Create over a kept head: %v", err)
	}
}

// TestOnSeal: each periodic seal reaches the callback as a checkpoint line
// that verify --checkpoint accepts against a later bundle.
func TestOnSeal(t *testing.T) {
	var cps [][]byte
	dir := t.TempDir()
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir), SealEvery: 4,
		OnSeal: func(cp []byte) { cps = append(cps, bytes.Clone(cp)) }})
	defer o.core.Close()
	o.approvePolicy()
	if err := o.core.Seal(); err != nil {
		t.Fatal(err)
	}
	if len(cps) < 3 {
		t.Fatalf("%d checkpoints handed out", len(cps))
	}
	var buf bytes.Buffer
	if err := o.core.Export(&buf); err != nil {
		t.Fatal(err)
	}
	trust, _ := verifier.PinGenesis(o.core.Genesis().String())
	for i, line := range cps {
		cp, err := format.ParseTrailer(line)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", i, err)
		}
		res, err := verifier.Verify(context.Background(), bytes.NewReader(buf.Bytes()), trust, verifier.Options{Checkpoint: cp})
		if err != nil || res.Verdict != verifier.VerdictPass {
			t.Fatalf("checkpoint %d: %v %+v", i, err, res.Findings)
		}
	}
	// A checkpoint is only as good as its signature.
	bad, _ := format.ParseTrailer(flipHex(cps[0], len(cps[0])-5))
	res, _ := verifier.Verify(context.Background(), bytes.NewReader(buf.Bytes()), trust, verifier.Options{Checkpoint: bad})
	if res.Verdict == verifier.VerdictPass {
		t.Fatal("a checkpoint with a changed signature passed")
	}
}
