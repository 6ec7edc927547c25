package enforce_test

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
	"github.com/countersign/countersign/verifier"
)

// The tests below are the procedures of AG-259 tests 8.1, 8.2, 8.4 and 8.5
// and of its scenarios A and C, as docs/compliance.md writes them: each
// drives the core as a runtime would, asserts what it refuses, and
// verifies the bundle it exports.

// wire is an action of the class the payments control governs.
func wire(amount string) string {
	return `{"class":"wire","amount":"` + amount + `","currency":"EUR","beneficiary":"ACME Supplies Ltd","reference":"INV-9"}`
}

// Test81RoleAssignmentCompleteness: a material control is not operated
// until each of its five roles is held, and then by five distinct people;
// the register says so, and says so again after the journal is reopened.
func Test81RoleAssignmentCompleteness(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	for _, p := range staff {
		o.enrol(p)
	}
	o.pass("ops.dana", controlDef("payments-ctl", true, []string{"wire"}), gov)
	o.pass("ops.dana", controlDef("sandbox", false, []string{"sandbox.run"}), gov)
	// Step 1: with fewer than five roles held, operating is refused; the
	// refusal names what is missing.
	for _, role := range enforce.Roles {
		d, err := o.proposeText("agent.payments", wire("10.00"))
		wantRefusal(t, enforce.CodeRoleNotAssigned, d, err)
		if !strings.Contains(d.Detail, role) {
			t.Fatalf("refusal %q does not name the missing role %s", d.Detail, role)
		}
		o.assign("payments-ctl", role, fiveOwners[role])
	}
	// Step 2: with all five held, the operator's grant decides, and only
	// the operator operates. A non-material control is operated without
	// its other roles held.
	o.assign("sandbox", enforce.RoleOperate, "agent.reviewer")
	o.assign("sandbox", enforce.RoleBuild, "eng.erin")
	o.assign("sandbox", enforce.RoleApprove, "risk.ben")
	o.pass("eng.erin", string(policyWith(1, `[{"principal":"agent.payments","role":"maker","classes":["wire"],"max_amount":"10000.00","currency":"EUR"},`+
		`{"principal":"agent.reviewer","role":"maker","classes":["sandbox.run"],"max_amount":"","currency":""}]`, "[]", "")), []string{"risk.ana"}, []string{"risk.ben"})
	o.ok(o.proposeText("agent.payments", wire("10.00")))
	o.refused(enforce.CodeRoleNotAssigned)(o.proposeText("ops.dana", wire("10.00")))
	o.ok(o.proposeText("agent.reviewer", `{"class":"sandbox.run","case":"1"}`))
	o.refused(enforce.CodeRoleNotAssigned)(o.proposeText("agent.payments", `{"class":"sandbox.run","case":"2"}`))
	// Step 4: the register holds five distinct people on every material
	// control.
	reg := o.core.Register()
	checkFive := func(reg []enforce.RegisterControl) {
		t.Helper()
		material := 0
		for _, c := range reg {
			if !c.Material {
				continue
			}
			material++
			seen := map[string]string{}
			for _, role := range enforce.Roles {
				if len(c.Holders[role]) == 0 {
					t.Fatalf("material control %s: no holder of %s", c.ID, role)
				}
				for _, h := range c.Holders[role] {
					if other, dup := seen[h]; dup {
						t.Fatalf("material control %s: %s holds %s and %s", c.ID, h, other, role)
					}
					seen[h] = role
				}
			}
		}
		if material != 1 {
			t.Fatalf("want 1 material control, the register has %d: %+v", material, reg)
		}
	}
	checkFive(reg)
	if got := reg[0].Holders[enforce.RoleApprove]; !slices.Equal(got, []string{"risk.ana"}) {
		t.Fatalf("approvers of payments-ctl: %v", got)
	}
	// Step 5: the register is rebuilt from the journal on Open.
	o.reopen(dir)
	if got := o.core.Register(); !reflect.DeepEqual(got, reg) {
		t.Fatalf("register after Open:\n%+v\nbefore:\n%+v", got, reg)
	}
	checkFive(o.core.Register())
	o.refused(enforce.CodeRoleNotAssigned)(o.proposeText("ops.dana", wire("10.00")))
	o.ok(o.proposeText("agent.payments", wire("11.00")))
	o.verifyExport()
}

