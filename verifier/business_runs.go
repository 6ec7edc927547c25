package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// Policy is the policy in force: the last change.policy run executed.
type Policy struct {
	Version int64
	Seq     int64 // the execution that put it in force
	Control string
	Grants  []format.Grant
	Gates   map[string]format.GateDef // by action class
	// Beneficiaries maps an action class to the action member naming the
	// principal it benefits.
	Beneficiaries map[string]string
}

// RunState is what the bundle says about one open run. It keeps what the
// rules need, not the action itself, except for change classes, whose
// action takes effect at the execution (SPEC.md §10).
type RunState struct {
	ID           string
	ProposalSeq  int64
	ProposalHash format.Hash
	ProposalTime string
	Proposer     string
	Class        string
	Digest       string
	// Action is the parsed action, kept for change classes only.
	Action *format.Action
	// Amount is the action's top-level amount when it is a valid amount
	// (SPEC.md §6.8) and no other member is named amount or total; "" otherwise.
	Amount string
	// AmountOK says Amount is set.
	AmountOK bool
	// Limited is set when a grant of the policy in force at the proposal
	// limits the class by an amount.
	Limited bool
	// Currency is the action's top-level currency when it is three
	// capital letters, "" otherwise.
	Currency string
	// Beneficiary is the principal the run benefits: derived from the
	// action where the policy names a member for the class, otherwise as
	// the proposal declares it.
	Beneficiary string
	// BeneficiaryOK is false when the declared beneficiary differs from
	// the derived one.
	BeneficiaryOK bool
	// Accepted is set once the proposal's outcome accepts it.
	Accepted bool
	// Required is the gate the policy in force at the proposal demands
	// (nil when the class is not gated); Policy its version.
	Required *format.GateDef
	Policy   int64
	// Control is the control governing the run's class at the proposal
	// ("" for change classes and ungoverned classes); Affected, for a
	// change.policy or a change.control of an existing control, the
	// controls it changes, and Unowned whether it changes a class no
	// control governs (SPEC.md §6.11).
	Control  string
	Affected []Affected
	Unowned  bool
	// Audit is set for a change.audit_finding whose finding is recorded
	// before its proposal (SPEC.md §6.11, Audit independence).
	Audit *AuditRun
	// Gate is the gate the run was parked at: the policy's definition when
	// the gate record matches it, otherwise the record's own.
	Gate    *format.Gate
	GateSeq int64
	// Signoffs are the accepted sign-offs, in order.
	Signoffs []Signoff
	// Roles maps each principal who acted in the run to its role: "maker"
	// or "checker".
	Roles map[string]string

	// exc, for a change.exception run: what its sign-offs showed
	// (SOD-EXCEPTION.3, .7).
	exc *excRun

	cost     int64  // bytes counted against the retained bound
	declared string // the beneficiary the proposal declares (clipped)
}

// Signoff is one accepted sign-off.
type Signoff struct {
	Attempt   int64
	Outcome   int64
	Principal string
	Stage     int64
	Meaning   string
	// Reasoned is set when the reason is not blank.
	Reasoned bool
	// Bound is set when the statement names the run's proposal, action
	// digest and gate.
	Bound bool
}

// pending is an attempt (or proposal) awaiting its outcome.
type pending struct {
	seq     int64
	typ     string
	actor   string
	act     string
	run     string // the run's ID when it was open at the attempt
	dead    bool   // a proposal that opens no run, or an attempt in no open run
	time    string // the attempt's record time
	stmt    *stmtInfo
	stmtKey digest // for exercise attempts: the statement's digest
}

