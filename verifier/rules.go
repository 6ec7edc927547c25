package verifier

import (
	"fmt"
	"sort"

	"github.com/countersign/countersign/format"
)

// Rule is one segregation-of-duties rule: a stable ID, a one-line
// statement, the references it answers to, and the check itself, which
// sees every record whose integrity checks passed, in order, before the
// record changes the state.
type Rule struct {
	ID         string
	Statement  string
	References []string
	check      func(j *judgement)
	end        func(s *State, emit func(Finding))
}

// Rules returns the rule catalogue the verifier applies, in ID order.
func Rules() []Rule {
	rs := []Rule{
		ruleKeyEnrolment, ruleGatePolicy, ruleMakerChecker, ruleQuorum, ruleHumanSigner,
		ruleSignatureMeaning, ruleOneRole, ruleGrant, ruleAttemptOutcome, rulePrintedName,
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
}

// ruleKeyEnrolment is enforced during scanning (interpret.go); it is listed
// here for the catalogue.
var ruleKeyEnrolment = Rule{
	ID:         RuleKeyEnrolment,
	Statement:  "every key was enrolled with its own proof of possession and two registrars other than the enrolee; no key serves two principals",
	References: []string{"21 CFR 11.100", "21 CFR 11.300", "SPEC.md §8.2"},
}

// judgement is one record under the rules.
type judgement struct {
	rec   *format.Record
	body  any
	stmts []*format.Statement
	st    *State
	out   *[]Finding
	// for outcome records: the attempt decided, and its run
	att *pending
	run *RunState
}

func (j *judgement) emit(rule, msg string, records ...int64) {
	if records == nil {
		records = []int64{j.rec.Seq}
	}
	*j.out = append(*j.out, Finding{Rule: rule, Message: msg, Records: records})
}

func (j *judgement) emitf(rule string, records []int64, format string, args ...any) {
	j.emit(rule, fmt.Sprintf(format, args...), records...)
}

// judge applies the rules to one intact record, then moves the state on.
func (v *verification) judge(it *item) {
	s := v.state
	j := &judgement{rec: it.rec, body: it.body, stmts: it.stmts, st: s, out: &it.findings}
	if o, ok := it.body.(*format.Outcome); ok {
		j.att = s.pending[o.Attempt]
		if j.att != nil {
			j.run = s.Runs[j.att.run]
		}
	}
	if r := runOf(it.body); r != "" && j.run == nil {
		j.run = s.Runs[r]
	}
	for _, r := range v.rules {
		if r.check != nil {
			r.check(j)
		}
	}
	track(j)
}

func runOf(body any) string {
	switch b := body.(type) {
	case *format.Gate:
		return b.Run
	case *format.Attempt:
		return b.Run
	case *format.Execution:
		return b.Run
	}
	return ""
}

// track moves the run and policy state on after the rules have seen a
// record.
func track(j *judgement) {
	s, rec := j.st, j.rec
	switch b := j.body.(type) {
	case *format.Proposal:
		r := &RunState{ID: b.Run, ProposalSeq: rec.Seq, ProposalHash: rec.Hash, Proposer: rec.Actor, Class: b.Class,
			Digest: b.Digest, Beneficiary: b.Beneficiary, Roles: map[string]string{rec.Actor: "maker"}}
		if a, err := format.ParseAction([]byte(b.Action)); err == nil {
			r.Action = a
			r.Amount, _ = a.Text("amount")
			r.Currency, _ = a.Text("currency")
		}
		r.Required, r.Policy = s.RequiredGate(b.Class)
		if _, dup := s.Runs[b.Run]; !dup && j.room() {
			s.Runs[b.Run] = r
		}
		if j.room() {
			s.pending[rec.Seq] = &pending{seq: rec.Seq, typ: rec.Type, actor: rec.Actor, run: b.Run, stmt: first(j.stmts)}
		}
	case *format.Gate:
		if r := j.run; r != nil && r.Gate == nil {
			r.Gate, r.GateSeq = b, rec.Seq
		}
	case *format.Attempt:
		if j.room() {
			s.pending[rec.Seq] = &pending{seq: rec.Seq, typ: rec.Type, actor: rec.Actor, act: b.Act, run: b.Run, stmt: first(j.stmts)}
		}
	case *format.Outcome:
		a := j.att
		if a == nil {
			return
		}
		delete(s.pending, a.seq)
		r := j.run
		if r == nil {
			return
		}
		accepted := b.Result == format.ResultAccepted
		switch {
		case a.typ == format.TypeProposal && accepted:
			r.Accepted = true
		case a.typ == format.TypeProposal:
			delete(s.Runs, r.ID)
		case a.act == format.ActSignoff && accepted && a.stmt != nil:
			r.Signoffs = append(r.Signoffs, Signoff{Attempt: a.seq, Outcome: rec.Seq, Principal: a.actor, Stage: a.stmt.Stage,
				Meaning: a.stmt.Meaning, Reason: a.stmt.Reason, Time: a.stmt.Time,
				Bound: a.stmt.Proposal == r.ProposalHash.String() && a.stmt.Action == r.Digest && r.Gate != nil && a.stmt.Gate == r.Gate.Gate})
			if _, ok := r.Roles[a.actor]; !ok {
				r.Roles[a.actor] = "checker"
			}
		case a.act == format.ActExecute && accepted:
			if _, ok := r.Roles[a.actor]; !ok {
				r.Roles[a.actor] = "maker"
			}
			s.executes[a.seq] = a
		}
	case *format.Execution:
		delete(s.executes, b.Attempt)
		r := j.run
		if r == nil {
			return
		}
		if r.Action != nil && format.IsChangeClass(r.Class) {
			applyChange(s, r, rec.Seq)
		}
		delete(s.Runs, r.ID)
	}
}

func sortStrings(s []string) { sort.Strings(s) }

// maxOpen bounds the runs open at once and the attempts awaiting outcomes
// that the verifier tracks (SPEC.md §10), so a hostile bundle cannot make
// its memory grow with its length.
var maxOpen = 1 << 20

// room reports whether another open run or pending attempt may be
// tracked; past the limit it reports a finding, once.
func (j *judgement) room() bool {
	if len(j.st.Runs) < maxOpen && len(j.st.pending) < maxOpen {
		return true
	}
	if !j.st.overflow {
		j.st.overflow = true
		j.emitf(RuleAttemptOutcome, nil, "more than %d runs or attempts are open at once at record %d; later ones are not tracked", maxOpen, j.rec.Seq)
	}
	return false
}

func first(sts []*format.Statement) *format.Statement {
	if len(sts) == 0 {
		return nil
	}
	return sts[0]
}

// applyChange puts an executed change into the state.
func applyChange(s *State, r *RunState, seq int64) {
	ch, err := format.DecodeChange(r.Action, s.Lax)
	if err != nil {
		return
	}
	switch c := ch.(type) {
	case *format.PolicyAction:
		p := &Policy{Version: c.Version, Seq: seq, Control: c.Control, Grants: c.Grants, Gates: map[string]format.GateDef{}}
		for _, g := range c.Gates {
			p.Gates[g.Class] = g
		}
		s.Policy = p
	}
}

// endRules runs the rules' end-of-bundle checks.
func (v *verification) endRules() []Finding {
	var out []Finding
	for _, r := range v.rules {
		if r.end != nil {
			r.end(v.state, func(f Finding) { out = append(out, f) })
		}
	}
	return out
}
