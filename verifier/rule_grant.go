package verifier

import "github.com/countersign/countersign/format"

// RuleGrant: every action is covered by a grant of the policy in force.
const RuleGrant = "SOD-GRANT"

var ruleGrant = Rule{
	ID:         RuleGrant,
	Statement:  "every proposal, counted sign-off and execution is covered by a grant of the policy version in force, within its limits; an action a limit cannot judge is covered by none",
	References: []string{"seed 000 (versioned grants, role limits)", "SPEC.md §6.8"},
	check: func(j *judgement) {
		if e, ok := j.body.(*format.Execution); ok && j.run != nil && j.run.Class == format.ClassPolicy && j.run.Action != nil {
			if ch, err := format.DecodeChange(j.run.Action, modeOf(j.st.Lax)); err == nil && j.on("SOD-GRANT.5") {
				for _, g := range ch.(*format.PolicyAction).Grants {
					if g.Currency != "" && !format.ValidCurrency(g.Currency) || g.MaxAmount != "" && !format.ValidAmount(g.MaxAmount) {
						j.emitf(RuleGrant, []int64{j.run.ProposalSeq, j.rec.Seq}, "policy executed by run %s grants %s a limit it cannot judge: max_amount %q, currency %q", clip(e.Run), clip(g.Principal), clip(g.MaxAmount), clip(g.Currency))
					}
				}
			}
		}
		a, r := accepted(j)
		if a == nil {
			return
		}
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		role, cond := "", ""
		switch {
		case a.typ == format.TypeProposal:
			role, cond = format.GrantMaker, "SOD-GRANT.1"
			recs = recs[1:]
			if r.Limited && !r.AmountOK && j.on("SOD-GRANT.4") {
				j.emitf(RuleGrant, recs, "run %s is of class %s, which the policy limits by amount, but its action has no top-level amount a limit can judge (a non-negative decimal string), or names an amount or total elsewhere", r.ID, clip(r.Class))
			}
		case a.act == format.ActSignoff:
			role, cond = format.GrantChecker, "SOD-GRANT.2"
		case a.act == format.ActExecute:
			role, cond = format.GrantMaker, "SOD-GRANT.3"
		default:
			return
		}
		if !j.on(cond) {
			return
		}
		if code := j.st.grantFor(a.actor, role, r); code != "" {
			j.emitf(RuleGrant, recs, "%s acted as %s in run %s without a %s grant covering %s %s %s (%s)", a.actor, role, r.ID, role, clip(r.Class), r.Amount, r.Currency, code)
		}
	},
}
