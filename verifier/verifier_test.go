package verifier

import (
	"bytes"
	"context"
	"testing"

	"countersign/fixtures"
	"countersign/format"
)

func verifyBytes(t *testing.T, b []byte, trust Trust, opts Options) *Result {
	t.Helper()
	res, err := Verify(context.Background(), bytes.NewReader(b), trust, opts)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return res
}

func TestValidBundlePasses(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	b.Person("risk.ana", format.KindHuman, "risk")
	b.Seal()
	b.Append(format.TypeNote, "", &format.Note{Code: "hello", Text: "a note"})
	data := b.Bundle()
	trust, _ := PinGenesis(b.Genesis().String())
	res := verifyBytes(t, data, trust, Options{})
	if res.Verdict != VerdictPass || len(res.Findings) != 0 {
		t.Fatalf("verdict %s, findings %+v", res.Verdict, res.Findings)
	}
	if res.Counts.Records != int64(len(b.Lines)) {
		t.Fatalf("records %d, want %d", res.Counts.Records, len(b.Lines))
	}
	res = verifyBytes(t, data, Trust{}, Options{})
	if res.Verdict != VerdictUnauthenticated {
		t.Fatalf("without trust: verdict %s", res.Verdict)
	}
	res = verifyBytes(t, data, UnsafeNoTrust(), Options{})
	if res.Verdict != VerdictPass || res.Authenticity != AuthNotEstablished {
		t.Fatalf("unsafe: verdict %s authenticity %s", res.Verdict, res.Authenticity)
	}
	other, _ := PinGenesis(format.Hash{1}.String())
	res = verifyBytes(t, data, other, Options{})
	if res.Verdict != VerdictFail || res.Findings[0].Rule != RuleTrust {
		t.Fatalf("wrong pin: %+v", res)
	}
}

func TestStateAt(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	before := "2026-11-02T09:00:00.500Z" // after genesis, before the first enrolment
	seq := b.Person("risk.ana", format.KindHuman, "risk")
	b.Person("risk.ben", format.KindHuman, "risk")
	data := b.Bundle()
	trust, _ := PinGenesis(b.Genesis().String())

	st, res, err := StateAt(context.Background(), bytes.NewReader(data), trust, seq)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seq != seq || st.Principals["risk.ana"] == nil || st.Principals["risk.ben"] != nil || len(res.Findings) != 0 {
		t.Fatalf("state at %d: seq %d, principals %v, findings %v", seq, st.Seq, st.PrincipalIDs(), res.Findings)
	}
	st, _, err = StateAtTime(context.Background(), bytes.NewReader(data), trust, before)
	if err != nil {
		t.Fatal(err)
	}
	if st.Principals["risk.ana"] != nil || len(st.Registrars()) != 2 {
		t.Fatalf("state at %s: principals %v", before, st.PrincipalIDs())
	}
}
