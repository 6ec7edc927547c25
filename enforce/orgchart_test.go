package enforce_test

import (
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
	"github.com/countersign/countersign/verifier"
)

// TestPersonnelConflict: a mover placed into a team that holds another
// role on a control is recorded whatever the conflict (an HR fact), with a
// personnel-conflict note naming person, control and roles and an alert;
// the person's acts on the control are refused until the conflict is
// resolved, here by unassigning a role; the journal replays it.
func TestPersonnelConflict(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	for _, p := range staff {
		o.enrol(p)
	}
	o.pass("ops.dana", teamDef("validators", "val.vera", "val.vera"), gov)
	o.pass("ops.dana", teamDef("builders", "eng.erin", "eng.erin", "eng.omar"), gov)
	o.ownControl("desk", false, []string{"desk.op"}, nil, map[string]string{
		enforce.RoleBuild: "team:builders", enforce.RoleApprove: "risk.ana", enforce.RoleValidate: "team:validators", enforce.RoleAudit: "aud.ola",
	})
	// Reporting a personnel event needs a human who is not its subject.
	if _, err := o.personnel("agent.grid", "eng.omar", enforce.EventMover, "validators"); err == nil {
		t.Fatal("an agent's personnel record was accepted")
	}
	if _, err := o.personnel("eng.omar", "eng.omar", enforce.EventMover, "validators"); err == nil {
		t.Fatal("a personnel record about oneself was accepted")
	}
	if _, err := o.personnel("ops.dana", "eng.omar", enforce.EventMover, "no-such-team"); err == nil {
		t.Fatal("a move into a team not in the register was accepted")
	}
	// A mover with no other role: no conflict.
	d := o.ok(o.personnel("ops.dana", "eng.omar", enforce.EventMover, "validators"))
	if strings.Contains(d.Detail, "conflict") {
		t.Fatalf("eng.omar's move: %s", d.Detail)
	}
	o.ok(o.validate("eng.omar", "desk", "pass"))
	o.refused(enforce.CodeRoleNotAssigned)(o.exercise(enforce.RoleBuild, "eng.omar", "desk"))
	// A mover who holds approve individually, placed into the validators:
	// recorded, noted, alerted; their acts on the control refused.
	moved := o.ok(o.personnel("ops.dana", "risk.ana", enforce.EventMover, "validators"))
	if !strings.Contains(moved.Detail, "conflict") {
		t.Fatalf("risk.ana's move: %s", moved.Detail)
	}
	o.refused(enforce.CodeConflictingRole)(o.validate("risk.ana", "desk", "pass"))
	upd := o.ok(o.proposeText("eng.erin", controlDef("desk", false, []string{"desk.op"}, amountParam("cap", "5.00", "EUR"))))
	o.refused(enforce.CodeConflictingRole)(o.signoff("risk.ana", upd.Requests[0], "", "approved"))
	o.ok(o.validate("val.vera", "desk", "pass"))
	// Reopened, the core still refuses.
	o.settle()
	o.reopen(dir)
	o.refused(enforce.CodeConflictingRole)(o.validate("risk.ana", "desk", "pass"))
	// Resolved: another approver is assigned and risk.ana's approve is
	// unassigned; she validates as a member of the validators.
	o.assign("desk", enforce.RoleApprove, "risk.ben")
	o.pass("ops.dana", holderDef("desk", enforce.RoleApprove, "risk.ana", "unassign"), gov)
	o.ok(o.validate("risk.ana", "desk", "pass"))
	// A leaver leaves every team: no longer a validator.
	o.ok(o.personnel("ops.dana", "risk.ana", enforce.EventLeaver, ""))
	o.refused(enforce.CodeRoleNotAssigned)(o.validate("risk.ana", "desk", "pass"))

	// The verifier reports the conflict the move started, for the person
	// and for the team, with its duration; the core's refusals leave no
	// act in it.
	o.settle()
	b := exported(t, o.core)
	exactFindings(t, verifyBundle(t, b, o.core.Genesis()), []wantFinding{
		{verifier.RuleControlRoles, "left person risk.ana holding roles [approve validate] on control desk from", []int64{moved.Outcome}},
		{verifier.RuleControlRoles, "left team validators holding roles [validate approve] on control desk from", []int64{moved.Outcome}},
	})
	notes := 0
	for _, rec := range bundleRecords(t, b) {
		if rec.Type != format.TypeNote {
			continue
		}
		body, _ := format.DecodeBody(rec.Type, rec.Body, format.Strict)
		if n := body.(*format.Note); n.Code == enforce.CodePersonnelConflict {
			notes++
			if !strings.Contains(n.Text, "risk.ana") || !strings.Contains(n.Text, "desk") || !strings.Contains(n.Text, "approve and validate") {
				t.Fatalf("personnel-conflict note: %s", n.Text)
			}
		}
	}
	if notes == 0 {
		t.Fatal("no personnel-conflict note")
	}
	alerts := 0
	for i, rec := range bundleRecords(t, b) {
		if rec.Type == format.TypeAlert {
			body, _ := format.DecodeBody(rec.Type, rec.Body, format.Strict)
			if a := body.(*format.Alert); a.Principal == "risk.ana" && a.Control == "desk" && strings.Contains(a.Text, "personnel conflict") {
				alerts++
				if prev := bundleRecords(t, b)[i-1]; prev.Type != format.TypeNote {
					t.Fatalf("alert %d follows a %s, not its note", rec.Seq, prev.Type)
				}
			}
		}
	}
	if alerts != notes {
		t.Fatalf("%d personnel-conflict notes, %d alerts naming risk.ana on desk", notes, alerts)
	}
}

