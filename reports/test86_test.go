package reports

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// test86 builds the month of test 8.6 (December 2026, Europe/London,
// GMT): val.vic holds validate and audit on risk-limit together from
// 3 December 10:00 to 10 December 10:00; eng.sam's exception exc-a (2 to
// 15 December) expires in the month and exc-b (16 December to 31 January)
// is opened in it and active at its end, both approved by his manager
// risk.ana; agent.payments is refused twice, each refusal alerted, the
// alerts delivered 3 and 45 seconds after the refused proposals.
type test86 struct {
	b                           *fixtures.Builder
	conflictStart, conflictEnd  int64
	excA, excB                  int64
	refusal1, alert1, delivery1 int64
	refusal2, alert2, delivery2 int64
}

func jump(b *fixtures.Builder, at string) {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	now, _ := format.ParseTime(b.Now())
	if !t.After(now) {
		panic("time " + at + " is not after " + b.Now())
	}
	// A periodic seal at the builder's time moves the clock on.
	b.Step = t.Sub(now)
	b.Seal()
	b.Step = time.Second
}

func govRun(b *fixtures.Builder, id, maker string, action any) int64 {
	a, err := format.MarshalJSON(action)
	if err != nil {
		panic(err)
	}
	r := &fixtures.Run{B: b, ID: id, Maker: maker, Action: a}
	r.Propose()
	r.Gate(0, "governance", []format.Stage{{Stage: 1, N: 2, Pool: []string{"reg.alex", "reg.bea"}, Meaning: format.MeaningApproval, Human: true}})
	r.Signoff("reg.alex", 1, format.MeaningApproval, "register change reviewed", true, "ok")
	r.Signoff("reg.bea", 1, format.MeaningApproval, "register change approved", true, "ok")
	r.Execute(maker, true, "ok")
	return b.Chain.Next() - 1
}

func roleRun(b *fixtures.Builder, id, role, who, op string) int64 {
	return govRun(b, id, "ops.dana", &format.RoleAction{Class: format.ClassRole, Control: "risk-limit", Role: role, Principal: who, Op: op, Justification: op + " " + role + " for " + who})
}

func exceptionRun(b *fixtures.Builder, id, starts, expires, risk string) int64 {
	a, err := format.MarshalJSON(&format.ExceptionAction{Class: format.ClassException, Exception: id, Holder: "eng.sam", Control: "risk-limit",
		Roles: []string{"build", "validate"}, RiskAssessment: risk, Starts: starts, Expires: expires})
	if err != nil {
		panic(err)
	}
	r := &fixtures.Run{B: b, ID: id, Maker: "eng.sam", Action: a}
	r.Propose()
	r.Gate(0, "exception", []format.Stage{{Stage: 1, N: 1, Pool: []string{"ops.dana", "risk.ana"}, Meaning: format.MeaningApproval, Human: true, PoolAbove: "eng.sam"}})
	r.Signoff("risk.ana", 1, format.MeaningApproval, "risk accepted for the migration", true, "ok")
	r.Execute("eng.sam", true, "ok")
	return b.Chain.Next() - 1
}

