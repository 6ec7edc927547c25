package enforce_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
)

// TestRegisterDefinitionsRefused: control, team and role definitions that
// break SPEC.md §6.11 are refused invalid-control at their proposal; their
// nearest valid neighbours are accepted.
func TestRegisterDefinitionsRefused(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("c", true, []string{"c.op"}, nil, map[string]string{enforce.RoleBuild: "eng.erin"})
	o.pass("ops.dana", teamDef("t", "risk.ben", "risk.ben"), gov)
	p := func(typ, value, cur string) format.Parameter {
		return format.Parameter{Name: "p", Type: typ, Value: value, Currency: cur}
	}
	bad := []struct{ name, action string }{
		{"a class another control governs", controlDef("d", true, []string{"c.op"})},
		{"a change class", controlDef("d", true, []string{"change.policy"})},
		{"a class twice", controlDef("d", true, []string{"d.op", "d.op"})},
		{"an empty class", controlDef("d", true, []string{""})},
		{"an ID that is not an identifier", controlDef("D ctl", true, nil)},
		{"a parameter name that is not an identifier", controlDef("d", true, nil, format.Parameter{Name: "Max Limit", Type: "integer", Value: "1"})},
		{"a parameter twice", controlDef("d", true, nil, p("integer", "1", ""), p("integer", "2", ""))},
		{"an amount with a sign", controlDef("d", true, nil, p("amount", "-1.00", "EUR"))},
		{"an amount with an exponent", controlDef("d", true, nil, p("amount", "1e6", "EUR"))},
		{"an amount without a currency", controlDef("d", true, nil, p("amount", "1.00", ""))},
		{"an amount in a lower-case currency", controlDef("d", true, nil, p("amount", "1.00", "eur"))},
		{"a decimal ending in a point", controlDef("d", true, nil, p("decimal", "1.", ""))},
		{"a decimal as a percentage", controlDef("d", true, nil, p("decimal", "95%", ""))},
		{"a decimal with a currency", controlDef("d", true, nil, p("decimal", "0.95", "EUR"))},
		{"an integer with a leading zero", controlDef("d", true, nil, p("integer", "07", ""))},
		{"an integer with a fraction", controlDef("d", true, nil, p("integer", "7.0", ""))},
		{"blank text", controlDef("d", true, nil, p("text", " \u00a0", ""))},
		{"an unknown type", controlDef("d", true, nil, p("percent", "95", ""))},
		{"a team whose accountable is an agent", teamDef("u", "agent.grid", "agent.grid", "risk.chen")},
		{"a team whose accountable is not a member", teamDef("u", "risk.chen", "val.vic")},
		{"a team with a member not enrolled", teamDef("u", "risk.chen", "risk.chen", "nobody")},
		{"a team with a member twice", teamDef("u", "risk.chen", "risk.chen", "risk.chen")},
		{"a role on a control not in the register", holderDef("nowhere", enforce.RoleAudit, "risk.chen", "assign")},
		{"a role that is not one of the five", holderDef("c", "owner", "risk.chen", "assign")},
		{"a holder that is principal and team", roleDef("c", enforce.RoleAudit, "risk.chen", "t", "assign", "both")},
		{"no holder", roleDef("c", enforce.RoleAudit, "", "", "assign", "none")},
		{"a principal not enrolled", holderDef("c", enforce.RoleAudit, "nobody", "assign")},
		{"a team not in the register", holderDef("c", enforce.RoleAudit, "team:nowhere", "assign")},
		{"an op that is neither", holderDef("c", enforce.RoleAudit, "risk.chen", "grant")},
		{"assigning what is held", holderDef("c", enforce.RoleBuild, "eng.erin", "assign")},
		{"unassigning what is not held", holderDef("c", enforce.RoleBuild, "eng.omar", "unassign")},
	}
	for _, b := range bad {
		d, err := o.proposeText("ops.dana", b.action)
		wantRefusal(t, enforce.CodeInvalidControl, d, err)
		t.Logf("%s: %s", b.name, d.Detail)
	}
	for _, good := range []string{
		controlDef("d", true, []string{"d.op"}, p("amount", "0", "EUR")),
		controlDef("e", false, nil, p("decimal", "-0.5", "")),
		controlDef("f", false, nil, p("integer", "-7", "")),
		controlDef("g", false, nil, p("text", "95% of rated load", "")),
		teamDef("u", "risk.chen", "agent.grid", "risk.chen"),
	} {
		o.ok(o.proposeText("ops.dana", good))
	}
	o.verifyExport()
}

