package enforce

import (
	"fmt"
	"slices"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// CodeInvalidControl refuses a change.control, change.team or change.role
// that cannot be put in force in the register: a control definition
// breaking SPEC.md §6.11 (a class another control governs, a change
// class, a parameter of the wrong grammar), a team whose accountable is not
// a human member, a role change naming what the register lacks or
// unassigning what is not held.
const CodeInvalidControl = "invalid-control"

// judgeRoles returns the refusal of a proposal by the roles its act
// derives (SPEC.md §6.11), or "": a register change judged against the
// register; a policy change needs its proposer to hold build on every
// control it affects, each with an approver; an action of a class a
// control governs is operating it.
func (c *Core) judgeRoles(a *format.Action, proposer string) (string, string) {
	switch {
	case a.Class == format.ClassControl || a.Class == format.ClassTeam || a.Class == format.ClassRole:
		if code, why := c.judgeRegisterChange(a, proposer); code != "" {
			return code, why
		}
		if a.Class == format.ClassControl {
			if ch, err := format.DecodeChange(a, format.Strict); err == nil {
				return c.judgeInConflict(proposer, ch.(*format.ControlAction).Control)
			}
		}
	case a.Class == format.ClassAuditFinding:
		return c.judgeAuditChange(a, proposer)
	case a.Class == format.ClassHoliday:
		return c.judgeHoliday(a)
	case isExceptionClass(a.Class):
		return c.judgeExceptionChange(a.Class, a.Raw)
	case a.Class == format.ClassPolicy:
		ch, err := format.DecodeChange(a, format.Strict)
		if err != nil || !c.on(CodeRoleNotAssigned) {
			return "", ""
		}
		ctls, _ := c.st.affected(ch.(*format.PolicyAction))
		for _, ctl := range ctls {
			if len(c.st.approvers(ctl)) == 0 {
				return CodeRoleNotAssigned, fmt.Sprintf("the policy changes control %s, which has no approver: assign one first", ctl)
			}
			if !c.st.holds(c.st.reg, proposer, ctl, RoleBuild) {
				return CodeRoleNotAssigned, fmt.Sprintf("the policy changes control %s; %s does not hold build on it", ctl, proposer)
			}
			if code, why := c.judgeInConflict(proposer, ctl); code != "" {
				return code, why
			}
		}
	case !format.IsChangeClass(a.Class):
		return c.judgeOperate(a.Class, proposer)
	}
	return "", ""
}

// judgeOperate returns the refusal of an act operating the control that
// governs class, if one does, or "": the actor must hold operate on it,
// and a material control is operated only once all five roles are held.
func (c *Core) judgeOperate(class, actor string) (string, string) {
	s := c.st
	ctl := s.reg.governs[class]
	if ctl == "" || !c.on(CodeRoleNotAssigned) {
		return "", ""
	}
	if s.reg.controls[ctl].material {
		if miss := s.missingRoles(ctl); len(miss) > 0 {
			return CodeRoleNotAssigned, fmt.Sprintf("control %s, which governs %s, is material and no one holds %s: it is not operated until all five roles are held", ctl, class, strings.Join(miss, ", "))
		}
	}
	if !s.holds(s.reg, actor, ctl, RoleOperate) {
		return CodeRoleNotAssigned, fmt.Sprintf("%s does not hold operate on control %s, which governs %s", actor, ctl, class)
	}
	return c.judgeInConflict(actor, ctl)
}

// changeGate returns the gate a change of existing controls needs instead
// of the one its class's policy gives: a change.control of an existing
// control, signed by its approver; a change.policy affecting controls,
// signed by each one's approver. nil when the usual gate applies; why,
// when a control to sign has no approver.
func (c *Core) changeGate(a *format.Action) (*format.GateDef, int64, string) {
	var ctls []string
	unowned := false
	switch a.Class {
	case format.ClassAuditFinding:
		// A finding is changed with its control's approver, whatever the
		// policy gates (SPEC.md §6.11, Audit independence).
		if ctl := c.st.auditControl(a); ctl != "" {
			ctls = []string{ctl}
		}
	case format.ClassControl:
		ch, err := format.DecodeChange(a, format.Strict)
		if err != nil {
			return nil, 0, ""
		}
		if id := ch.(*format.ControlAction).Control; c.st.reg.controls[id] != nil {
			ctls = []string{id}
		}
	case format.ClassPolicy:
		ch, err := format.DecodeChange(a, format.Strict)
		if err != nil {
			return nil, 0, ""
		}
		ctls, unowned = c.st.affected(ch.(*format.PolicyAction))
	}
	if len(ctls) == 0 {
		return nil, 0, ""
	}
	g, pv, why := c.st.controlsGate(a.Class, ctls, unowned)
	if why != "" && !c.on(CodeRoleNotAssigned) {
		return nil, 0, ""
	}
	return g, pv, why
}

// judgeSignoffRoles returns the refusal of a sign-off by the roles it
// derives, or "" (that a signer on a stage of a control's approvers holds
// approve on it now is judged with the pool): no builder or validator of a
// control the run changes approves it; and no one approves a role change
// that assigns them (or a team they are in).
func (c *Core) judgeSignoffRoles(r *run, signer string) (string, string) {
	s := c.st
	for _, ctl := range r.controls {
		if code, why := c.judgeInConflict(signer, ctl); code != "" {
			return code, why
		}
	}
	switch r.class {
	case format.ClassException:
		return c.judgeExceptionSignoff(r, signer)
	case format.ClassReportingLine:
		if rl := reportingLineAction(r.action); rl != nil && c.on(CodeBeneficiary) &&
			(s.samePerson(rl.Principal, signer) || rl.Manager != "" && s.samePerson(rl.Manager, signer)) {
			return CodeBeneficiary, fmt.Sprintf("run %s sets %s's manager, and %s is the principal or the manager it names: someone else approves it", r.id, rl.Principal, signer)
		}
	}
	if c.on(CodeConflictingRole) {
		for _, ctl := range r.controls {
			if r.class == format.ClassAuditFinding && s.holds(s.reg, signer, ctl, RoleOperate) {
				return CodeConflictingRole, fmt.Sprintf("%s holds operate on control %s: whoever runs a control does not approve a change of a finding on it", signer, ctl)
			}
			for _, role := range []string{RoleBuild, RoleValidate} {
				if s.holds(s.reg, signer, ctl, role) {
					return CodeConflictingRole, fmt.Sprintf("%s holds %s on control %s, which run %s changes: its approval comes from someone else", signer, role, ctl, r.id)
				}
			}
		}
	}
	if r.class == format.ClassRole && c.on(CodeBeneficiary) {
		if ra := roleAction(r.action); ra != nil && s.assignedBy(ra, signer) {
			return CodeBeneficiary, fmt.Sprintf("run %s changes who holds %s on control %s, and %s is the holder it names (or a member of that team): someone else approves it", r.id, ra.Role, ra.Control, signer)
		}
	}
	return "", ""
}

func roleAction(action []byte) *format.RoleAction {
	a, err := format.ParseAction(action)
	if err != nil {
		return nil
	}
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return nil
	}
	ra, _ := ch.(*format.RoleAction)
	return ra
}

