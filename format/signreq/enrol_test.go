package signreq_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
)

func enrolment(purpose string) (*signreq.Enrolment, ed25519.PrivateKey) {
	seed := sha256.Sum256([]byte("enrolee"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	p := format.Principal{ID: "risk.ana", Kind: format.KindHuman, Name: "Ana Ribeiro", Team: "risk"}
	return signreq.NewEnrolment(purpose, format.Hash{1}, p, priv.Public().(ed25519.PublicKey), false, nil), priv
}

func TestEnrolmentCheck(t *testing.T) {
	tests := []struct {
		name    string
		purpose string
		edit    func(r *signreq.Enrolment)
		wantErr bool
	}{
		{name: "enrol-self", purpose: format.PurposeEnrolSelf, edit: func(*signreq.Enrolment) {}},
		{name: "enrol-witness", purpose: format.PurposeEnrolWitness, edit: func(*signreq.Enrolment) {}},
		{name: "witness with same_person", purpose: format.PurposeEnrolWitness, edit: func(r *signreq.Enrolment) { r.SamePerson = []string{"ops.ana"} }},
		{name: "genesis enrol-self of a registrar", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Bundle, r.Registrar = format.Hash{}.String(), true }},
		{name: "genesis enrol-self of a non-registrar", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Bundle = format.Hash{}.String() }, wantErr: true},
		{name: "genesis witness", purpose: format.PurposeEnrolWitness, edit: func(r *signreq.Enrolment) { r.Bundle, r.Registrar = format.Hash{}.String(), true }, wantErr: true},
		{name: "another document", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Format = signreq.RequestFormat }, wantErr: true},
		{name: "version 2", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Version = 2 }, wantErr: true},
		{name: "a purpose of runs", purpose: format.PurposeSignoff, edit: func(*signreq.Enrolment) {}, wantErr: true},
		{name: "bad principal", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Principal = "Ana" }, wantErr: true},
		{name: "bad team", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Team = "" }, wantErr: true},
		{name: "bad kind", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Kind = "robot" }, wantErr: true},
		{name: "blank name", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Name = " " }, wantErr: true},
		{name: "small-order key", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.Key = "01" + format.Hash{}.String()[2:] }, wantErr: true},
		{name: "no same_person", purpose: format.PurposeEnrolWitness, edit: func(r *signreq.Enrolment) { r.SamePerson = nil }, wantErr: true},
		{name: "same_person in enrol-self", purpose: format.PurposeEnrolSelf, edit: func(r *signreq.Enrolment) { r.SamePerson = []string{"ops.ana"} }, wantErr: true},
		{name: "same_person for an agent", purpose: format.PurposeEnrolWitness, edit: func(r *signreq.Enrolment) { r.Kind, r.SamePerson = format.KindAgent, []string{"ops.ana"} }, wantErr: true},
		{name: "same_person names the enrolee", purpose: format.PurposeEnrolWitness, edit: func(r *signreq.Enrolment) { r.SamePerson = []string{"risk.ana"} }, wantErr: true},
		{name: "same_person twice", purpose: format.PurposeEnrolWitness, edit: func(r *signreq.Enrolment) { r.SamePerson = []string{"ops.ana", "ops.ana"} }, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := enrolment(tc.purpose)
			tc.edit(r)
			if err := r.Check(); (err != nil) != tc.wantErr {
				t.Fatalf("Check() = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

func TestEnrolmentStatement(t *testing.T) {
	tests := []struct {
		name, purpose, signer, signerName, check string
		wantErr                                  bool
		wrongSigner                              bool
	}{
		{name: "enrolee proves possession", purpose: format.PurposeEnrolSelf, signer: "risk.ana", signerName: "Ana Ribeiro"},
		{name: "someone else proves possession", purpose: format.PurposeEnrolSelf, signer: "reg.alex", signerName: "Alex", wantErr: true, wrongSigner: true},
		{name: "enrolee records an identity check", purpose: format.PurposeEnrolSelf, signer: "risk.ana", signerName: "Ana Ribeiro", check: "me", wantErr: true},
		{name: "registrar witnesses", purpose: format.PurposeEnrolWitness, signer: "reg.alex", signerName: "Alex", check: "in person, passport"},
		{name: "registrar without an identity check", purpose: format.PurposeEnrolWitness, signer: "reg.alex", signerName: "Alex", check: " \t", wantErr: true},
		{name: "enrolee witnesses itself", purpose: format.PurposeEnrolWitness, signer: "risk.ana", signerName: "Ana Ribeiro", check: "mirror", wantErr: true, wrongSigner: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, priv := enrolment(tc.purpose)
			st, err := r.Statement(tc.signer, tc.signerName, "2026-11-02T09:00:00.000Z", tc.check)
			if (err != nil) != tc.wantErr || errors.Is(err, signreq.ErrWrongSigner) != tc.wrongSigner {
				t.Fatalf("Statement() = %v, wantErr %v, wrong signer %v", err, tc.wantErr, tc.wrongSigner)
			}
			if err != nil {
				return
			}
			s, err := format.SignStatement(st, priv)
			if err != nil {
				t.Fatal(err)
			}
			back, err := format.ParseStatement(s.Stmt, format.Strict)
			if err != nil {
				t.Fatal(err)
			}
			if back.Purpose != tc.purpose || back.Key != r.Key || back.Kind != r.Kind || back.Team != r.Team || back.IdentityCheck != tc.check {
				t.Fatalf("statement %+v does not state the request", back)
			}
			if tc.purpose == format.PurposeEnrolWitness && (back.Subject != r.Principal || back.SubjectName != r.Name) {
				t.Fatalf("witness statement names %s %q", back.Subject, back.SubjectName)
			}
		})
	}
}

func TestRevocationCheck(t *testing.T) {
	p := format.Principal{ID: "risk.ana", Kind: format.KindHuman, Name: "Ana Ribeiro", Team: "risk"}
	tests := []struct {
		name    string
		edit    func(r *signreq.Revocation)
		wantErr bool
	}{
		{name: "as the core writes it", edit: func(*signreq.Revocation) {}},
		{name: "blank reason", edit: func(r *signreq.Revocation) { r.Reason = "  " }, wantErr: true},
		{name: "genesis", edit: func(r *signreq.Revocation) { r.Bundle = format.Hash{}.String() }, wantErr: true},
		{name: "not a key ID", edit: func(r *signreq.Revocation) { r.Key = "abc" }, wantErr: true},
		{name: "another purpose", edit: func(r *signreq.Revocation) { r.Purpose = format.PurposeEnrolSelf }, wantErr: true},
		{name: "another document", edit: func(r *signreq.Revocation) { r.Format = signreq.EnrolmentFormat }, wantErr: true},
		{name: "bad principal", edit: func(r *signreq.Revocation) { r.Principal = "" }, wantErr: true},
		{name: "blank name", edit: func(r *signreq.Revocation) { r.Name = "" }, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := signreq.NewRevocation(format.Hash{1}, p, format.Hash{2}, "laptop stolen")
			tc.edit(r)
			if err := r.Check(); (err != nil) != tc.wantErr {
				t.Fatalf("Check() = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
	st := signreq.NewRevocation(format.Hash{1}, p, format.Hash{2}, "laptop stolen").Statement("reg.alex", "Alex", "2026-11-02T09:00:00.000Z")
	if st.Subject != "risk.ana" || st.Key != (format.Hash{2}).String() || st.Reason != "laptop stolen" || st.Purpose != format.PurposeRevoke {
		t.Fatalf("statement %+v", st)
	}
}
