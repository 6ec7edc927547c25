package enforce_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// staff are the people (and agents) of the control-ownership tests, beside
// those newOrg enrols: risk.ana approves, ops.dana makes register changes,
// the registrars sign them.
var staff = []format.Principal{
	{ID: "eng.erin", Kind: format.KindHuman, Name: "Erin Walsh", Team: "engineering"},
	{ID: "eng.omar", Kind: format.KindHuman, Name: "Omar Haddad", Team: "engineering"},
	{ID: "val.vera", Kind: format.KindHuman, Name: "Vera Lindqvist", Team: "validation"},
	{ID: "val.vic", Kind: format.KindHuman, Name: "Victor Osei", Team: "validation"},
	{ID: "aud.ola", Kind: format.KindHuman, Name: "Ola Nordmann", Team: "internal-audit"},
	{ID: "agent.trader", Kind: format.KindAgent, Name: "Trading Agent", Team: "trading"},
	{ID: "agent.grid", Kind: format.KindAgent, Name: "Load Balancing Agent", Team: "grid"},
}

// gov signs the governance gate (two registrars, genesis n = 2).
var gov = []string{"reg.alex", "reg.bea"}

func newStaffOrg(t *testing.T) *org {
	t.Helper()
	o := newOrg(t, t.TempDir())
	t.Cleanup(func() { o.core.Close() })
	for _, p := range staff {
		o.enrol(p)
	}
	return o
}

