package demo

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
	"github.com/countersign/countersign/internal/display"
)

// The second act: control ownership (AG-259). A material control, the
// payment risk limit, is put in the register with its five roles held by
// five different people; its builder tries to raise the limit and approve
// the raise, is refused and alerted on; the control's approver signs the
// raise; an operator is refused an audit finding; the approver role moves
// from one risk officer to another, and the register is printed as of
// before and after.

// limitControl is the control of the second act.
const limitControl = "payments-limit"

// owners are the people the second act enrols to own the control.
var owners = []format.Principal{
	{ID: "eng.erin", Kind: format.KindHuman, Name: "Erin Walsh", Team: "engineering"},
	{ID: "val.vera", Kind: format.KindHuman, Name: "Vera Lindqvist", Team: "validation"},
	{ID: "aud.ola", Kind: format.KindHuman, Name: "Ola Nordmann", Team: "internal-audit"},
}

// pager is the alert hook the demo's runtime provides (enforce.Alerter):
// it appends each alert to alerts.log, the demo's stand-in for a pager or
// a security event queue, and keeps what it delivered so that the demo can
// print it.
type pager struct {
	file string
	now  func() time.Time // the demo's clock
	mu   sync.Mutex
	sent []delivered
}

type delivered struct {
	alert enforce.Alert
	line  int
	at    time.Time
}

