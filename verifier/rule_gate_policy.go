package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// RuleGatePolicy: gates come from an approved policy version, never from
// the run.
const RuleGatePolicy = "SOD-GATE-POLICY"

var ruleGatePolicy = Rule{
	ID:         RuleGatePolicy,
	Statement:  "gate definitions and grants come from a policy version approved under four-eyes, never from the run; an execution of a gated class without its gate is a finding",
	References: []string{"seed 000 (versioned grants, approval gates)", "seed 003 (approval workflows are controls)", "SPEC.md §6.6, §6.8"},
	check: func(j *judgement) {
		switch b := j.body.(type) {
		case *format.Gate:
			r := j.run
			if r == nil {
				j.emitf(RuleGatePolicy, nil, "record %d opens a gate for run %s, which has no open proposal", j.rec.Seq, b.Run)
				return
			}
			if b.Proposal != r.ProposalHash.String() {
				j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "gate of run %s names another proposal than the run's", r.ID)
			}
			if r.Gate != nil {
				j.emitf(RuleGatePolicy, []int64{r.GateSeq, j.rec.Seq}, "run %s is gated twice", r.ID)
				return
			}
			want := r.Required
			if want == nil {
				j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "run %s has a gate, but policy version %d defines none for class %s: the run chose its own gate", r.ID, r.Policy, r.Class)
				return
			}
			if b.Policy != r.Policy || b.Gate != want.Gate || !sameStages(b.Stages, want.Stages) {
				j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "gate %s of run %s differs from gate %s of policy version %d in force at the proposal (its stages, pool, meaning or human requirement were not the policy's)", b.Gate, r.ID, want.Gate, r.Policy)
			}
		case *format.Execution:
			r := j.run
			if r != nil && r.Required != nil && r.Gate == nil {
				j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "run %s of gated class %s executed without its gate %s", r.ID, r.Class, r.Required.Gate)
			}
		case *format.Proposal:
			if b.Class == format.ClassPolicy {
				if a, err := format.ParseAction([]byte(b.Action)); err == nil {
					if ch, err := format.DecodeChange(a, j.st.Lax); err == nil {
						p := ch.(*format.PolicyAction)
						prev := int64(0)
						if j.st.Policy != nil {
							prev = j.st.Policy.Version
						}
						if p.Version != prev+1 {
							j.emitf(RuleGatePolicy, nil, "run %s proposes policy version %d; the next version is %d", b.Run, p.Version, prev+1)
						}
					} else {
						j.emitf(RuleGatePolicy, nil, "run %s proposes a policy that does not parse: %v", b.Run, err)
					}
				}
			}
		}
	},
}

func sameStages(a, b []format.Stage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Stage != y.Stage || x.N != y.N || x.Meaning != y.Meaning || x.Human != y.Human || !slices.Equal(x.Pool, y.Pool) {
			return false
		}
	}
	return true
}
