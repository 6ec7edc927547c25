package verifier

import (
	"sort"

	"github.com/countersign/countersign/format"
)

// RuleAttemptOutcome: every attempt has one outcome; refusals have no
// effect.
const RuleAttemptOutcome = "SOD-ATTEMPT-OUTCOME"

var ruleAttemptOutcome = Rule{
	ID:         RuleAttemptOutcome,
	Statement:  "every proposal and attempt is a record signed by its principal, followed by exactly one outcome (accepted, or refused with a reason code); a refused attempt never has effects; a run ID is proposed once",
	References: []string{"seed 000 (the recorded refusal)", "seed 002", "SPEC.md §8.3"},
	check: func(j *judgement) {
		switch b := j.body.(type) {
		case *format.Outcome:
			if j.att == nil {
				if j.on("SOD-ATTEMPT-OUTCOME.2") {
					j.emitf(RuleAttemptOutcome, cited(b.Attempt, j.rec.Seq), "outcome %d decides record %d, which is not an attempt awaiting its outcome", j.rec.Seq, b.Attempt)
				}
				return
			}
			if j.on("SOD-ATTEMPT-OUTCOME.3") {
				switch {
				case b.Result == format.ResultAccepted && b.Code != "ok":
					j.emitf(RuleAttemptOutcome, nil, "outcome %d accepts with code %q; an acceptance has code ok", j.rec.Seq, clip(b.Code))
				case b.Result == format.ResultRefused && (b.Code == "" || b.Code == "ok"):
					j.emitf(RuleAttemptOutcome, nil, "outcome %d refuses without a reason code", j.rec.Seq)
				case b.Result != format.ResultAccepted && b.Result != format.ResultRefused:
					j.emitf(RuleAttemptOutcome, nil, "outcome %d has result %q", j.rec.Seq, clip(b.Result))
				}
			}
			if b.Result != format.ResultAccepted {
				return
			}
			if j.att.act == format.ActExercise && j.att.stmt != nil && j.on("INT-STATEMENT.7") {
				if seq, seen := j.st.acted.lookup(j.att.stmtKey); seen {
					j.emitf(RuleStatement, []int64{seq, b.Attempt}, "exercise attempt %d carries the statement of exercise attempt %d, already accepted: a signed statement counts once", b.Attempt, seq)
				}
			}
			if j.run == nil && j.att.act != format.ActExercise && j.on("SOD-ATTEMPT-OUTCOME.4") {
				j.emitf(RuleAttemptOutcome, []int64{b.Attempt, j.rec.Seq}, "outcome %d accepts %s %d in run %q, which is not open", j.rec.Seq, j.att.typ, b.Attempt, j.att.run)
			}
			if j.att.act == format.ActExecute && j.run != nil {
				si := j.att.stmt
				if si == nil || !si.proposal || !si.action {
					if j.on("INT-STATEMENT.8") {
						j.emitf(RuleStatement, []int64{b.Attempt}, "record %d: the execute statement names another proposal or action digest than run %s's; it is not counted", b.Attempt, j.run.ID)
					}
					if j.on("SOD-ATTEMPT-OUTCOME.9") {
						j.emitf(RuleAttemptOutcome, []int64{b.Attempt, j.rec.Seq}, "outcome %d accepts an execute attempt of run %s without a statement bound to the run's proposal and action", j.rec.Seq, j.run.ID)
					}
				}
			}
		case *format.Execution:
			att := j.st.lastExecute(b)
			if att == nil && j.on("SOD-ATTEMPT-OUTCOME.5") {
				j.emitf(RuleAttemptOutcome, cited(b.Attempt, j.rec.Seq), "run %s executed on record %d, which is not an accepted execute attempt of that run with a bound statement", clip(b.Run), b.Attempt)
			}
			if !j.on("SOD-ATTEMPT-OUTCOME.6") {
				return
			}
			if j.run == nil {
				j.emitf(RuleAttemptOutcome, nil, "run %s executed, but it has no open, accepted proposal", clip(b.Run))
			} else if !j.run.Accepted {
				j.emitf(RuleAttemptOutcome, []int64{j.run.ProposalSeq, j.rec.Seq}, "run %s executed although its proposal was not accepted", b.Run)
			} else if b.Digest != j.run.Digest || b.Proposal != j.run.ProposalHash.String() {
				j.emitf(RuleAttemptOutcome, []int64{j.run.ProposalSeq, j.rec.Seq}, "run %s executed an action other than the one proposed", b.Run)
			}
		case *format.Proposal:
			if seq, used := j.st.runIDs.lookup(runKey(b.Run)); used && j.on("SOD-ATTEMPT-OUTCOME.1") {
				j.emitf(RuleAttemptOutcome, []int64{seq, j.rec.Seq}, "run %s is proposed again (first at record %d); a run ID has one proposal, ever, so this one opens nothing", clip(b.Run), seq)
			}
		}
	},
	end: func(s *State, off map[string]bool, emit func(Finding)) {
		if off["SOD-ATTEMPT-OUTCOME.7"] {
			return
		}
		seqs := make([]int64, 0, len(s.pending))
		for seq := range s.pending {
			seqs = append(seqs, seq)
		}
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		for _, seq := range seqs {
			emit(Finding{Rule: RuleAttemptOutcome, Message: "record " + itoa(seq) + " (" + s.pending[seq].typ + " by " + s.pending[seq].actor + ") has no outcome", Records: []int64{seq}})
		}
	},
}

// lastExecute finds the accepted execute attempt an execution names. The
// attempt's outcome has already removed it from pending, so the run keeps
// the executor's role; this checks the record cited is such an attempt.
func (s *State) lastExecute(b *format.Execution) *pending {
	e := s.executes[b.Attempt]
	if e == nil || e.run != b.Run {
		return nil
	}
	return e
}

// cited is the record list [ref, seq] of a finding on record seq that
// names record ref, or [seq] when ref is not an earlier record: a finding
// never cites a record that does not exist (SPEC.md §8.3).
func cited(ref, seq int64) []int64 {
	if ref < 0 || ref >= seq {
		return []int64{seq}
	}
	return []int64{ref, seq}
}
