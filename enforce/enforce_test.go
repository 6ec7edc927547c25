package enforce_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/verifier"
)

// org is a test organisation: each principal's key is held here, as each
// principal's own machine would hold it; the core only sees statements.
type org struct {
	t     *testing.T
	core  *enforce.Core
	keys  map[string]ed25519.PrivateKey
	ppl   map[string]format.Principal
	clock time.Time
	// bundle is the bundle ID genesis gives; "" for "test".
	bundle string
	// runs numbers the runs the register helpers make.
	runs int
	// held stops the clock: while it is set, every reading is clock.
	held bool
	// mu guards clock and held: the core reads its clock from the
	// goroutine delivering alerts too.
	mu sync.Mutex
}

func key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("enforce test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func (o *org) now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.held {
		o.clock = o.clock.Add(time.Second)
	}
	return o.clock
}

// at reads the test clock without moving it.
func (o *org) at() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.clock
}

// setClock sets the test clock to t and releases it if held.
func (o *org) setClock(t time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clock, o.held = t, false
}

// reopen closes the core and opens its journal in dir again, as a
// restarted runtime would, with the same clock and alerter.
func (o *org) reopen(dir string) {
	o.t.Helper()
	o.core.Close()
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir), Clock: o.now, Alerter: deliverAtOnce})
	if err != nil {
		o.t.Fatal(err)
	}
	o.core = core
	o.t.Cleanup(func() { core.Close() })
}

func (o *org) sign(id string, st *format.Statement) format.Signed {
	o.t.Helper()
	p := o.ppl[id]
	st.Bundle, st.Principal, st.Name, st.Time = o.core.Genesis().String(), id, p.Name, format.FormatTime(o.at())
	s, err := format.SignStatement(st, o.keys[id])
	if err != nil {
		o.t.Fatal(err)
	}
	return s
}

func newOrg(t *testing.T, dir string) *org {
	t.Helper()
	return newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir), Alerter: deliverAtOnce})
}

// deliverAtOnce is an alerter that delivers every alert at once.
func deliverAtOnce(context.Context, enforce.Alert) (string, string, error) {
	return "test", "delivered at once", nil
}

// settle waits until every alert written is delivered and recorded, so
// that the test goes on as if the delivery had been immediate (and reads
// the test clock only once the core is done with it).
func (o *org) settle() {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := o.core.AwaitAlerts(ctx); err != nil {
		o.t.Fatalf("alerts not delivered: %v", err)
	}
}

// genesis returns the test organisation's genesis, its registrars' keys
// held by o.
func (o *org) genesis() enforce.Genesis {
	o.t.Helper()
	if o.keys == nil {
		o.keys, o.ppl = map[string]ed25519.PrivateKey{}, map[string]format.Principal{}
		o.setClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	}
	var regs []enforce.Registrar
	for _, id := range []string{"reg.alex", "reg.bea"} {
		p := format.Principal{ID: id, Kind: format.KindHuman, Name: "Registrar " + id, Team: "registry"}
		k := key(id)
		o.keys[id], o.ppl[id] = k, p
		yes := true
		pop, err := format.SignStatement(&format.Statement{Purpose: format.PurposeEnrolSelf, Bundle: format.Hash{}.String(), Principal: id, Name: p.Name,
			Time: format.FormatTime(o.at()), Key: format.HexKey(k.Public().(ed25519.PublicKey)), Kind: p.Kind, Team: p.Team, Registrar: &yes}, k)
		if err != nil {
			o.t.Fatal(err)
		}
		regs = append(regs, enforce.Registrar{Principal: p, Key: k.Public().(ed25519.PublicKey), ProofOfPossession: pop})
	}
	bundle := o.bundle
	if bundle == "" {
		bundle = "test"
	}
	return enforce.Genesis{BundleID: bundle, Org: "Example Bank", TimeZone: "Europe/London", Registrars: regs, Governance: 2}
}

