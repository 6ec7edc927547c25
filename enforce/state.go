package enforce

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"sort"

	"github.com/countersign/countersign/format"
)

// state is the core's own model of the log, rebuilt by replaying records.
// It is deliberately separate from the verifier's: the two are written
// independently so that a misreading in one is caught by the other.
type state struct {
	genesis    format.Hash
	governance int64
	principals map[string]*principal
	keys       map[format.Hash]*key
	policy     *policy
	runs       map[string]*run
	used       map[string]bool // run IDs ever proposed
	pending    map[int64]*pendingAttempt
	next       int64
}

// pendingAttempt is a proposal or attempt written and awaiting its outcome.
type pendingAttempt struct {
	seq   int64
	actor string
	act   string // "" for a proposal
	run   string
	stage int64
}

type principal struct {
	format.Principal
	registrar bool
}

type key struct {
	pub       ed25519.PublicKey
	principal string
	revoked   bool
}

type policy struct {
	version int64
	grants  []format.Grant
	gates   map[string]format.GateDef
}

type run struct {
	id          string
	proposal    format.Hash
	proposalSeq int64
	proposer    string
	class       string
	digest      string
	action      []byte
	amount      string
	currency    string
	beneficiary string
	gate        *format.Gate
	policy      int64
	signoffs    map[string]int64 // principal -> stage, accepted sign-offs
	count       map[int64]int    // stage -> accepted sign-offs
	open        bool
	executed    bool
}

func newState(genesis format.Hash) *state {
	return &state{genesis: genesis, principals: map[string]*principal{}, keys: map[format.Hash]*key{}, runs: map[string]*run{},
		used: map[string]bool{}, pending: map[int64]*pendingAttempt{}}
}

func (s *state) applyGenesis(g *format.Genesis) {
	s.governance = g.Governance.N
	for _, r := range g.Registrars {
		pub, err := format.ParsePublicKey(r.Key)
		if err != nil {
			continue
		}
		s.principals[r.ID] = &principal{Principal: format.Principal{ID: r.ID, Kind: r.Kind, Name: r.Name, Team: r.Team}, registrar: true}
		s.keys[format.KeyIDOf(pub)] = &key{pub: pub, principal: r.ID}
	}
	s.next = 1
}

// replay applies one record the core wrote (or recovered) to the state.
func (s *state) replay(line []byte) error {
	rec, err := format.ParseRecord(line)
	if err != nil {
		return err
	}
	body, err := format.DecodeBody(rec.Type, rec.Body, false)
	if err != nil {
		return err
	}
	if rec.Seq != s.next && rec.Type != format.TypeGenesis {
		return fmt.Errorf("record %d out of order (expected %d)", rec.Seq, s.next)
	}
	s.next = rec.Seq + 1
	switch b := body.(type) {
	case *format.Genesis:
		if s.next != 1 {
			return fmt.Errorf("second genesis record")
		}
		s.applyGenesis(b)
	case *format.Enrolment:
		pub, err := format.ParsePublicKey(b.Key)
		if err != nil {
			return err
		}
		if _, ok := s.principals[b.Principal.ID]; !ok {
			s.principals[b.Principal.ID] = &principal{Principal: b.Principal}
		}
		s.principals[b.Principal.ID].registrar = s.principals[b.Principal.ID].registrar || b.Registrar
		s.keys[format.KeyIDOf(pub)] = &key{pub: pub, principal: b.Principal.ID}
	case *format.LogKeyRotation:
		if pub, err := format.ParsePublicKey(b.Key); err == nil {
			s.keys[format.KeyIDOf(pub)] = &key{pub: pub}
		}
	case *format.KeyRevocation:
		if kid, err := format.ParseHash(b.Key); err == nil && s.keys[kid] != nil {
			s.keys[kid].revoked = true
		}
	case *format.Proposal:
		a, err := format.ParseAction([]byte(b.Action))
		if err != nil {
			return err
		}
		r := &run{id: b.Run, proposal: rec.Hash, proposalSeq: rec.Seq, proposer: rec.Actor, class: b.Class, digest: b.Digest,
			action: []byte(b.Action), beneficiary: b.Beneficiary, signoffs: map[string]int64{}, count: map[int64]int{}}
		r.amount, _ = a.Text("amount")
		r.currency, _ = a.Text("currency")
		s.runs[b.Run] = r
		s.used[b.Run] = true
		s.pending[rec.Seq] = &pendingAttempt{seq: rec.Seq, actor: rec.Actor, run: b.Run}
	case *format.Gate:
		if r := s.runs[b.Run]; r != nil {
			r.gate, r.policy = b, b.Policy
		}
	case *format.Outcome:
		s.applyOutcome(b)
	case *format.Attempt:
		p := &pendingAttempt{seq: rec.Seq, actor: rec.Actor, act: b.Act, run: b.Run}
		if st, err := format.ParseStatement(rec.Sigs[0].Stmt); err == nil {
			p.stage = st.Stage
		}
		s.pending[rec.Seq] = p
	case *format.Execution:
		if r := s.runs[b.Run]; r != nil {
			r.executed, r.open = true, false
			if format.IsChangeClass(r.class) {
				s.applyChange(r)
			}
			delete(s.runs, b.Run)
		}
	}
	return nil
}

