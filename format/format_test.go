package format

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
)

func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("countersign test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func genesisFor(t *testing.T, logKey ed25519.PrivateKey) (*Chain, []byte) {
	t.Helper()
	at := "2026-11-02T09:00:00.000Z"
	g := &Genesis{Format: FormatName, Version: Version, BundleID: "test", Org: Org{Name: "Org", TZ: "Europe/Paris"}, LogKey: HexKey(logKey.Public().(ed25519.PublicKey)), Governance: Governance{N: 2}}
	var sigs []Signed
	for _, id := range []string{"reg.a", "reg.b"} {
		k := testKey(id)
		g.Registrars = append(g.Registrars, Registrar{ID: id, Kind: KindHuman, Name: id, Team: "registry", Key: HexKey(k.Public().(ed25519.PublicKey))})
		reg := true
		st := &Statement{Purpose: PurposeEnrolSelf, Bundle: Hash{}.String(), Principal: id, Name: id, Time: at, Key: HexKey(k.Public().(ed25519.PublicKey)), Kind: KindHuman, Team: "registry", Registrar: &reg}
		s, err := SignStatement(st, k)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, s)
	}
	c, line, err := NewChain(g, sigs, at, logKey)
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
		l, err := c.Append("2026-11-02T09:00:01.000Z", TypeNote, "", &Note{Code: "test", Text: "hello <&> \u00e9"}, nil)
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
	w := NewBundleWriter(&buf)
	for _, l := range lines {
		if err := w.WriteRecord(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(tr); err != nil {
		t.Fatal(err)
	}
	r := NewReader(bytes.NewReader(buf.Bytes()))
	var problems []*ContainerError
	r.OnProblem = func(e *ContainerError) { problems = append(problems, e) }
	n := 0
	pub := logKey.Public().(ed25519.PublicKey)
	var prev Hash
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == len(lines) {
			if !IsTrailer(l.Bytes) {
				t.Fatalf("line %d is not the trailer", n)
			}
			if _, err := ParseTrailer(l.Bytes); err != nil {
				t.Fatal(err)
			}
			n++
			continue
		}
		rec, err := ParseRecord(l.Bytes)
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if rec.Seq != int64(n) || rec.Prev != prev {
			t.Fatalf("line %d: seq %d", n, rec.Seq)
		}
		if !Verify(pub, PrefixEnvelope, rec.Unsigned(), rec.LSig) {
			t.Fatalf("line %d: envelope signature does not verify", n)
		}
		if _, err := DecodeBody(rec.Type, rec.Body, Strict); err != nil {
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
	st := []byte(`{"purpose":"execute","bundle":"` + Hash{}.String() + `","principal":"a","name":"A","time":"2026-11-02T09:00:00.000Z","run":"r","proposal":"` + Hash{}.String() + `","action":"` + Hash{}.String() + `","added_in_1_1":"x"}`)
	if _, err := ParseStatement(st, Strict); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a 1.0 reader accepted an unknown member: %v", err)
	}
	if _, err := ParseStatement(st, Lax); err != nil {
		t.Fatalf("a newer minor version's member was refused: %v", err)
	}
	missing := []byte(`{"purpose":"execute","bundle":"` + Hash{}.String() + `","principal":"a","name":"A","time":"2026-11-02T09:00:00.000Z","run":"r","added":"x","more":"y"}`)
	if _, err := ParseStatement(missing, Lax); !errors.Is(err, ErrMalformed) {
		t.Fatalf("lax parsing dropped a required member: %v", err)
	}
}

func TestLaxBodyRefusesCaseTwins(t *testing.T) {
	body := []byte(`{"code":"a","text":"b","Code":"evil","extra":"ok"}`)
	if _, err := DecodeBody(TypeNote, body, Lax); !errors.Is(err, ErrMalformed) {
		t.Fatalf("a member differing only in case was accepted: %v", err)
	}
	n, err := DecodeBody(TypeNote, []byte(`{"code":"a","text":"b","extra":"ok"}`), Lax)
	if err != nil || n.(*Note).Code != "a" {
		t.Fatalf("a newer version's extra member was refused: %v", err)
	}
}

func TestEscapedMemberNames(t *testing.T) {
	n, err := DecodeBody(TypeNote, []byte(`{"c\u006fde":"a","text":"b"}`), Strict)
	if err != nil || n.(*Note).Code != "a" {
		t.Fatalf("an escaped member name was not read as the member: %v", err)
	}
}
