package verifier

import "github.com/countersign/countersign/format"

// RuleAccessAlignment: the grants of a policy never exceed the register.
const RuleAccessAlignment = "SOD-ACCESS-ALIGNMENT"

var ruleAccessAlignment = Rule{
	ID:         RuleAccessAlignment,
	Statement:  "a policy's grants never exceed the register: a maker grant on a class a control governs goes to a holder of operate on it, a checker grant on a change class to a holder of approve on the policy's control; a policy that breaks this does not take effect",
	References: []string{"seed 003 (AG-259 4.3, test 8.4)", "SPEC.md §6.11"},
	check: func(j *judgement) {
		r := j.run
		if _, ok := j.body.(*format.Execution); !ok || r == nil || r.Class != format.ClassPolicy || r.Action == nil {
			return
		}
		ch, err := format.DecodeChange(r.Action, modeOf(j.st.Lax))
		if err != nil {
			return
		}
		for _, p := range alignmentProblems(j, ch.(*format.PolicyAction)) {
			j.emitf(RuleAccessAlignment, []int64{r.ProposalSeq, j.rec.Seq}, "policy executed by run %s: %s; the policy does not take effect", r.ID, p)
		}
	},
}

// alignmentProblems lists the grants of p that exceed the register at the
// record judged (SOD-ACCESS-ALIGNMENT.1 and .2).
func alignmentProblems(j *judgement, p *format.PolicyAction) []string {
	s := j.st
	var out []string
	for _, g := range p.Grants {
		switch g.Role {
		case format.GrantMaker:
			if !j.on("SOD-ACCESS-ALIGNMENT.1") {
				continue
			}
			for _, k := range g.Classes {
				if c := s.Reg.governs[k]; c != "" && !s.holds(g.Principal, c, RoleOperate) {
					out = append(out, "it grants "+clip(g.Principal)+" maker of class "+clip(k)+", which control "+c+" governs, but "+clip(g.Principal)+" does not hold operate on it")
				}
			}
		case format.GrantChecker:
			if !j.on("SOD-ACCESS-ALIGNMENT.2") || p.Control == "" {
				continue
			}
			for _, k := range g.Classes {
				if format.IsChangeClass(k) && !s.holds(g.Principal, p.Control, RoleApprove) {
					out = append(out, "it grants "+clip(g.Principal)+" checker of change class "+clip(k)+", but "+clip(g.Principal)+" does not hold approve on the policy's control "+clip(p.Control))
				}
			}
		}
	}
	return out
}

// policyRefused reports whether an executed policy does not take effect:
// its grants exceed the register, or its limits name no amount parameter
// (SPEC.md §6.11).
func policyRefused(j *judgement, p *format.PolicyAction) bool {
	return len(alignmentProblems(j, p)) > 0 || len(limitProblems(j, p)) > 0
}