func (p *pager) deliver(_ context.Context, a enforce.Alert) (string, string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.sent {
		if d.alert.Seq == a.Seq { // handed over again: already on the pager
			return "pager", fmt.Sprintf("alerts.log line %d", d.line), nil
		}
	}
	line, err := json.Marshal(map[string]any{"alert": a.Seq, "attempt": a.Attempt, "code": a.Code, "principal": a.Principal,
		"control": a.Control, "role": a.Role, "text": a.Text, "time": a.Time})
	if err != nil {
		return "", "", err
	}
	f, err := os.OpenFile(p.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", "", err
	}
	_, err = f.Write(append(line, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", err
	}
	p.sent = append(p.sent, delivered{alert: a, line: len(p.sent) + 1, at: p.now()})
	return "pager", fmt.Sprintf("alerts.log line %d", len(p.sent)), nil
}

// deliveredFor returns the pager's delivery of the alert on the refused
// act ref.
func (p *pager) deliveredFor(ref *enforce.Refusal) (delivered, bool) {
	act := ref.Attempt
	if act == 0 {
		act = ref.Outcome // a refusal recorded as a note alerts on the note
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, d := range p.sent {
		if d.alert.Attempt == act {
			return d, true
		}
	}
	return delivered{}, false
}

// alerted runs try, requires a refusal with code and the alert on it to
// be delivered, and prints both.
func (r *runner) alerted(ctx context.Context, code string, try func() (*enforce.Decision, error)) error {
	ref, err := r.refusal(code, try)
	if err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.core.AwaitAlerts(wait); err != nil {
		return fmt.Errorf("the alert on the %s refusal was not delivered: %w", code, err)
	}
	d, ok := r.pager.deliveredFor(ref)
	if !ok {
		return fmt.Errorf("the %s refusal was recorded but no alert on it reached the pager", code)
	}
	delay := "a moment"
	if t, err := format.ParseTime(d.alert.Time); err == nil {
		delay = fmt.Sprintf("%d ms", max(d.at.Sub(t).Milliseconds(), 0))
	}
	who := display.Escape(d.alert.Text)
	if d.alert.Principal != "" {
		who = fmt.Sprintf("%s acting in %s on %s", display.Escape(d.alert.Principal), display.Escape(d.alert.Role), display.Escape(orDash(d.alert.Control)))
	}
	r.say("    ALERT    %s: %s", d.alert.Code, who)
	r.say("             alert record %d, delivered by the demo's pager hook to alerts.log line %d, %s after the attempt", d.alert.Seq, d.line, delay)
	r.outcome.Alerts = append(r.outcome.Alerts, d.alert.Code)
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the demo's own actions always marshal
	}
	return b
}

// propose has id propose run with action, signed with their key (read
// from their key file for a human, as their own tool would).
func (r *runner) propose(id, run string, action []byte, reason string) (*enforce.Decision, error) {
	a, err := format.ParseAction(action)
	if err != nil {
		return nil, err
	}
	k, err := r.keyOf(id)
	if err != nil {
		return nil, err
	}
	return r.core.Propose(run, action, map[string]string{}, "", r.signWith(id, k, &format.Statement{Purpose: format.PurposePropose,
		Run: run, Class: a.Class, Action: format.ActionDigest(action).String(), Reason: reason}))
}

func (r *runner) keyOf(id string) (ed25519.PrivateKey, error) {
	if k := r.ppl[id].key; k != nil {
		return k, nil
	}
	return r.privateKey(id)
}

func (r *runner) execute(id, run string) (*enforce.Decision, error) {
	k, err := r.keyOf(id)
	if err != nil {
		return nil, err
	}
	return r.core.Execute(r.signWith(id, k, r.executeStatement(run)))
}

// govern puts a register change in force through the governance gate:
// Dana Kowalski proposes it, both registrars sign it, each in a
// `countersign sign` process of their own, and she executes it.
func (r *runner) govern(run string, action []byte, what, reason string) error {
	d, err := r.propose("ops.dana", run, action, reason)
	if err != nil {
		return fmt.Errorf("%s: %w", run, err)
	}
	for _, reg := range []string{"reg.alex", "reg.bea"} {
		if _, err := r.signOff(reg, d.Requests[0], "register change checked against the approved allocation: "+what); err != nil {
			return fmt.Errorf("%s: %s's sign-off: %w", run, reg, err)
		}
	}
	ex, err := r.execute("ops.dana", run)
	if err != nil {
		return fmt.Errorf("%s: %w", run, err)
	}
	r.say("    %-8s %s  [execution record %d]", run, what, ex.Execution)
	return nil
}

func (r *runner) roleChange(run, role, principal, team, op, why string) error {
	holder := principal
	if team != "" {
		holder = "team " + team
	}
	act := mustJSON(format.RoleAction{Class: format.ClassRole, Control: limitControl, Role: role, Principal: principal, Team: team, Op: op, Justification: why})
	return r.govern(run, act, fmt.Sprintf("%s %s: %s", op, role, holder), why)
}

func limitDef(value string) []byte {
	return mustJSON(format.ControlAction{Class: format.ClassControl, Control: limitControl, Name: "Payment risk limit", Material: true,
		Classes: []string{"payment"}, Parameters: []format.Parameter{{Name: "per_payment", Type: "amount", Value: value, Currency: "EUR"}}})
}

func (r *runner) secondAct(ctx context.Context) error {
	r.say("\nSecond act: control ownership. Five roles on one control, each held by someone else.")
	r.stepf("The control's owners make their key files and are enrolled as everyone else was.")
	for _, p := range owners {
		file := filepath.Join(r.cfg.Dir, "keys", p.ID+".key")
		pub, err := r.keygen(p, file)
		if err != nil {
			return fmt.Errorf("keygen for %s: %w", p.ID, err)
		}
		r.ppl[p.ID] = &person{p: p, file: file, pub: pub}
		if err := r.enrol(p); err != nil {
			return fmt.Errorf("enrol %s: %w", p.ID, err)
		}
		r.say("    enrolled %-16s (%s, team %s)", p.ID, p.Kind, p.Team)
	}

	r.stepf("The register. %s proposes each change; both registrars sign each one in their own `countersign sign` process.", r.name("ops.dana"))
	r.say("    The payment risk limit (%s) is a material control governing payments, with its limit EUR 10000.00", limitControl)
	r.say("    per payment as a parameter; the payments operations team runs it.")
	if err := r.govern("reg-1", limitDef("10000.00"), "define control "+limitControl+": per_payment EUR 10000.00", "payment risk limit enters the control register"); err != nil {
		return err
	}
	team := mustJSON(format.TeamAction{Class: format.ClassTeam, Team: "payments-ops", Name: "Payments operations", Accountable: "ops.dana", Members: []string{"ops.dana", "agent.payments"}})
	if err := r.govern("reg-2", team, "define team payments-ops: ops.dana (accountable), agent.payments", "payments operations runs the payments agent"); err != nil {
		return err
	}
	for i, a := range []struct{ role, principal, team, why string }{
		{enforce.RoleBuild, "eng.erin", "", "Erin Walsh built the limit check"},
		{enforce.RoleOperate, "", "payments-ops", "payments operations runs the agent under the limit"},
		{enforce.RoleApprove, "risk.chen", "", "Chen Wei approves changes of the limit for risk"},
		{enforce.RoleValidate, "val.vera", "", "Vera Lindqvist tests the limit independently"},
		{enforce.RoleAudit, "aud.ola", "", "Ola Nordmann audits the control for internal audit"},
	} {
		if err := r.roleChange(fmt.Sprintf("reg-%d", i+3), a.role, a.principal, a.team, "assign", a.why); err != nil {
			return err
		}
	}

	r.stepf("%s, the control's builder, proposes raising the limit to EUR 25000.00 per payment (run limit-raise).", r.name("eng.erin"))
	raise := limitDef("25000.00")
	d, err := r.propose("eng.erin", "limit-raise", raise, "quarter-end supplier runs exceed the limit")
	if err != nil {
		return fmt.Errorf("the limit raise: %w", err)
	}
	if len(d.Requests) != 1 || d.Requests[0].Gate != enforce.GateControls {
		return fmt.Errorf("the limit raise parks at %d stages, not at the control's approver", len(d.Requests))
	}
	approval := d.Requests[0]
	r.say("    parked at gate %s: stage 1 approval by the holders of approve on %s (%s)", approval.Gate, limitControl, r.name("risk.chen"))

	r.stepf("%s tries to sign the approval of the raise.", r.name("eng.erin"))
	if err := r.expectRefusal(enforce.CodeSelfApproval, func() (*enforce.Decision, error) {
		return r.signOff("eng.erin", approval, "raise needed for quarter end")
	}); err != nil {
		return err
	}
	r.stepf("%s proposes that eng.erin be made an approver of the control too.", r.name("eng.erin"))
	self := mustJSON(format.RoleAction{Class: format.ClassRole, Control: limitControl, Role: enforce.RoleApprove, Principal: "eng.erin", Op: "assign", Justification: "cover for the approver at quarter end"})
	if err := r.alerted(ctx, enforce.CodeConflictingRole, func() (*enforce.Decision, error) {
		return r.propose("eng.erin", "reg-self", self, "cover for the approver at quarter end")
	}); err != nil {
		return err
	}

	r.stepf("%s, the control's approver, signs the raise in a `countersign sign` process; %s executes it.", r.name("risk.chen"), r.name("eng.erin"))
	if _, err := r.humanSign("risk.chen", approval, "quarter-end volumes reviewed; EUR 25000.00 within the risk appetite"); err != nil {
		return err
	}
	ex, err := r.execute("eng.erin", "limit-raise")
	if err != nil {
		return fmt.Errorf("the limit raise: %w", err)
	}
	for _, c := range r.core.Register() {
		if c.ID == limitControl && (len(c.Parameters) != 1 || c.Parameters[0].Value != "25000.00") {
			return fmt.Errorf("after the raise the register holds %+v", c.Parameters)
		}
	}
	r.say("    ACCEPTED  the limit is EUR 25000.00 per payment  [execution record %d]", ex.Execution)

	r.stepf("%s, who operates the control through payments-ops, tries to record an audit finding on it.", r.name("ops.dana"))
	dana, err := r.privateKey("ops.dana")
	if err != nil {
		return err
	}
	finding := func(id string, k ed25519.PrivateKey, text, severity string) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return r.core.AuditFinding(r.signWith(id, k, &format.Statement{Purpose: format.PurposeAuditFinding, Control: limitControl, Finding: text, Severity: severity}))
		}
	}
	if err := r.alerted(ctx, enforce.CodeRoleNotAssigned, finding("ops.dana", dana, "limit raise reviewed: a known monitoring item", "info")); err != nil {
		return err
	}
	ola, err := r.privateKey("aud.ola")
	if err != nil {
		return err
	}
	fd, err := finding("aud.ola", ola, "limit raised to EUR 25000.00 by its builder with the approver's sign-off; self-approval and self-assignment refused and alerted", "info")()
	if err != nil {
		return fmt.Errorf("the auditor's finding: %w", err)
	}
	r.say("    ACCEPTED  %s, the control's auditor, records the finding  [audit_finding record %d]", r.name("aud.ola"), fd.Outcome)

	if err := r.exceptionOneLevelUp(ctx); err != nil {
		return err
	}

	r.stepf("A mover: %s leaves the approver role to %s; the register is printed as of before and after, below.", r.name("risk.chen"), r.name("risk.ana"))
	r.before = format.FormatTime(r.now())
	if err := r.roleChange("reg-8", enforce.RoleApprove, "risk.ana", "", "assign", "Ana Ribeiro takes over limit approvals"); err != nil {
		return err
	}
	if err := r.roleChange("reg-9", enforce.RoleApprove, "risk.chen", "", "unassign", "Chen Wei moves to treasury"); err != nil {
		return err
	}
	r.after = format.FormatTime(r.now())
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := r.core.AwaitAlerts(wait); err != nil {
		return fmt.Errorf("alerts not delivered before the export: %w", err)
	}
	return nil
}

