package enforce

import (
	"errors"
	"fmt"
	"time"

	"github.com/countersign/countersign/format"
)

// Refusal codes added for the attacks a producer must refuse (SPEC.md §6.7).
const (
	CodeRunExists           = "run-exists"
	CodeReplayedStatement   = "replayed-statement"
	CodeInvalidPolicy       = "invalid-policy"
	CodeTimeAhead           = "time-ahead"
	CodeTimeBehind          = "time-behind"
	CodeBeneficiaryMismatch = "beneficiary-mismatch"
	CodeSamePersonUnattest  = "same-person-unattested"
)

// MaxSkew is how far a statement's claimed time may lie ahead of the
// core's clock, or before the proposal it is bound to (SPEC.md §10).
const MaxSkew = 300 * time.Second

// ErrRunExists is wrapped by the refusal of a proposal naming a run ID
// that some proposal already used: a run ID is used once, ever.
var ErrRunExists = errors.New("run already exists")

// ErrSamePerson is wrapped by the refusal of an enrolment whose printed
// name matches another principal's without every witnessing registrar
// attesting that both are the same human.
var ErrSamePerson = errors.New("printed name matches another principal's without a same-person attestation")

// ErrReplayed is wrapped by the refusal of a statement already recorded.
var ErrReplayed = errors.New("statement already recorded")

// ErrTime is wrapped by the refusal of a statement whose claimed time is
// outside the skew the core allows.
var ErrTime = errors.New("statement time outside the allowed skew")

// on reports whether the refusal check for code is in force (always,
// outside tests that disable one to show it is load-bearing).
func (c *Core) on(code string) bool { return !c.st.off[code] }

// refuseNote records a refusal that cannot be written as an attempt and
// its outcome without itself breaking the bundle (a second proposal for a
// used run ID, a statement recorded a second time, a statement whose time
// falls outside the skew, an enrolment refused before it exists): a note
// with the refusal code. The Refusal's Outcome is the note's sequence
// number; its Attempt is 0.
func (c *Core) refuseNote(code, detail string, class error) (*Decision, error) {
	seqs, err := c.write(entry{typ: format.TypeNote, body: &format.Note{Code: code, Text: detail}})
	if err != nil {
		return nil, err
	}
	return &Decision{Code: code, Detail: detail, Outcome: seqs[0]}, &Refusal{Code: code, Detail: detail, Outcome: seqs[0], class: class}
}

// refuseNoteAbout is refuseNote for an alertable refusal of principal's
// act in role on control: its alert names them.
func (c *Core) refuseNoteAbout(code, detail string, who alertWho) (*Decision, error) {
	n := &format.Note{Code: code, Text: detail}
	c.noteAlert = map[*format.Note]alertWho{n: who}
	defer func() { c.noteAlert = nil }()
	seqs, err := c.write(entry{typ: format.TypeNote, body: n})
	if err != nil {
		return nil, err
	}
	return &Decision{Code: code, Detail: detail, Outcome: seqs[0]}, &Refusal{Code: code, Detail: detail, Outcome: seqs[0]}
}

// clock reads the core's clock.
func (c *Core) clock() time.Time {
	if c.cfg.Clock != nil {
		return c.cfg.Clock()
	}
	return time.Now()
}

// checkTime refuses a statement claiming a time later than the core's
// clock plus MaxSkew.
func (c *Core) checkTime(st *format.Statement) error {
	if !c.on(CodeTimeAhead) {
		return nil
	}
	t, err := format.ParseTime(st.Time)
	if err != nil {
		return c.unattributable(fmt.Sprintf("statement time %q is not a time", st.Time))
	}
	if now := c.clock(); t.After(now.Add(MaxSkew)) {
		_, err := c.refuseNote(CodeTimeAhead, fmt.Sprintf("%s's %s statement claims %s, more than %s after the core's clock (%s)",
			st.Principal, st.Purpose, st.Time, MaxSkew, format.FormatTime(now)), ErrTime)
		return err
	}
	return nil
}

// checkBehind refuses a statement bound to run r's proposal that claims
// a time more than MaxSkew before the proposal was recorded.
func (c *Core) checkBehind(st *format.Statement, r *run) error {
	if r == nil || !c.on(CodeTimeBehind) {
		return nil
	}
	t, err1 := format.ParseTime(st.Time)
	p, err2 := format.ParseTime(r.proposedAt)
	if err1 != nil || err2 != nil || !t.Before(p.Add(-MaxSkew)) {
		return nil
	}
	_, err := c.refuseNote(CodeTimeBehind, fmt.Sprintf("%s's %s statement for run %s claims %s, more than %s before its proposal (%s)",
		st.Principal, st.Purpose, r.id, st.Time, MaxSkew, r.proposedAt), ErrTime)
	return err
}

