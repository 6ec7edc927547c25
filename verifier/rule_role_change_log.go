package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// RuleRoleChangeLog: every change of the register is justified, approved
// by someone other than the requester and the person it assigns, and
// valid against the register.
const RuleRoleChangeLog = "SOD-ROLE-CHANGE-LOG"

var ruleRoleChangeLog = Rule{
	ID:         RuleRoleChangeLog,
	Statement:  "every role assignment change carries a justification and is approved, with the approver's own signature, by a person other than the requester and other than the person it assigns; a change the register cannot take is a finding and does not take effect",
	References: []string{"seed 003 (AG-259 4.9, test 8.5)", "SPEC.md §6.11"},
	check: func(j *judgement) {
		s := j.st
		if a, r := acceptedSignoff(j); a != nil && r.Class == format.ClassRole && r.Action != nil && j.on("SOD-ROLE-CHANGE-LOG.2") {
			if ch, err := format.DecodeChange(r.Action, modeOf(s.Lax)); err == nil {
				c := ch.(*format.RoleAction)
				if assigned(s, c, a.actor) {
					j.emitf(RuleRoleChangeLog, []int64{r.ProposalSeq, a.seq, j.rec.Seq}, "%s signed off run %s, which changes their own role %s on control %s", a.actor, r.ID, clip(c.Role), clip(c.Control))
				}
			}
			return
		}
		r := j.run
		if _, ok := j.body.(*format.Execution); !ok || r == nil || r.Action == nil || r.Class != format.ClassRole && r.Class != format.ClassTeam {
			return
		}
		recs := []int64{r.ProposalSeq, j.rec.Seq}
		ch, err := format.DecodeChange(r.Action, modeOf(s.Lax))
		if err != nil {
			return
		}
		if j.on("SOD-ROLE-CHANGE-LOG.3") {
			other := false
			for _, so := range r.Signoffs {
				other = other || so.Bound && s.PersonOf(so.Principal) != s.PersonOf(r.Proposer)
			}
			if !other {
				j.emitf(RuleRoleChangeLog, recs, "run %s changed the register with no counted sign-off by a person other than its requester %s", r.ID, r.Proposer)
			}
		}
		switch c := ch.(type) {
		case *format.RoleAction:
			if !nonBlank(c.Justification) && j.on("SOD-ROLE-CHANGE-LOG.1") {
				j.emitf(RuleRoleChangeLog, recs, "run %s changes role %s on control %s without a justification", r.ID, clip(c.Role), clip(c.Control))
			}
			if p := s.roleProblem(c); p != "" && j.on("SOD-ROLE-CHANGE-LOG.4") {
				j.emitf(RuleRoleChangeLog, recs, "run %s cannot change the register: %s; the change does not take effect", r.ID, p)
			}
		case *format.TeamAction:
			if p := s.teamProblem(c); p != "" && j.on("SOD-ROLE-CHANGE-LOG.4") {
				j.emitf(RuleRoleChangeLog, recs, "run %s cannot define team %s: %s; the change does not take effect", r.ID, clip(c.Team), p)
			}
		}
	},
}

// assigned reports whether principal's person is the one c assigns or
// unassigns: the principal named, or a member of the team named.
func assigned(s *State, c *format.RoleAction, principal string) bool {
	who := s.PersonOf(principal)
	if c.Principal != "" {
		return s.PersonOf(c.Principal) == who
	}
	if t := s.Reg.Teams[c.Team]; t != nil {
		return slices.ContainsFunc(t.Members, func(m string) bool { return s.PersonOf(m) == who })
	}
	return false
}
