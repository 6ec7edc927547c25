package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// RulePolicyChange: a change of a control is approved by that control's
// approver, never by its builder or validator; a change no control owns
// passes the governance gate; a control's definition is valid.
const RulePolicyChange = "SOD-POLICY-CHANGE"

var rulePolicyChange = Rule{
	ID:         RulePolicyChange,
	Statement:  "a policy or control change is judged control by control: each control it changes is approved by a holder of approve on it, never by its builder or validator; a change of a class no control governs passes the governance stage; a control's definition is valid and governs no class another control governs",
	References: []string{"seed 003 (AG-259 4.1, 4.3; scenarios A and C)", "SPEC.md §6.11"},
	check: func(j *judgement) {
		s := j.st
		if a, r := acceptedSignoff(j); a != nil && len(r.Affected) > 0 {
			if !j.on("SOD-POLICY-CHANGE.2") {
				return
			}
			for _, c := range r.Affected {
				for _, role := range []string{RoleBuild, RoleValidate} {
					if s.holds(a.actor, c.Control, role) {
						j.emitf(RulePolicyChange, []int64{r.ProposalSeq, a.seq, j.rec.Seq}, "%s, who holds %s on control %s, signed off run %s, which changes it", a.actor, role, c.Control, r.ID)
						break
					}
				}
			}
			return
		}
		r := j.run
		if _, ok := j.body.(*format.Execution); !ok || r == nil {
			return
		}
		recs := []int64{r.ProposalSeq, j.rec.Seq}
		if j.on("SOD-POLICY-CHANGE.1") {
			for _, c := range r.Affected {
				ok := false
				for _, so := range r.Signoffs {
					ok = ok || so.Bound && slices.ContainsFunc(c.Approvers, func(p string) bool { return s.PersonOf(p) == s.PersonOf(so.Principal) })
				}
				if !ok {
					j.emitf(RulePolicyChange, recs, "run %s changes control %s without a counted sign-off by a holder of approve on it at the proposal", r.ID, c.Control)
				}
			}
		}
		if r.Unowned && len(r.Affected) > 0 && r.Required != nil && j.on("SOD-POLICY-CHANGE.3") && !governanceMet(s, r) {
			j.emitf(RulePolicyChange, recs, "run %s changes a class no control governs without the governance stage's sign-offs", r.ID)
		}
		if r.Class == format.ClassControl && r.Action != nil && j.on("SOD-POLICY-CHANGE.4") {
			if ch, err := format.DecodeChange(r.Action, modeOf(s.Lax)); err == nil {
				c := ch.(*format.ControlAction)
				if p := s.controlProblem(c); p != "" {
					j.emitf(RulePolicyChange, recs, "run %s cannot define control %s: %s; the change does not take effect", r.ID, clip(c.Control), p)
				}
			}
		}
	},
}

// governanceMet reports whether every stage of the run's required gate
// that is not a control's stage (the governance stages, SPEC.md §6.11)
// has its n counted sign-offs by distinct persons of its pool, with its
// meaning, by humans where it says so.
func governanceMet(s *State, r *RunState) bool {
	for _, st := range r.Required.Stages {
		if st.PoolRole != nil {
			continue
		}
		persons := map[string]bool{}
		for _, so := range r.Signoffs {
			if !so.Bound || so.Stage != st.Stage || so.Meaning != st.Meaning || !so.Reasoned || !slices.Contains(st.Pool, so.Principal) {
				continue
			}
			if st.Human && !s.isHuman(so.Principal) {
				continue
			}
			if who := s.PersonOf(so.Principal); who != s.PersonOf(r.Proposer) {
				persons[who] = true
			}
		}
		if int64(len(persons)) < st.N {
			return false
		}
	}
	return true
}