func build86() *test86 {
	x := &test86{b: fixtures.New(fixtures.Options{BundleID: "test-8-6"})}
	b := x.b
	for _, p := range []struct{ id, kind, team string }{{"ops.dana", format.KindHuman, "operations"}, {"eng.sam", format.KindHuman, "engineering"},
		{"risk.ana", format.KindHuman, "risk"}, {"val.vic", format.KindHuman, "validation"}, {"aud.ada", format.KindHuman, "audit"},
		{"agent.payments", format.KindAgent, "payments"}} {
		b.Person(p.id, p.kind, p.team)
	}
	govRun(b, "ctl-risk", "ops.dana", &format.ControlAction{Class: format.ClassControl, Control: "risk-limit", Name: "Trading risk limit", Classes: []string{"trade"}})
	roleRun(b, "role-build", "build", "eng.sam", "assign")
	roleRun(b, "role-validate", "validate", "val.vic", "assign")
	govRun(b, "line-sam", "ops.dana", &format.ReportingLineAction{Class: format.ClassReportingLine, Principal: "eng.sam", Manager: "risk.ana"})
	govRun(b, "line-ana", "ops.dana", &format.ReportingLineAction{Class: format.ClassReportingLine, Principal: "risk.ana", Manager: "ops.dana"})

	jump(b, "2026-12-02T09:00:00Z")
	x.excA = exceptionRun(b, "exc-a", "2026-12-02", "2026-12-15", "one engineer builds and validates during the migration")
	jump(b, "2026-12-03T10:00:00Z")
	x.conflictStart = roleRun(b, "role-audit-vic", "audit", "val.vic", "assign")
	jump(b, "2026-12-10T10:00:00Z")
	x.conflictEnd = roleRun(b, "role-audit-vic-end", "audit", "val.vic", "unassign")
	jump(b, "2026-12-14T09:00:00Z")
	x.excB = exceptionRun(b, "exc-b", "2026-12-16", "2027-01-31", "second phase of the migration, reassessed")

	jump(b, "2026-12-18T12:00:00Z")
	x.refusal1, x.alert1, x.delivery1 = refusedPayment(b, "pay-1", "INV-1")
	jump(b, "2026-12-21T15:00:00Z")
	x.refusal2 = refuse(b, "pay-2", "INV-2")
	x.alert2 = b.Append(format.TypeAlert, "", &format.Alert{Attempt: x.refusal2, Principal: "agent.payments", Control: "payments", Role: "operate", Text: "agent.payments was refused a payment"})
	jump(b, "2026-12-21T15:00:45Z")
	x.delivery2 = b.Append(format.TypeAlertDelivery, "", &format.AlertDelivery{Alert: x.alert2, Channel: "pager", Status: "delivered", Detail: "message INV-2"})
	// The bundle runs into January: a seal on 4 January.
	jump(b, "2027-01-04T09:00:00Z")
	b.Seal()
	return x
}

// refuse appends a payment proposal by agent.payments and its refusal.
func refuse(b *fixtures.Builder, run, ref string) int64 {
	action := []byte(`{"class":"payment","amount":"10.00","currency":"EUR","beneficiary":"ACME Supplies Ltd","reference":"` + ref + `"}`)
	digest := format.ActionDigest(action).String()
	st := b.Sign("agent.payments", &format.Statement{Purpose: format.PurposePropose, Run: run, Class: "payment", Action: digest, Reason: "invoice " + ref + " due"})
	p := b.Append(format.TypeProposal, "agent.payments", &format.Proposal{Run: run, Class: "payment", Action: string(action), Digest: digest, Summary: map[string]string{}}, st)
	b.Append(format.TypeOutcome, "", &format.Outcome{Attempt: p, Result: format.ResultRefused, Code: "role-not-assigned", Detail: "agent.payments does not hold operate on control payments"})
	return p
}

