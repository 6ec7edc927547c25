package enforce_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
	"github.com/countersign/countersign/verifier"
)

// The tests below are the procedures of AG-259 tests 8.3 (the exception
// process) and 8.7 (exception duration) as docs/compliance.md writes them,
// with the reporting lines, personnel records and the small-organisation
// exception they rest on.

var london = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic(err)
	}
	return loc
}()

// today is the organisation's local date at the test clock.
func (o *org) today() calendar.Date { return calendar.On(o.at(), london) }

// later moves the test clock on by d, once the alerts written so far are
// delivered (a delivery is recorded at the clock's time).
func (o *org) later(d time.Duration) {
	o.t.Helper()
	o.settle()
	o.setClock(o.at().Add(d))
}

// at moves the test clock on to t and holds it there, so that the records
// the core writes next are dated exactly t; a later call moves it on
// again, and later releases it.
func (o *org) holdAt(t time.Time) {
	o.t.Helper()
	o.settle()
	if now := o.at(); !now.Before(t) {
		o.t.Fatalf("clock %s is not before %s", now, t)
	}
	o.mu.Lock()
	o.clock, o.held = t, true
	o.mu.Unlock()
}

// release lets the held test clock run again.
func (o *org) release() { o.setClock(o.at()) }

const day = 24 * time.Hour

func lineDef(principal, manager string) string {
	return mustJSON(format.ReportingLineAction{Class: format.ClassReportingLine, Principal: principal, Manager: manager})
}

func exceptionDef(id, holder, beneficiary, ctl, risk string, starts, expires calendar.Date, roles ...string) string {
	return mustJSON(format.ExceptionAction{Class: format.ClassException, Exception: id, Holder: holder, Beneficiary: beneficiary, Control: ctl,
		Roles: roles, RiskAssessment: risk, Starts: starts.String(), Expires: expires.String()})
}

func (o *org) personnel(reporter, subject, event, team string) (*enforce.Decision, error) {
	return o.core.Personnel(o.sign(reporter, &format.Statement{Purpose: format.PurposePersonnel, Subject: subject, Event: event,
		Effective: o.today().String(), Team: team}))
}

// deskOwners are the holders of the desk control in these tests: four
// people, each one role, operate left unheld (the control is not
// material).
var deskOwners = map[string]string{
	enforce.RoleBuild: "eng.erin", enforce.RoleApprove: "risk.ana", enforce.RoleValidate: "val.vera", enforce.RoleAudit: "aud.ola",
}

// lines records the reporting lines eng.erin -> risk.chen -> risk.ben and
// eng.omar -> risk.chen through the governance gate.
func (o *org) lines() {
	o.t.Helper()
	for _, l := range [][2]string{{"eng.erin", "risk.chen"}, {"eng.omar", "risk.chen"}, {"risk.chen", "risk.ben"}} {
		o.pass("ops.dana", lineDef(l[0], l[1]), gov)
	}
}

// wantFinding is a finding a test expects: its rule, a text its message
// contains, and its records.
type wantFinding struct {
	rule    string
	text    string
	records []int64
}

// exactFindings requires the findings of res to be want, one for one and
// in order.
func exactFindings(t *testing.T, res *verifier.Result, want []wantFinding) {
	t.Helper()
	for _, f := range res.Findings {
		t.Logf("finding %s: %s %v", f.Rule, f.Message, f.Records)
	}
	if len(res.Findings) != len(want) {
		t.Fatalf("%d findings, want %d", len(res.Findings), len(want))
	}
	for i, w := range want {
		f := res.Findings[i]
		if f.Rule != w.rule || !strings.Contains(f.Message, w.text) || !slices.Equal(f.Records, w.records) {
			t.Errorf("finding %d: %s %q %v; want %s containing %q %v", i, f.Rule, f.Message, f.Records, w.rule, w.text, w.records)
		}
	}
}

// executionSeq returns the sequence number of run's execution record in a
// bundle.
func executionSeq(t *testing.T, bundle []byte, run string) int64 {
	t.Helper()
	for _, rec := range bundleRecords(t, bundle) {
		if rec.Type != format.TypeExecution {
			continue
		}
		body, err := format.DecodeBody(rec.Type, rec.Body, format.Strict)
		if err != nil {
			t.Fatal(err)
		}
		if body.(*format.Execution).Run == run {
			return rec.Seq
		}
	}
	t.Fatalf("no execution of run %s", run)
	return 0
}

// gateOf returns the gate record of run in a bundle.
func gateOf(t *testing.T, bundle []byte, run string) *format.Gate {
	t.Helper()
	for _, rec := range bundleRecords(t, bundle) {
		if rec.Type != format.TypeGate {
			continue
		}
		body, err := format.DecodeBody(rec.Type, rec.Body, format.Strict)
		if err != nil {
			t.Fatal(err)
		}
		if g := body.(*format.Gate); g.Run == run {
			return g
		}
	}
	t.Fatalf("no gate for run %s", run)
	return nil
}

