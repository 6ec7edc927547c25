package verifier

import "github.com/countersign/countersign/format"

// RuleOneRole: one identity, one role per run.
const RuleOneRole = "SOD-ONE-ROLE"

var ruleOneRole = Rule{
	ID:         RuleOneRole,
	Statement:  "an identity acts in one role per run: the maker proposes and executes, and only the maker executes; a checker, a person, signs off once, in one stage",
	References: []string{"seed 000 (one role at a time)", "SPEC.md §8.3"},
	check: func(j *judgement) {
		a, r := accepted(j)
		if a == nil {
			return
		}
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		switch a.act {
		case format.ActSignoff:
			if role := r.Roles[a.actor]; role == "maker" && j.on("SOD-ONE-ROLE.1") {
				j.emitf(RuleOneRole, recs, "%s is the maker of run %s and also acted as checker", a.actor, r.ID)
			}
			if !j.on("SOD-ONE-ROLE.2") || a.stmt == nil {
				return
			}
			who := j.st.PersonOf(a.actor)
			for _, s := range r.Signoffs {
				if j.st.PersonOf(s.Principal) == who {
					j.emitf(RuleOneRole, append(recs[:1:1], s.Attempt, a.seq, j.rec.Seq), "%s and %s (one person) signed off run %s twice (stages %d and %d)", s.Principal, a.actor, r.ID, s.Stage, a.stmt.stage)
					break
				}
			}
		case format.ActExecute:
			if role := r.Roles[a.actor]; role == "checker" && j.on("SOD-ONE-ROLE.3") {
				j.emitf(RuleOneRole, recs, "%s signed off run %s and also executed it", a.actor, r.ID)
			}
			if a.actor != r.Proposer && j.on("SOD-ONE-ROLE.4") {
				j.emitf(RuleOneRole, recs, "%s executed run %s, whose maker is %s; only the maker executes", a.actor, r.ID, r.Proposer)
			}
		}
	},
}
