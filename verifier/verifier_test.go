package verifier

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
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

// TestCheckpointAfterRotation: a checkpoint taken right after a log-key
// rotation is judged under the new key.
func TestCheckpointAfterRotation(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	next := fixtures.Key("log-2")
	// A log-key statement names no principal and no printed name (§5).
	pop, err := format.SignStatement(&format.Statement{Purpose: format.PurposeLogKey, Bundle: b.Genesis().String(), Time: b.Now(),
		Key: format.HexKey(next.Public().(ed25519.PublicKey))}, next)
	if err != nil {
		t.Fatal(err)
	}
	line, err := b.Chain.RotateLogKey(b.Now(), next, pop)
	if err != nil {
		t.Fatal(err)
	}
	b.Lines = append(b.Lines, line)
	b.LogKey = next
	cp, err := format.ParseTrailer(b.Trailer())
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := PinGenesis(b.Genesis().String())
	res := verifyBytes(t, b.Bundle(), trust, Options{Checkpoint: cp})
	if res.Verdict != VerdictPass {
		t.Fatalf("verdict %s: %+v", res.Verdict, res.Findings)
	}
}

// TestFailedEnrolmentEnrolsNothing: an enrolment whose own signature fails
// grants its key nothing, so a later statement with it is refused too.
func TestFailedEnrolmentEnrolsNothing(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	e := b.Person("risk.ana", format.KindHuman, "risk")
	b.Resign(int(e), func(f *produce.Fields) {
		f.Sigs[0].Sig = append([]byte{}, f.Sigs[0].Sig...)
		f.Sigs[0].Sig[0] ^= 1
	})
	later := b.Append(format.TypePersonnel, "risk.ana", &format.Personnel{Principal: "risk.ana", Event: "mover", Effective: "2026-11-03", Team: "audit"},
		b.Sign("risk.ana", &format.Statement{Purpose: format.PurposePersonnel, Subject: "risk.ana", Event: "mover", Effective: "2026-11-03", Team: "audit"}))
	trust, _ := PinGenesis(b.Genesis().String())
	res := verifyBytes(t, b.Bundle(), trust, Options{})
	found := false
	for _, f := range res.Findings {
		if f.Rule == RuleStatement && len(f.Records) == 1 && f.Records[0] == later {
			found = true
		}
	}
	if !found {
		t.Fatalf("the statement made with a key whose enrolment failed was accepted: %+v", res.Findings)
	}
}

// TestOpenRunsBounded: a bundle that opens runs and never closes them
// cannot make the verifier track more than its bound; it gets a finding.
func TestOpenRunsBounded(t *testing.T) {
	lim := defaultLimits()
	lim.open = 3
	b := fixtures.New(fixtures.Options{})
	b.Person("ops.dana", format.KindHuman, "operations")
	for i := 0; i < 4; i++ {
		r := &fixtures.Run{B: b, ID: "ctl-" + string(rune('a'+i)), Maker: "ops.dana",
			Action: []byte(`{"class":"change.control","control":"c` + string(rune('a'+i)) + `","name":"C","material":true}`)}
		r.Propose()
	}
	trust, _ := PinGenesis(b.Genesis().String())
	res := verifyBytes(t, b.Bundle(), trust, Options{lim: &lim})
	n := 0
	for _, f := range res.Findings {
		if f.Rule == RuleAttemptOutcome && strings.Contains(f.Message, "open at once") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("want one limit finding, got %d: %+v", n, res.Findings)
	}
}

// TestRunProposedTwice: a second proposal for an open run is a finding.
func TestRunProposedTwice(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	b.Person("ops.dana", format.KindHuman, "operations")
	act := []byte(`{"class":"change.control","control":"c","name":"C","material":true}`)
	first := &fixtures.Run{B: b, ID: "ctl-1", Maker: "ops.dana", Action: act}
	first.Propose()
	second := &fixtures.Run{B: b, ID: "ctl-1", Maker: "ops.dana", Action: act}
	second.Propose()
	trust, _ := PinGenesis(b.Genesis().String())
	res := verifyBytes(t, b.Bundle(), trust, Options{})
	for _, f := range res.Findings {
		if f.Rule == RuleAttemptOutcome && strings.Contains(f.Message, "proposed again") {
			return
		}
	}
	t.Fatalf("a second proposal of an open run was not reported: %+v", res.Findings)
}