// assignedBy reports whether id, as a person, is the holder a role change
// names, or a member of the team it names.
func (s *state) assignedBy(ra *format.RoleAction, id string) bool {
	if ra.Principal != "" && s.samePerson(ra.Principal, id) {
		return true
	}
	if t := s.reg.teams[ra.Team]; ra.Team != "" && t != nil {
		for _, m := range t.members {
			if s.samePerson(m, id) {
				return true
			}
		}
	}
	return false
}

// judgeExecuteRoles returns the refusal of an execute attempt by the
// register as it stands at the attempt, or "": a register change is judged
// again (the register may have moved since its proposal), and operating a
// governed class needs operate, and the five roles of a material control.
func (c *Core) judgeExecuteRoles(r *run) (string, string) {
	switch {
	case r.class == format.ClassControl || r.class == format.ClassTeam || r.class == format.ClassRole:
		a, err := format.ParseAction(r.action)
		if err != nil {
			return "", ""
		}
		if r.class == format.ClassControl && c.on(CodeInvalidControl) {
			// A control created after this run was proposed as a new one
			// is not replaced without its approver.
			if ch, err := format.DecodeChange(a, format.Strict); err == nil {
				id := ch.(*format.ControlAction).Control
				if c.st.reg.controls[id] != nil && (r.gate == nil || r.gate.Gate != GateControls) {
					return CodeInvalidControl, fmt.Sprintf("control %s was defined after run %s proposed it as a new control; a change of an existing control is signed by its approver: propose it again", id, r.id)
				}
			}
		}
		return c.judgeRegisterChange(a, r.proposer)
	case r.class == format.ClassAuditFinding:
		// The finding may have been withdrawn, or the proposer's roles
		// changed, since the proposal.
		a, err := format.ParseAction(r.action)
		if err != nil {
			return "", ""
		}
		return c.judgeAuditChange(a, r.proposer)
	case isExceptionClass(r.class):
		return c.judgeExceptionChange(r.class, r.action)
	case !format.IsChangeClass(r.class):
		return c.judgeOperate(r.class, r.proposer)
	}
	return "", ""
}