func smallOrgDef(id, ctl, documentation, risk string, compensating []string, reviewBy calendar.Date, roles ...string) string {
	return mustJSON(format.SmallOrgAction{Class: format.ClassSmallOrg, Exception: id, Control: ctl, People: 3, Roles: roles, Documentation: documentation,
		RiskAssessment: risk, CompensatingControls: compensating, ReviewBy: reviewBy.String()})
}

func reviewDef(id, outcome, notes string, next calendar.Date) string {
	return mustJSON(format.SmallOrgReviewAction{Class: format.ClassSmallOrgReview, Exception: id, Outcome: outcome, Notes: notes, NextReviewBy: next.String()})
}

// TestSmallOrgException: the small-organisation exception is documented,
// risk-assessed, names compensating controls and is reviewed within 3
// calendar months clamped to the month's end (30 November + 3 months is
// 28 February); while fewer than 5 humans hold control roles it covers
// combining its roles; a change bringing a fifth is refused while it is in
// force; a missed review lapses it at the end of the review day.
func TestSmallOrgException(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("desk", false, []string{"desk.op"}, nil, map[string]string{
		enforce.RoleBuild: "eng.erin", enforce.RoleApprove: "risk.ana", enforce.RoleValidate: "val.vera",
	})
	o.holdAt(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	o.release()
	today := o.today()
	feb28 := calendar.Date{Year: 2027, Month: time.February, Day: 28}
	if today.AddMonths(3) != feb28 {
		t.Fatalf("%s + 3 months = %s", today, today.AddMonths(3))
	}
	doc, risk, comp := "three people run the desk", "builder validates own changes", []string{"monthly re-validation by internal audit"}
	o.refused(enforce.CodeEmptyReason)(o.proposeText("ops.dana", smallOrgDef("so-1", "desk", " ", risk, comp, feb28, "build", "validate")))
	o.refused(enforce.CodeEmptyReason)(o.proposeText("ops.dana", smallOrgDef("so-1", "desk", doc, "", comp, feb28, "build", "validate")))
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", smallOrgDef("so-1", "desk", doc, risk, []string{}, feb28, "build", "validate")))
	// 2 March is where Go's AddDate lands; 1 March is past the clamp too.
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", smallOrgDef("so-1", "desk", doc, risk, comp, feb28.AddDays(1), "build", "validate")))
	so1 := o.pass("ops.dana", smallOrgDef("so-1", "desk", doc, risk, comp, feb28, "build", "validate"), gov)
	o.assign("desk", enforce.RoleValidate, "eng.erin")
	o.ok(o.validate("eng.erin", "desk", "pass"))
	// A fourth human is fine; a fifth is refused while the exception is
	// in force.
	o.assign("desk", enforce.RoleAudit, "aud.ola")
	wantDetail(t, "lapses small-organisation exception so-1", o.refused(enforce.CodeConflictingRole), func() (*enforce.Decision, error) {
		return o.proposeText("ops.dana", holderDef("desk", enforce.RoleOperate, "eng.omar", "assign"))
	})
	// A review on 28 February (local) sets the next one 3 months on.
	o.holdAt(time.Date(2027, 2, 28, 12, 0, 0, 0, time.UTC))
	o.release()
	may28 := calendar.Date{Year: 2027, Month: time.May, Day: 28}
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", reviewDef("so-1", "continue", "controls working", may28.AddDays(1))))
	o.pass("ops.dana", reviewDef("so-1", "continue", "re-validations done monthly; no exceptions found", may28), gov)
	o.ok(o.validate("eng.erin", "desk", "pass"))
	// The next review is missed: at the end of 28 May (local, summer time:
	// 23:00 UTC) the exception lapses; the combined roles are no longer
	// covered and a late review is refused.
	end := may28.End(london)
	o.holdAt(end.Add(-time.Second))
	o.ok(o.validate("eng.erin", "desk", "pass"))
	o.holdAt(end)
	late, err := o.validate("eng.erin", "desk", "pass")
	wantRefusal(t, enforce.CodeConflictingRole, late, err)
	o.release()
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", reviewDef("so-1", "continue", "late review", o.today().AddMonths(3))))
	// The missed review is the organisation's, and the verifier reports
	// it: the exception's execution and the first record at or past its
	// lapse (the refusal).
	o.settle()
	b := exported(t, o.core)
	exactFindings(t, verifyBundle(t, b, o.core.Genesis()), []wantFinding{{verifier.RuleSmallOrg,
		"small-organisation exception so-1 was not reviewed by 2027-05-28; it lapsed at 2027-05-28T23:00:00.000Z",
		[]int64{executionSeq(t, b, so1), late.Outcome}}})
}

// TestExceptionChecksBearLoad: each refusal the exception rules add is
// what stops its case; with the check off, the case is not refused with
// that code.
func TestExceptionChecksBearLoad(t *testing.T) {
	cases := []struct {
		name string
		code string
		step func(o *org) func() (*enforce.Decision, error)
	}{
		{"cyclic reporting line", enforce.CodeInvalidReportingLine, func(o *org) func() (*enforce.Decision, error) {
			return func() (*enforce.Decision, error) { return o.proposeText("ops.dana", lineDef("risk.ben", "eng.erin")) }
		}},
		{"exception of 91 days", enforce.CodeInvalidException, func(o *org) func() (*enforce.Decision, error) {
			return func() (*enforce.Decision, error) {
				return o.proposeText("ops.dana", exceptionDef("x", "eng.erin", "eng.erin", "desk", "r", o.today(), o.today().AddDays(90), "build", "validate"))
			}
		}},
		{"holder approves", enforce.CodeSelfApproval, func(o *org) func() (*enforce.Decision, error) {
			d := o.ok(o.proposeText("ops.dana", exceptionDef("x", "risk.chen", "eng.erin", "desk", "r", o.today(), o.today().AddDays(9), "build", "validate")))
			return func() (*enforce.Decision, error) { return o.signoff("eng.erin", d.Requests[0], "", "ok") }
		}},
		{"new manager approves", enforce.CodeNotInPool, func(o *org) func() (*enforce.Decision, error) {
			o.pass("ops.dana", lineDef("val.vic", "risk.ana"), gov)
			d := o.ok(o.proposeText("ops.dana", exceptionDef("x", "val.vic", "val.vic", "desk", "r", o.today(), o.today().AddDays(9), "build", "validate")))
			return func() (*enforce.Decision, error) { return o.signoff("risk.ana", d.Requests[0], "", "ok") }
		}},
		{"act after expiry", enforce.CodeConflictingRole, func(o *org) func() (*enforce.Decision, error) {
			o.pass("ops.dana", exceptionDef("x", "eng.erin", "eng.erin", "desk", "r", o.today(), o.today(), "build", "validate"), []string{"risk.chen"})
			o.assign("desk", enforce.RoleValidate, "eng.erin")
			o.later(day)
			return func() (*enforce.Decision, error) { return o.validate("eng.erin", "desk", "pass") }
		}},
	}
	for _, c := range cases {
		for _, off := range []bool{false, true} {
			o := newStaffOrg(t)
			o.ownControl("desk", false, []string{"desk.op"}, nil, deskOwners)
			o.lines()
			o.later(31 * day)
			step := c.step(o)
			if off {
				o.core.DisableCheck(c.code)
			}
			d, err := step()
			refusedThus := err != nil && d != nil && d.Code == c.code
			if refusedThus == off {
				t.Errorf("%s, check off %v: decision %+v, %v", c.name, off, d, err)
			}
		}
	}
}

// TestTeamException: an exception held by a team is approved from above
// its accountable human, never by one of its members (even one above the
// accountable), and covers the team and each member combining its roles.
func TestTeamException(t *testing.T) {
	o := newStaffOrg(t)
	o.pass("ops.dana", teamDef("builders", "eng.erin", "eng.erin", "eng.omar", "risk.chen"), gov)
	o.ownControl("desk", false, []string{"desk.op"}, nil, map[string]string{
		enforce.RoleBuild: "team:builders", enforce.RoleApprove: "risk.ana", enforce.RoleValidate: "val.vera",
	})
	o.lines()
	o.later(31 * day)
	o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("desk", enforce.RoleValidate, "team:builders", "assign")))
	d := o.ok(o.proposeText("ops.dana", exceptionDef("x-team", "builders", "eng.erin", "desk", "the builders validate their own changes during the audit freeze",
		o.today(), o.today().AddDays(13), "build", "validate")))
	o.refused(enforce.CodeSelfApproval)(o.signoff("risk.chen", d.Requests[0], "", "my team"))
	o.ok(o.signoff("risk.ben", d.Requests[0], "", "accepted for two weeks"))
	o.ok(o.execute("ops.dana", d.Requests[0].Run))
	o.assign("desk", enforce.RoleValidate, "team:builders")
	o.ok(o.validate("eng.omar", "desk", "pass"))
	b := o.verifyExport()
	if g := gateOf(t, b, d.Requests[0].Run); g.Stages[0].PoolAbove != "eng.erin" {
		t.Fatalf("team exception gate: %+v", g.Stages)
	}
}