// rolePairs are the ten pairs of distinct control roles.
func rolePairs() [][2]string {
	var out [][2]string
	for i, a := range enforce.Roles {
		for _, b := range enforce.Roles[i+1:] {
			out = append(out, [2]string{a, b})
		}
	}
	return out
}

// exercise makes who attempt the act role derives on control ctl (which
// governs class ctl+".op"), returning the core's decision.
func (o *org) exercise(role, who, ctl string) (*enforce.Decision, error) {
	switch role {
	case enforce.RoleBuild:
		return o.proposeText(who, controlDef(ctl, true, []string{ctl + ".op"}, amountParam("cap", "1.00", "EUR")))
	case enforce.RoleOperate:
		return o.proposeText(who, `{"class":"`+ctl+`.op","case":"x"}`)
	case enforce.RoleApprove:
		d := o.ok(o.proposeText("eng.erin", controlDef(ctl, true, []string{ctl + ".op"}, amountParam("cap", "2.00", "EUR"))))
		return o.signoff(who, d.Requests[0], "", "approved")
	case enforce.RoleValidate:
		return o.validate(who, ctl, "pass")
	case enforce.RoleAudit:
		return o.auditFinding(who, ctl)
	}
	panic(role)
}

// Test82IncompatibleRoleBlocking: for each of the ten role pairs, a holder
// of the first role is refused the second, as an individual and through a
// team (a member of a team holding the first); and exercising the second
// role without holding it is refused. The bundle verifies.
func Test82IncompatibleRoleBlocking(t *testing.T) {
	for _, pair := range rolePairs() {
		first, second := pair[0], pair[1]
		t.Run(first+"+"+second, func(t *testing.T) {
			o := newStaffOrg(t)
			o.ownControl("c82", true, []string{"c82.op"}, nil, fiveOwners)
			// Individual: risk.chen holds the first role beside its owner.
			o.assign("c82", first, "risk.chen")
			o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("c82", second, "risk.chen", "assign")))
			d, err := o.exercise(second, "risk.chen", "c82")
			wantRefusal(t, enforce.CodeRoleNotAssigned, d, err)
			// Team: a team holding the first role; a member, or the team,
			// is refused the second.
			o.pass("ops.dana", teamDef("t82", "risk.ben", "risk.ben", "eng.omar"), gov)
			o.pass("ops.dana", controlDef("c82t", false, []string{"c82t.op"}), gov)
			o.assign("c82t", first, "team:t82")
			o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("c82t", second, "eng.omar", "assign")))
			o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("c82t", second, "team:t82", "assign")))
			// A team that would gain a member holding the second role.
			o.assign("c82t", second, "val.vic")
			o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", teamDef("t82", "risk.ben", "risk.ben", "eng.omar", "val.vic")))
			b := o.verifyExport()
			if second == enforce.RoleValidate || second == enforce.RoleAudit {
				if n := countType(t, b, format.TypeValidation) + countType(t, b, format.TypeAuditFinding); n != 0 {
					t.Fatalf("a refused %s was recorded as a fact (%d records)", second, n)
				}
				if note := noteAt(t, b, d.Outcome); note.Code != enforce.CodeRoleNotAssigned || !strings.Contains(note.Text, "risk.chen") || !strings.Contains(note.Text, "c82") || !strings.Contains(note.Text, second) {
					t.Fatalf("refusal note %+v does not name principal, control and role", note)
				}
			}
		})
	}
}

