package verifier

import (
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// RuleSignatureMeaning: a sign-off states name, time, meaning and reason,
// bound to what was proposed.
const RuleSignatureMeaning = "SOD-SIGNATURE-MEANING"

var ruleSignatureMeaning = Rule{
	ID:         RuleSignatureMeaning,
	Statement:  "each sign-off carries printed name, time, meaning and a non-empty reason in a statement bound to the bundle, run, proposal, stage and action digest; the digest is recomputed from the proposed action; no statement claims a time after the record carrying it or before the proposal it is bound to, beyond the skew",
	References: []string{"21 CFR 11.50", "21 CFR 11.70", "SPEC.md §8.3, §10"},
	check: func(j *judgement) {
		switch b := j.body.(type) {
		case *format.Proposal:
			checkProposal(j, b)
			return
		case *format.Enrolment, *format.KeyRevocation, *format.LogKeyRotation, *format.AuditFinding, *format.Personnel, *format.Validation, *format.Genesis:
			// Statements of records that are not attempts: the record is
			// the decision, so their times are judged here.
			for _, st := range j.stmts {
				if st != nil {
					checkAhead(j, st.Time, j.rec.Time, st.Principal, nil)
				}
			}
			return
		}
		if o, ok := j.body.(*format.Outcome); ok && o.Result == format.ResultAccepted && j.att != nil && j.att.act == format.ActExercise && j.att.stmt != nil {
			checkAhead(j, j.att.stmt.time, j.att.time, j.att.actor, []int64{j.att.seq, j.rec.Seq})
		}
		a, r := accepted(j)
		if a == nil || a.stmt == nil {
			return
		}
		// An accepted proposal or attempt: judge its statement's time.
		if a.typ == format.TypeProposal {
			checkAhead(j, a.stmt.time, a.time, a.actor, []int64{a.seq, j.rec.Seq})
		} else {
			checkAhead(j, a.stmt.time, a.time, a.actor, []int64{r.ProposalSeq, a.seq, j.rec.Seq})
			if (a.act == format.ActSignoff || a.act == format.ActExecute) && j.on("SOD-SIGNATURE-MEANING.9") && before(a.stmt.time, r.ProposalTime) {
				j.emitf(RuleSignatureMeaning, []int64{r.ProposalSeq, a.seq, j.rec.Seq}, "%s's %s statement claims time %s, more than %d s before run %s was proposed (%s)", a.actor, a.act, a.stmt.time, MaxSkew, r.ID, r.ProposalTime)
			}
		}
		if a.act != format.ActSignoff {
			return
		}
		st := a.stmt
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		if j.on("SOD-SIGNATURE-MEANING.5") {
			switch {
			case !st.proposal:
				j.emitf(RuleSignatureMeaning, recs, "%s's sign-off names another proposal than run %s's", a.actor, r.ID)
			case !st.action:
				j.emitf(RuleSignatureMeaning, recs, "%s signed another action digest than run %s proposed (%.16s): the sign-off is for a different action", a.actor, r.ID, r.Digest)
			case r.Gate == nil || st.gateLong || st.gate != r.Gate.Gate:
				j.emitf(RuleSignatureMeaning, recs, "%s's sign-off names gate %q, which is not run %s's gate", a.actor, clip(st.gate), r.ID)
			}
		}
		if j.on("SOD-SIGNATURE-MEANING.6") {
			if st.meaning == "" {
				j.emitf(RuleSignatureMeaning, recs, "%s's sign-off has meaning %q, not one of authorship, review, approval, responsibility", a.actor, st.badMean)
			} else if r.Gate != nil {
				found := false
				for _, stage := range r.Gate.Stages {
					if stage.Stage == st.stage {
						found = true
						if stage.Meaning != st.meaning {
							j.emitf(RuleSignatureMeaning, recs, "%s's %q sign-off was counted for stage %d, which requires %q", a.actor, st.meaning, st.stage, stage.Meaning)
						}
					}
				}
				if !found {
					j.emitf(RuleSignatureMeaning, recs, "%s signed stage %d, which gate %s does not have", a.actor, st.stage, r.Gate.Gate)
				}
			}
		}
		if !st.reasoned && j.on("SOD-SIGNATURE-MEANING.7") {
			j.emitf(RuleSignatureMeaning, recs, "%s's sign-off has no reason", a.actor)
		}
	},
}

func nonBlank(s string) bool { return !names.Blank(s) }

// skewed returns t moved by d seconds; ok is false if t is not a time.
func skewed(t string, d int) (time.Time, bool) {
	x, err := format.ParseTime(t)
	if err != nil {
		return time.Time{}, false
	}
	return x.Add(time.Duration(d) * time.Second), true
}

// after reports whether statement time st is later than record time rec
// plus the skew.
func after(st, rec string) bool {
	s, ok1 := skewed(st, 0)
	r, ok2 := skewed(rec, MaxSkew)
	return ok1 && ok2 && s.After(r)
}

// before reports whether statement time st is earlier than proposal time
// p minus the skew.
func before(st, p string) bool {
	s, ok1 := skewed(st, 0)
	q, ok2 := skewed(p, -MaxSkew)
	return ok1 && ok2 && s.Before(q)
}

func checkAhead(j *judgement, st, rec, who string, recs []int64) {
	if j.on("SOD-SIGNATURE-MEANING.8") && after(st, rec) {
		j.emitf(RuleSignatureMeaning, recs, "%s's statement claims time %s, more than %d s after record %d that carries it (%s)", clip(who), st, MaxSkew, j.rec.Seq, rec)
	}
}

// checkProposal recomputes the action digest and checks what approvers are
// shown against what is digested.
func checkProposal(j *judgement, p *format.Proposal) {
	if got := format.ActionDigest([]byte(p.Action)).String(); got != p.Digest && j.on("SOD-SIGNATURE-MEANING.1") {
		j.emitf(RuleSignatureMeaning, nil, "run %s: the proposal's digest %.16s is not the digest of its action (%.16s)", clip(p.Run), p.Digest, got)
	}
	a, err := format.ParseAction([]byte(p.Action))
	if err != nil {
		if j.on("SOD-SIGNATURE-MEANING.2") {
			j.emitf(RuleSignatureMeaning, nil, "run %s: the proposed action does not parse: %v", clip(p.Run), err)
		}
		return
	}
	if a.Class != p.Class && j.on("SOD-SIGNATURE-MEANING.2") {
		j.emitf(RuleSignatureMeaning, nil, "run %s: the proposal says class %s, the action is %s", clip(p.Run), clip(p.Class), clip(a.Class))
	} else if format.IsChangeClass(a.Class) && a.Class != format.ClassPolicy && j.on("SOD-SIGNATURE-MEANING.2") {
		// A change.policy action is judged by SOD-GATE-POLICY.6.
		if _, err := format.DecodeChange(a, modeOf(j.st.Lax)); err != nil {
			j.emitf(RuleSignatureMeaning, nil, "run %s: the %s action does not have its class's members: %v", clip(p.Run), clip(a.Class), err)
		}
	}
	if j.on("SOD-SIGNATURE-MEANING.3") {
		keys := make([]string, 0, len(p.Summary))
		for k := range p.Summary {
			keys = append(keys, k)
		}
		sortStrings(keys)
		for _, k := range keys {
			if v, ok := a.Text(k); !ok || v != p.Summary[k] {
				j.emitf(RuleSignatureMeaning, nil, "run %s: the summary shown to approvers says %s = %q, but the digested action says %q", clip(p.Run), clip(k), clip(p.Summary[k]), clip(v))
			}
		}
	}
	if st := first(j.stmts); st != nil && !nonBlank(st.Reason) && j.on("SOD-SIGNATURE-MEANING.4") {
		j.emitf(RuleSignatureMeaning, nil, "run %s: the proposal has no reason", clip(p.Run))
	}
}
