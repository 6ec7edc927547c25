package enforce

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
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
	used       map[runKey]struct{}      // run IDs ever proposed, by digest
	stmts      map[format.Hash]struct{} // every statement recorded, by SHA-256 of its signed bytes
	person     map[string]string        // union-find over principals attested as one human
	pending    map[int64]*pendingAttempt
	al         alertState // alerts awaiting delivery (alerts.go)
	next       int64
	reg        *register               // controls, teams and role assignments
	days       *dayTotals              // the daily aggregates of the current local day
	findings   map[int64]*auditFinding // audit_finding records by sequence number (audit.go)
	holidays   map[calendar.Date]bool  // holidays executed (audit.go)
	leavers    []leaver                // leaver records (personnel.go)
	pholds     []personnelHold         // persons held by their personnel conflicts (orgchart.go)
	org        *orgChart               // reporting lines (orgchart.go)
	exc        *exceptions             // exceptions in force (exceptions.go)
	// off holds refusal checks disabled by a test (export_test.go), to
	// show each one is load-bearing. It is empty outside tests.
	off map[string]bool
}

// runKey is the first 128 bits of SHA-256 of a run ID: enough to tell run
// IDs apart, at 16 bytes per run ever proposed.
type runKey [16]byte

func runKeyOf(id string) runKey {
	h := sha256.Sum256([]byte(id))
	return runKey(h[:16])
}

// usedRun reports whether a proposal ever named run id.
func (s *state) usedRun(id string) bool {
	_, ok := s.used[runKeyOf(id)]
	return ok
}

// seen reports whether a statement with these signed bytes was recorded.
func (s *state) seen(stmt []byte) bool {
	_, ok := s.stmts[sha256.Sum256(stmt)]
	return ok
}

// personOf returns the representative of the human principal id belongs
// to: principals linked by a registrar's same_person attestation share it.
func (s *state) personOf(id string) string {
	for {
		p, ok := s.person[id]
		if !ok || p == id {
			return id
		}
		id = p
	}
}

func (s *state) link(a, b string) {
	ra, rb := s.personOf(a), s.personOf(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	s.person[rb] = ra
}

// samePerson reports whether principals a and b are one human.
func (s *state) samePerson(a, b string) bool { return a == b || s.personOf(a) == s.personOf(b) }

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
	version       int64
	grants        []format.Grant
	gates         map[string]format.GateDef
	beneficiaries map[string]string // class -> action member naming the beneficiary
}

type run struct {
	id          string
	proposal    format.Hash
	proposalSeq int64
	proposer    string
	class       string
	digest      string
	action      []byte
	proposedAt  string // the proposal record's time
	amount      string
	currency    string
	amounts     amountShape
	beneficiary string
	gate        *format.Gate
	policy      int64
	controls    []string         // the controls whose approvers the gate's stages are
	signoffs    map[string]int64 // principal -> stage, accepted sign-offs
	count       map[int64]int    // stage -> accepted sign-offs
	open        bool
	executed    bool
}

func newState(genesis format.Hash) *state {
	return &state{genesis: genesis, principals: map[string]*principal{}, keys: map[format.Hash]*key{}, runs: map[string]*run{},
		used: map[runKey]struct{}{}, stmts: map[format.Hash]struct{}{}, person: map[string]string{}, pending: map[int64]*pendingAttempt{},
		off: map[string]bool{}, reg: newRegister(), days: &dayTotals{}, findings: map[int64]*auditFinding{}, holidays: map[calendar.Date]bool{},
		org: &orgChart{lines: map[string]line{}}, exc: newExceptions()}
}