func (o *org) runID(kind string) string {
	o.runs++
	return fmt.Sprintf("%s-%d", kind, o.runs)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func controlDef(id string, material bool, classes []string, params ...format.Parameter) string {
	return mustJSON(format.ControlAction{Class: format.ClassControl, Control: id, Name: "Control " + id, Material: material, Classes: classes, Parameters: params})
}

func roleDef(ctl, role, principal, team, op, why string) string {
	return mustJSON(format.RoleAction{Class: format.ClassRole, Control: ctl, Role: role, Principal: principal, Team: team, Op: op, Justification: why})
}

func teamDef(id, accountable string, members ...string) string {
	return mustJSON(format.TeamAction{Class: format.ClassTeam, Team: id, Name: "Team " + id, Accountable: accountable, Members: members})
}

func amountParam(name, value, cur string) format.Parameter {
	return format.Parameter{Name: name, Type: "amount", Value: value, Currency: cur}
}

// pass proposes a run, has each stage signed by the signers given for it,
// in order, and executes it; every step must be accepted.
func (o *org) pass(maker, action string, stages ...[]string) string {
	o.t.Helper()
	a, _ := format.ParseAction([]byte(action))
	run := o.runID(a.Class)
	d := o.ok(o.propose(run, maker, []byte(action), nil, ""))
	if len(d.Requests) != len(stages) {
		o.t.Fatalf("run %s parks at %d stages, the test signs %d", run, len(d.Requests), len(stages))
	}
	for i, req := range d.Requests {
		for _, id := range stages[i] {
			o.ok(o.signoff(id, req, "", "checked: "+run))
		}
	}
	o.ok(o.execute(maker, run))
	return run
}

// assign assigns role on ctl to who (a principal, or "team:ID") through the
// governance gate: ops.dana proposes, the registrars sign.
func (o *org) assign(ctl, role, who string) {
	o.t.Helper()
	o.pass("ops.dana", holderDef(ctl, role, who, "assign"), gov)
}

func holderDef(ctl, role, who, op string) string {
	p, tm := who, ""
	if len(who) > 5 && who[:5] == "team:" {
		p, tm = "", who[5:]
	}
	return roleDef(ctl, role, p, tm, op, fmt.Sprintf("%s %s %s on %s: named owner per the control register", op, who, role, ctl))
}

// ownControl defines a new control through the governance gate and assigns
// each role in holders.
func (o *org) ownControl(ctl string, material bool, classes []string, params []format.Parameter, holders map[string]string) {
	o.t.Helper()
	o.pass("ops.dana", controlDef(ctl, material, classes, params...), gov)
	for _, role := range enforce.Roles {
		if h, ok := holders[role]; ok {
			o.assign(ctl, role, h)
		}
	}
}

// fiveOwners is a complete, segregated set of holders.
var fiveOwners = map[string]string{
	enforce.RoleBuild: "eng.erin", enforce.RoleOperate: "agent.payments", enforce.RoleApprove: "risk.ana",
	enforce.RoleValidate: "val.vera", enforce.RoleAudit: "aud.ola",
}

func (o *org) proposeText(maker, action string) (*enforce.Decision, error) {
	a, _ := format.ParseAction([]byte(action))
	return o.propose(o.runID(a.Class), maker, []byte(action), nil, "")
}

func (o *org) validate(id, ctl, result string) (*enforce.Decision, error) {
	return o.core.Validate(o.sign(id, &format.Statement{Purpose: format.PurposeValidate, Control: ctl, Subject: "limit enforcement replayed against last quarter's orders", Result: result, Notes: "see test pack"}))
}

func (o *org) auditFinding(id, ctl string) (*enforce.Decision, error) {
	return o.core.AuditFinding(o.sign(id, &format.Statement{Purpose: format.PurposeAuditFinding, Control: ctl, Finding: "register reviewed; owners match the approved allocation", Severity: "info"}))
}

// exported is the core's bundle as Export writes it.
func exported(t *testing.T, core *enforce.Core) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := core.Export(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// verifyBundle verifies a bundle pinned to genesis.
func verifyBundle(t *testing.T, bundle []byte, genesis format.Hash) *verifier.Result {
	t.Helper()
	trust, _ := verifier.PinGenesis(genesis.String())
	res, err := verifier.Verify(context.Background(), bytes.NewReader(bundle), trust, verifier.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// unexpected returns the findings of a verification that are not allowed
// on an honest core's bundle: every one of them.
func unexpected(t *testing.T, _ []byte, res *verifier.Result) []verifier.Finding {
	t.Helper()
	if res.Verdict != verifier.VerdictPass && len(res.Findings) == 0 {
		t.Fatalf("verdict %s with no finding", res.Verdict)
	}
	return res.Findings
}

// verifyExport exports the core's bundle and requires it to verify.
func (o *org) verifyExport() []byte {
	o.t.Helper()
	o.settle()
	b := exported(o.t, o.core)
	if bad := unexpected(o.t, b, verifyBundle(o.t, b, o.core.Genesis())); len(bad) > 0 {
		o.t.Fatalf("the core's own bundle has findings: %+v", bad)
	}
	return b
}

// bundleRecords returns the records of a bundle with their decoded bodies.
func bundleRecords(t *testing.T, bundle []byte) []*format.Record {
	t.Helper()
	rd := format.NewReader(bytes.NewReader(bundle))
	defer rd.Close()
	var out []*format.Record
	for {
		l, err := rd.Next()
		if err != nil {
			return out
		}
		if format.IsTrailer(l.Bytes) {
			continue
		}
		rec, err := format.ParseRecord(l.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

// noteAt returns the note at seq in a bundle.
func noteAt(t *testing.T, bundle []byte, seq int64) *format.Note {
	t.Helper()
	for _, rec := range bundleRecords(t, bundle) {
		if rec.Seq == seq && rec.Type == format.TypeNote {
			body, err := format.DecodeBody(rec.Type, rec.Body, format.Strict)
			if err != nil {
				t.Fatal(err)
			}
			return body.(*format.Note)
		}
	}
	t.Fatalf("no note at record %d", seq)
	return nil
}

func countType(t *testing.T, bundle []byte, typ string) int {
	n := 0
	for _, rec := range bundleRecords(t, bundle) {
		if rec.Type == typ {
			n++
		}
	}
	return n
}