// Test 8.6 (AG-259 4.7): the monthly conflict report's data, computed
// from the verifier's stream, against an expectation written by hand:
// who held incompatible roles, when and for how long; the exceptions
// opened, active and expired; the refused attempts and their alerts with
// delays. Each run below is a seal at the stated time (the clock jump)
// and then its records one second apart: a governance run's execution is
// its ninth record, an exception run's its seventh.
func Test86MonthlyConflictReport(t *testing.T) {
	x := build86()
	// The records the expectation names, as the bundle is laid out.
	if got := fmt.Sprint(x.excA, x.conflictStart, x.conflictEnd, x.excB, x.refusal1, x.alert1, x.delivery1, x.refusal2, x.alert2, x.delivery2); got != "65 76 87 96 98 100 101 103 105 107" {
		t.Fatalf("the bundle's layout moved: %s", got)
	}
	tr, mode := pinned(t, x.b.Genesis())
	rep := build(t, x.b.Bundle(), Options{Month: "2026-12", Trust: tr, TrustMode: mode})
	if s := rep.Summary; s.Period.Label != "2026-12" || s.Period.Zone != "Europe/London" || s.Period.Incomplete || s.FindingsInPeriod != 1 || s.FindingsBefore != 0 {
		t.Errorf("summary: period %+v, findings in %d, before %d", s.Period, s.FindingsInPeriod, s.FindingsBefore)
	}

	var got []string
	for _, c := range rows(t, rep.Conflicts) {
		got = append(got, fmt.Sprintf("%s %s %s %s (%s, team %s) held %s from %s to %s for %d s, records %v", c.Rule, c.Source, c.Control, c.Principal, c.Name, c.Team, c.Roles, c.From, c.To, c.Seconds, c.Records))
	}
	want := []string{
		// Assigned audit on 3 December (execution 10:00:09), unassigned on
		// 10 December (10:00:09): seven days, 604,800 seconds.
		"SOD-CONTROL-ROLES register risk-limit val.vic (Principal val.vic, team validation) held validate, audit from 2026-12-03T10:00:09.000Z to 2026-12-10T10:00:09.000Z for 604800 s, records [67 76]",
	}
	compare(t, "conflicts", got, want)

	got = nil
	for _, e := range rows(t, rep.Exceptions) {
		got = append(got, fmt.Sprintf("%s holder %s, beneficiary %s, control %s, roles %s, approver %s: %s, opened %s (in period %v), %s to %s, in force %s to %s, %d days, cumulative %d from %s, records %v",
			e.Exception, e.Holder, e.Beneficiary, e.Control, e.Roles, e.Approver, e.State, e.Opened, e.OpenedInPeriod, e.Starts, e.Expires, e.From, e.Until, e.Days, e.CumulativeDays, e.ChainStarts, e.Records))
	}
	want = []string{
		// Granted 2 December (seal 09:00:00, execution 09:00:07), 2 to 15
		// December inclusive: 14 days, expired at midnight GMT.
		"exc-a holder eng.sam, beneficiary eng.sam, control risk-limit, roles build, validate, approver Ana Ribeiro (risk.ana): expired, opened 2026-12-02T09:00:07.000Z (in period true), 2026-12-02 to 2026-12-15, in force 2026-12-02T00:00:00.000Z to 2026-12-16T00:00:00.000Z, 14 days, cumulative 14 from 2026-12-02, records [65]",
		// Granted 14 December, 16 December to 31 January: 47 days; it
		// starts the day after exc-a ends, a renewal: 14 + 47 = 61 days.
		"exc-b holder eng.sam, beneficiary eng.sam, control risk-limit, roles build, validate, approver Ana Ribeiro (risk.ana): active, opened 2026-12-14T09:00:07.000Z (in period true), 2026-12-16 to 2027-01-31, in force 2026-12-16T00:00:00.000Z to 2027-02-01T00:00:00.000Z, 47 days, cumulative 61 from 2026-12-02, records [96]",
	}
	compare(t, "exceptions", got, want)

	got = nil
	for _, r := range rows(t, rep.Refusals) {
		got = append(got, fmt.Sprintf("%d %s %s %s (%s) %s %s: %s; alert %d, delivered %d at %s, %d ms; %s", r.Seq, r.Time, r.Run, r.Principal, r.Name, r.Act, r.Code, r.Detail, r.Alert, r.Delivered, r.DeliveredTime, r.AlertDelayMs, r.Delivery))
	}
	want = []string{
		"98 2026-12-18T12:00:00.000Z pay-1 agent.payments (Payments Agent) propose role-not-assigned: agent.payments does not hold operate on control payments; alert 100, delivered 101 at 2026-12-18T12:00:03.000Z, 3000 ms; delivered via pager (message INV-1)",
		"103 2026-12-21T15:00:00.000Z pay-2 agent.payments (Payments Agent) propose role-not-assigned: agent.payments does not hold operate on control payments; alert 105, delivered 107 at 2026-12-21T15:00:45.000Z, 45000 ms; delivered via pager (message INV-2)",
	}
	compare(t, "refusals", got, want)

	// The month before holds none of it but the two exceptions' absence.
	nov := build(t, x.b.Bundle(), Options{Month: "2026-11", Trust: tr, TrustMode: mode})
	if nov.Conflicts.Len() != 0 || nov.Exceptions.Len() != 0 || nov.Refusals.Len() != 0 {
		t.Errorf("November: %d conflicts, %d exceptions, %d refusals", nov.Conflicts.Len(), nov.Exceptions.Len(), nov.Refusals.Len())
	}
}

func compare(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n%s\nwant\n%s", what, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