// checkPolicy returns why a change.policy action cannot be put in force,
// or "" (SPEC.md §6.8): it decodes strictly, has the next version, and
// every gate can be met by someone: each gated class has one definition
// with stages numbered 1..k, each stage's pool has no repeats and at
// least n members, and a human stage at least n members enrolled as human;
// and no grant goes beyond the register of control roles.
func (c *Core) checkPolicy(a *format.Action) string {
	if why := c.policyHeader(a); why != "" {
		return why
	}
	ch, _ := format.DecodeChange(a, format.Strict)
	p := ch.(*format.PolicyAction)
	classes := map[string]bool{}
	for _, g := range p.Gates {
		if classes[g.Class] {
			return fmt.Sprintf("class %s has two gate definitions", g.Class)
		}
		classes[g.Class] = true
		if len(g.Stages) == 0 {
			return fmt.Sprintf("gate %s of class %s has no stage", g.Gate, g.Class)
		}
		for i, s := range g.Stages {
			if s.Stage != int64(i+1) {
				return fmt.Sprintf("gate %s numbers its stage %d as %d", g.Gate, i+1, s.Stage)
			}
			pool, humans := map[string]bool{}, int64(0)
			for _, id := range s.Pool {
				if pool[id] {
					return fmt.Sprintf("stage %d of gate %s names %s twice", s.Stage, g.Gate, id)
				}
				pool[id] = true
				if pr := c.st.principals[id]; pr != nil && pr.Kind == format.KindHuman {
					humans++
				}
			}
			switch {
			case s.N < 1:
				return fmt.Sprintf("stage %d of gate %s needs %d sign-offs: a stage needs at least one", s.Stage, g.Gate, s.N)
			case s.N > int64(len(pool)):
				return fmt.Sprintf("stage %d of gate %s needs %d sign-offs from a pool of %d", s.Stage, g.Gate, s.N, len(pool))
			case s.Human && s.N > humans:
				return fmt.Sprintf("human stage %d of gate %s needs %d sign-offs; its pool has %d principals enrolled as human", s.Stage, g.Gate, s.N, humans)
			}
		}
	}
	seen := map[string]bool{}
	for _, b := range p.Beneficiaries {
		if seen[b.Class] {
			return fmt.Sprintf("class %s names its beneficiary member twice", b.Class)
		}
		seen[b.Class] = true
	}
	// Grants never go beyond the register (SPEC.md §6.11).
	return c.st.checkAlignment(p)
}

// policyHeader returns why a change.policy action does not parse or does
// not have the next version, or "".
func (c *Core) policyHeader(a *format.Action) string {
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return fmt.Sprintf("the policy does not parse: %v", err)
	}
	next := int64(1)
	if c.st.policy != nil {
		next = c.st.policy.version + 1
	}
	if v := ch.(*format.PolicyAction).Version; v != next {
		return fmt.Sprintf("the policy has version %d; the next version is %d", v, next)
	}
	return ""
}

// asDecision returns a refusal recorded as a note with its Decision, and
// any other error as it is.
func asDecision(err error) (*Decision, error) {
	var r *Refusal
	if errors.As(err, &r) {
		return &Decision{Code: r.Code, Detail: r.Detail, Attempt: r.Attempt, Outcome: r.Outcome}, err
	}
	return nil, err
}

// derivedBeneficiary returns the beneficiary the policy in force derives
// from an action of its class: the principal its beneficiary member names,
// or "" when that member names no enrolled principal. ok is false when the
// policy names a member for the class and the action lacks it or it is not
// a string. For a class with no entry, declared stands.
func (c *Core) derivedBeneficiary(a *format.Action, declared string) (string, bool, bool) {
	if c.st.policy == nil {
		return declared, true, false
	}
	m, ok := c.st.policy.beneficiaries[a.Class]
	if !ok {
		return declared, true, false
	}
	v, ok := a.Text(m)
	if !ok {
		return "", false, true
	}
	if c.st.principals[v] == nil {
		return "", true, true
	}
	return v, true, true
}