// exceptionOneLevelUp records reporting lines, lets them settle, and
// grants Erin Walsh, the control's builder, an exception to hold validate
// too while its validator is away: approved one level up, by her manager,
// in a `countersign sign` process; used; closed before it ends; and, once
// it has expired, the combination is refused again.
func (r *runner) exceptionOneLevelUp(ctx context.Context) error {
	r.stepf("Reporting lines, register changes through the governance gate: %s reports to %s, who reports to %s.", r.name("eng.erin"), r.name("risk.chen"), r.name("risk.ben"))
	for i, l := range [][2]string{{"eng.erin", "risk.chen"}, {"risk.chen", "risk.ben"}} {
		line := mustJSON(format.ReportingLineAction{Class: format.ClassReportingLine, Principal: l[0], Manager: l[1]})
		if err := r.govern(fmt.Sprintf("line-%d", i+1), line, l[0]+" reports to "+l[1], "the organisation chart of the payments function"); err != nil {
			return err
		}
	}
	r.skip(31 * 24 * time.Hour)
	// An exception starts no earlier than the local date of its execution:
	// keep clear of local midnight between proposal and execution.
	if now := r.now(); calendar.On(now.Add(15*time.Minute), london) != calendar.On(now, london) {
		r.skip(20 * time.Minute)
	}
	today := calendar.On(r.now(), london)
	expires := today.AddDays(1)
	r.stepf("31 days later (the demo's clock moves on). %s, the validator, is away for two days; %s asks for an exception to", r.name("val.vera"), r.name("eng.erin"))
	r.say("    hold validate as well as build on %s from %s to %s, with a risk assessment (run exc-1).", limitControl, today, expires)
	exc := mustJSON(format.ExceptionAction{Class: format.ClassException, Exception: "exc-erin-validate", Holder: "eng.erin", Beneficiary: "eng.erin",
		Control: limitControl, Roles: []string{enforce.RoleBuild, enforce.RoleValidate},
		RiskAssessment: "the limit check must be re-validated after the raise while its validator is away; Vera Lindqvist re-runs every validation on her return",
		Starts:         today.String(), Expires: expires.String()})
	d, err := r.propose("ops.dana", "exc-1", exc, "validator away for two days")
	if err != nil {
		return fmt.Errorf("the exception: %w", err)
	}
	if len(d.Requests) != 1 || d.Requests[0].Gate != enforce.GateException {
		return fmt.Errorf("the exception parks at %d stages, not at the exception gate", len(d.Requests))
	}
	req := d.Requests[0]
	r.say("    parked at gate %s: one approval by someone above %s in the reporting lines (%s, %s)", req.Gate, "eng.erin", r.name("risk.chen"), r.name("risk.ben"))
	r.stepf("%s tries to approve her own exception.", r.name("eng.erin"))
	if err := r.expectRefusal(enforce.CodeSelfApproval, func() (*enforce.Decision, error) {
		return r.signOff("eng.erin", req, "I need it")
	}); err != nil {
		return err
	}
	r.stepf("%s, her manager, one level up, signs the exception in a `countersign sign` process; %s executes it.", r.name("risk.chen"), r.name("ops.dana"))
	if _, err := r.humanSign("risk.chen", req, "risk accepted for two days; every validation re-run on Vera's return"); err != nil {
		return err
	}
	ex, err := r.execute("ops.dana", "exc-1")
	if err != nil {
		return fmt.Errorf("the exception: %w", err)
	}
	r.say("    ACCEPTED  exception exc-erin-validate in force from %s to the end of %s, London time  [execution record %d]", today, expires, ex.Execution)
	r.stepf("With the exception in force, %s is made validator too, and validates the raised limit.", r.name("eng.erin"))
	if err := r.roleChange("reg-exc-1", enforce.RoleValidate, "eng.erin", "", "assign", "validator cover under exception exc-erin-validate"); err != nil {
		return err
	}
	erin, err := r.privateKey("eng.erin")
	if err != nil {
		return err
	}
	v, err := r.core.Validate(r.signWith("eng.erin", erin, &format.Statement{Purpose: format.PurposeValidate, Control: limitControl,
		Subject: "limit check at EUR 25000.00 per payment", Result: "pass", Notes: "boundary payments of 25000.00 and 25000.01 tested"}))
	if err != nil {
		return fmt.Errorf("the validation under the exception: %w", err)
	}
	r.say("    ACCEPTED  validation recorded  [validation record %d]", v.Outcome)
	r.skip(24 * time.Hour)
	r.stepf("The next day, the exception's last, the cover ends: the validate assignment is withdrawn before the exception expires.")
	if err := r.roleChange("reg-exc-2", enforce.RoleValidate, "eng.erin", "", "unassign", "validator back; exception exc-erin-validate ends today"); err != nil {
		return err
	}
	r.skip(expires.End(london).Sub(r.now()) + time.Minute)
	r.stepf("After the exception has expired (midnight, London time), %s proposes being made validator again.", r.name("eng.erin"))
	again := mustJSON(format.RoleAction{Class: format.ClassRole, Control: limitControl, Role: enforce.RoleValidate, Principal: "eng.erin", Op: "assign", Justification: "more validation cover"})
	return r.alerted(ctx, enforce.CodeConflictingRole, func() (*enforce.Decision, error) {
		return r.propose("eng.erin", "reg-exc-3", again, "more validation cover")
	})
}

// printRegister has the inspector's countersign print the register as of
// before and after the second act's role change.
func (r *runner) printRegister(bundle, trust string) error {
	if r.before == "" {
		return errors.New("the second act did not run")
	}
	r.stepf("The register of %s, read from the bundle by the inspector's `countersign register --at`.", limitControl)
	for _, at := range []struct{ what, t string }{{"before the role change", r.before}, {"after it", r.after}} {
		out, err := r.countersign("register", "--at", at.t, "--trust", "@"+trust, bundle)
		if err != nil {
			return err
		}
		r.say("    as of %s (%s):", at.t, at.what)
		for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
			r.say("      %s", l)
		}
	}
	return nil
}