// Test82ConflictReCheckedAtExecute: two role changes proposed while each
// alone is segregated; once the first executes, the second's execute
// attempt is refused.
func Test82ConflictReCheckedAtExecute(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("c", true, []string{"c.op"}, nil, nil)
	d1 := o.ok(o.propose("r1", "ops.dana", []byte(holderDef("c", enforce.RoleBuild, "eng.omar", "assign")), nil, ""))
	d2 := o.ok(o.propose("r2", "ops.dana", []byte(holderDef("c", enforce.RoleApprove, "eng.omar", "assign")), nil, ""))
	for _, d := range []*enforce.Decision{d1, d2} {
		o.ok(o.signoff("reg.alex", d.Requests[0], "", "ok"))
		o.ok(o.signoff("reg.bea", d.Requests[0], "", "ok"))
	}
	o.ok(o.execute("ops.dana", "r1"))
	o.refused(enforce.CodeConflictingRole)(o.execute("ops.dana", "r2"))
	// The same for a team that gains the member after the assignment was
	// proposed.
	o.pass("ops.dana", teamDef("t", "risk.ben", "risk.ben"), gov)
	d3 := o.ok(o.propose("r3", "ops.dana", []byte(holderDef("c", enforce.RoleApprove, "team:t", "assign")), nil, ""))
	o.ok(o.signoff("reg.alex", d3.Requests[0], "", "ok"))
	o.ok(o.signoff("reg.bea", d3.Requests[0], "", "ok"))
	o.pass("ops.dana", teamDef("t", "risk.ben", "risk.ben", "eng.omar"), gov)
	o.refused(enforce.CodeConflictingRole)(o.execute("ops.dana", "r3"))
	o.verifyExport()
}

// Test82HumanRoles: an agent is refused every human role; a team's agent
// member does not act in one.
func Test82HumanRoles(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("c", true, []string{"c.op"}, nil, nil)
	for _, role := range []string{enforce.RoleBuild, enforce.RoleApprove, enforce.RoleValidate, enforce.RoleAudit} {
		o.refused(enforce.CodeHumanRequired)(o.proposeText("ops.dana", holderDef("c", role, "agent.trader", "assign")))
	}
	o.assign("c", enforce.RoleOperate, "agent.trader")
	o.pass("ops.dana", teamDef("mixed", "val.vera", "val.vera", "agent.grid"), gov)
	o.assign("c", enforce.RoleValidate, "team:mixed")
	o.ok(o.validate("val.vera", "c", "pass"))
	if got := o.core.Register()[0].Holders[enforce.RoleValidate]; !slices.Equal(got, []string{"val.vera"}) {
		t.Fatalf("validators %v: the team's agent member must not act in a human role", got)
	}
	o.verifyExport()
}