// TestPersonnelConflictHoldsTheMover: a mover whose move puts only the
// team in conflict (she validates, a member approves) is held on the
// control, the team's other members are not, and the hold ends when the
// conflict does (SPEC.md §6.11, Personnel).
func TestPersonnelConflictHoldsTheMover(t *testing.T) {
	o := newStaffOrg(t)
	o.pass("ops.dana", teamDef("risk-desk", "risk.ben", "risk.ben"), gov)
	o.pass("ops.dana", teamDef("validators", "val.vic", "val.vic"), gov)
	o.ownControl("desk", false, []string{"desk.op"}, nil, map[string]string{
		enforce.RoleBuild: "eng.erin", enforce.RoleApprove: "risk.ben", enforce.RoleValidate: "val.vera", enforce.RoleAudit: "aud.ola",
	})
	moved := o.ok(o.personnel("ops.dana", "val.vera", enforce.EventMover, "risk-desk"))
	if !strings.Contains(moved.Detail, "conflict") {
		t.Fatalf("val.vera's move: %s", moved.Detail)
	}
	// Her own person holds validate alone; the record holds her all the same.
	wantDetail(t, "personnel record", o.refused(enforce.CodeConflictingRole), func() (*enforce.Decision, error) {
		return o.validate("val.vera", "desk", "pass")
	})
	// risk.ben, the team's approver, is not held.
	upd := o.ok(o.proposeText("eng.erin", controlDef("desk", false, []string{"desk.op"}, amountParam("cap", "5.00", "EUR"))))
	o.ok(o.signoff("risk.ben", upd.Requests[0], "", "approved"))
	// She moves on: the conflict ends, and with it the hold.
	o.ok(o.personnel("ops.dana", "val.vera", enforce.EventMover, "validators"))
	o.ok(o.validate("val.vera", "desk", "pass"))
	o.settle()
	b := exported(t, o.core)
	exactFindings(t, verifyBundle(t, b, o.core.Genesis()), []wantFinding{
		{verifier.RuleControlRoles, "left team risk-desk holding roles", []int64{moved.Outcome}},
	})
}
