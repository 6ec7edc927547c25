package verifier

import (
	"github.com/countersign/countersign/format"
)

// Policy is the policy in force: the last change.policy run executed.
type Policy struct {
	Version int64
	Seq     int64 // the execution that put it in force
	Control string
	Grants  []format.Grant
	Gates   map[string]format.GateDef // by action class
}

// RunState is what the bundle says about one open run.
type RunState struct {
	ID           string
	ProposalSeq  int64
	ProposalHash format.Hash
	Proposer     string
	Class        string
	Digest       string
	Action       *format.Action
	Amount       string
	Currency     string
	Beneficiary  string
	// Accepted is set once the proposal's outcome accepts it.
	Accepted bool
	// Required is the gate the policy in force at the proposal demands
	// (nil when the class is not gated); Policy its version.
	Required *format.GateDef
	Policy   int64
	// Gate is the gate record written for the run, if any.
	Gate    *format.Gate
	GateSeq int64
	// Signoffs are the accepted sign-offs, in order.
	Signoffs []Signoff
	// Roles maps each principal who acted in the run to its role: "maker"
	// or "checker".
	Roles map[string]string
}

// Signoff is one accepted sign-off.
type Signoff struct {
	Attempt   int64
	Outcome   int64
	Principal string
	Stage     int64
	Meaning   string
	Reason    string
	Time      string
	// Bound is set when the statement names the run's proposal, action
	// digest and gate.
	Bound bool
}

// pending is an attempt (or proposal) awaiting its outcome.
type pending struct {
	seq   int64
	typ   string
	actor string
	act   string
	run   string
	stmt  *format.Statement
}

// governanceGate is the gate change runs need while the policy defines
// none for their class (SPEC.md §6.8).
func (s *State) governanceGate(class string) *format.GateDef {
	return &format.GateDef{Class: class, Gate: "governance", Stages: []format.Stage{{
		Stage: 1, N: s.Governance, Pool: s.Registrars(), Meaning: format.MeaningApproval, Human: true,
	}}}
}

// RequiredGate returns the gate an action of class needs under the state's
// policy, and the policy version it comes from (0 for the governance gate).
func (s *State) RequiredGate(class string) (*format.GateDef, int64) {
	if s.Policy != nil {
		if g, ok := s.Policy.Gates[class]; ok {
			return &g, s.Policy.Version
		}
	}
	if format.IsChangeClass(class) {
		return s.governanceGate(class), 0
	}
	return nil, 0
}

// grantFor returns the refusal code for principal acting as role for
// class and amount under the state's policy, or "" when a grant covers it.
// Change classes are governed by their gates, not by grants.
func (s *State) grantFor(principal, role, class, amount, currency string) string {
	if format.IsChangeClass(class) {
		return ""
	}
	if s.Policy == nil {
		return "no-grant"
	}
	code := "no-grant"
	for i := range s.Policy.Grants {
		g := &s.Policy.Grants[i]
		if g.Principal != principal || g.Role != role {
			continue
		}
		switch c := covers(g, class, amount, currency); c {
		case "":
			return ""
		case "over-limit":
			code = c
		}
	}
	return code
}

// covers is the verifier's own reading of a grant's limits.
func covers(g *format.Grant, class, amount, currency string) string {
	listed := false
	for _, c := range g.Classes {
		listed = listed || c == class
	}
	if !listed {
		return "no-grant"
	}
	if g.MaxAmount == "" || amount == "" {
		return ""
	}
	if g.Currency != "" && g.Currency != currency {
		return "over-limit"
	}
	limit, err1 := format.ParseDecimal(g.MaxAmount)
	amt, err2 := format.ParseDecimal(amount)
	if err1 != nil || err2 != nil || amt.Cmp(limit) > 0 {
		return "over-limit"
	}
	return ""
}