// Test83ExceptionProcess: an exception to role segregation is granted only
// with a risk assessment, approved by the approver's own signed sign-off,
// by someone above the holder in the reporting lines who is neither the
// holder nor the beneficiary and has been above the holder for more than
// 30 days by a reporting-line change someone else proposed; with it in
// force, and only then, the holder combines the roles.
func Test83ExceptionProcess(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("desk", false, []string{"desk.op"}, nil, deskOwners)
	// Step 1: reporting lines are register changes under four eyes; a
	// cycle is refused, and neither the principal nor the manager named
	// signs one off.
	o.lines()
	o.refused(enforce.CodeInvalidReportingLine)(o.proposeText("ops.dana", lineDef("risk.ben", "eng.erin")))
	o.refused(enforce.CodeInvalidReportingLine)(o.proposeText("ops.dana", lineDef("risk.ana", "risk.ana")))
	d := o.ok(o.proposeText("ops.dana", lineDef("reg.alex", "reg.bea")))
	o.refused(enforce.CodeBeneficiary)(o.signoff("reg.alex", d.Requests[0], "", "my own line"))
	o.refused(enforce.CodeBeneficiary)(o.signoff("reg.bea", d.Requests[0], "", "my own report"))
	o.later(31 * day)
	today := o.today()
	// Step 2: without an exception, combining build and validate is
	// refused.
	o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("desk", enforce.RoleValidate, "eng.erin", "assign")))
	// Step 3: an exception without a risk assessment, backdated, or of 91
	// days is refused at its proposal.
	o.refused(enforce.CodeEmptyReason)(o.proposeText("ops.dana", exceptionDef("x-blank", "eng.erin", "eng.erin", "desk", " \u200b", today, today.AddDays(29), "build", "validate")))
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", exceptionDef("x-back", "eng.erin", "eng.erin", "desk", "small team", today.AddDays(-1), today.AddDays(28), "build", "validate")))
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", exceptionDef("x-long", "eng.erin", "eng.erin", "desk", "small team", today, today.AddDays(90), "build", "validate")))
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", exceptionDef("x-one", "eng.erin", "eng.erin", "desk", "small team", today, today.AddDays(29), "build")))
	// Step 4: the approval stage's pool is everyone above the holder,
	// resolved at the proposal; a peer is not in it, the beneficiary and
	// the holder are refused even when above.
	risk := "eng.erin builds and validates the desk limits while val.vera is on leave; every validation is re-run by val.vic on return"
	asked := o.ok(o.proposeText("ops.dana", exceptionDef("x-asked", "eng.erin", "risk.chen", "desk", risk, today, today.AddDays(29), "build", "validate")))
	if req := asked.Requests; len(req) != 1 || req[0].Gate != enforce.GateException {
		t.Fatalf("exception run parks at %+v, want one stage of gate %s", req, enforce.GateException)
	}
	o.refused(enforce.CodeSelfApproval)(o.signoff("risk.chen", asked.Requests[0], "", "I asked for it"))
	o.refused(enforce.CodeNotInPool)(o.signoff("eng.omar", asked.Requests[0], "", "a peer approves"))
	d = o.ok(o.proposeText("ops.dana", exceptionDef("x-1", "eng.erin", "eng.erin", "desk", risk, today, today.AddDays(29), "build", "validate")))
	run := d.Requests[0].Run
	o.refused(enforce.CodeSelfApproval)(o.signoff("eng.erin", d.Requests[0], "", "my own exception"))
	approval := o.ok(o.signoff("risk.ben", d.Requests[0], "", "risk accepted for 30 days; re-validation on return"))
	o.ok(o.execute("ops.dana", run))
	// Step 5: with the exception in force the roles are combined, and the
	// holder acts in both.
	o.assign("desk", enforce.RoleValidate, "eng.erin")
	o.ok(o.validate("eng.erin", "desk", "pass"))
	// Step 6: a manager of fewer than 30 days does not approve, nor one
	// who proposed the reporting-line change that made them manager.
	o.pass("ops.dana", lineDef("eng.omar", "risk.ana"), gov)
	o.pass("risk.ana", lineDef("val.vic", "risk.ana"), gov)
	fresh := o.ok(o.proposeText("ops.dana", exceptionDef("x-omar", "eng.omar", "eng.omar", "desk", "cover for build during release week", o.today(), o.today().AddDays(6), "build", "audit")))
	wantDetail(t, "within 30 days", o.refused(enforce.CodeNotInPool), func() (*enforce.Decision, error) {
		return o.signoff("risk.ana", fresh.Requests[0], "", "approved")
	})
	// Step 7: a renewal carries a fresh risk assessment.
	o.refused(enforce.CodeInvalidException)(o.proposeText("ops.dana", exceptionDef("x-2", "eng.erin", "eng.erin", "desk", risk, today.AddDays(30), today.AddDays(59), "validate", "build")))
	o.pass("ops.dana", exceptionDef("x-2", "eng.erin", "eng.erin", "desk", risk+"; leave extended, re-validation plan unchanged and reviewed", today.AddDays(30), today.AddDays(59), "validate", "build"), []string{"risk.ben"})
	o.later(31 * day)
	self := o.ok(o.proposeText("ops.dana", exceptionDef("x-vic", "val.vic", "val.vic", "desk", "cover for validation", o.today(), o.today().AddDays(6), "validate", "audit")))
	wantDetail(t, "proposed the reporting-line change", o.refused(enforce.CodeNotInPool), func() (*enforce.Decision, error) {
		return o.signoff("risk.ana", self.Requests[0], "", "approved")
	})
	// The same manager, once 30 days have passed, approves the run
	// proposed before: the pool was resolved at the proposal.
	o.ok(o.signoff("risk.ana", fresh.Requests[0], "", "approved after the settling period"))
	// A reporting line recorded after the proposal (here the same line
	// again) makes its manager no approver of that run.
	late := o.ok(o.proposeText("ops.dana", exceptionDef("x-late", "risk.chen", "risk.chen", "desk", "cover for audit", o.today(), o.today().AddDays(6), "build", "audit")))
	o.pass("ops.dana", lineDef("risk.chen", "risk.ben"), gov)
	wantDetail(t, "after exception x-late was proposed", o.refused(enforce.CodeNotInPool), func() (*enforce.Decision, error) {
		return o.signoff("risk.ben", late.Requests[0], "", "approved")
	})

	// Step 8: the approval is the approver's own statement, naming the run,
	// its action and the gate; the gate names the holder and its pool.
	b := o.verifyExport()
	g := gateOf(t, b, run)
	if len(g.Stages) != 1 || g.Stages[0].PoolAbove != "eng.erin" || !slices.Equal(g.Stages[0].Pool, []string{"risk.ben", "risk.chen"}) ||
		g.Stages[0].N != 1 || !g.Stages[0].Human || g.Stages[0].Meaning != format.MeaningApproval {
		t.Fatalf("exception gate: %+v", g.Stages)
	}
	var signed *format.Statement
	for _, rec := range bundleRecords(t, b) {
		if rec.Seq == approval.Attempt {
			if rec.Actor != "risk.ben" || len(rec.Sigs) != 1 {
				t.Fatalf("approval record %d: actor %s, %d statements", rec.Seq, rec.Actor, len(rec.Sigs))
			}
			st, err := format.ParseStatement(rec.Sigs[0].Stmt, format.Strict)
			if err != nil {
				t.Fatal(err)
			}
			signed = st
		}
	}
	if signed == nil || signed.Purpose != format.PurposeSignoff || signed.Principal != "risk.ben" || signed.Run != run ||
		signed.Action != d.Requests[0].Digest || signed.Gate != enforce.GateException || signed.Meaning != format.MeaningApproval {
		t.Fatalf("approval statement: %+v", signed)
	}
}

