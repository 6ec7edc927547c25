package signreq_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
)

func request() *signreq.Request {
	action := `{"class":"payment","amount":"10.00","currency":"EUR"}`
	h := format.Hash{1}.String()
	return &signreq.Request{Format: signreq.RequestFormat, Version: 1, Purpose: format.PurposeSignoff, Bundle: h, Run: "pay-1",
		Proposal: h, Gate: "payments", Stage: 1, Digest: format.ActionDigest([]byte(action)).String(), Meaning: format.MeaningApproval, Action: action}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *signreq.Request)
		wantErr bool
	}{
		{name: "as a producer writes it", edit: func(*signreq.Request) {}},
		{name: "action changed after the digest", edit: func(r *signreq.Request) { r.Action = `{"class":"payment","amount":"99.00","currency":"EUR"}` }, wantErr: true},
		{name: "another document", edit: func(r *signreq.Request) { r.Format = "something-else" }, wantErr: true},
		{name: "a purpose no signer is asked for", edit: func(r *signreq.Request) { r.Purpose = format.PurposeRevoke }, wantErr: true},
		{name: "a sign-off without a stage", edit: func(r *signreq.Request) { r.Stage = 0 }, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := request()
			tc.edit(r)
			if err := r.Check(); (err != nil) != tc.wantErr {
				t.Fatalf("Check() = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

// A signed statement survives the trip back to the producer byte for byte.
func TestSignedRoundTrip(t *testing.T) {
	seed := sha256.Sum256([]byte("signreq test key"))
	k := ed25519.NewKeyFromSeed(seed[:])
	st, err := request().Statement("risk.ana", "Ana Ribeiro", "2026-11-02T09:00:00.000Z", "", "checked the payee")
	if err != nil {
		t.Fatal(err)
	}
	s, err := format.SignStatement(st, k)
	if err != nil {
		t.Fatal(err)
	}
	b, err := signreq.EncodeSigned(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := signreq.DecodeSigned(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Key != s.Key || !bytes.Equal(got.Stmt, s.Stmt) || !bytes.Equal(got.Sig, s.Sig) {
		t.Fatalf("round trip changed the statement: %+v, want %+v", got, s)
	}
	if _, err := request().Statement("risk.ana", "Ana Ribeiro", "2026-11-02T09:00:00.000Z", "", " "); err == nil {
		t.Fatal("a blank reason was accepted")
	}
}
