package format_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
)

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("countersign test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func genesisFor(t *testing.T, logKey ed25519.PrivateKey) (*produce.Chain, []byte) {
	t.Helper()
	at := "2026-11-02T09:00:00.000Z"
	g := &format.Genesis{Format: format.FormatName, Version: format.Version, BundleID: "test", Org: format.Org{Name: "Org", TZ: "Europe/Paris"}, LogKey: format.HexKey(logKey.Public().(ed25519.PublicKey)), Governance: format.Governance{N: 2}}
	var sigs []format.Signed
	for _, id := range []string{"reg.a", "reg.b"} {
		k := testKey(id)
		g.Registrars = append(g.Registrars, format.Registrar{ID: id, Kind: format.KindHuman, Name: id, Team: "registry", Key: format.HexKey(k.Public().(ed25519.PublicKey))})
		reg := true
		st := &format.Statement{Purpose: format.PurposeEnrolSelf, Bundle: format.Hash{}.String(), Principal: id, Name: id, Time: at, Key: format.HexKey(k.Public().(ed25519.PublicKey)), Kind: format.KindHuman, Team: "registry", Registrar: &reg}
		s, err := format.SignStatement(st, k)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, s)
	}
	c, line, err := produce.NewChain(g, sigs, at, logKey)
	if err != nil {
		t.Fatal(err)
	}
	return c, line
}

func TestRoundTrip(t *testing.T) {
	logKey := testKey("log")
	c, g := genesisFor(t, logKey)
	lines := [][]byte{g}
	for i := 0; i < 3000; i++ {
		l, err := c.Append("2026-11-02T09:00:01.000Z", format.TypeNote, "", &format.Note{Code: "test", Text: "hello <&> \u00e9"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	seal, err := c.AppendSeal("2026-11-02T09:00:02.000Z")
	if err != nil {
		t.Fatal(err)
	}
	lines = append(lines, seal)
	tr, err := c.Trailer("2026-11-02T09:00:03.000Z")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := produce.NewBundleWriter(&buf)
	for _, l := range lines {
		if err := w.WriteRecord(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(tr); err != nil {
		t.Fatal(err)
	}
	r := format.NewReader(bytes.NewReader(buf.Bytes()))
	var problems []*format.ContainerError
	r.OnProblem = func(e *format.ContainerError) { problems = append(problems, e) }
	n := 0
	pub := logKey.Public().(ed25519.PublicKey)
	var prev format.Hash
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == len(lines) {
			if !format.IsTrailer(l.Bytes) {
				t.Fatalf("line %d is not the trailer", n)
			}
			if _, err := format.ParseTrailer(l.Bytes); err != nil {
				t.Fatal(err)
			}
			n++
			continue
		}
		rec, err := format.ParseRecord(l.Bytes)
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if rec.Seq != int64(n) || rec.Prev != prev {
			t.Fatalf("line %d: seq %d", n, rec.Seq)
		}
		if !format.Verify(pub, format.PrefixEnvelope, rec.Unsigned(), rec.LSig) {
			t.Fatalf("line %d: envelope signature does not verify", n)
		}
		if _, err := format.DecodeBody(rec.Type, rec.Body, format.Strict); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		prev = rec.Hash
		n++
	}
	if n != len(lines)+1 {
		t.Fatalf("read %d lines, want %d", n, len(lines)+1)
	}
	if len(problems) > 0 {
		t.Fatalf("container problems: %v", problems[0])
	}
}

func TestStatementMinorVersionMembers(t *testing.T) {
	st := []byte(`{"purpose":"execute","bundle":"` + format.Hash{}.String() + `","principal":"a","name":"A","time":"2026-11-02T09:00:00.000Z","run":"r","proposal":"` + format.Hash{}.String() + `","action":"` + format.Hash{}.String() + `","added_in_1_1":"x"}`)
	if _, err := format.ParseStatement(st, format.Strict); !errors.Is(err, format.ErrMalformed) {
		t.Fatalf("a 1.0 reader accepted an unknown member: %v", err)
	}
	if _, err := format.ParseStatement(st, format.Lax); err != nil {
		t.Fatalf("a newer minor version's member was refused: %v", err)
	}
	missing := []byte(`{"purpose":"execute","bundle":"` + format.Hash{}.String() + `","principal":"a","name":"A","time":"2026-11-02T09:00:00.000Z","run":"r","added":"x","more":"y"}`)
	if _, err := format.ParseStatement(missing, format.Lax); !errors.Is(err, format.ErrMalformed) {
		t.Fatalf("lax parsing dropped a required member: %v", err)
	}
}

func TestLaxBodyRefusesCaseTwins(t *testing.T) {
	body := []byte(`{"code":"a","text":"b","Code":"evil","extra":"ok"}`)
	if _, err := format.DecodeBody(format.TypeNote, body, format.Lax); !errors.Is(err, format.ErrMalformed) {
		t.Fatalf("a member differing only in case was accepted: %v", err)
	}
	n, err := format.DecodeBody(format.TypeNote, []byte(`{"code":"a","text":"b","extra":"ok"}`), format.Lax)
	if err != nil || n.(*format.Note).Code != "a" {
		t.Fatalf("a newer version's extra member was refused: %v", err)
	}
}

func TestEscapedMemberNames(t *testing.T) {
	n, err := format.DecodeBody(format.TypeNote, []byte(`{"c\u006fde":"a","text":"b"}`), format.Strict)
	if err != nil || n.(*format.Note).Code != "a" {
		t.Fatalf("an escaped member name was not read as the member: %v", err)
	}
}
