package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// RuleGatePolicy: gates come from an approved policy version, never from
// the run, and every gate needs someone.
const RuleGatePolicy = "SOD-GATE-POLICY"

var ruleGatePolicy = Rule{
	ID:         RuleGatePolicy,
	Statement:  "gate definitions and grants come from a policy version approved under four-eyes, never from the run; every gate a policy defines needs at least one sign-off in each stage; an execution of a gated class without its gate is a finding",
	References: []string{"seed 000 (versioned grants, approval gates)", "seed 003 (approval workflows are controls)", "SPEC.md §6.6, §6.8"},
	check: func(j *judgement) {
		switch b := j.body.(type) {
		case *format.Gate:
			r := j.run
			if r == nil {
				if j.on("SOD-GATE-POLICY.7") {
					j.emitf(RuleGatePolicy, nil, "record %d opens a gate for run %s, which has no open proposal", j.rec.Seq, clip(b.Run))
				}
				return
			}
			if b.Proposal != r.ProposalHash.String() && j.on("SOD-GATE-POLICY.4") {
				j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "gate of run %s names another proposal than the run's", r.ID)
			}
			if r.Gate != nil {
				if j.on("SOD-GATE-POLICY.3") {
					j.emitf(RuleGatePolicy, []int64{r.GateSeq, j.rec.Seq}, "run %s is gated twice", r.ID)
				}
				return
			}
			want := r.Required
			if want == nil {
				if j.on("SOD-GATE-POLICY.2") {
					j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "run %s has a gate, but policy version %d defines none for class %s: the run chose its own gate", r.ID, r.Policy, clip(r.Class))
				}
				return
			}
			if (b.Policy != r.Policy || b.Gate != want.Gate || !sameStages(b.Stages, want.Stages)) && j.on("SOD-GATE-POLICY.1") {
				j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "gate %s of run %s differs from gate %s of policy version %d in force at the proposal (its stages, pool, meaning or human requirement were not the policy's)", clip(b.Gate), r.ID, want.Gate, r.Policy)
			}
		case *format.Execution:
			r := j.run
			if r == nil {
				return
			}
			if r.Required != nil && r.Gate == nil && j.on("SOD-GATE-POLICY.5") {
				j.emitf(RuleGatePolicy, []int64{r.ProposalSeq, j.rec.Seq}, "run %s of gated class %s executed without its gate %s", r.ID, r.Class, r.Required.Gate)
			}
			if r.Class == format.ClassPolicy && r.Action != nil {
				if ch, err := format.DecodeChange(r.Action, modeOf(j.st.Lax)); err == nil {
					checkPolicy(j, r, ch.(*format.PolicyAction))
				}
			}
		case *format.Proposal:
			if b.Class == format.ClassPolicy && j.on("SOD-GATE-POLICY.6") {
				if a, err := format.ParseAction([]byte(b.Action)); err == nil {
					if ch, err := format.DecodeChange(a, modeOf(j.st.Lax)); err == nil {
						p := ch.(*format.PolicyAction)
						prev := int64(0)
						if j.st.Policy != nil {
							prev = j.st.Policy.Version
						}
						if p.Version != prev+1 {
							j.emitf(RuleGatePolicy, nil, "run %s proposes policy version %d; the next version is %d", clip(b.Run), p.Version, prev+1)
						}
					} else {
						j.emitf(RuleGatePolicy, nil, "run %s proposes a policy that does not parse: %v", clip(b.Run), err)
					}
				}
			}
		}
	},
}

// checkPolicy judges a change.policy as it takes effect (SPEC.md §6.8):
// every gate needs someone, and nothing is defined twice.
func checkPolicy(j *judgement, r *RunState, p *format.PolicyAction) {
	recs := []int64{r.ProposalSeq, j.rec.Seq}
	gates := map[string]bool{}
	for _, g := range p.Gates {
		if gates[g.Class] && j.on("SOD-GATE-POLICY.10") {
			j.emitf(RuleGatePolicy, recs, "policy version %d defines two gates for class %s", p.Version, clip(g.Class))
		}
		gates[g.Class] = true
		if len(g.Stages) == 0 && j.on("SOD-GATE-POLICY.8") {
			j.emitf(RuleGatePolicy, recs, "gate %s of policy version %d has no stage", clip(g.Gate), p.Version)
		}
		for i, st := range g.Stages {
			if st.Stage != int64(i+1) && j.on("SOD-GATE-POLICY.8") {
				j.emitf(RuleGatePolicy, recs, "gate %s of policy version %d numbers its stage %d as %d", clip(g.Gate), p.Version, i+1, st.Stage)
			}
			distinct, humans := map[string]bool{}, 0
			repeated := false
			for _, m := range st.Pool {
				if distinct[m] {
					repeated = true
					continue
				}
				distinct[m] = true
				if q := j.st.Principals[m]; q != nil && q.Kind == format.KindHuman {
					humans++
				}
			}
			if repeated && j.on("SOD-GATE-POLICY.9") {
				j.emitf(RuleGatePolicy, recs, "stage %d of gate %s names a pool member twice", st.Stage, clip(g.Gate))
			}
			if st.PoolRole != nil {
				// A role pool is resolved at each proposal (SPEC.md §6.11):
				// only its n is judged here.
				if st.N < 1 && j.on("SOD-GATE-POLICY.9") {
					j.emitf(RuleGatePolicy, recs, "stage %d of gate %s needs %d sign-offs: a gate must need at least one", st.Stage, clip(g.Gate), st.N)
				}
				continue
			}
			if (st.N < 1 || st.N > int64(len(distinct))) && j.on("SOD-GATE-POLICY.9") {
				j.emitf(RuleGatePolicy, recs, "stage %d of gate %s needs %d sign-offs from a pool of %d: a gate must need at least one and no more than its pool", st.Stage, clip(g.Gate), st.N, len(distinct))
			}
			if st.Human && st.N > int64(humans) && j.on("SOD-GATE-POLICY.9") {
				j.emitf(RuleGatePolicy, recs, "human stage %d of gate %s needs %d sign-offs but its pool has %d principals enrolled as human", st.Stage, clip(g.Gate), st.N, humans)
			}
		}
	}
	bens := map[string]bool{}
	for _, b := range p.Beneficiaries {
		if bens[b.Class] && j.on("SOD-GATE-POLICY.10") {
			j.emitf(RuleGatePolicy, recs, "policy version %d names the beneficiary member of class %s twice", p.Version, clip(b.Class))
		}
		bens[b.Class] = true
	}
}

func sameStages(a, b []format.Stage) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Stage != y.Stage || x.N != y.N || x.Meaning != y.Meaning || x.Human != y.Human || x.PoolAbove != y.PoolAbove || !slices.Equal(x.Pool, y.Pool) {
			return false
		}
		if (x.PoolRole == nil) != (y.PoolRole == nil) || x.PoolRole != nil && *x.PoolRole != *y.PoolRole {
			return false
		}
	}
	return true
}
