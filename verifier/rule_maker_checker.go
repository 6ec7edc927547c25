package verifier

import "countersign/format"

// RuleMakerChecker: the maker, requester or beneficiary never signs off.
const RuleMakerChecker = "SOD-MAKER-CHECKER"

var ruleMakerChecker = Rule{
	ID:         RuleMakerChecker,
	Statement:  "no sign-off counted for a run comes from the identity that prepared or requested it, nor from its beneficiary",
	References: []string{"21 CFR 211.22", "Wolfsberg four-eyes", "seed 000"},
	check: func(j *judgement) {
		a, r := acceptedSignoff(j)
		if a == nil {
			return
		}
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		if a.actor == r.Proposer {
			j.emitf(RuleMakerChecker, recs, "%s prepared run %s and its own sign-off was counted", a.actor, r.ID)
		}
		if r.Beneficiary != "" && a.actor == r.Beneficiary {
			j.emitf(RuleMakerChecker, recs, "%s benefits from run %s and its sign-off was counted", a.actor, r.ID)
		}
	},
}

// acceptedSignoff returns the attempt and run when j is an outcome that
// accepts a sign-off in a known run.
func acceptedSignoff(j *judgement) (*pending, *RunState) {
	o, ok := j.body.(*format.Outcome)
	if !ok || o.Result != format.ResultAccepted || j.att == nil || j.att.act != format.ActSignoff || j.run == nil || j.att.stmt == nil {
		return nil, nil
	}
	return j.att, j.run
}
