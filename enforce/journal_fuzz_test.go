package enforce_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
)

// wholeLines returns the newline-terminated lines of b, newlines removed.
func wholeLines(b []byte) [][]byte {
	var lines [][]byte
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return lines
		}
		lines = append(lines, b[:i])
		b = b[i+1:]
	}
}

// rechain signs records again with the log key, each linked to the one
// before: a journal as someone holding the log key could write it.
func rechain(t *testing.T, recs []produce.Fields) []byte {
	var out []byte
	var prev format.Hash
	for i, f := range recs {
		f.Seq, f.Prev = int64(i), prev
		line, err := produce.EncodeRecord(f, key("log"))
		if err != nil {
			t.Fatal(err)
		}
		prev = format.RecordHash(line)
		out = append(append(out, line...), '\n')
	}
	return out
}

func fieldsOf(t *testing.T, journal []byte) []produce.Fields {
	var fs []produce.Fields
	for _, l := range wholeLines(journal) {
		r, err := format.ParseRecord(l)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, produce.Fields{Seq: r.Seq, Time: r.Time, Type: r.Type, Actor: r.Actor, Prev: r.Prev, Body: bytes.Clone(r.Body), Sigs: r.Sigs})
	}
	return fs
}

// FuzzOpen: no journal content makes Open panic. Each input is opened
// twice: with a head the log key signs for the input as it stands (so that
// Open takes every record up to it as the core's own and replays it, the
// most a journal can be trusted), and with no head store (every record
// checked).
func FuzzOpen(f *testing.F) {
	t := &testing.T{}
	dir := f.TempDir()
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: &memHeads{}, SealEvery: 5})
	o.approvePolicy()
	d, err := o.propose("pay-1", "agent.payments", payment("1250.00"), nil, "")
	if err != nil {
		f.Fatal(err)
	}
	o.ok(o.signoff("agent.reviewer", d.Requests[0], "", "matches"))
	o.ok(o.signoff("risk.ana", d.Requests[1], "", "verified"))
	o.ok(o.signoff("risk.ben", d.Requests[1], "", "checked"))
	o.ok(o.execute("agent.payments", "pay-1"))
	o.core.Close()
	clean, err := os.ReadFile(journalPath(dir))
	if err != nil {
		f.Fatal(err)
	}
	starts := lineStarts(clean)
	f.Add(clean)
	f.Add(clean[:len(clean)-40])                                              // torn
	f.Add(clean[:starts[len(starts)-4]])                                      // truncated by whole records
	f.Add(clean[:starts[1]])                                                  // genesis alone
	f.Add(bytes.Replace(clean, []byte(`"accepted"`), []byte(`"refused"`), 1)) // edited
	f.Add(append(bytes.Clone(clean[:starts[9]]), clean[starts[10]:]...))      // a record removed
	// Signed by the log key, but not as the core writes: an attempt
	// without statements, an outcome for no attempt, an execution first.
	fs := fieldsOf(t, clean)
	for i := range fs {
		if fs[i].Type == format.TypeAttempt {
			bad := append([]produce.Fields{}, fs...)
			bad[i].Sigs = nil
			f.Add(rechain(t, bad))
			break
		}
	}
	odd := append([]produce.Fields{}, fs[:3]...)
	odd = append(odd, produce.Fields{Time: fs[2].Time, Type: format.TypeOutcome, Body: []byte(`{"attempt":99,"result":"accepted","code":"ok","detail":""}`)},
		produce.Fields{Time: fs[2].Time, Type: format.TypeExecution, Body: []byte(`{"run":"x","proposal":"` + format.Hash{}.String() + `","digest":"` + format.Hash{}.String() + `","attempt":1}`)})
	f.Add(rechain(t, odd))

	f.Fuzz(func(t *testing.T, journal []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(journalPath(dir), journal, 0o600); err != nil {
			t.Fatal(err)
		}
		heads := &memHeads{}
		if lines := wholeLines(journal); len(lines) > 0 {
			last := lines[len(lines)-1]
			h, err := enforce.SignHead(format.RecordHash(lines[0]), int64(len(lines)-1), format.RecordHash(last), key("log"))
			if err != nil {
				t.Fatal(err)
			}
			heads.head = h
		}
		for _, cfg := range []enforce.Config{
			{Dir: dir, LogKey: key("log"), HeadStore: heads},
			{Dir: dir, LogKey: key("log"), UnsafeNoHeadStore: true},
		} {
			core, err := enforce.Open(cfg)
			if err != nil {
				continue
			}
			if err := core.Export(io.Discard); err != nil {
				t.Fatalf("opened, but cannot export: %v", err)
			}
			core.Close()
		}
	})
}