// newOrgWith creates the test organisation's log under cfg (its clock is
// the organisation's) and enrols its principals.
func newOrgWith(t *testing.T, cfg enforce.Config, bundle ...string) *org {
	t.Helper()
	o := &org{t: t, bundle: strings.Join(bundle, "")}
	g := o.genesis()
	cfg.Clock = o.now
	core, err := enforce.Create(cfg, g)
	if err != nil {
		t.Fatal(err)
	}
	o.core = core
	for _, p := range []format.Principal{
		{ID: "ops.dana", Kind: format.KindHuman, Name: "Dana Kowalski", Team: "ops"},
		{ID: "agent.payments", Kind: format.KindAgent, Name: "Payments Agent", Team: "payments"},
		{ID: "agent.reviewer", Kind: format.KindAgent, Name: "Reviewer Agent", Team: "payments"},
		{ID: "risk.ana", Kind: format.KindHuman, Name: "Ana Ribeiro", Team: "risk"},
		{ID: "risk.ben", Kind: format.KindHuman, Name: "Ben Adeyemi", Team: "risk"},
		{ID: "risk.chen", Kind: format.KindHuman, Name: "Chen Wei", Team: "risk"},
	} {
		o.enrol(p)
	}
	return o
}

func (o *org) enrol(p format.Principal) {
	o.t.Helper()
	k := key(p.ID)
	o.keys[p.ID], o.ppl[p.ID] = k, p
	pub := k.Public().(ed25519.PublicKey)
	no := false
	sigs := []format.Signed{o.sign(p.ID, &format.Statement{Purpose: format.PurposeEnrolSelf, Key: format.HexKey(pub), Kind: p.Kind, Team: p.Team, Registrar: &no})}
	for _, r := range []string{"reg.alex", "reg.bea"} {
		sigs = append(sigs, o.sign(r, &format.Statement{Purpose: format.PurposeEnrolWitness, Subject: p.ID, SubjectName: p.Name, Kind: p.Kind, Team: p.Team, Key: format.HexKey(pub), Registrar: &no}))
	}
	if _, err := o.core.Enrol(p, pub, false, sigs); err != nil {
		o.t.Fatalf("enrol %s: %v", p.ID, err)
	}
}

func (o *org) propose(run, maker string, action []byte, summary map[string]string, beneficiary string) (*enforce.Decision, error) {
	a, _ := format.ParseAction(action)
	st := o.sign(maker, &format.Statement{Purpose: format.PurposePropose, Run: run, Class: a.Class, Action: format.ActionDigest(action).String(), Reason: "prepared for " + run})
	return o.core.Propose(run, action, summary, beneficiary, st)
}

func (o *org) signoff(id string, req *signreq.Request, meaning, reason string) (*enforce.Decision, error) {
	st, err := req.Statement(id, o.ppl[id].Name, format.FormatTime(o.at()), meaning, reason)
	if err != nil {
		o.t.Fatal(err)
	}
	return o.core.SignOff(o.sign(id, st))
}

func (o *org) execute(id, run string) (*enforce.Decision, error) {
	req, err := o.core.ExecuteRequest(run)
	if err != nil {
		o.t.Fatal(err)
	}
	return o.core.Execute(o.sign(id, &format.Statement{Purpose: format.PurposeExecute, Run: req.Run, Proposal: req.Proposal, Action: req.Digest}))
}

func (o *org) ok(d *enforce.Decision, err error) *enforce.Decision {
	o.t.Helper()
	if err != nil {
		o.t.Fatalf("unexpected refusal: %v", err)
	}
	return d
}

func (o *org) refused(code string) func(*enforce.Decision, error) {
	return func(d *enforce.Decision, err error) {
		o.t.Helper()
		wantRefusal(o.t, code, d, err)
	}
}

func wantRefusal(t *testing.T, code string, d *enforce.Decision, err error) {
	t.Helper()
	var r *enforce.Refusal
	if !errors.As(err, &r) || !errors.Is(err, enforce.ErrRefused) {
		t.Fatalf("want refusal %s, got %v", code, err)
	}
	if r.Code != code || d == nil || d.Accepted || d.Code != code {
		t.Fatalf("want refusal %s, got %s (%s)", code, r.Code, r.Detail)
	}
}

var policyV1 = []byte(`{"class":"change.policy","version":1,"control":"payments-release","grants":[` +
	`{"principal":"agent.payments","role":"maker","classes":["payment"],"max_amount":"10000.00","currency":"EUR"},` +
	`{"principal":"agent.reviewer","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.ana","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.ben","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.chen","role":"checker","classes":["payment"],"max_amount":"","currency":""}],` +
	`"gates":[{"class":"payment","gate":"payment-release","stages":[` +
	`{"stage":1,"n":1,"pool":["agent.reviewer","risk.ana"],"meaning":"review","human":false},` +
	`{"stage":2,"n":2,"pool":["agent.reviewer","risk.ana","risk.ben","risk.chen"],"meaning":"approval","human":true}]}]}`)

