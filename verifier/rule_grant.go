package verifier

import "countersign/format"

// RuleGrant: every action is covered by a grant of the policy in force.
const RuleGrant = "SOD-GRANT"

var ruleGrant = Rule{
	ID:         RuleGrant,
	Statement:  "every proposal, counted sign-off and execution is covered by a grant of the policy version in force, within its limits",
	References: []string{"seed 000 (versioned grants, role limits)"},
	check: func(j *judgement) {
		if p, ok := j.body.(*format.Proposal); ok {
			a, _ := format.ParseAction([]byte(p.Action))
			amount, currency := "", ""
			if a != nil {
				amount, _ = a.Text("amount")
				currency, _ = a.Text("currency")
			}
			if code := j.st.grantFor(j.rec.Actor, format.GrantMaker, p.Class, amount, currency); code != "" {
				j.emitf(RuleGrant, nil, "%s proposed run %s (%s %s %s) without a maker grant covering it (%s)", j.rec.Actor, p.Run, p.Class, amount, currency, code)
			}
			return
		}
		o, ok := j.body.(*format.Outcome)
		if !ok || o.Result != format.ResultAccepted || j.att == nil || j.run == nil {
			return
		}
		a, r := j.att, j.run
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		role := ""
		switch a.act {
		case format.ActSignoff:
			role = format.GrantChecker
		case format.ActExecute:
			role = format.GrantMaker
		default:
			return
		}
		if code := j.st.grantFor(a.actor, role, r.Class, r.Amount, r.Currency); code != "" {
			j.emitf(RuleGrant, recs, "%s acted as %s in run %s without a %s grant covering %s %s %s (%s)", a.actor, role, r.ID, role, r.Class, r.Amount, r.Currency, code)
		}
	},
}