// Test84AccessControlAlignment: a policy whose grants go beyond the
// register is refused at its proposal and at its execution; one within it
// is accepted.
func Test84AccessControlAlignment(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("payments-ctl", true, []string{"wire"}, []format.Parameter{amountParam("per_wire", "5000.00", "EUR"), {Name: "note", Type: "text", Value: "EUR wires"}}, fiveOwners)
	maker := func(who, extra string) string {
		return `{"principal":"` + who + `","role":"maker","classes":["wire"],"max_amount":"","currency":"EUR"` + extra + `}`
	}
	for _, c := range []struct{ name, grants, ctl string }{
		{"maker without operate", `[` + maker("agent.reviewer", "") + `]`, ""},
		{"checker of change classes without approve", `[` + maker("agent.payments", "") + `,{"principal":"eng.omar","role":"checker","classes":["change.role"],"max_amount":"","currency":""}]`, "payments-ctl"},
		{"limit naming a missing parameter", `[` + maker("agent.payments", `,"limit":{"control":"payments-ctl","parameter":"per_day"}`) + `]`, ""},
		{"limit naming a text parameter", `[` + maker("agent.payments", `,"limit":{"control":"payments-ctl","parameter":"note"}`) + `]`, ""},
		{"limit naming a missing control", `[` + maker("agent.payments", `,"daily_limit":{"control":"nowhere","parameter":"per_wire"}`) + `]`, ""},
		{"limit beside a max_amount", `[{"principal":"agent.payments","role":"maker","classes":["wire"],"max_amount":"1.00","currency":"EUR","limit":{"control":"payments-ctl","parameter":"per_wire"}}]`, ""},
		{"limit in another currency", `[{"principal":"agent.payments","role":"maker","classes":["wire"],"max_amount":"","currency":"USD","limit":{"control":"payments-ctl","parameter":"per_wire"}}]`, ""},
	} {
		pol := fmt.Sprintf(`{"class":"change.policy","version":1,"control":%q,"grants":%s,"gates":[]}`, c.ctl, c.grants)
		d, err := o.proposeText("eng.erin", pol)
		wantRefusal(t, enforce.CodeInvalidPolicy, d, err)
		t.Logf("%s: %s", c.name, d.Detail)
	}
	// Within the register: accepted, and the parameter bounds each wire.
	within := fmt.Sprintf(`{"class":"change.policy","version":1,"control":"payments-ctl","grants":[%s,{"principal":"risk.ana","role":"checker","classes":["change.role"],"max_amount":"","currency":""}],"gates":[]}`,
		maker("agent.payments", `,"limit":{"control":"payments-ctl","parameter":"per_wire"}`))
	// The checker grant on change.role is a class no control governs: the
	// governance gate follows the control's approver.
	o.pass("eng.erin", within, []string{"risk.ana"}, gov)
	o.ok(o.proposeText("agent.payments", wire("5000.00")))
	o.refused(enforce.CodeOverLimit)(o.proposeText("agent.payments", wire("5000.01")))
	o.verifyExport()
}

// Test84GrantReCheckedAtExecution: a policy within the register at its
// proposal is refused at its execution when the register moved.
func Test84GrantReCheckedAtExecution(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("payments-ctl", true, []string{"wire"}, nil, fiveOwners)
	o.assign("payments-ctl", enforce.RoleOperate, "agent.reviewer")
	pol := `{"class":"change.policy","version":1,"control":"","grants":[{"principal":"agent.reviewer","role":"maker","classes":["wire"],"max_amount":"","currency":"EUR"}],"gates":[]}`
	d := o.ok(o.propose("pol-1", "eng.erin", []byte(pol), nil, ""))
	o.ok(o.signoff("risk.ana", d.Requests[0], "", "approved"))
	o.pass("ops.dana", holderDef("payments-ctl", enforce.RoleOperate, "agent.reviewer", "unassign"), gov)
	d, err := o.execute("eng.erin", "pol-1")
	wantRefusal(t, enforce.CodeInvalidPolicy, d, err)
	if !strings.Contains(d.Detail, "operate") {
		t.Fatalf("refusal %q does not say which role is missing", d.Detail)
	}
	o.verifyExport()
}

