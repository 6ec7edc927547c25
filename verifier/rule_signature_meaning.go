package verifier

import (
	"strings"

	"github.com/countersign/countersign/format"
)

// RuleSignatureMeaning: a sign-off states name, time, meaning and reason,
// bound to what was proposed.
const RuleSignatureMeaning = "SOD-SIGNATURE-MEANING"

var ruleSignatureMeaning = Rule{
	ID:         RuleSignatureMeaning,
	Statement:  "each sign-off carries printed name, time, meaning and a non-empty reason in a statement bound to the bundle, run, proposal, stage and action digest; the digest is recomputed from the proposed action",
	References: []string{"21 CFR 11.50", "21 CFR 11.70"},
	check: func(j *judgement) {
		if p, ok := j.body.(*format.Proposal); ok {
			checkProposal(j, p)
			return
		}
		a, r := acceptedSignoff(j)
		if a == nil {
			return
		}
		st := a.stmt
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		switch {
		case st.Proposal != r.ProposalHash.String():
			j.emitf(RuleSignatureMeaning, recs, "%s's sign-off names another proposal than run %s's", a.actor, r.ID)
		case st.Action != r.Digest:
			j.emitf(RuleSignatureMeaning, recs, "%s signed action digest %.16s, but run %s proposed %.16s: the sign-off is for a different action", a.actor, st.Action, r.ID, r.Digest)
		case r.Gate == nil || st.Gate != r.Gate.Gate:
			j.emitf(RuleSignatureMeaning, recs, "%s's sign-off names gate %q, which is not run %s's gate", a.actor, st.Gate, r.ID)
		}
		if !format.ValidMeaning(st.Meaning) {
			j.emitf(RuleSignatureMeaning, recs, "%s's sign-off has meaning %q, not one of authorship, review, approval, responsibility", a.actor, st.Meaning)
		} else if r.Gate != nil {
			found := false
			for _, stage := range r.Gate.Stages {
				if stage.Stage == st.Stage {
					found = true
					if stage.Meaning != st.Meaning {
						j.emitf(RuleSignatureMeaning, recs, "%s's %q sign-off was counted for stage %d, which requires %q", a.actor, st.Meaning, st.Stage, stage.Meaning)
					}
				}
			}
			if !found {
				j.emitf(RuleSignatureMeaning, recs, "%s signed stage %d, which gate %s does not have", a.actor, st.Stage, r.Gate.Gate)
			}
		}
		if !nonBlank(st.Reason) {
			j.emitf(RuleSignatureMeaning, recs, "%s's sign-off has no reason", a.actor)
		}
	},
}

func nonBlank(s string) bool { return strings.TrimSpace(s) != "" }

// checkProposal recomputes the action digest and checks what approvers are
// shown against what is digested.
func checkProposal(j *judgement, p *format.Proposal) {
	if got := format.ActionDigest([]byte(p.Action)).String(); got != p.Digest {
		j.emitf(RuleSignatureMeaning, nil, "run %s: the proposal's digest %.16s is not the digest of its action (%.16s)", p.Run, p.Digest, got)
	}
	a, err := format.ParseAction([]byte(p.Action))
	if err != nil {
		j.emitf(RuleSignatureMeaning, nil, "run %s: the proposed action does not parse: %v", p.Run, err)
		return
	}
	if a.Class != p.Class {
		j.emitf(RuleSignatureMeaning, nil, "run %s: the proposal says class %s, the action is %s", p.Run, p.Class, a.Class)
	}
	keys := make([]string, 0, len(p.Summary))
	for k := range p.Summary {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		if v, ok := a.Text(k); !ok || v != p.Summary[k] {
			j.emitf(RuleSignatureMeaning, nil, "run %s: the summary shown to approvers says %s = %q, but the digested action says %q", p.Run, k, p.Summary[k], v)
		}
	}
	if st := first(j.stmts); st != nil && !nonBlank(st.Reason) {
		j.emitf(RuleSignatureMeaning, nil, "run %s: the proposal has no reason", p.Run)
	}
}
