package enforce_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/verifier"
)

// signEnrolment is what each signer's tool does with an enrolment request.
func (o *org) signEnrolment(id string, r *signreq.Enrolment, check string) format.Signed {
	o.t.Helper()
	if err := r.Check(); err != nil {
		o.t.Fatal(err)
	}
	st, err := r.Statement(id, o.ppl[id].Name, format.FormatTime(o.time()), check)
	if err != nil {
		o.t.Fatal(err)
	}
	s, err := format.SignStatement(st, o.keys[id])
	if err != nil {
		o.t.Fatal(err)
	}
	return s
}

func (o *org) signRevocation(id string, r *signreq.Revocation) format.Signed {
	o.t.Helper()
	if err := r.Check(); err != nil {
		o.t.Fatal(err)
	}
	s, err := format.SignStatement(r.Statement(id, o.ppl[id].Name, format.FormatTime(o.time())), o.keys[id])
	if err != nil {
		o.t.Fatal(err)
	}
	return s
}

func (o *org) verifiesPinned() {
	o.t.Helper()
	var buf bytes.Buffer
	if err := o.core.Export(&buf); err != nil {
		o.t.Fatal(err)
	}
	pin, err := verifier.PinGenesis(o.core.Genesis().String())
	if err != nil {
		o.t.Fatal(err)
	}
	res, err := verifier.Verify(context.Background(), &buf, pin, verifier.Options{})
	if err != nil || res.Verdict != verifier.VerdictPass {
		o.t.Fatalf("verdict %v, %v: %+v", res.Verdict, err, res.Findings)
	}
}

// An enrolment through the requests, with each witness recording how it
// checked the enrolee's identity, and revocations through the request by
// the holder and by two registrars: the bundle verifies pinned.
func TestEnrolmentAndRevocationRequests(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	p := format.Principal{ID: "risk.dev", Kind: format.KindHuman, Name: "Dev Patel", Team: "risk"}
	o.keys[p.ID], o.ppl[p.ID] = key(p.ID), p
	pub := o.keys[p.ID].Public().(ed25519.PublicKey)
	self, witness, err := o.core.EnrolmentRequests(p, pub, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if self.Purpose != format.PurposeEnrolSelf || witness.Purpose != format.PurposeEnrolWitness || self.Key != format.HexKey(pub) || self.Bundle != o.core.Genesis().String() {
		t.Fatalf("requests %+v %+v", self, witness)
	}
	sigs := []format.Signed{o.signEnrolment(p.ID, self, ""), o.signEnrolment("reg.alex", witness, "in person, passport"),
		o.signEnrolment("reg.bea", witness, "video call, driving licence")}
	if _, err := o.core.Enrol(p, pub, false, sigs); err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.core.EnrolmentRequests(p, pub, false, nil); !errors.Is(err, enforce.ErrAlreadyEnrolled) {
		t.Fatalf("a second request for an enrolled key: %v", err)
	}
	o.verifiesPinned()
	// The journal, witness statements with identity_check included, opens
	// again.
	if err := o.core.Close(); err != nil {
		t.Fatal(err)
	}
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir), Clock: o.now})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	o.core = core
	defer core.Close()

	// The holder revokes its own key.
	kid := format.KeyIDOf(pub)
	rr, err := o.core.RevocationRequest(p.ID, kid, "laptop lost")
	if err != nil {
		t.Fatal(err)
	}
	if rr.Name != p.Name || rr.Key != kid.String() {
		t.Fatalf("revocation request %+v", rr)
	}
	if _, err := o.core.Revoke(p.ID, kid, rr.Reason, []format.Signed{o.signRevocation(p.ID, rr)}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.core.RevocationRequest(p.ID, kid, "again"); !errors.Is(err, enforce.ErrKeyNotInForce) {
		t.Fatalf("revoking a revoked key: %v", err)
	}
	// Two registrars revoke another's key.
	ana := format.KeyIDOf(o.keys["risk.ana"].Public().(ed25519.PublicKey))
	rr, err = o.core.RevocationRequest("risk.ana", ana, "left the bank")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.core.Revoke("risk.ana", ana, rr.Reason, []format.Signed{o.signRevocation("reg.alex", rr), o.signRevocation("reg.bea", rr)}); err != nil {
		t.Fatal(err)
	}
	o.verifiesPinned()
}

func TestEnrolmentRequestsRefuse(t *testing.T) {
	o := newOrg(t, t.TempDir())
	fresh := key("fresh").Public().(ed25519.PublicKey)
	ana := o.ppl["risk.ana"]
	tests := []struct {
		name       string
		p          format.Principal
		pub        ed25519.PublicKey
		samePerson []string
		is         error
	}{
		{name: "a key already enrolled", p: format.Principal{ID: "risk.eve", Kind: format.KindHuman, Name: "Eve", Team: "risk"},
			pub: o.keys["risk.ana"].Public().(ed25519.PublicKey), is: enforce.ErrAlreadyEnrolled},
		{name: "a principal with another name", p: format.Principal{ID: ana.ID, Kind: ana.Kind, Name: "Ana R.", Team: ana.Team}, pub: fresh, is: enforce.ErrAlreadyEnrolled},
		{name: "same_person naming an agent", p: format.Principal{ID: "risk.eve", Kind: format.KindHuman, Name: "Eve", Team: "risk"}, pub: fresh, samePerson: []string{"agent.payments"}},
		{name: "a registrar's new key, one other registrar", p: o.ppl["reg.alex"], pub: fresh},
		{name: "a small-order key", p: format.Principal{ID: "risk.eve", Kind: format.KindHuman, Name: "Eve", Team: "risk"}, pub: make(ed25519.PublicKey, 32)},
		{name: "a malformed principal", p: format.Principal{ID: "Risk Eve", Kind: format.KindHuman, Name: "Eve", Team: "risk"}, pub: fresh},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := o.core.EnrolmentRequests(tc.p, tc.pub, false, tc.samePerson)
			if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("EnrolmentRequests = %v, want an error (%v)", err, tc.is)
			}
		})
	}
	if _, err := o.core.RevocationRequest("risk.ana", format.KeyIDOf(fresh), "gone"); !errors.Is(err, enforce.ErrKeyNotInForce) {
		t.Fatalf("revoking an unknown key: %v", err)
	}
	if _, err := o.core.RevocationRequest("risk.ben", format.KeyIDOf(o.keys["risk.ana"].Public().(ed25519.PublicKey)), "gone"); !errors.Is(err, enforce.ErrKeyNotInForce) {
		t.Fatalf("revoking another's key: %v", err)
	}
	if _, err := o.core.RevocationRequest("risk.ana", format.KeyIDOf(o.keys["risk.ana"].Public().(ed25519.PublicKey)), " "); err == nil {
		t.Fatal("a revocation request without a reason")
	}
}