// rewrite returns bundle with its record at seq replaced by edit(line),
// the container and trailer written again as they were.
func rewrite(t *testing.T, bundle []byte, seq int64, edit func(line []byte) []byte) []byte {
	t.Helper()
	rd := format.NewReader(bytes.NewReader(bundle))
	defer rd.Close()
	var lines [][]byte
	for {
		l, err := rd.Next()
		if err != nil {
			break
		}
		lines = append(lines, bytes.Clone(l.Bytes))
	}
	var out bytes.Buffer
	w := produce.NewBundleWriter(&out)
	for i, l := range lines[:len(lines)-1] {
		if int64(i) == seq {
			l = edit(l)
		}
		if err := w.WriteRecord(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(lines[len(lines)-1]); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// Test85ChangeLogIntegrity: every role change in the bundle carries who
// proposed it (the proposal's actor, whose own signed statement it
// carries), when (the record time and the statement's time) and why (a
// non-blank justification, verbatim in the signed action); a role change
// without a justification is refused; and an edit of any of the three
// breaks verification.
func Test85ChangeLogIntegrity(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("c", true, []string{"c.op"}, nil, fiveOwners)
	o.refused(enforce.CodeEmptyReason)(o.proposeText("ops.dana", roleDef("c", enforce.RoleAudit, "risk.chen", "", "assign", " \u200b")))
	b := o.verifyExport()
	executed := map[string]bool{}
	for _, rec := range bundleRecords(t, b) {
		if rec.Type == format.TypeExecution {
			body, _ := format.DecodeBody(rec.Type, rec.Body, format.Strict)
			executed[body.(*format.Execution).Run] = true
		}
	}
	changes := 0
	var target *format.Record
	for _, rec := range bundleRecords(t, b) {
		if rec.Type != format.TypeProposal {
			continue
		}
		body, _ := format.DecodeBody(rec.Type, rec.Body, format.Strict)
		p := body.(*format.Proposal)
		if p.Class != format.ClassRole || !executed[p.Run] {
			continue
		}
		a, _ := format.ParseAction([]byte(p.Action))
		ch, err := format.DecodeChange(a, format.Strict)
		if err != nil {
			t.Fatal(err)
		}
		ra := ch.(*format.RoleAction)
		st, err := format.ParseStatement(rec.Sigs[0].Stmt, format.Strict)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case rec.Actor == "" || st.Principal != rec.Actor:
			t.Fatalf("record %d: role change attributed to %q, its statement is %q's", rec.Seq, rec.Actor, st.Principal)
		case !format.ValidTime(rec.Time) || !format.ValidTime(st.Time):
			t.Fatalf("record %d: role change without a time", rec.Seq)
		case strings.TrimSpace(ra.Justification) == "":
			t.Fatalf("record %d: role change without a justification", rec.Seq)
		}
		changes++
		target = rec
	}
	if changes != len(fiveOwners) {
		t.Fatalf("want %d role changes in the bundle, found %d", len(fiveOwners), changes)
	}
	if res := verifyBundle(t, b, o.core.Genesis()); len(unexpected(t, b, res)) != 0 {
		t.Fatalf("unedited bundle: %+v", res.Findings)
	}
	just := `named owner per the control register`
	for _, e := range []struct{ name, old, new string }{
		{"attribution", `"actor":"` + target.Actor + `"`, `"actor":"risk.ben"`},
		{"time", `"time":"` + target.Time + `"`, `"time":"` + strings.Replace(target.Time, "2026-11-02", "2026-11-01", 1) + `"`},
		{"justification", just, "named owner, approved by nobody"},
	} {
		t.Run(e.name, func(t *testing.T) {
			edited := rewrite(t, b, target.Seq, func(l []byte) []byte {
				if !bytes.Contains(l, []byte(e.old)) {
					t.Fatalf("record %d has no %s", target.Seq, e.old)
				}
				return bytes.Replace(l, []byte(e.old), []byte(e.new), 1)
			})
			res := verifyBundle(t, edited, o.core.Genesis())
			if res.Verdict != verifier.VerdictFail {
				t.Fatalf("edited %s: verdict %s", e.name, res.Verdict)
			}
			integrity := false
			for _, f := range res.Findings {
				integrity = integrity || strings.HasPrefix(f.Rule, "INT-")
			}
			if !integrity {
				t.Fatalf("edited %s: no integrity finding in %+v", e.name, res.Findings)
			}
		})
	}
}

// tradingOwners are scenario A's named owners.
var tradingOwners = map[string]string{
	enforce.RoleBuild: "eng.erin", enforce.RoleOperate: "agent.trader", enforce.RoleApprove: "risk.ana",
	enforce.RoleValidate: "val.vera", enforce.RoleAudit: "aud.ola",
}

func trade(amount string) string {
	return `{"class":"trade","amount":"` + amount + `","currency":"GBP","instrument":"FTSE-FUT-DEC26"}`
}

// tradingDesk sets scenario A up: the trading agent's risk-limit control,
// a £500,000 daily aggregate limit as its parameter, five named owners,
// and a policy binding the agent's grant to the parameter.
func tradingDesk(t *testing.T) *org {
	o := newStaffOrg(t)
	o.ownControl("trading-risk", true, []string{"trade"}, []format.Parameter{amountParam("daily_limit", "500000.00", "GBP")}, tradingOwners)
	o.pass("eng.erin", string(policyWith(1, `[{"principal":"agent.trader","role":"maker","classes":["trade"],"max_amount":"","currency":"GBP","daily_limit":{"control":"trading-risk","parameter":"daily_limit"}}]`, "[]", "")), []string{"risk.ana"})
	return o
}

// TestScenarioABuilderCannotApproveOwnLimitRaise: the engineer who built
// the limit raises it tenfold and tries to approve it; the core refuses
// every way there is, the limit stays £500,000 and the day's exposure
// stops at it.
func TestScenarioABuilderCannotApproveOwnLimitRaise(t *testing.T) {
	o := tradingDesk(t)
	o.pass("agent.trader", trade("200000.00"))
	o.pass("agent.trader", trade("250000.00"))
	// Raising the daily limit is a change of the control: its builder
	// proposes, its approver must sign.
	raise := controlDef("trading-risk", true, []string{"trade"}, amountParam("daily_limit", "5000000.00", "GBP"))
	d := o.ok(o.propose("raise", "eng.erin", []byte(raise), nil, ""))
	if len(d.Requests) != 1 || d.Requests[0].Gate != enforce.GateControls {
		t.Fatalf("the raise parks at %+v, want the approvers of trading-risk", d.Requests)
	}
	o.refused(enforce.CodeSelfApproval)(o.signoff("eng.erin", d.Requests[0], "", "launch volume"))
	o.refused(enforce.CodeQuorumNotMet)(o.execute("eng.erin", "raise"))
	// Nor can the builder make himself (or a team he is in) approver.
	o.refused(enforce.CodeConflictingRole)(o.proposeText("eng.erin", holderDef("trading-risk", enforce.RoleApprove, "eng.erin", "assign")))
	o.pass("ops.dana", teamDef("launch", "eng.omar", "eng.omar", "eng.erin"), gov)
	o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("trading-risk", enforce.RoleApprove, "team:launch", "assign")))
	// Nor raise it through the policy: that changes the same control.
	pol2 := string(policyWith(2, `[{"principal":"agent.trader","role":"maker","classes":["trade"],"max_amount":"5000000.00","currency":"GBP"}]`, "[]", ""))
	d2 := o.ok(o.propose("pol-2", "eng.erin", []byte(pol2), nil, ""))
	if len(d2.Requests) != 1 || d2.Requests[0].Gate != enforce.GateControls {
		t.Fatalf("the policy raise parks at %+v, want the approvers of trading-risk", d2.Requests)
	}
	o.refused(enforce.CodeSelfApproval)(o.signoff("eng.erin", d2.Requests[0], "", "launch"))
	// Someone other than the builder proposing is refused too.
	o.refused(enforce.CodeRoleNotAssigned)(o.proposeText("ops.dana", raise))
	// The limit holds: £450,000 done today, £60,000 more is over it.
	if p := o.core.Register()[0].Parameters[0]; p.Value != "500000.00" {
		t.Fatalf("daily limit is %s", p.Value)
	}
	o.ok(o.proposeText("agent.trader", trade("60000.00")))
	o.refused(enforce.CodeOverLimit)(o.execute("agent.trader", fmt.Sprintf("trade-%d", o.runs)))
	o.pass("agent.trader", trade("50000.00"))
	o.refused(enforce.CodeOverLimit)(o.proposeText("agent.trader", trade("500000.01")))
	o.verifyExport()
}

