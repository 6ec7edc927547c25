package verifier

import "github.com/countersign/countersign/format"

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

// accepted returns the attempt (or proposal) and run when j is an outcome
// that accepts it in an open run.
func accepted(j *judgement) (*pending, *RunState) {
	o, ok := j.body.(*format.Outcome)
	if !ok || o.Result != format.ResultAccepted || j.att == nil || j.run == nil {
		return nil, nil
	}
	return j.att, j.run
}

// acceptedSignoff is accepted, for sign-offs only.
func acceptedSignoff(j *judgement) (*pending, *RunState) {
	a, r := accepted(j)
	if a == nil || a.act != format.ActSignoff || a.stmt == nil {
		return nil, nil
	}
	return a, r
}