func (s *state) applyGenesis(g *format.Genesis) {
	s.governance = g.Governance.N
	if loc, err := loadZone(g.Org.TZ); err == nil {
		s.days.loc = loc
	}
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
	body, err := format.DecodeBody(rec.Type, rec.Body, format.Strict)
	if err != nil {
		return err
	}
	if rec.Seq != s.next && rec.Type != format.TypeGenesis {
		return fmt.Errorf("record %d out of order (expected %d)", rec.Seq, s.next)
	}
	s.next = rec.Seq + 1
	for _, sig := range rec.Sigs {
		s.stmts[sha256.Sum256(sig.Stmt)] = struct{}{}
	}
	s.al.replay(rec, body)
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
		for _, sig := range rec.Sigs {
			if st, err := format.ParseStatement(sig.Stmt, format.Strict); err == nil && st.Purpose == format.PurposeEnrolWitness {
				for _, other := range st.SamePerson {
					s.link(b.Principal.ID, other)
				}
			}
		}
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
			action: []byte(b.Action), proposedAt: rec.Time, beneficiary: b.Beneficiary, signoffs: map[string]int64{}, count: map[int64]int{}}
		r.amounts = shapeOf(a)
		r.amount, r.currency = r.amounts.amount, r.amounts.currency
		s.runs[b.Run] = r
		s.used[runKeyOf(b.Run)] = struct{}{}
		s.pending[rec.Seq] = &pendingAttempt{seq: rec.Seq, actor: rec.Actor, run: b.Run}
	case *format.Personnel:
		before := s.reg.clone()
		s.reg.applyPersonnel(b)
		if t, err := format.ParseTime(rec.Time); err == nil {
			s.holdPersonnel(rec.Seq, b.Principal, before, t)
		}
		s.lapseSmallOrgs()
		s.applyPersonnel(rec.Seq, b)
	case *format.Gate:
		if r := s.runs[b.Run]; r != nil {
			r.gate, r.policy = b, b.Policy
			r.controls = gateControls(b)
		}
	case *format.Outcome:
		s.applyOutcome(b)
	case *format.AuditFinding:
		s.findings[rec.Seq] = &auditFinding{control: b.Control, severity: b.Severity}
	case *format.Attempt:
		p := &pendingAttempt{seq: rec.Seq, actor: rec.Actor, act: b.Act, run: b.Run}
		if st, err := format.ParseStatement(rec.Sigs[0].Stmt, format.Strict); err == nil {
			p.stage = st.Stage
		}
		s.pending[rec.Seq] = p
	case *format.Execution:
		if r := s.runs[b.Run]; r != nil {
			r.executed, r.open = true, false
			if format.IsChangeClass(r.class) {
				s.applyChange(r, rec.Seq, rec.Time)
				s.lapseSmallOrgs()
			} else if r.amounts.hasAmount && !r.amounts.elsewhere && r.amounts.hasCurrency {
				s.days.add(rec.Time, dayKey{r.proposer, r.class, r.currency}, r.amount)
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
func (s *state) applyChange(r *run, seq int64, at string) {
	a, err := format.ParseAction(r.action)
	if err != nil {
		return
	}
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return
	}
	switch c := ch.(type) {
	case *format.PolicyAction:
		p := &policy{version: c.Version, grants: c.Grants, gates: map[string]format.GateDef{}, beneficiaries: map[string]string{}}
		for _, g := range c.Gates {
			p.gates[g.Class] = g
		}
		for _, b := range c.Beneficiaries {
			p.beneficiaries[b.Class] = b.Member
		}
		s.policy = p
	case *format.ControlAction, *format.TeamAction, *format.RoleAction:
		s.reg.apply(c)
	case *format.AuditFindingChangeAction:
		s.applyAuditChange(c)
	case *format.HolidayAction:
		s.applyHoliday(c)
	case *format.ReportingLineAction, *format.ExceptionAction, *format.SmallOrgAction, *format.SmallOrgReviewAction:
		s.applyExceptionChange(r, c, seq, at)
	}
}

// sortedPrincipals returns every principal ID in a stable order.
func (s *state) sortedPrincipals() []string {
	ids := make([]string, 0, len(s.principals))
	for id := range s.principals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
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

// amountShape is what the grant rules need of an action's amounts: its
// top-level amount and currency, and whether a limit can judge it.
type amountShape struct {
	amount      string
	currency    string
	hasAmount   bool // a top-level string amount of the grammar of SPEC §6.8
	hasCurrency bool // a top-level string currency
	elsewhere   bool // an amount or total somewhere a limit cannot see
}

// limitAmountRE is the grammar of an amount a limit judges: a decimal with
// no sign and no exponent.
var limitAmountRE = regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]+)?$`)

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

func shapeOf(a *format.Action) amountShape {
	var sh amountShape
	if v, ok := a.Members["amount"]; ok {
		s, isText := a.Text("amount")
		sh.amount = s
		if _, err := format.ParseDecimal(s); isText && err == nil && limitAmountRE.MatchString(s) {
			sh.hasAmount = true
		} else {
			sh.elsewhere = true
			if !isText {
				sh.amount = string(v)
			}
		}
	}
	sh.currency, sh.hasCurrency = a.Text("currency")
	if _, ok := a.Members["total"]; ok {
		sh.elsewhere = true
	}
	for k, v := range a.Members {
		if k != "amount" && k != "total" && nestedAmount(v, 0) {
			sh.elsewhere = true
		}
	}
	return sh
}

// nestedAmount reports whether a JSON value holds, at any depth, an object
// member named amount or total.
func nestedAmount(v []byte, depth int) bool {
	if len(v) == 0 || depth > 64 || (v[0] != '{' && v[0] != '[') {
		return false
	}
	var x any
	if err := format.DecodeJSON(v, &x, format.Lax); err != nil {
		return true // what cannot be read cannot be judged
	}
	return holdsAmount(x)
}

func holdsAmount(x any) bool {
	switch t := x.(type) {
	case map[string]any:
		for k, v := range t {
			if k == "amount" || k == "total" || holdsAmount(v) {
				return true
			}
		}
	case []any:
		for _, v := range t {
			if holdsAmount(v) {
				return true
			}
		}
	}
	return false
}

// limited reports whether some grant of the policy in force limits class.
func (s *state) limited(class string) bool {
	if s.policy == nil {
		return false
	}
	for _, g := range s.policy.grants {
		if bounded(g) && slices.Contains(g.Classes, class) {
			return true
		}
	}
	return false
}

// grant returns "" when principal holds a grant of role covering the
// class and amounts, else the refusal code (SPEC §6.8). Change classes are
// governed by their gates alone. at is "" at a proposal or sign-off, and
// at an execute attempt the time its records will carry, whose local day
// the daily aggregates are judged for.
func (s *state) grant(principal, role, class string, sh amountShape, at string) string {
	if format.IsChangeClass(class) {
		return ""
	}
	if s.policy == nil {
		return CodeNoGrant
	}
	var listed []format.Grant
	named := false
	for _, g := range s.policy.grants {
		if !slices.Contains(g.Classes, class) {
			continue
		}
		named = named || g.Currency != "" || g.Limit != nil || g.DailyLimit != nil
		if g.Principal == principal && g.Role == role {
			listed = append(listed, g)
		}
	}
	if len(listed) == 0 {
		return CodeNoGrant
	}
	if !s.off[CodeOverLimit] {
		if s.limited(class) && (!sh.hasAmount || sh.elsewhere) {
			return CodeOverLimit
		}
		if named && !(sh.hasCurrency && currencyRE.MatchString(sh.currency)) {
			return CodeOverLimit
		}
	}
	var day func(cur string) (*big.Rat, bool)
	if at != "" {
		day = func(cur string) (*big.Rat, bool) { return s.days.total(at, dayKey{principal, class, cur}) }
	}
	for _, g := range listed {
		if s.coversAt(g, sh, day) || s.off[CodeOverLimit] {
			return ""
		}
	}
	return CodeOverLimit
}

// covers reports whether grant g covers an action with these amounts.
func covers(g format.Grant, sh amountShape) bool {
	if g.Currency != "" && (!currencyRE.MatchString(g.Currency) || !sh.hasCurrency || sh.currency != g.Currency) {
		return false
	}
	if g.MaxAmount == "" {
		return true
	}
	limit, err1 := format.ParseDecimal(g.MaxAmount)
	amt, err2 := format.ParseDecimal(sh.amount)
	return sh.hasAmount && err1 == nil && err2 == nil && amt.Cmp(limit) <= 0
}
