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
