package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// RuleQuorum: every stage of an executed gate has its quorum.
const RuleQuorum = "SOD-QUORUM"

var ruleQuorum = Rule{
	ID:         RuleQuorum,
	Statement:  "every executed gated action has, in each stage, at least n distinct persons with valid sign-offs with that stage's meaning from the policy's pool, all before the execution record",
	References: []string{"seed 000 (n-of-m gates)", "seed 002", "SPEC.md §8.3"},
	check: func(j *judgement) {
		if _, ok := j.body.(*format.Execution); !ok || j.run == nil || j.run.Gate == nil || !j.on("SOD-QUORUM.1") {
			return
		}
		r := j.run
		maker := j.st.PersonOf(r.Proposer)
		bene := ""
		if r.Beneficiary != "" {
			bene = j.st.PersonOf(r.Beneficiary)
		}
		for _, stage := range r.Gate.Stages {
			valid := map[string]bool{}
			var recs []int64
			for _, s := range r.Signoffs {
				// A sign-off accepted before the gate record counts
				// towards no stage and is not cited (SPEC.md §8.3).
				if s.Stage != stage.Stage || s.Outcome < r.GateSeq {
					continue
				}
				recs = append(recs, s.Attempt)
				p := j.st.Principals[s.Principal]
				who := j.st.PersonOf(s.Principal)
				ok := (s.Meaning == stage.Meaning || !j.on("SOD-QUORUM.2")) &&
					(slices.Contains(stage.Pool, s.Principal) || !j.on("SOD-QUORUM.3")) &&
					(who != maker && who != bene || !j.on("SOD-QUORUM.4")) &&
					(!stage.Human || p != nil && p.Kind == format.KindHuman || !j.on("SOD-QUORUM.5")) &&
					(s.Reasoned || !j.on("SOD-QUORUM.6")) &&
					(s.Bound || !j.on("SOD-QUORUM.7"))
				if !ok {
					continue
				}
				if j.on("SOD-QUORUM.8") {
					valid[who] = true
				} else {
					valid[s.Principal] = true
				}
			}
			if int64(len(valid)) < stage.N {
				slices.Sort(recs)
				all := append([]int64{r.GateSeq}, recs...)
				all = append(all, j.rec.Seq)
				j.emitf(RuleQuorum, all, "run %s executed with %d of %d distinct persons' valid sign-offs in stage %d (%s) of gate %s", r.ID, len(valid), stage.N, stage.Stage, stage.Meaning, r.Gate.Gate)
			}
		}
	},
}