// TestDailyAggregateByLocalDay: the aggregate is per local day of the
// genesis time zone (Europe/London, here in summer time), and starts
// again at local midnight, not at UTC's.
func TestDailyAggregateByLocalDay(t *testing.T) {
	o := tradingDesk(t)
	o.setClock(time.Date(2027, 6, 1, 22, 0, 0, 0, time.UTC)) // 23:00 in London
	o.pass("agent.trader", trade("400000.00"))
	o.ok(o.proposeText("agent.trader", trade("200000.00")))
	o.refused(enforce.CodeOverLimit)(o.execute("agent.trader", fmt.Sprintf("trade-%d", o.runs)))
	o.setClock(time.Date(2027, 6, 1, 23, 0, 5, 0, time.UTC)) // 00:00:05 on 2 June in London; 1 June in UTC
	o.pass("agent.trader", trade("450000.00"))
	o.ok(o.proposeText("agent.trader", trade("60000.00")))
	o.refused(enforce.CodeOverLimit)(o.execute("agent.trader", fmt.Sprintf("trade-%d", o.runs)))
	o.verifyExport()
}

// gridOwners are scenario C's: the safety-engineering team validates.
var gridOwners = map[string]string{
	enforce.RoleBuild: "eng.erin", enforce.RoleOperate: "agent.grid", enforce.RoleApprove: "risk.ana",
	enforce.RoleValidate: "team:safety", enforce.RoleAudit: "aud.ola",
}

