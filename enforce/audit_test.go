package enforce_test

import (
	"slices"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

const misrouted = "six weeks of patients routed to the wrong ward by the triage agent"

// triageDesk sets scenario B up: a material triage control whose operate
// role is held by the operations team that runs the triage agent (ops.dana
// and agent.grid), with a builder, an approver, a validator and an auditor
// of its own.
func triageDesk(t *testing.T) *org { return triageDeskIn(t, t.TempDir()) }

func triageDeskIn(t *testing.T, dir string) *org {
	o := newOrg(t, dir)
	t.Cleanup(func() { o.core.Close() })
	for _, p := range staff {
		o.enrol(p)
	}
	o.pass("ops.dana", teamDef("ops-triage", "ops.dana", "ops.dana", "agent.grid"), gov)
	o.ownControl("triage", true, []string{"route"}, nil, map[string]string{
		enforce.RoleBuild: "eng.erin", enforce.RoleOperate: "team:ops-triage", enforce.RoleApprove: "risk.ana",
		enforce.RoleValidate: "val.vera", enforce.RoleAudit: "aud.ola",
	})
	return o
}

func (o *org) finding(id, ctl, text, severity string) (*enforce.Decision, error) {
	return o.core.AuditFinding(o.sign(id, &format.Statement{Purpose: format.PurposeAuditFinding, Control: ctl, Finding: text, Severity: severity}))
}

func auditChange(finding int64, op, severity, reason string) string {
	return mustJSON(format.AuditFindingChangeAction{Class: format.ClassAuditFinding, Finding: finding, Op: op, Severity: severity, Reason: reason})
}

// TestScenarioBOperatorCannotAuditOwnAgent: the operations team that runs
// the triage agent cannot audit it, cannot file its own finding, and
// cannot make the auditor's finding "a known monitoring item": only the
// auditor downgrades or withdraws it, with the approver's sign-off, and
// every step is in the bundle, which verifies with no finding.
//
// Procedure (docs/compliance.md, scenario B): 1. the operations team
// asks to be the control's auditor too: refused; 2. ops.dana, an
// operator, records a finding: refused, not recorded, alerted; 3. the
// auditor records a high finding; 4. ops.dana proposes withdrawing it:
// refused and alerted; 5. the auditor proposes a downgrade: it parks at
// the control's approver, the operator's and builder's sign-offs are
// refused, the approver's is accepted and it executes; 6. the same
// finding text recorded again as low is a new finding, and the first
// keeps its downgraded severity, so downgrading it to low is still
// accepted but a downgrade to high is not; 7. the export verifies.
func TestScenarioBOperatorCannotAuditOwnAgent(t *testing.T) {
	o := triageDesk(t)
	// 1. Operators are not also auditors.
	o.refusedSettled(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("triage", enforce.RoleAudit, "team:ops-triage", "assign")))
	// 2. An operator's own finding is not recorded.
	notes := countType(t, exported(t, o.core), format.TypeNote)
	o.refusedSettled(enforce.CodeRoleNotAssigned)(o.finding("ops.dana", "triage", misrouted+": a known monitoring item", "low"))
	if got := countType(t, exported(t, o.core), format.TypeNote); got != notes+1 {
		t.Fatalf("%d notes after the refused finding, want %d", got, notes+1)
	}
	// 3. The auditor's finding is.
	f := o.ok(o.finding("aud.ola", "triage", misrouted, "high")).Outcome
	// 4. The operator cannot withdraw it.
	o.refusedSettled(enforce.CodeRoleNotAssigned)(o.proposeText("ops.dana", auditChange(f, "withdraw", "", "a known monitoring item")))
	// Nor can anyone but the auditor, nor the auditor without a reason or
	// a lower severity, nor name what is no finding.
	o.refusedSettled(enforce.CodeRoleNotAssigned)(o.proposeText("eng.erin", auditChange(f, "downgrade", "low", "fixed")))
	o.refusedSettled(enforce.CodeEmptyReason)(o.proposeText("aud.ola", auditChange(f, "downgrade", "low", " ")))
	o.refusedSettled(enforce.CodeInvalidControl)(o.proposeText("aud.ola", auditChange(f, "downgrade", "critical", "worse than thought")))
	o.refusedSettled(enforce.CodeInvalidControl)(o.proposeText("aud.ola", auditChange(f-1, "withdraw", "", "not a finding")))
	// 5. The auditor's downgrade, with the approver's sign-off.
	d := o.ok(o.propose("downgrade-1", "aud.ola", []byte(auditChange(f, "downgrade", "medium", "routing table corrected on day 40; exposure bounded")), nil, ""))
	if len(d.Requests) != 1 || d.Requests[0].Gate != enforce.GateControls {
		t.Fatalf("the downgrade parks at %+v, want the approvers of triage", d.Requests)
	}
	o.refusedSettled(enforce.CodeRoleNotAssigned)(o.signoff("ops.dana", d.Requests[0], "", "fine by operations"))
	o.refusedSettled(enforce.CodeRoleNotAssigned)(o.signoff("eng.erin", d.Requests[0], "", "fine by engineering"))
	o.refusedSettled(enforce.CodeQuorumNotMet)(o.execute("aud.ola", "downgrade-1"))
	o.ok(o.signoff("risk.ana", d.Requests[0], "", "the correction is verified"))
	o.ok(o.execute("aud.ola", "downgrade-1"))
	// 6. A repeated finding is a new one; the first is now medium.
	o.ok(o.finding("aud.ola", "triage", misrouted, "low"))
	o.refusedSettled(enforce.CodeInvalidControl)(o.proposeText("aud.ola", auditChange(f, "downgrade", "high", "back up")))
	o.pass("aud.ola", auditChange(f, "downgrade", "low", "no patient harmed on review"), []string{"risk.ana"})
	o.pass("aud.ola", auditChange(f, "withdraw", "", "superseded by the ward review"), []string{"risk.ana"})
	o.refusedSettled(enforce.CodeInvalidControl)(o.proposeText("aud.ola", auditChange(f, "withdraw", "", "again")))
	// 7. Every refusal, alert and change is in a bundle that verifies.
	b := o.verifyExport()
	if n := countType(t, b, format.TypeAuditFinding); n != 2 {
		t.Fatalf("%d audit findings recorded, want 2 (the operator's was not recorded)", n)
	}
	// One alert per refusal for a role not held: the team made auditor,
	// the operator's finding, the operator's and the builder's proposals,
	// the operator's and the builder's sign-offs.
	if n := countType(t, b, format.TypeAlert); n != 6 {
		t.Fatalf("%d alerts recorded, want 6, one per refusal for a role not held", n)
	}
	// Each alert names who was refused, on which control, in which role:
	// a change of a finding is on the finding's control.
	var got []string
	for _, rec := range bundleRecords(t, b) {
		if rec.Type == format.TypeAlert {
			body, _ := format.DecodeBody(rec.Type, rec.Body, format.Strict)
			a := body.(*format.Alert)
			got = append(got, a.Principal+" "+a.Control+" "+a.Role)
		}
	}
	want := []string{"ops.dana triage audit", "ops.dana triage audit", "ops.dana triage audit", "eng.erin triage audit", "ops.dana triage approve", "eng.erin triage approve"}
	if !slices.Equal(got, want) {
		t.Fatalf("alerts name %q, want %q", got, want)
	}
}

