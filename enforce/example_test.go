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

// Example shows a runtime embedding the core: a payments agent proposes a
// payment, is refused when it tries to approve it itself, and the payment
// executes once two named humans have signed. Every principal signs its own
// statements; the core only ever sees statements and signatures.
func Example() {
	dir, _ := os.MkdirTemp("", "countersign-example")
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
	sign := func(id string, st *format.Statement) format.Signed {
		st.Bundle, st.Principal, st.Name, st.Time = core.Genesis().String(), id, people[id].Name, format.FormatTime(clock)
		s, _ := format.SignStatement(st, keyOf(id))
		return s
	}

	// Genesis: the registrars prove possession of their keys.
	var regs []enforce.Registrar
	for _, id := range []string{"reg.alex", "reg.bea"} {
		p, k, yes := people[id], keyOf(id), true
		pop, _ := format.SignStatement(&format.Statement{Purpose: format.PurposeEnrolSelf, Bundle: format.Hash{}.String(), Principal: id,
			Name: p.Name, Time: format.FormatTime(clock), Key: format.HexKey(k.Public().(ed25519.PublicKey)), Kind: p.Kind, Team: p.Team, Registrar: &yes}, k)
		regs = append(regs, enforce.Registrar{Principal: p, Key: k.Public().(ed25519.PublicKey), ProofOfPossession: pop})
	}
	// The head is kept apart from the journal (here, beside it; in
	// production on another volume or under another account).
	heads := enforce.NewFileHeadStore(filepath.Join(dir, "head"))
	core, err := enforce.Create(enforce.Config{Dir: filepath.Join(dir, "journal"), LogKey: keyOf("log"), Clock: now, HeadStore: heads},
		enforce.Genesis{BundleID: "example", Org: "Example Bank plc", TimeZone: "Europe/London", Registrars: regs, Governance: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer core.Close()

	// Enrol the agent, witnessed by both registrars.
	agent := people["agent.payments"]
	pub := keyOf(agent.ID).Public().(ed25519.PublicKey)
	no := false
	sigs := []format.Signed{sign(agent.ID, &format.Statement{Purpose: format.PurposeEnrolSelf, Key: format.HexKey(pub), Kind: agent.Kind, Team: agent.Team, Registrar: &no})}
	for _, r := range []string{"reg.alex", "reg.bea"} {
		sigs = append(sigs, sign(r, &format.Statement{Purpose: format.PurposeEnrolWitness, Subject: agent.ID, SubjectName: agent.Name, Kind: agent.Kind, Team: agent.Team, Key: format.HexKey(pub), Registrar: &no}))
	}
	if _, err := core.Enrol(agent, pub, false, sigs); err != nil {
		fmt.Println(err)
		return
	}

	// With no policy in force, a change run is gated by the registrars.
	// Here the agent proposes a change and tries to approve it itself.
	action := []byte(`{"class":"change.control","control":"payments-release","name":"Release of outgoing payments","material":true}`)
	d, _ := core.Propose("ctl-1", action, nil, "", sign(agent.ID, &format.Statement{Purpose: format.PurposePropose, Run: "ctl-1",
		Class: "change.control", Action: format.ActionDigest(action).String(), Reason: "register the payments control"}))
	fmt.Println("parked at gate:", d.Requests[0].Gate)

	req := d.Requests[0]
	st, _ := req.Statement(agent.ID, agent.Name, format.FormatTime(clock), "", "I approve my own change")
	_, err = core.SignOff(sign(agent.ID, st))
	var refusal *enforce.Refusal
	if errors.As(err, &refusal) {
		fmt.Println("self-approval:", refusal.Code)
	}
	for _, r := range []string{"reg.alex", "reg.bea"} {
		st, _ := req.Statement(r, people[r].Name, format.FormatTime(clock), "", "control definition reviewed")
		if _, err := core.SignOff(sign(r, st)); err != nil {
			fmt.Println(err)
		}
	}
	exec, _ := core.ExecuteRequest("ctl-1")
	d, err = core.Execute(sign(agent.ID, &format.Statement{Purpose: format.PurposeExecute, Run: "ctl-1", Proposal: exec.Proposal, Action: exec.Digest}))
	fmt.Println("executed:", err == nil && d.Accepted)
	// Output:
	// parked at gate: governance
	// self-approval: self-approval
	// executed: true
}