// TestScenarioCValidatorsCannotMoveTheirThreshold: the team that
// validates the load-balancing agent against a 95% thermal threshold
// cannot move it to 99%: not as builders, not by becoming builders, not by
// approving a policy change of the control; the threshold changes only by
// its builder and approver, and the validators' result is recorded.
func TestScenarioCValidatorsCannotMoveTheirThreshold(t *testing.T) {
	o := newStaffOrg(t)
	// A policy defines who approves unowned policy changes; the
	// validators sit in that pool.
	o.pass("ops.dana", string(policyWith(1, `[]`, `[{"class":"change.policy","gate":"policy-board","stages":[{"stage":1,"n":1,"pool":["risk.ben","val.vera"],"meaning":"approval","human":true}]}]`, "")), gov)
	o.pass("ops.dana", teamDef("safety", "val.vera", "val.vera", "val.vic"), gov)
	threshold := func(v string) format.Parameter {
		return format.Parameter{Name: "thermal_threshold", Type: "decimal", Value: v}
	}
	o.ownControl("thermal-limit", true, []string{"grid.balance"}, []format.Parameter{threshold("0.95")}, gridOwners)
	// The validators propose the move: they do not build the control.
	move := controlDef("thermal-limit", true, []string{"grid.balance"}, threshold("0.99"))
	o.refused(enforce.CodeRoleNotAssigned)(o.proposeText("val.vera", move))
	o.refused(enforce.CodeRoleNotAssigned)(o.proposeText("val.vic", move))
	// Nor can one of them become a builder of it.
	o.refused(enforce.CodeConflictingRole)(o.proposeText("ops.dana", holderDef("thermal-limit", enforce.RoleBuild, "val.vic", "assign")))
	// A policy version that changes the control's grants and an unowned
	// class: the validator in the policy board's pool is refused.
	pol2 := string(policyWith(2, `[{"principal":"agent.grid","role":"maker","classes":["grid.balance"],"max_amount":"","currency":""},{"principal":"agent.payments","role":"maker","classes":["refund"],"max_amount":"","currency":""}]`,
		`[{"class":"change.policy","gate":"policy-board","stages":[{"stage":1,"n":1,"pool":["risk.ben","val.vera"],"meaning":"approval","human":true}]}]`, ""))
	d := o.ok(o.propose("pol-2", "eng.erin", []byte(pol2), nil, ""))
	if len(d.Requests) != 2 {
		t.Fatalf("the policy parks at %d stages; want the control's approvers and the policy board", len(d.Requests))
	}
	o.refused(enforce.CodeConflictingRole)(o.signoff("val.vera", d.Requests[1], "", "within tolerances"))
	o.ok(o.signoff("risk.ana", d.Requests[0], "", "approved"))
	o.ok(o.signoff("risk.ben", d.Requests[1], "", "approved"))
	o.ok(o.execute("eng.erin", "pol-2"))
	// The validators record their result; the builder cannot.
	o.ok(o.validate("val.vic", "thermal-limit", "fail"))
	o.refused(enforce.CodeRoleNotAssigned)(o.validate("eng.erin", "thermal-limit", "pass"))
	// The threshold moves only by its builder, signed by its approver.
	o.pass("eng.erin", move, []string{"risk.ana"})
	if p := o.core.Register()[0].Parameters[0]; p.Value != "0.99" {
		t.Fatalf("threshold %s after the approved change", p.Value)
	}
	b := o.verifyExport()
	if n := countType(t, b, format.TypeValidation); n != 1 {
		t.Fatalf("%d validation records, want 1", n)
	}
}

