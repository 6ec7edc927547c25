package verifier

import (
	"github.com/countersign/countersign/format"
)

// RuleControlRoles: every act on a control is by a holder of the role the
// act derives, no unit holds two roles on one control, human roles are
// held by humans, and a material control has all five roles held.
const RuleControlRoles = "SOD-CONTROL-ROLES"

var ruleControlRoles = Rule{
	ID:         RuleControlRoles,
	Statement:  "every act on a control is by a holder of the role it derives (operate, build, approve, validate, audit); no person or team holds two roles on one control; build, approve, validate and audit are held by humans; a material control has all five roles held before it is operated, and is never incomplete for more than 5 business days",
	References: []string{"seed 003 (AG-259 4.1 to 4.3, test 8.1, 8.2)", "SPEC.md §6.11"},
	check: func(j *judgement) {
		s := j.st
		lateControls(j)
		switch b := j.body.(type) {
		case *format.Validation:
			actOn(j, b.Control, RoleValidate, nil)
			return
		case *format.AuditFinding:
			actOn(j, b.Control, RoleAudit, nil)
			return
		case *format.Execution:
			r := j.run
			if r == nil || r.Class != format.ClassRole || r.Action == nil || !j.on("SOD-CONTROL-ROLES.3") {
				return
			}
			ch, err := format.DecodeChange(r.Action, modeOf(s.Lax))
			if err != nil {
				return
			}
			c := ch.(*format.RoleAction)
			if c.Op == "assign" && c.Principal != "" && humanRole(c.Role) && !s.isHuman(c.Principal) && s.roleProblem(c) == "" {
				j.emitf(RuleControlRoles, []int64{r.ProposalSeq, j.rec.Seq}, "run %s assigns %s, not enrolled as human, the human role %s on control %s", r.ID, c.Principal, c.Role, clip(c.Control))
			}
			return
		}
		a, r := accepted(j)
		if a == nil {
			return
		}
		switch {
		case a.typ == format.TypeProposal:
			recs := []int64{r.ProposalSeq}
			if r.Control != "" {
				actOn(j, r.Control, RoleOperate, recs)
				operateComplete(j, r.Control, recs)
			}
			for _, c := range r.Affected {
				actOn(j, c.Control, RoleBuild, recs)
			}
		case a.act == format.ActExecute:
			recs := []int64{r.ProposalSeq, a.seq}
			if r.Control != "" {
				actOn(j, r.Control, RoleOperate, recs)
				operateComplete(j, r.Control, recs)
			}
		case a.act == format.ActSignoff && a.stmt != nil && len(r.Affected) > 0 && r.Required != nil:
			for _, st := range r.Required.Stages {
				if st.Stage == a.stmt.stage && st.PoolRole != nil {
					actOn(j, st.PoolRole.Control, st.PoolRole.Role, []int64{r.ProposalSeq, a.seq})
				}
			}
		}
	},
	end: func(s *State, off map[string]bool, emit func(Finding)) {
		if off["SOD-CONTROL-ROLES.5"] || s.endTime == "" {
			return
		}
		for _, id := range sortedKeys(s.Reg.Controls) {
			c := s.Reg.Controls[id]
			if c.incompleteAt >= 0 && !c.late && c.deadline != "" && s.endTime >= c.deadline {
				emit(Finding{Rule: RuleControlRoles, Records: []int64{c.incompleteAt}, msgf: "material control %s lacks a holder of some role since record %d, more than 5 business days before the bundle was sealed at %s", args: []any{id, c.incompleteAt, s.endTime}})
			}
		}
	},
}

// actOn judges one act deriving role on control (SOD-CONTROL-ROLES.1):
// the actor's person must hold it. recs nil cites the record judged.
func actOn(j *judgement, control, role string, recs []int64) {
	actor := j.rec.Actor
	if j.att != nil {
		actor = j.att.actor
	}
	if !j.on("SOD-CONTROL-ROLES.1") || j.st.holds(actor, control, role) {
		return
	}
	j.emitf(RuleControlRoles, recs, "%s acted as %s on control %s without holding that role at record %d", actor, role, clip(control), j.rec.Seq)
}

// operateComplete judges an operate act on a material control
// (SOD-CONTROL-ROLES.4): all five roles must be held.
func operateComplete(j *judgement, control string, recs []int64) {
	c := j.st.Reg.Controls[control]
	if c == nil || !c.Material || j.st.complete(control) || !j.on("SOD-CONTROL-ROLES.4") {
		return
	}
	var missing []string
	for _, role := range ControlRoles {
		if len(j.st.holdersOf(control, role)) == 0 {
			missing = append(missing, role)
		}
	}
	j.emitf(RuleControlRoles, recs, "material control %s is operated while no one holds %v on it", control, missing)
}

// lateControls reports, at the first record whose time is past its
// deadline, a material control incomplete for more than 5 business days
// (SOD-CONTROL-ROLES.5). It looks at the controls only when the record's
// time reaches the earliest deadline.
func lateControls(j *judgement) {
	g := j.st.Reg
	if g.earliest == "" || j.rec.Time < g.earliest || !j.on("SOD-CONTROL-ROLES.5") {
		return
	}
	g.earliest = ""
	for _, id := range sortedKeys(g.Controls) {
		c := g.Controls[id]
		if c.incompleteAt < 0 || c.late || c.deadline == "" {
			continue
		}
		if j.rec.Time >= c.deadline {
			c.late = true
			j.emitf(RuleControlRoles, []int64{c.incompleteAt, j.rec.Seq}, "material control %s has lacked a holder of some role since record %d (%s), more than 5 business days", id, c.incompleteAt, c.incompleteTime)
			continue
		}
		if g.earliest == "" || c.deadline < g.earliest {
			g.earliest = c.deadline
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}
