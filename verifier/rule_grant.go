package verifier

import "github.com/countersign/countersign/format"

// RuleGrant: every action is covered by a grant of the policy in force.
const RuleGrant = "SOD-GRANT"

var ruleGrant = Rule{
	ID:         RuleGrant,
	Statement:  "every proposal, counted sign-off and execution is covered by a grant of the policy version in force, within its limits",
	References: []string{"seed 000 (versioned grants, role limits)"},
	check: func(j *judgement) {
		a, r := accepted(j)
		if a == nil {
			return
		}
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		role := ""
		switch {
		case a.typ == format.TypeProposal:
			role = format.GrantMaker
			recs = recs[1:]
		case a.act == format.ActSignoff:
			role = format.GrantChecker
		case a.act == format.ActExecute:
			role = format.GrantMaker
		default:
			return
		}
		if code := j.st.grantFor(a.actor, role, r.Class, r.Amount, r.Currency); code != "" {
			j.emitf(RuleGrant, recs, "%s acted as %s in run %s without a %s grant covering %s %s %s (%s)", a.actor, role, r.ID, role, r.Class, r.Amount, r.Currency, code)
		}
	},
}
