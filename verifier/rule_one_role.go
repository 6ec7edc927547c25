package verifier

import "github.com/countersign/countersign/format"

// RuleOneRole: one identity, one role per run.
const RuleOneRole = "SOD-ONE-ROLE"

var ruleOneRole = Rule{
	ID:         RuleOneRole,
	Statement:  "an identity acts in one role per run: the maker proposes and executes; a checker signs off once, in one stage",
	References: []string{"seed 000 (one role at a time)"},
	check: func(j *judgement) {
		a, r := accepted(j)
		if a == nil {
			return
		}
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		switch a.act {
		case format.ActSignoff:
			if role := r.Roles[a.actor]; role == "maker" {
				j.emitf(RuleOneRole, recs, "%s is the maker of run %s and also acted as checker", a.actor, r.ID)
			}
			for _, s := range r.Signoffs {
				if s.Principal == a.actor {
					j.emitf(RuleOneRole, append(recs[:1:1], s.Attempt, a.seq, j.rec.Seq), "%s signed off run %s twice (stages %d and %d)", a.actor, r.ID, s.Stage, a.stmt.Stage)
					break
				}
			}
		case format.ActExecute:
			if role := r.Roles[a.actor]; role == "checker" {
				j.emitf(RuleOneRole, recs, "%s signed off run %s and also executed it", a.actor, r.ID)
			}
		}
	},
}