func (o *org) approvePolicy() {
	o.t.Helper()
	d := o.ok(o.propose("policy-1", "ops.dana", policyV1, map[string]string{}, ""))
	if len(d.Requests) != 1 || d.Requests[0].Gate != "governance" {
		o.t.Fatalf("policy run should park at the governance gate, got %+v", d.Requests)
	}
	o.refused(enforce.CodeQuorumNotMet)(o.execute("ops.dana", "policy-1"))
	o.ok(o.signoff("reg.alex", d.Requests[0], "", "policy v1 reviewed against the payments control"))
	o.ok(o.signoff("reg.bea", d.Requests[0], "", "limits match the risk appetite"))
	o.ok(o.execute("ops.dana", "policy-1"))
}

func payment(amount string) []byte {
	return []byte(`{"class":"payment","amount":"` + amount + `","currency":"EUR","beneficiary":"ACME Supplies Ltd","iban":"DE89370400440532013000","reference":"INV-2026-0142"}`)
}

func verifyCore(t *testing.T, core *enforce.Core) *verifier.Result {
	t.Helper()
	var buf bytes.Buffer
	if err := core.Export(&buf); err != nil {
		t.Fatal(err)
	}
	trust, _ := verifier.PinGenesis(core.Genesis().String())
	res, err := verifier.Verify(context.Background(), bytes.NewReader(buf.Bytes()), trust, verifier.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRefusalsAreRecorded drives every refusal the core makes and then
// checks that the exported bundle verifies with no findings: each refusal
// was recorded and had no effect.
func TestRefusalsAreRecorded(t *testing.T) {
	o := newOrg(t, t.TempDir())
	o.approvePolicy()
	summary := map[string]string{"amount": "1250.00", "currency": "EUR"}
	d := o.ok(o.propose("pay-1", "agent.payments", payment("1250.00"), summary, "risk.chen"))
	review, approval := d.Requests[0], d.Requests[1]

	cases := []struct {
		name string
		do   func() (*enforce.Decision, error)
		code string
	}{
		{"self-approval", func() (*enforce.Decision, error) { return o.signoff("agent.payments", review, "", "looks right to me") }, enforce.CodeSelfApproval},
		{"beneficiary", func() (*enforce.Decision, error) { return o.signoff("risk.chen", approval, "", "pay me") }, enforce.CodeBeneficiary},
		{"agent on human-only stage", func() (*enforce.Decision, error) { return o.signoff("agent.reviewer", approval, "", "model says fine") }, enforce.CodeHumanRequired},
		{"outside the pool", func() (*enforce.Decision, error) { return o.signoff("ops.dana", approval, "", "I can approve") }, enforce.CodeNotInPool},
		{"wrong meaning", func() (*enforce.Decision, error) { return o.signoff("risk.ana", approval, "authorship", "I wrote it") }, enforce.CodeWrongMeaning},
		{"execute before quorum", func() (*enforce.Decision, error) { return o.execute("agent.payments", "pay-1") }, enforce.CodeQuorumNotMet},
		{"statement for another stage", func() (*enforce.Decision, error) {
			bad := *approval
			bad.Stage = 3
			return o.signoff("risk.ben", &bad, "", "approved")
		}, enforce.CodeWrongBinding},
		{"statement for another digest", func() (*enforce.Decision, error) {
			bad := *approval
			bad.Digest = format.ActionDigest(payment("9999.00")).String()
			return o.signoff("risk.ben", &bad, "", "approved")
		}, enforce.CodeWrongBinding},
		{"statement for another run", func() (*enforce.Decision, error) {
			bad := *approval
			bad.Run = "pay-9"
			return o.signoff("risk.ben", &bad, "", "approved")
		}, enforce.CodeWrongBinding},
		{"review accepted", func() (*enforce.Decision, error) {
			return o.signoff("agent.reviewer", review, "", "matches invoice INV-2026-0142")
		}, ""},
		{"second sign-off by one principal", func() (*enforce.Decision, error) { return o.signoff("agent.reviewer", review, "", "again") }, enforce.CodeDuplicateSigner},
		{"first approval", func() (*enforce.Decision, error) {
			return o.signoff("risk.ana", approval, "", "supplier verified; amount within budget")
		}, ""},
		{"execute one short", func() (*enforce.Decision, error) { return o.execute("agent.payments", "pay-1") }, enforce.CodeQuorumNotMet},
		{"second approval", func() (*enforce.Decision, error) { return o.signoff("risk.ben", approval, "", "four-eyes check done") }, ""},
		{"execute by a checker", func() (*enforce.Decision, error) { return o.execute("risk.ana", "pay-1") }, enforce.CodeConflictingRole},
		{"execute by a stranger", func() (*enforce.Decision, error) { return o.execute("ops.dana", "pay-1") }, enforce.CodeNotMaker},
		{"execute", func() (*enforce.Decision, error) { return o.execute("agent.payments", "pay-1") }, ""},
	}
	for _, c := range cases {
		d, err := c.do()
		o.settle()
		if c.code == "" {
			o.ok(d, err)
			continue
		}
		t.Run(c.name, func(t *testing.T) { wantRefusal(t, c.code, d, err) })
	}
	// After execution the run is closed.
	o.refused(enforce.CodeRunClosed)(o.signoff("risk.chen", approval, "", "late"))

	// Grants and limits are checked at the proposal.
	o.refused(enforce.CodeOverLimit)(o.propose("pay-2", "agent.payments", payment("25000.00"), nil, ""))
	o.refused(enforce.CodeNoGrant)(o.propose("pay-3", "agent.reviewer", payment("10.00"), nil, ""))

	// A statement that is not the principal's own is not attributed to them.
	st, _ := approval.Statement("risk.chen", "Chen Wei", format.FormatTime(o.at()), "", "forged")
	st.Bundle = o.core.Genesis().String()
	forged, _ := format.SignStatement(st, key("risk.ana"))
	forged.Key = format.KeyIDOf(key("risk.chen").Public().(ed25519.PublicKey))
	if _, err := o.core.SignOff(forged); !errors.Is(err, enforce.ErrUnattributable) {
		t.Fatalf("forged statement: want ErrUnattributable, got %v", err)
	}

	res := verifyCore(t, o.core)
	if res.Verdict != verifier.VerdictPass {
		t.Fatalf("exported bundle: verdict %s, findings %+v", res.Verdict, res.Findings)
	}
	if res.Counts.Records < 40 {
		t.Fatalf("only %d records written", res.Counts.Records)
	}
}

// TestRevokeAndRotate: a revoked key signs nothing more; the log key can be
// handed on; the journal then reopens only under the new key; the bundle
// verifies throughout.
func TestRevokeAndRotate(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.approvePolicy()
	kid := format.KeyIDOf(key("risk.ben").Public().(ed25519.PublicKey))
	reason := "laptop lost"
	self := o.sign("risk.ben", &format.Statement{Purpose: format.PurposeRevoke, Subject: "risk.ben", Key: kid.String(), Reason: reason})
	if _, err := o.core.Revoke("risk.ben", kid, reason, []format.Signed{self}); err != nil {
		t.Fatal(err)
	}
	// A registrar alone cannot revoke someone else's key.
	anaKey := format.KeyIDOf(key("risk.ana").Public().(ed25519.PublicKey))
	one := o.sign("reg.alex", &format.Statement{Purpose: format.PurposeRevoke, Subject: "risk.ana", Key: anaKey.String(), Reason: "suspected"})
	if _, err := o.core.Revoke("risk.ana", anaKey, "suspected", []format.Signed{one}); err == nil {
		t.Fatal("one registrar revoked another principal's key")
	}
	d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
	if _, err := o.signoff("risk.ben", d.Requests[1], "", "approve"); !errors.Is(err, enforce.ErrUnattributable) {
		t.Fatalf("sign-off with a revoked key: %v", err)
	}
	if _, err := o.core.RotateLogKey(key("log-2")); err != nil {
		t.Fatal(err)
	}
	o.ok(o.signoff("agent.reviewer", d.Requests[0], "", "matches"))
	if res := verifyCore(t, o.core); res.Verdict != verifier.VerdictPass {
		t.Fatalf("after revocation and rotation: %+v", res.Findings)
	}
	o.core.Close()
	if _, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir)}); err == nil {
		t.Fatal("the journal reopened under the retired log key")
	}
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log-2"), HeadStore: headOf(dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	if res := verifyCore(t, core); res.Verdict != verifier.VerdictPass {
		t.Fatalf("after reopening: %+v", res.Findings)
	}
}