// stmtInfo is what the rules need of an attempt's statement.
type stmtInfo struct {
	time      string
	stage     int64
	meaning   string // one of the four meanings, or "" with badMeaning
	badMean   string // the first 64 bytes of a meaning that is none of the four
	reasoned  bool
	proposal  bool // names the run's proposal hash
	action    bool // names the run's action digest
	gate      string
	gateLong  bool // the gate named is longer than any ID
	principal string
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

func newStmtInfo(st *format.Statement, r *RunState) *stmtInfo {
	si := &stmtInfo{time: st.Time, stage: st.Stage, reasoned: nonBlank(st.Reason), principal: st.Principal}
	if format.ValidMeaning(st.Meaning) {
		si.meaning = st.Meaning
	} else {
		si.badMean = clip(st.Meaning)
	}
	if len(st.Gate) > 64 {
		si.gateLong = true
	} else {
		si.gate = st.Gate
	}
	if r != nil {
		si.proposal = st.Proposal == r.ProposalHash.String()
		si.action = st.Action == r.Digest
	}
	return si
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

// limited reports whether a grant of the policy in force limits class by
// an amount (SPEC.md §6.8).
func (s *State) limited(class string) bool {
	if s.Policy == nil || format.IsChangeClass(class) {
		return false
	}
	for _, g := range s.Policy.Grants {
		if g.MaxAmount == "" && g.Limit == nil && g.DailyLimit == nil {
			continue
		}
		for _, c := range g.Classes {
			if c == class {
				return true
			}
		}
	}
	return false
}

// grantFor returns the refusal code for principal acting as role in run r
// under the state's policy, or "" when a grant covers it. Change classes
// are governed by their gates, not by grants.
//
// With params set, limits bound to a control's parameters (SPEC.md
// §6.11) are judged against the parameter in force.
func (s *State) grantFor(principal, role string, r *RunState, params bool) string {
	_, code := s.grantsFor(principal, role, r, params)
	return code
}

// grantsFor returns the grants of principal as role that cover run r,
// and, when none does, the refusal code.
func (s *State) grantsFor(principal, role string, r *RunState, params bool) ([]*format.Grant, string) {
	if format.IsChangeClass(r.Class) {
		return nil, ""
	}
	if s.Policy == nil {
		return nil, "no-grant"
	}
	code := "no-grant"
	named := false // some grant of the class names a currency
	for i := range s.Policy.Grants {
		g := &s.Policy.Grants[i]
		if g.Currency != "" && slices.Contains(g.Classes, r.Class) {
			named = true
		}
	}
	var out []*format.Grant
	for i := range s.Policy.Grants {
		g := &s.Policy.Grants[i]
		if g.Principal != principal || g.Role != role {
			continue
		}
		if named && r.Currency == "" && slices.Contains(g.Classes, r.Class) {
			// A class some grant limits by currency needs a currency of
			// three capital letters, whoever's grant is judged.
			code = "over-limit"
			continue
		}
		switch c := s.covers(g, r, params); c {
		case "":
			out = append(out, g)
		case "over-limit":
			code = c
		}
	}
	if out != nil {
		return out, ""
	}
	return nil, code
}

// covers is the verifier's own reading of a grant's limits (SPEC.md
// §6.8, §6.11): the class is listed; a grant naming a currency covers only
// that currency; a grant with a maximum covers only a valid amount at most
// that maximum; a grant whose per-action or daily limit is bound to a
// control's parameter covers only an amount in the parameter's currency,
// at most the parameter's value in force (params set).
func (s *State) covers(g *format.Grant, r *RunState, params bool) string {
	listed := false
	for _, c := range g.Classes {
		listed = listed || c == r.Class
	}
	if !listed {
		return "no-grant"
	}
	if g.Currency != "" && g.Currency != r.Currency {
		return "over-limit"
	}
	if params {
		for _, ref := range []*format.ParamRef{g.Limit, g.DailyLimit} {
			if ref == nil {
				continue
			}
			p := s.param(ref)
			if p == nil || !r.AmountOK || r.Currency != p.Currency || !atMost(r.Amount, p.Value) {
				return "over-limit"
			}
		}
	}
	if g.MaxAmount == "" {
		return ""
	}
	if !r.AmountOK || !format.ValidAmount(g.MaxAmount) || !atMost(r.Amount, g.MaxAmount) {
		return "over-limit"
	}
	return ""
}

// atMost reports whether decimal a is at most decimal b, exactly.
func atMost(a, b string) bool {
	x, err1 := format.ParseDecimal(a)
	y, err2 := format.ParseDecimal(b)
	return err1 == nil && err2 == nil && x.Cmp(y) <= 0
}

// param returns the amount parameter ref names in the register, or nil
// when there is none of type amount.
func (s *State) param(ref *format.ParamRef) *format.Parameter {
	c := s.Reg.Controls[ref.Control]
	if c == nil {
		return nil
	}
	p := c.Param(ref.Parameter)
	if p == nil || p.Type != "amount" {
		return nil
	}
	return p
}