// samePolicyControls returns why a change.policy run cannot execute
// because the controls it affects, by the register as it stands, are not
// the ones its gate was built for, or "".
func (c *Core) samePolicyControls(a *format.Action, r *run) string {
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return ""
	}
	ctls, unowned := c.st.affected(ch.(*format.PolicyAction))
	gated := r.gate != nil && r.gate.Gate == GateControls
	switch {
	case len(ctls) == 0 && !gated:
		return ""
	case len(ctls) > 0 && gated && slices.Equal(ctls, r.controls) && unowned == (len(r.gate.Stages) > len(ctls)):
		return ""
	}
	return fmt.Sprintf("the controls policy run %s changes are now %v (and a class no control governs: %v), not those its gate was built for at the proposal: propose it again", r.id, ctls, unowned)
}

// Validate records a validator's signed result of testing a control (a
// validation record, SPEC.md §6.9) when the signer holds validate on the
// control; otherwise it records a note with code role-not-assigned naming
// principal, control and role, and returns a *Refusal. The accepted
// Decision's Outcome is the validation record's sequence number.
func (c *Core) Validate(stmt format.Signed) (*Decision, error) {
	return c.controlFact(stmt, format.PurposeValidate, RoleValidate)
}

// AuditFinding records an auditor's signed finding on a control (an
// audit_finding record) when the signer holds audit on the control;
// otherwise, as Validate, a role-not-assigned note and a *Refusal.
func (c *Core) AuditFinding(stmt format.Signed) (*Decision, error) {
	return c.controlFact(stmt, format.PurposeAuditFinding, RoleAudit)
}

func (c *Core) controlFact(stmt format.Signed, purpose, role string) (*Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.begin()()
	st, p, err := c.attribute(stmt, purpose)
	if err != nil {
		return asDecision(err)
	}
	var e entry
	switch purpose {
	case format.PurposeValidate:
		if st.Result != "pass" && st.Result != "fail" {
			return nil, fmt.Errorf("a validation result is pass or fail, not %q", st.Result)
		}
		if names.Blank(st.Subject) {
			return nil, fmt.Errorf("a validation names what was tested: its subject is blank")
		}
		e = entry{typ: format.TypeValidation, actor: p.ID, body: &format.Validation{Control: st.Control, Subject: st.Subject, Result: st.Result, Notes: st.Notes}, sigs: []format.Signed{stmt}}
	default:
		if names.Blank(st.Finding) {
			return nil, fmt.Errorf("an audit finding needs its text: the finding is blank")
		}
		e = entry{typ: format.TypeAuditFinding, actor: p.ID, body: &format.AuditFinding{Control: st.Control, Finding: st.Finding, Severity: st.Severity}, sigs: []format.Signed{stmt}}
	}
	who := alertWho{principal: p.ID, control: st.Control, role: role}
	if c.on(CodeRoleNotAssigned) && !c.st.holds(c.st.reg, p.ID, st.Control, role) {
		return c.refuseNoteAbout(CodeRoleNotAssigned, fmt.Sprintf("%s does not hold %s on control %s: the %s is not recorded", p.ID, role, st.Control, e.typ), who)
	}
	if role == RoleAudit && c.on(CodeRoleNotAssigned) && c.st.holds(c.st.reg, p.ID, st.Control, RoleOperate) {
		return c.refuseNoteAbout(CodeRoleNotAssigned, fmt.Sprintf("%s holds operate on control %s: whoever runs a control does not audit it, and the %s is not recorded", p.ID, st.Control, e.typ), who)
	}
	if code, why := c.judgeInConflict(p.ID, st.Control); code != "" {
		return c.refuseNoteAbout(code, why+": the "+e.typ+" is not recorded", who)
	}
	seqs, err := c.write(e)
	if err != nil {
		return nil, err
	}
	return &Decision{Accepted: true, Code: "ok", Detail: e.typ + " recorded", Outcome: seqs[0]}, nil
}

// isExceptionClass reports whether class is one of the reporting-line and
// exception change classes (orgchart.go, exceptions.go).
func isExceptionClass(class string) bool {
	switch class {
	case format.ClassReportingLine, format.ClassException, format.ClassSmallOrg, format.ClassSmallOrgReview:
		return true
	}
	return false
}
