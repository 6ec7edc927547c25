package enforce_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
)

// Example is a runtime embedding the core. It creates a log for Example
// Bank with two registrars, enrols a payments agent witnessed by both, and
// has the agent propose a change run (registering a payments control). With
// no policy in force the run parks at the governance gate; the agent's
// attempt to approve its own change is refused as a self-approval, both
// registrars sign off, and the agent executes the run. Every principal signs
// its own statements; the core only ever sees statements and signatures.
func Example() {
	if err := runPaymentsControl(); err != nil {
		fmt.Println("error:", err)
	}
	// Output:
	// parked at gate: governance
	// self-approval: self-approval
	// executed: true
}

func runPaymentsControl() error {
	dir, err := os.MkdirTemp("", "countersign-example")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// Keys: each held by its owner (here, in one process for brevity).
	keyOf := func(id string) ed25519.PrivateKey {
		seed := sha256.Sum256([]byte("example " + id))
		return ed25519.NewKeyFromSeed(seed[:])
	}
	people := map[string]format.Principal{
		"reg.alex":       {ID: "reg.alex", Kind: format.KindHuman, Name: "Alex Morgan", Team: "registry"},
		"reg.bea":        {ID: "reg.bea", Kind: format.KindHuman, Name: "Beatriz Okafor", Team: "registry"},
		"agent.payments": {ID: "agent.payments", Kind: format.KindAgent, Name: "Payments Agent", Team: "payments"},
	}
	clock := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	var core *enforce.Core
	// sign is what each principal's own machine does: fill in the common
	// members and sign with its key.
	sign := func(id string, st *format.Statement) (format.Signed, error) {
		st.Bundle, st.Principal, st.Name, st.Time = core.Genesis().String(), id, people[id].Name, format.FormatTime(clock)
		return format.SignStatement(st, keyOf(id))
	}

	// Genesis: the registrars prove possession of their keys.
	var regs []enforce.Registrar
	for _, id := range []string{"reg.alex", "reg.bea"} {
		p, k, yes := people[id], keyOf(id), true
		pop, err := format.SignStatement(&format.Statement{Purpose: format.PurposeEnrolSelf, Bundle: format.Hash{}.String(), Principal: id,
			Name: p.Name, Time: format.FormatTime(clock), Key: format.HexKey(k.Public().(ed25519.PublicKey)), Kind: p.Kind, Team: p.Team, Registrar: &yes}, k)
		if err != nil {
			return err
		}
		regs = append(regs, enforce.Registrar{Principal: p, Key: k.Public().(ed25519.PublicKey), ProofOfPossession: pop})
	}
	// The head is kept apart from the journal (here, beside it; in
	// production on another volume or under another account).
	heads := enforce.NewFileHeadStore(filepath.Join(dir, "head"))
	core, err = enforce.Create(enforce.Config{Dir: filepath.Join(dir, "journal"), LogKey: keyOf("log"), Clock: now, HeadStore: heads},
		enforce.Genesis{BundleID: "example", Org: "Example Bank plc", TimeZone: "Europe/London", Registrars: regs, Governance: 2})
	if err != nil {
		return err
	}
	defer core.Close()

	// Enrol the agent: the core hands out the enrolment's requests; the
	// agent signs its enrol-self with the new key, and each registrar,
	// having checked who asks and compared the key ID, witnesses it.
	agent := people["agent.payments"]
	pub := keyOf(agent.ID).Public().(ed25519.PublicKey)
	selfReq, witnessReq, err := core.EnrolmentRequests(agent, pub, false, nil)
	if err != nil {
		return err
	}
	st, err := selfReq.Statement(agent.ID, agent.Name, format.FormatTime(clock), "")
	if err != nil {
		return err
	}
	self, err := format.SignStatement(st, keyOf(agent.ID))
	if err != nil {
		return err
	}
	sigs := []format.Signed{self}
	for _, r := range []string{"reg.alex", "reg.bea"} {
		st, err := witnessReq.Statement(r, people[r].Name, format.FormatTime(clock), "agent deployment ticket checked with its owner")
		if err != nil {
			return err
		}
		w, err := format.SignStatement(st, keyOf(r))
		if err != nil {
			return err
		}
		sigs = append(sigs, w)
	}
	if _, err := core.Enrol(agent, pub, false, sigs); err != nil {
		return err
	}

	// With no policy in force, a change run is gated by the registrars.
	action := []byte(`{"class":"change.control","control":"payments-release","name":"Release of outgoing payments","material":true}`)
	proposal, err := sign(agent.ID, &format.Statement{Purpose: format.PurposePropose, Run: "ctl-1",
		Class: "change.control", Action: format.ActionDigest(action).String(), Reason: "register the payments control"})
	if err != nil {
		return err
	}
	d, err := core.Propose("ctl-1", action, nil, "", proposal)
	if err != nil {
		return err
	}
	fmt.Println("parked at gate:", d.Requests[0].Gate)

	// The agent tries to approve its own change: refused, and recorded.
	req := d.Requests[0]
	st, err = req.Statement(agent.ID, agent.Name, format.FormatTime(clock), "", "I approve my own change")
	if err != nil {
		return err
	}
	own, err := sign(agent.ID, st)
	if err != nil {
		return err
	}
	_, err = core.SignOff(own)
	var refusal *enforce.Refusal
	if !errors.As(err, &refusal) {
		return fmt.Errorf("self-approval not refused: %v", err)
	}
	fmt.Println("self-approval:", refusal.Code)

	// Both registrars sign off.
	for _, r := range []string{"reg.alex", "reg.bea"} {
		st, err := req.Statement(r, people[r].Name, format.FormatTime(clock), "", "control definition reviewed")
		if err != nil {
			return err
		}
		s, err := sign(r, st)
		if err != nil {
			return err
		}
		if _, err := core.SignOff(s); err != nil {
			return err
		}
	}

	// Every stage has its quorum: the agent executes.
	exec, err := core.ExecuteRequest("ctl-1")
	if err != nil {
		return err
	}
	es, err := sign(agent.ID, &format.Statement{Purpose: format.PurposeExecute, Run: "ctl-1", Proposal: exec.Proposal, Action: exec.Digest})
	if err != nil {
		return err
	}
	d, err = core.Execute(es)
	if err != nil {
		return err
	}
	fmt.Println("executed:", d.Accepted)
	return nil
}