// wantDetail runs do, requires the refusal check, and requires its detail
// to contain want.
func wantDetail(t *testing.T, want string, check func(*enforce.Decision, error), do func() (*enforce.Decision, error)) {
	t.Helper()
	d, err := do()
	check(d, err)
	if !strings.Contains(d.Detail, want) {
		t.Fatalf("refusal %q does not say %q", d.Detail, want)
	}
}

// verifyExportExpecting exports the core's bundle and requires its
// findings to be exactly want: what an organisation's own inaction leaves
// (a holder still holding an exception's roles when it ends, a missed
// review), which the core refuses acts around but cannot undo.
func (o *org) verifyExportExpecting(want ...wantFinding) []byte {
	o.t.Helper()
	o.settle()
	b := exported(o.t, o.core)
	exactFindings(o.t, verifyBundle(o.t, b, o.core.Genesis()), want)
	return b
}

// Test87ExceptionDuration: an exception of 90 calendar days inclusive
// (expires − starts = 89) is granted, one of 91 is not; the exception
// covers up to the last second of its expires day in the organisation's
// zone and not one second more, here across the change to summer time,
// so local midnight is 23:00 UTC; and the core judges it the same after
// reopening its journal.
func Test87ExceptionDuration(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	for _, p := range staff {
		o.enrol(p)
	}
	o.ownControl("desk", false, []string{"desk.op"}, nil, deskOwners)
	o.lines()
	o.holdAt(time.Date(2027, 1, 4, 9, 0, 0, 0, time.UTC))
	o.release()
	starts := o.today()
	if starts != (calendar.Date{Year: 2027, Month: time.January, Day: 4}) {
		t.Fatalf("local date %s", starts)
	}
	risk := "single builder during the January freeze; validations re-run by val.vera in April"
	// Step 1: day 90 (expires − starts = 90) is refused; day 89 is not.
	wantDetail(t, "91 days", o.refused(enforce.CodeInvalidException), func() (*enforce.Decision, error) {
		return o.proposeText("ops.dana", exceptionDef("x-90", "eng.erin", "eng.erin", "desk", risk, starts, starts.AddDays(90), "build", "validate"))
	})
	expires := starts.AddDays(89)
	if expires != (calendar.Date{Year: 2027, Month: time.April, Day: 3}) {
		t.Fatalf("starts + 89 = %s", expires)
	}
	x89 := o.pass("ops.dana", exceptionDef("x-89", "eng.erin", "eng.erin", "desk", risk, starts, expires, "build", "validate"), []string{"risk.chen"})
	o.assign("desk", enforce.RoleValidate, "eng.erin")
	o.ok(o.validate("eng.erin", "desk", "pass"))
	// Step 2: the journal is reopened; the exception is replayed.
	o.settle()
	o.reopen(dir)
	// Step 3: local midnight ending 3 April 2027 is 23:00 UTC (summer time
	// began on 28 March). The last second before it is covered; midnight
	// itself is not, although the UTC date is still the 3rd.
	end := expires.End(london)
	if want := time.Date(2027, 4, 3, 23, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Fatalf("end of %s in London: %s, want %s", expires, end, want)
	}
	o.holdAt(end.Add(-time.Second))
	o.ok(o.validate("eng.erin", "desk", "pass"))
	o.holdAt(end)
	d, err := o.validate("eng.erin", "desk", "pass")
	wantRefusal(t, enforce.CodeConflictingRole, d, err)
	// Step 4: the rest of the control's holders are unaffected; the
	// holder's own other acts on it are refused too.
	o.ok(o.validate("val.vera", "desk", "pass"))
	o.refused(enforce.CodeConflictingRole)(o.exercise(enforce.RoleBuild, "eng.erin", "desk"))
	// Step 5: the bundle records the refusal as a note with its alert.
	// eng.erin still held both roles when the exception ended: the core
	// refuses her acts but cannot unassign a role itself, so the verifier
	// reports the combination outliving its exception, citing the
	// exception's execution and the first record at or past its end (the
	// refusal).
	o.settle()
	b := exported(t, o.core)
	exactFindings(t, verifyBundle(t, b, o.core.Genesis()), []wantFinding{{verifier.RuleException,
		"exception x-89 ended at 2027-04-03T23:00:00.000Z, and person eng.erin still holds roles [build validate] on control desk",
		[]int64{executionSeq(t, b, x89), d.Outcome}}})
	if n := noteAt(t, b, d.Outcome); n.Code != enforce.CodeConflictingRole {
		t.Fatalf("note %+v", n)
	}
	recs := bundleRecords(t, b)
	for i, rec := range recs {
		if rec.Seq == d.Outcome {
			if rec.Time != format.FormatTime(end) || recs[i+1].Type != format.TypeAlert {
				t.Fatalf("refusal note at %s followed by %s", rec.Time, recs[i+1].Type)
			}
		}
	}
}

// TestManagerSettlingBoundary: a manager appointed 29 local days before
// an approval is refused, one appointed 30 days before is not (SPEC.md
// §6.11: suspect when the difference of local dates is less than 30), and
// the verifier agrees.
func TestManagerSettlingBoundary(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("desk", false, []string{"desk.op"}, nil, deskOwners)
	o.lines()
	o.later(31 * day)
	o.pass("ops.dana", lineDef("eng.omar", "risk.ana"), gov)
	o.later(29 * day)
	d := o.ok(o.proposeText("ops.dana", exceptionDef("x-omar", "eng.omar", "eng.omar", "desk", "cover for build during release week", o.today().AddDays(1), o.today().AddDays(7), "build", "audit")))
	wantDetail(t, "within 30 days", o.refused(enforce.CodeNotInPool), func() (*enforce.Decision, error) {
		return o.signoff("risk.ana", d.Requests[0], "", "approved")
	})
	o.later(day)
	o.ok(o.signoff("risk.ana", d.Requests[0], "", "approved on the thirtieth day"))
	o.ok(o.execute("ops.dana", d.Requests[0].Run))
	o.verifyExport()
}