// TestRegisterMovedBeforeExecution: a change judged against the register
// at its proposal is judged again at its execute attempt.
func TestRegisterMovedBeforeExecution(t *testing.T) {
	o := newStaffOrg(t)
	// Two runs define one new control: the second is no longer a new
	// control when it executes.
	d1 := o.ok(o.propose("new-1", "ops.dana", []byte(controlDef("c", true, []string{"c.op"})), nil, ""))
	d2 := o.ok(o.propose("new-2", "ops.dana", []byte(controlDef("c", false, nil)), nil, ""))
	for _, d := range []*enforce.Decision{d1, d2} {
		o.ok(o.signoff("reg.alex", d.Requests[0], "", "ok"))
		o.ok(o.signoff("reg.bea", d.Requests[0], "", "ok"))
	}
	o.ok(o.execute("ops.dana", "new-1"))
	o.refused(enforce.CodeInvalidControl)(o.execute("ops.dana", "new-2"))
	// A control defined to govern a class another control took meanwhile.
	d3 := o.ok(o.propose("new-3", "ops.dana", []byte(controlDef("d", true, []string{"d.op"})), nil, ""))
	o.ok(o.signoff("reg.alex", d3.Requests[0], "", "ok"))
	o.ok(o.signoff("reg.bea", d3.Requests[0], "", "ok"))
	o.pass("ops.dana", controlDef("e", true, []string{"d.op"}), gov)
	o.refused(enforce.CodeInvalidControl)(o.execute("ops.dana", "new-3"))
	// A policy proposed while its class was ungoverned, executed after a
	// control came to govern it: its gate lacks that control's approver.
	pol := string(policyWith(1, `[{"principal":"agent.payments","role":"maker","classes":["x.op"],"max_amount":"","currency":""}]`, "[]", ""))
	d4 := o.ok(o.propose("pol-1", "ops.dana", []byte(pol), nil, ""))
	o.ok(o.signoff("reg.alex", d4.Requests[0], "", "ok"))
	o.ok(o.signoff("reg.bea", d4.Requests[0], "", "ok"))
	o.ownControl("x", false, []string{"x.op"}, nil, map[string]string{enforce.RoleOperate: "agent.payments", enforce.RoleApprove: "risk.ana", enforce.RoleBuild: "eng.erin"})
	o.refused(enforce.CodeInvalidPolicy)(o.execute("ops.dana", "pol-1"))
	// The control a policy change affects, with no approver, refuses it.
	o.pass("ops.dana", controlDef("y", false, []string{"y.op"}), gov)
	o.refused(enforce.CodeRoleNotAssigned)(o.proposeText("ops.dana", string(policyWith(1, `[]`, `[{"class":"y.op","gate":"g","stages":[{"stage":1,"n":1,"pool":["risk.ana"],"meaning":"approval","human":true}]}]`, ""))))
	o.verifyExport()
}

// TestUnownedPolicyChangeKeepsItsGate: a policy version that changes only
// what no control governs parks at the governance gate as before.
func TestUnownedPolicyChangeKeepsItsGate(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("c", true, []string{"c.op"}, nil, fiveOwners)
	d := o.ok(o.proposeText("ops.dana", string(policyWith(1, `[{"principal":"agent.payments","role":"maker","classes":["refund"],"max_amount":"","currency":""}]`, "[]", ""))))
	if len(d.Requests) != 1 || d.Requests[0].Gate != "governance" {
		t.Fatalf("an unowned policy change parks at %+v, want the governance gate", d.Requests)
	}
	o.verifyExport()
}

// TestOpenChecksValidationBinding: a validation the core recorded replays
// on Open; one whose body a holder of the log key rewrote, so that it no
// longer says what the validator signed, is refused.
func TestOpenChecksValidationBinding(t *testing.T) {
	dir := t.TempDir()
	cfg := enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: -1, UnsafeNoHeadStore: true}
	o := newOrgWith(t, cfg)
	for _, p := range staff {
		o.enrol(p)
	}
	o.ownControl("c", true, []string{"c.op"}, nil, fiveOwners)
	d := o.ok(o.validate("val.vera", "c", "fail"))
	o.core.Close()
	cfg.Clock = o.now
	c, err := enforce.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Register()[0].Holders[enforce.RoleValidate]; len(got) != 1 || got[0] != "val.vera" {
		t.Fatalf("register after Open: validators %v", got)
	}
	c.Close()
	journal := readJournal(t, dir)
	fs := fieldsOf(t, journal)
	if fs[d.Outcome].Type != format.TypeValidation {
		t.Fatalf("record %d is %s", d.Outcome, fs[d.Outcome].Type)
	}
	fs[d.Outcome].Body = bytes.Replace(fs[d.Outcome].Body, []byte(`"result":"fail"`), []byte(`"result":"pass"`), 1)
	if err := os.WriteFile(journalPath(dir), rechain(t, fs), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = enforce.Open(cfg)
	var je *enforce.JournalError
	if !errors.As(err, &je) || je.Seq != d.Outcome || !strings.Contains(je.Reason, "validate statement") {
		t.Fatalf("want the rewritten validation %d refused, got %v", d.Outcome, err)
	}
}