// TestPolicyChangeNeedsEachControlsApprover: a policy version changing two
// controls parks for the approver of each; one control's approver alone
// does not execute it.
func TestPolicyChangeNeedsEachControlsApprover(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("a-ctl", true, []string{"a.op"}, nil, fiveOwners)
	other := map[string]string{enforce.RoleBuild: "eng.erin", enforce.RoleOperate: "agent.payments", enforce.RoleApprove: "risk.ben", enforce.RoleValidate: "val.vera", enforce.RoleAudit: "aud.ola"}
	o.ownControl("b-ctl", true, []string{"b.op"}, nil, other)
	pol := string(policyWith(1, `[{"principal":"agent.payments","role":"maker","classes":["a.op","b.op"],"max_amount":"","currency":""}]`, "[]", ""))
	d := o.ok(o.propose("pol-1", "eng.erin", []byte(pol), nil, ""))
	if len(d.Requests) != 2 {
		t.Fatalf("want a stage per control, got %d", len(d.Requests))
	}
	o.ok(o.signoff("risk.ana", d.Requests[0], "", "a approved"))
	o.refused(enforce.CodeRoleNotAssigned)(o.signoff("risk.ana", d.Requests[1], "", "b approved too"))
	o.refused(enforce.CodeQuorumNotMet)(o.execute("eng.erin", "pol-1"))
	o.ok(o.signoff("risk.ben", d.Requests[1], "", "b approved"))
	o.ok(o.execute("eng.erin", "pol-1"))
	// A control's approver who was unassigned after the proposal no longer
	// signs for it.
	pol2 := string(policyWith(2, `[{"principal":"agent.payments","role":"maker","classes":["a.op"],"max_amount":"","currency":""}]`, "[]", ""))
	d2 := o.ok(o.propose("pol-2", "eng.erin", []byte(pol2), nil, ""))
	o.assign("b-ctl", enforce.RoleApprove, "risk.chen")
	o.pass("ops.dana", holderDef("b-ctl", enforce.RoleApprove, "risk.ben", "unassign"), gov)
	o.refused(enforce.CodeRoleNotAssigned)(o.signoff("risk.ben", d2.Requests[0], "", "approved"))
	o.refused(enforce.CodeNotInPool)(o.signoff("risk.chen", d2.Requests[0], "", "approved"))
	o.verifyExport()
}

// TestRoleChangeNotApprovedByAssignee: the principal a role change assigns,
// or a member of the team it assigns, does not sign it.
func TestRoleChangeNotApprovedByAssignee(t *testing.T) {
	o := newStaffOrg(t)
	o.ownControl("c", true, []string{"c.op"}, nil, nil)
	d := o.ok(o.propose("r1", "ops.dana", []byte(holderDef("c", enforce.RoleAudit, "reg.alex", "assign")), nil, ""))
	o.refused(enforce.CodeBeneficiary)(o.signoff("reg.alex", d.Requests[0], "", "I accept"))
	o.pass("ops.dana", teamDef("regs", "reg.bea", "reg.bea", "risk.chen"), gov)
	d = o.ok(o.propose("r2", "ops.dana", []byte(holderDef("c", enforce.RoleAudit, "team:regs", "assign")), nil, ""))
	o.refused(enforce.CodeBeneficiary)(o.signoff("reg.bea", d.Requests[0], "", "we accept"))
	o.verifyExport()
}