func (s *state) applyOutcome(o *format.Outcome) {
	p := s.pending[o.Attempt]
	if p == nil {
		return
	}
	delete(s.pending, o.Attempt)
	r := s.runs[p.run]
	if r == nil {
		return
	}
	ok := o.Result == format.ResultAccepted
	switch {
	case p.act == "" && ok:
		r.open = true
	case p.act == "":
		delete(s.runs, p.run)
	case p.act == format.ActSignoff && ok:
		r.signoffs[p.actor] = p.stage
		r.count[p.stage]++
	}
}

// applyChange puts an executed change run into force.
func (s *state) applyChange(r *run) {
	a, err := format.ParseAction(r.action)
	if err != nil {
		return
	}
	ch, err := format.DecodeChange(a, false)
	if err != nil {
		return
	}
	switch c := ch.(type) {
	case *format.PolicyAction:
		p := &policy{version: c.Version, grants: c.Grants, gates: map[string]format.GateDef{}}
		for _, g := range c.Gates {
			p.gates[g.Class] = g
		}
		s.policy = p
	}
}

// registrars returns the registrar IDs in a stable order.
func (s *state) registrars() []string {
	var ids []string
	for id, p := range s.principals {
		if p.registrar {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

// requiredGate is the gate class needs under the policy in force, and the
// policy version it comes from (0: the governance gate).
func (s *state) requiredGate(class string) (*format.GateDef, int64) {
	if s.policy != nil {
		if g, ok := s.policy.gates[class]; ok {
			return &g, s.policy.version
		}
	}
	if format.IsChangeClass(class) {
		return &format.GateDef{Class: class, Gate: "governance", Stages: []format.Stage{{
			Stage: 1, N: s.governance, Pool: s.registrars(), Meaning: format.MeaningApproval, Human: true}}}, 0
	}
	return nil, 0
}

// grant returns "" when principal holds a grant of role covering the
// class and amount, else the refusal code. Change classes are governed by
// their gates alone.
func (s *state) grant(principal, role, class, amount, currency string) string {
	if format.IsChangeClass(class) {
		return ""
	}
	if s.policy == nil {
		return CodeNoGrant
	}
	code := CodeNoGrant
	for _, g := range s.policy.grants {
		if g.Principal != principal || g.Role != role || !slices.Contains(g.Classes, class) {
			continue
		}
		if g.MaxAmount == "" || amount == "" {
			return ""
		}
		limit, err1 := format.ParseDecimal(g.MaxAmount)
		amt, err2 := format.ParseDecimal(amount)
		if err1 == nil && err2 == nil && amt.Cmp(limit) <= 0 && (g.Currency == "" || g.Currency == currency) {
			return ""
		}
		code = CodeOverLimit
	}
	return code
}
