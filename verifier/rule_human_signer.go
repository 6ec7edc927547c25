package verifier

import "github.com/countersign/countersign/format"

// RuleHumanSigner: human-only stages are signed by humans.
const RuleHumanSigner = "SOD-HUMAN-SIGNER"

var ruleHumanSigner = Rule{
	ID:         RuleHumanSigner,
	Statement:  "stages that require a human are satisfied only by principals enrolled as human",
	References: []string{"seed 002 (a second model is not a second pair of eyes)", "BSA SAR filing", "EU GMP Annex 16"},
	check: func(j *judgement) {
		a, r := acceptedSignoff(j)
		if a == nil || r.Gate == nil || !j.on("SOD-HUMAN-SIGNER.1") {
			return
		}
		for _, stage := range r.Gate.Stages {
			if stage.Stage != a.stmt.stage || !stage.Human {
				continue
			}
			if p := j.st.Principals[a.actor]; p == nil || p.Kind != format.KindHuman {
				j.emitf(RuleHumanSigner, []int64{r.GateSeq, a.seq, j.rec.Seq}, "%s, an agent, signed human-only stage %d of run %s and was counted", a.actor, stage.Stage, r.ID)
			}
		}
	},
}
