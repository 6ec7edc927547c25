package enforce_test

import (
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
)

var controlAction = []byte(`{"class":"change.control","control":"payments-release","name":"Release of outgoing payments","material":true}`)

// enrolAgain enrols p, already enrolled, once more under its own key, with
// fresh statements.
func (o *org) enrolAgain(p format.Principal) error {
	pub := o.keys[p.ID].Public().(ed25519.PublicKey)
	no := false
	sigs := []format.Signed{o.sign(p.ID, &format.Statement{Purpose: format.PurposeEnrolSelf, Key: format.HexKey(pub), Kind: p.Kind, Team: p.Team, Registrar: &no})}
	for _, r := range []string{"reg.alex", "reg.bea"} {
		sigs = append(sigs, o.sign(r, &format.Statement{Purpose: format.PurposeEnrolWitness, Subject: p.ID, SubjectName: p.Name, Kind: p.Kind, Team: p.Team, Key: format.HexKey(pub), Registrar: &no}))
	}
	_, err := o.core.Enrol(p, pub, false, sigs)
	return err
}

// A runtime makes its retries idempotent by the class of an error, never
// its text: each class it must branch on is a sentinel.
func TestErrorsRuntimesBranchOn(t *testing.T) {
	tests := []struct {
		name    string
		do      func(t *testing.T, o *org) error
		wantErr error
	}{
		{name: "a run ID proposed twice", wantErr: enforce.ErrRunExists, do: func(t *testing.T, o *org) error {
			o.ok(o.propose("ctl-1", "agent.payments", controlAction, nil, ""))
			_, err := o.propose("ctl-1", "agent.payments", controlAction, nil, "")
			return err
		}},
		{name: "sign requests of a run never proposed", wantErr: enforce.ErrNotParked, do: func(t *testing.T, o *org) error {
			_, err := o.core.SignRequests("ctl-9")
			return err
		}},
		{name: "execute request of a run never proposed", wantErr: enforce.ErrNotOpen, do: func(t *testing.T, o *org) error {
			_, err := o.core.ExecuteRequest("ctl-9")
			return err
		}},
		{name: "a principal enrolled twice", wantErr: enforce.ErrAlreadyEnrolled, do: func(t *testing.T, o *org) error {
			return o.enrolAgain(o.ppl["ops.dana"])
		}},
		{name: "a call after Close", wantErr: enforce.ErrClosed, do: func(t *testing.T, o *org) error {
			if err := o.core.Close(); err != nil {
				t.Fatal(err)
			}
			return o.core.Seal()
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newOrg(t, filepath.Join(t.TempDir(), "j"))
			defer o.core.Close()
			err := tc.do(t, o)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want an error that is %v", err, tc.wantErr)
			}
		})
	}
}

// Create refuses a directory that already holds a journal, whatever head
// store it is given.
func TestCreateOverJournal(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "j")
	o := newOrg(t, dir)
	o.core.Close()
	_, err := enforce.Create(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: &memHeads{}}, o.genesis())
	if !errors.Is(err, enforce.ErrJournalExists) {
		t.Fatalf("got %v, want ErrJournalExists", err)
	}
}

// When a head cannot be kept, the write has happened unacknowledged
// (ErrHeadNotKept); every write after it is refused (ErrJournalBroken)
// until the journal is reopened, which keeps the head of the record
// written and takes writes again.
func TestHeadNotKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "j")
	heads := &memHeads{}
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: heads})
	heads.fail = errors.New("head store offline")
	if err := o.core.Seal(); !errors.Is(err, enforce.ErrHeadNotKept) {
		t.Fatalf("first seal: got %v, want ErrHeadNotKept", err)
	}
	if err := o.core.Seal(); !errors.Is(err, enforce.ErrJournalBroken) {
		t.Fatalf("second seal: got %v, want ErrJournalBroken", err)
	}
	o.core.Close()
	heads.fail = nil
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: heads})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer core.Close()
	if err := core.Seal(); err != nil {
		t.Fatalf("seal after reopening: %v", err)
	}
}

// SignRequests gives a runtime the requests of a parked run again, the same
// as Propose returned them (after a restart, say); Principal looks an
// enrolled principal up.
func TestSignRequestsAndPrincipal(t *testing.T) {
	o := newOrg(t, filepath.Join(t.TempDir(), "j"))
	defer o.core.Close()
	d := o.ok(o.propose("ctl-1", "agent.payments", controlAction, nil, ""))
	reqs, err := o.core.SignRequests("ctl-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) == 0 || !reflect.DeepEqual(reqs, d.Requests) {
		t.Fatalf("SignRequests = %+v, want Propose's %+v", reqs, d.Requests)
	}
	p, ok := o.core.Principal("ops.dana")
	if !ok || p != o.ppl["ops.dana"] {
		t.Fatalf("Principal(ops.dana) = %+v, %v", p, ok)
	}
	if _, ok := o.core.Principal("ops.nobody"); ok {
		t.Fatal("Principal found a principal never enrolled")
	}
}