// TestRegisterDueCountsHolidays: a leaver's individual roles are listed
// with the deadline of SPEC.md §6.11's worked table, moved by a recorded
// holiday, until they are unassigned.
func TestRegisterDueCountsHolidays(t *testing.T) {
	o := triageDesk(t)
	o.assign("triage", enforce.RoleValidate, "val.vic")
	o.refusedSettled(enforce.CodeInvalidPolicy)(o.proposeText("ops.dana", mustJSON(format.HolidayAction{Class: format.ClassHoliday, Date: "2026-11-31", Name: "Closure"})))
	o.refusedSettled(enforce.CodeInvalidPolicy)(o.proposeText("ops.dana", mustJSON(format.HolidayAction{Class: format.ClassHoliday, Date: "2026-11-11", Name: " "})))
	personnel := func(effective string) (*enforce.Decision, error) {
		return o.core.Personnel(o.sign("ops.dana", &format.Statement{Purpose: format.PurposePersonnel, Subject: "val.vic", Event: "leaver", Effective: effective, Team: ""}))
	}
	if _, err := personnel("6 November"); err == nil {
		t.Fatal("a personnel record without a date was recorded")
	}
	p := o.ok(personnel("2026-11-06")).Outcome
	due := o.core.RegisterDue()
	want := time.Date(2026, 11, 14, 0, 0, 0, 0, time.UTC)
	if len(due) != 1 || due[0].Personnel != p || due[0].Principal != "val.vic" || !slices.Equal(due[0].Roles, []string{"validate on triage"}) || !due[0].Deadline.Equal(want) {
		t.Fatalf("register due %+v, want val.vic's validate on triage by %s", due, want)
	}
	o.pass("ops.dana", mustJSON(format.HolidayAction{Class: format.ClassHoliday, Date: "2026-11-11", Name: "Site closure"}), gov)
	if due := o.core.RegisterDue(); len(due) != 1 || !due[0].Deadline.Equal(time.Date(2026, 11, 17, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("register due after the holiday %+v, want the deadline moved to the end of Monday 2026-11-16", due)
	}
	o.pass("ops.dana", holderDef("triage", enforce.RoleValidate, "val.vic", "unassign"), gov)
	if due := o.core.RegisterDue(); len(due) != 0 {
		t.Fatalf("register due after the unassignment %+v, want none", due)
	}
	o.verifyExport()
}

// TestForgedOperatorAuditIsAFinding: scenario B forged: a producer holding
// the log key records the operator's own finding, and executes the
// operator's withdrawal of the auditor's finding with the approver's
// sign-off; both are SOD-AUDIT-INDEPENDENCE findings.
func TestForgedOperatorAuditIsAFinding(t *testing.T) {
	dir := t.TempDir()
	o := triageDeskIn(t, dir)
	f := o.ok(o.finding("aud.ola", "triage", misrouted, "high")).Outcome
	action := []byte(auditChange(f, "withdraw", "", "a known monitoring item"))
	o.refusedSettled(enforce.CodeRoleNotAssigned)(o.propose("w-x", "ops.dana", action, nil, ""))
	if res := verifyBundle(t, exported(t, o.core), o.core.Genesis()); res.Verdict != verifier.VerdictPass {
		t.Fatalf("honest bundle: %s %+v", res.Verdict, res.Findings)
	}
	approvers := o.core.Register()[0].Holders[enforce.RoleApprove]
	fg := newForger(t, o, dir)
	text := misrouted + ": a known monitoring item"
	own := fg.add(format.TypeAuditFinding, "ops.dana", &format.AuditFinding{Control: "triage", Finding: text, Severity: "low"},
		o.sign("ops.dana", &format.Statement{Purpose: format.PurposeAuditFinding, Control: "triage", Finding: text, Severity: "low"}))
	digest := format.ActionDigest(action).String()
	prop := fg.add(format.TypeProposal, "ops.dana", &format.Proposal{Run: "w-y", Class: format.ClassAuditFinding, Action: string(action), Digest: digest, Summary: map[string]string{}},
		o.sign("ops.dana", &format.Statement{Purpose: format.PurposePropose, Run: "w-y", Class: format.ClassAuditFinding, Action: digest, Reason: "forged"}))
	fg.add(format.TypeOutcome, "", &format.Outcome{Attempt: prop, Result: format.ResultAccepted, Code: "ok", Detail: "proposal recorded"})
	propHash := format.RecordHash(fg.lines[len(fg.lines)-2]).String()
	fg.add(format.TypeGate, "", &format.Gate{Run: "w-y", Proposal: propHash, Policy: 0, Gate: enforce.GateControls, Stages: []format.Stage{{Stage: 1, N: 1, Pool: approvers, Meaning: format.MeaningApproval, Human: true,
		PoolRole: &format.PoolRole{Control: "triage", Role: enforce.RoleApprove}}}})
	fg.accept(format.ActSignoff, "w-y", o.sign("risk.ana", &format.Statement{Purpose: format.PurposeSignoff, Run: "w-y", Proposal: propHash, Gate: enforce.GateControls, Stage: 1, Action: digest, Meaning: format.MeaningApproval, Reason: "as operations say"}))
	exec := fg.accept(format.ActExecute, "w-y", o.sign("ops.dana", &format.Statement{Purpose: format.PurposeExecute, Run: "w-y", Proposal: propHash, Action: digest}))
	e := fg.add(format.TypeExecution, "", &format.Execution{Run: "w-y", Proposal: propHash, Digest: digest, Attempt: exec})
	res := verifyBundle(t, fg.bundle(), o.core.Genesis())
	var got [][]int64
	for _, x := range res.Findings {
		if x.Rule == "SOD-AUDIT-INDEPENDENCE" {
			got = append(got, x.Records)
		}
	}
	// The operator's finding: not by an auditor, and by an operator; the
	// withdrawal: proposed by the operator.
	want := [][]int64{{own}, {own}, {prop, e}}
	if !slices.EqualFunc(got, want, slices.Equal[[]int64]) {
		t.Fatalf("SOD-AUDIT-INDEPENDENCE findings cite %v, want %v (all findings %+v)", got, want, res.Findings)
	}
}

// TestRegisterDueCountsThePerson: a leaver is a person: a role held by
// another principal the registrars attested to be the same human is
// listed until it too is unassigned.
func TestRegisterDueCountsThePerson(t *testing.T) {
	o := triageDesk(t)
	vic2 := format.Principal{ID: "val.vic2", Kind: format.KindHuman, Name: o.ppl["val.vic"].Name, Team: "validation"}
	o.ok(enrolment(o.enrolAs(vic2, []string{"val.vic"}, []string{"val.vic"})))
	o.assign("triage", enforce.RoleValidate, "val.vic2")
	p := o.ok(o.core.Personnel(o.sign("ops.dana", &format.Statement{Purpose: format.PurposePersonnel, Subject: "val.vic", Event: "leaver", Effective: "2026-11-06", Team: ""}))).Outcome
	if due := o.core.RegisterDue(); len(due) != 1 || due[0].Personnel != p || !slices.Equal(due[0].Roles, []string{"validate on triage as val.vic2"}) {
		t.Fatalf("register due %+v, want val.vic2's validate on triage", due)
	}
	o.pass("ops.dana", holderDef("triage", enforce.RoleValidate, "val.vic2", "unassign"), gov)
	if due := o.core.RegisterDue(); len(due) != 0 {
		t.Fatalf("register due after the unassignment %+v, want none", due)
	}
	o.verifyExport()
}

// refusedSettled is refused, then waits for the refusal's alert (if any)
// to be delivered, so that the alerter's goroutine and the test do not
// read the test clock at once.
func (o *org) refusedSettled(code string) func(*enforce.Decision, error) {
	return func(d *enforce.Decision, err error) {
		o.t.Helper()
		wantRefusal(o.t, code, d, err)
		o.settle()
	}
}
