package verifier

import "github.com/countersign/countersign/format"

// RuleMakerChecker: the maker, requester or beneficiary never signs off.
const RuleMakerChecker = "SOD-MAKER-CHECKER"

var ruleMakerChecker = Rule{
	ID:         RuleMakerChecker,
	Statement:  "no sign-off counted for a run comes from the person that prepared or requested it, nor from its beneficiary; the beneficiary is the one the policy derives from the action",
	References: []string{"21 CFR 211.22", "Wolfsberg four-eyes", "seed 000", "SPEC.md §8.3"},
	check: func(j *judgement) {
		if a, r := accepted(j); a != nil && a.typ == format.TypeProposal && !r.BeneficiaryOK && j.on("SOD-MAKER-CHECKER.3") {
			j.emitf(RuleMakerChecker, []int64{a.seq, j.rec.Seq}, "run %s declares beneficiary %q, but the member the policy names for class %s says %q", r.ID, r.declared, clip(r.Class), r.Beneficiary)
		}
		a, r := acceptedSignoff(j)
		if a == nil {
			return
		}
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		signer := j.st.PersonOf(a.actor)
		if signer == j.st.PersonOf(r.Proposer) && j.on("SOD-MAKER-CHECKER.1") {
			j.emitf(RuleMakerChecker, recs, "%s prepared run %s (or is the same person as its maker) and its own sign-off was counted", a.actor, r.ID)
		}
		if r.Beneficiary != "" && signer == j.st.PersonOf(r.Beneficiary) && j.on("SOD-MAKER-CHECKER.2") {
			j.emitf(RuleMakerChecker, recs, "%s benefits from run %s (or is the same person as its beneficiary) and its sign-off was counted", a.actor, r.ID)
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
