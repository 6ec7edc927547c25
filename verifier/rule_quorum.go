package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// RuleQuorum: every stage of an executed gate has its quorum.
const RuleQuorum = "SOD-QUORUM"

var ruleQuorum = Rule{
	ID:         RuleQuorum,
	Statement:  "every executed gated action has, in each stage, at least n distinct valid sign-offs with that stage's meaning from the policy's pool, all before the execution record",
	References: []string{"seed 000 (n-of-m gates)", "seed 002"},
	check: func(j *judgement) {
		if _, ok := j.body.(*format.Execution); !ok || j.run == nil || j.run.Gate == nil {
			return
		}
		r := j.run
		for _, stage := range r.Gate.Stages {
			valid := map[string]bool{}
			var recs []int64
			for _, s := range r.Signoffs {
				if s.Stage != stage.Stage {
					continue
				}
				recs = append(recs, s.Attempt)
				p := j.st.Principals[s.Principal]
				ok := s.Meaning == stage.Meaning && slices.Contains(stage.Pool, s.Principal) &&
					s.Principal != r.Proposer && (r.Beneficiary == "" || s.Principal != r.Beneficiary) &&
					(!stage.Human || p != nil && p.Kind == format.KindHuman) && nonBlank(s.Reason) && s.Bound
				if ok {
					valid[s.Principal] = true
				}
			}
			if int64(len(valid)) < stage.N {
				all := append([]int64{r.GateSeq}, recs...)
				all = append(all, j.rec.Seq)
				j.emitf(RuleQuorum, all, "run %s executed with %d of %d valid sign-offs in stage %d (%s) of gate %s", r.ID, len(valid), stage.N, stage.Stage, stage.Meaning, r.Gate.Gate)
			}
		}
	},
}
