package enforce

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
	"github.com/countersign/countersign/internal/names"
)

// Exceptions to role segregation (AG-259 4.5 and 4.8, SPEC.md §6.8).
//
// A change.exception lets one holder (a principal, or a team) combine some
// roles on one control from its starts date to its expires date
// inclusive, local dates in the organisation's zone: at most 90 calendar
// days (expires − starts <= 89), never backdated, with a risk assessment,
// approved by someone above the holder in the reporting lines who is
// neither the holder nor the beneficiary. It stops covering at the end of
// its expires day, local midnight.
//
// A change.small_org lets any unit combine some roles on one control while
// fewer than 5 distinct humans hold any control role and its quarterly
// reviews are on time. It lapses, for good, once a fifth human holds a
// role or a review is missed.

// CodeInvalidException refuses a change.exception, change.small_org or
// change.small_org_review that breaks the rules above: its roles, dates,
// holder or control, a renewal without a fresh risk assessment, a review
// of an exception that is not in force.
const CodeInvalidException = "invalid-exception"

// GateException is the gate of a change.exception run: one stage whose
// pool is every principal above the holder at the proposal.
const GateException = "exception"

// Exception bounds.
const (
	exceptionMaxDays   = 89 // expires − starts, in days: 90 calendar days inclusive
	managerSettleDays  = 30 // a manager of fewer days does not approve
	smallOrgMaxPeople  = 5  // at this many humans holding roles, small_org lapses
	smallOrgReviewGaps = 3  // months between reviews
)

// exception is an executed change.exception.
type exception struct {
	id          string
	holder      string // a principal or a team ID
	team        bool
	beneficiary string
	control     string
	roles       []string
	risk        string
	starts      calendar.Date
	expires     calendar.Date
	seq         int64 // its execution record
}

// smallOrg is an executed change.small_org.
type smallOrg struct {
	id       string
	control  string
	roles    []string
	reviewBy calendar.Date
	ended    bool
	lapsed   bool
}

// exceptions holds the exceptions executed so far.
type exceptions struct {
	byID   map[string]*exception
	small  map[string]*smallOrg
	lastOf map[string]*exception // chain key (holder, control, roles) -> the latest
}

func newExceptions() *exceptions {
	return &exceptions{byID: map[string]*exception{}, small: map[string]*smallOrg{}, lastOf: map[string]*exception{}}
}

func chainKey(holder, ctl string, roles []string) string {
	r := slices.Clone(roles)
	slices.Sort(r)
	return holder + "\x00" + ctl + "\x00" + strings.Join(r, ",")
}

// zone is the organisation's zone (UTC when genesis named none the
// database knows).
func (s *state) zone() *time.Location {
	if s.days.loc != nil {
		return s.days.loc
	}
	return time.UTC
}

// judgeTime is the instant a decision is judged at: the clock, held at
// the last record's time when it stepped back, as the records will be.
func (c *Core) judgeTime() time.Time {
	at := c.decisionTime()
	if last := c.chain.LastTime(); at < last {
		at = last
	}
	t, err := format.ParseTime(at)
	if err != nil {
		return time.Now()
	}
	return t
}

// active reports whether e covers at instant at: from the start of its
// starts day to the end of its expires day, local time.
func (s *state) active(e *exception, at time.Time) bool {
	loc := s.zone()
	return !at.Before(e.starts.Start(loc)) && at.Before(e.expires.End(loc))
}

// covered reports whether an exception in force at instant at covers unit
// holding roles on control ctl, in the register as it stands.
func (s *state) covered(ctl, unit string, roles []string, at time.Time) bool {
	return s.coveredIn(s.reg, ctl, unit, roles, at)
}

// coveredIn is covered against register reg: a change.exception of
// exactly that unit (a person holder's person; a team holder, the team and
// each of its members) for a superset of roles, active at at; or a small
// organisation exception on ctl for a superset of roles, in force.
func (s *state) coveredIn(reg *register, ctl, unit string, roles []string, at time.Time) bool {
	within := func(have []string) bool {
		for _, r := range roles {
			if !slices.Contains(have, r) {
				return false
			}
		}
		return true
	}
	for _, id := range slices.Sorted(maps.Keys(s.exc.byID)) {
		e := s.exc.byID[id]
		if e.control != ctl || !within(e.roles) || !s.active(e, at) {
			continue
		}
		switch {
		case !e.team && unit == "person "+s.personOf(e.holder):
			return true
		case e.team && unit == "team "+e.holder:
			return true
		case e.team && reg.teams[e.holder] != nil:
			for _, m := range reg.teams[e.holder].members {
				if unit == "person "+s.personOf(m) {
					return true
				}
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(s.exc.small)) {
		so := s.exc.small[id]
		if so.control == ctl && within(so.roles) && s.smallOrgInForce(so, reg, at) {
			return true
		}
	}
	return false
}

// people returns the distinct humans (persons) holding any role on any
// control of reg, individually or as human members of a holding team.
func (s *state) people(reg *register) int {
	set := map[string]bool{}
	addP := func(id string) {
		if p := s.principals[id]; p != nil && p.Kind == format.KindHuman {
			set[s.personOf(id)] = true
		}
	}
	for _, byRole := range reg.roles {
		for _, hs := range byRole {
			for _, h := range hs {
				if h.principal != "" {
					addP(h.principal)
				} else if t := reg.teams[h.team]; t != nil {
					for _, m := range t.members {
						addP(m)
					}
				}
			}
		}
	}
	return len(set)
}

// smallOrgInForce reports whether so covers at instant at with register
// reg: not ended, not lapsed, fewer than 5 humans holding roles, and its
// review not overdue.
func (s *state) smallOrgInForce(so *smallOrg, reg *register, at time.Time) bool {
	return !so.ended && !so.lapsed && s.people(reg) < smallOrgMaxPeople && at.Before(so.reviewBy.End(s.zone()))
}

// smallOrgGrowth returns why a register change cannot execute while a
// small-organisation exception is in force and the change brings the
// humans holding roles to 5: it would lapse the exception underfoot. The
// exception is ended by a review first.
func (s *state) smallOrgGrowth(after *register, at time.Time) string {
	if len(s.exc.small) == 0 || s.people(after) < smallOrgMaxPeople || s.people(s.reg) >= smallOrgMaxPeople {
		return ""
	}
	for _, id := range slices.Sorted(maps.Keys(s.exc.small)) {
		if so := s.exc.small[id]; s.smallOrgInForce(so, s.reg, at) {
			return fmt.Sprintf("the change brings the humans holding control roles to %d, which lapses small-organisation exception %s on control %s: end it by a review (outcome end) first", s.people(after), id, so.control)
		}
	}
	return ""
}

// checkRoles returns why roles are not at least two distinct control
// roles, or "".
func checkRoles(roles []string) string {
	if len(roles) < 2 {
		return fmt.Sprintf("an exception combines at least two roles, not %d", len(roles))
	}
	seen := map[string]bool{}
	for _, r := range roles {
		if !validRole(r) {
			return fmt.Sprintf("%q is not a control role (build, operate, approve, validate, audit)", r)
		}
		if seen[r] {
			return fmt.Sprintf("role %s is listed twice", r)
		}
		seen[r] = true
	}
	return ""
}

// decodeChangeAction decodes a run's change action, or nil.
func decodeChangeAction(action []byte) any {
	a, err := format.ParseAction(action)
	if err != nil {
		return nil
	}
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return nil
	}
	return ch
}

// holderAnchor is the principal a holder's "above" is taken from: the
// principal itself, or a team's accountable human.
func (s *state) holderAnchor(e *format.ExceptionAction) string {
	if t := s.reg.teams[e.Holder]; t != nil && s.principals[e.Holder] == nil {
		return t.accountable
	}
	return e.Holder
}

// checkException returns the refusal of a change.exception in the state
// as it stands at instant at (its proposal, or its execute attempt), or
// "".
func (s *state) checkException(e *format.ExceptionAction, at time.Time) (string, string) {
	today := calendar.On(at, s.zone())
	starts, err1 := calendar.Parse(e.Starts)
	expires, err2 := calendar.Parse(e.Expires)
	switch {
	case !format.ValidID(e.Exception):
		return CodeInvalidException, fmt.Sprintf("exception ID %q is not an identifier", e.Exception)
	case s.exc.byID[e.Exception] != nil || s.exc.small[e.Exception] != nil:
		return CodeInvalidException, fmt.Sprintf("exception %s was granted before: a renewal is a new exception with its own ID", e.Exception)
	case s.principals[e.Holder] == nil && s.reg.teams[e.Holder] == nil:
		return CodeInvalidException, fmt.Sprintf("holder %s is neither an enrolled principal nor a team in the register", e.Holder)
	case s.principals[e.Beneficiary] == nil:
		return CodeInvalidException, fmt.Sprintf("beneficiary %q is not an enrolled principal: an exception names who asked for it", e.Beneficiary)
	case s.reg.controls[e.Control] == nil:
		return CodeInvalidException, fmt.Sprintf("control %s is not in the register", e.Control)
	case checkRoles(e.Roles) != "":
		return CodeInvalidException, checkRoles(e.Roles)
	case names.Blank(e.RiskAssessment):
		return CodeEmptyReason, fmt.Sprintf("exception %s has no risk assessment", e.Exception)
	case err1 != nil:
		return CodeInvalidException, fmt.Sprintf("exception %s: starts: %v", e.Exception, err1)
	case err2 != nil:
		return CodeInvalidException, fmt.Sprintf("exception %s: expires: %v", e.Exception, err2)
	case starts.Before(today):
		return CodeInvalidException, fmt.Sprintf("exception %s starts %s, before today (%s, local): an exception is not backdated", e.Exception, starts, today)
	case expires.Before(starts):
		return CodeInvalidException, fmt.Sprintf("exception %s expires %s, before it starts (%s)", e.Exception, expires, starts)
	case expires.Sub(starts) > exceptionMaxDays:
		return CodeInvalidException, fmt.Sprintf("exception %s runs %d days (%s to %s inclusive); at most 90 (expires − starts <= 89)", e.Exception, expires.Sub(starts)+1, starts, expires)
	}
	if prev := s.exc.lastOf[chainKey(e.Holder, e.Control, e.Roles)]; prev != nil && !prev.expires.AddDays(1).Before(starts) {
		if strings.TrimSpace(prev.risk) == strings.TrimSpace(e.RiskAssessment) {
			return CodeInvalidException, fmt.Sprintf("exception %s renews %s (starts %s, no later than the day after %s expires): a renewal carries a fresh risk assessment", e.Exception, prev.id, starts, prev.id)
		}
	}
	if len(s.above(s.holderAnchor(e))) == 0 {
		return CodeInvalidException, fmt.Sprintf("no one is above %s in the reporting lines to approve exception %s: record the reporting line first", s.holderAnchor(e), e.Exception)
	}
	return "", ""
}

// exceptionGate is the gate of a change.exception run proposed now: one
// stage, pool every principal above the holder.
func (s *state) exceptionGate(e *format.ExceptionAction, class string, pv int64) *format.GateDef {
	anchor := s.holderAnchor(e)
	return &format.GateDef{Class: class, Gate: GateException, Stages: []format.Stage{{
		Stage: 1, N: 1, Pool: s.above(anchor), Meaning: format.MeaningApproval, Human: true, PoolAbove: anchor}}}
}

// holderPerson reports whether id, as a person, is the holder of e (or a
// member of the holding team).
func (s *state) holderPerson(e *format.ExceptionAction, id string) bool {
	if s.samePerson(e.Holder, id) && s.principals[e.Holder] != nil {
		return true
	}
	if t := s.reg.teams[e.Holder]; t != nil && s.principals[e.Holder] == nil {
		for _, m := range t.members {
			if s.samePerson(m, id) {
				return true
			}
		}
	}
	return false
}

// judgeExceptionSignoff returns the refusal of a sign-off on a
// change.exception run, or "": never the holder or the beneficiary
// (self-approval); only someone above the holder now, who did not become
// so within 30 days before today, nor after the proposal, nor by a
// reporting-line change they proposed (not-in-pool).
func (c *Core) judgeExceptionSignoff(r *run, signer string) (string, string) {
	e, _ := decodeChangeAction(r.action).(*format.ExceptionAction)
	if e == nil {
		return "", ""
	}
	s := c.st
	if why := s.exceptionSelf(r, signer); why != "" && c.on(CodeSelfApproval) {
		return CodeSelfApproval, why
	}
	if !c.on(CodeNotInPool) {
		return "", ""
	}
	anchor := s.holderAnchor(e)
	ok, links := s.isAbove(signer, anchor)
	if !ok {
		return CodeNotInPool, fmt.Sprintf("%s is not above %s in the reporting lines, so does not approve exception %s", signer, anchor, e.Exception)
	}
	at := c.judgeTime()
	today := calendar.On(at, s.zone())
	for _, l := range links {
		lt, err := format.ParseTime(l.time)
		if err != nil {
			return CodeNotInPool, "the reporting line's time cannot be read"
		}
		switch {
		case l.seq > r.proposalSeq:
			return CodeNotInPool, fmt.Sprintf("%s became above %s after exception %s was proposed (reporting line of record %d)", signer, anchor, e.Exception, l.seq)
		case s.samePerson(l.proposer, signer):
			return CodeNotInPool, fmt.Sprintf("%s proposed the reporting-line change (record %d) that put them above %s, so does not approve exception %s", signer, l.seq, anchor, e.Exception)
		case today.Sub(calendar.On(lt, s.zone())) < managerSettleDays:
			return CodeNotInPool, fmt.Sprintf("%s became above %s on %s (record %d), within %d days before this approval: a new manager does not approve exception %s", signer, anchor, calendar.On(lt, s.zone()), l.seq, managerSettleDays, e.Exception)
		}
	}
	return "", ""
}

// checkSmallOrg returns the refusal of a change.small_org at instant at,
// or "".
func (s *state) checkSmallOrg(so *format.SmallOrgAction, at time.Time) (string, string) {
	today := calendar.On(at, s.zone())
	rb, err := calendar.Parse(so.ReviewBy)
	switch {
	case !format.ValidID(so.Exception):
		return CodeInvalidException, fmt.Sprintf("exception ID %q is not an identifier", so.Exception)
	case s.exc.byID[so.Exception] != nil || s.exc.small[so.Exception] != nil:
		return CodeInvalidException, fmt.Sprintf("exception %s was granted before", so.Exception)
	case s.reg.controls[so.Control] == nil:
		return CodeInvalidException, fmt.Sprintf("control %s is not in the register", so.Control)
	case checkRoles(so.Roles) != "":
		return CodeInvalidException, checkRoles(so.Roles)
	case names.Blank(so.Documentation):
		return CodeEmptyReason, fmt.Sprintf("small-organisation exception %s is not documented", so.Exception)
	case names.Blank(so.RiskAssessment):
		return CodeEmptyReason, fmt.Sprintf("small-organisation exception %s has no risk assessment", so.Exception)
	case len(so.CompensatingControls) == 0:
		return CodeInvalidException, fmt.Sprintf("small-organisation exception %s names no compensating control", so.Exception)
	case err != nil:
		return CodeInvalidException, fmt.Sprintf("small-organisation exception %s: review_by: %v", so.Exception, err)
	case rb.Before(today) || today.AddMonths(smallOrgReviewGaps).Before(rb):
		return CodeInvalidException, fmt.Sprintf("small-organisation exception %s: review_by %s is not between today (%s) and 3 months on (%s)", so.Exception, rb, today, today.AddMonths(smallOrgReviewGaps))
	case s.people(s.reg) >= smallOrgMaxPeople:
		return CodeInvalidException, fmt.Sprintf("%d humans hold control roles: the small-organisation exception is for fewer than %d", s.people(s.reg), smallOrgMaxPeople)
	}
	for _, cc := range so.CompensatingControls {
		if names.Blank(cc) {
			return CodeInvalidException, fmt.Sprintf("small-organisation exception %s names a blank compensating control", so.Exception)
		}
	}
	return "", ""
}

// checkSmallOrgReview returns the refusal of a change.small_org_review at
// instant at, or "".
func (s *state) checkSmallOrgReview(rv *format.SmallOrgReviewAction, at time.Time) (string, string) {
	so := s.exc.small[rv.Exception]
	today := calendar.On(at, s.zone())
	switch {
	case so == nil:
		return CodeInvalidException, fmt.Sprintf("%s is no small-organisation exception in force", rv.Exception)
	case so.ended:
		return CodeInvalidException, fmt.Sprintf("small-organisation exception %s has ended", rv.Exception)
	case !s.smallOrgInForce(so, s.reg, at):
		return CodeInvalidException, fmt.Sprintf("small-organisation exception %s has lapsed (a missed review, or five people holding roles): grant a new one", rv.Exception)
	case rv.Outcome != "continue" && rv.Outcome != "end":
		return CodeInvalidException, fmt.Sprintf("a review's outcome is continue or end, not %q", rv.Outcome)
	case names.Blank(rv.Notes):
		return CodeEmptyReason, fmt.Sprintf("the review of %s has no notes", rv.Exception)
	case rv.Outcome == "end":
		return "", ""
	}
	next, err := calendar.Parse(rv.NextReviewBy)
	switch {
	case err != nil:
		return CodeInvalidException, fmt.Sprintf("review of %s: next_review_by: %v", rv.Exception, err)
	case next.Before(today) || today.AddMonths(smallOrgReviewGaps).Before(next):
		return CodeInvalidException, fmt.Sprintf("review of %s: next_review_by %s is not between today (%s) and 3 months on (%s)", rv.Exception, next, today, today.AddMonths(smallOrgReviewGaps))
	}
	return "", ""
}

// judgeExceptionChange returns the refusal of a change.reporting_line,
// change.exception, change.small_org or change.small_org_review, at its
// proposal or execute attempt, or "".
func (c *Core) judgeExceptionChange(class string, action []byte) (string, string) {
	if class == format.ClassReportingLine {
		return c.judgeReportingLine(action)
	}
	if !c.on(CodeInvalidException) {
		return "", ""
	}
	at := c.judgeTime()
	var code, why string
	switch x := decodeChangeAction(action).(type) {
	case *format.ExceptionAction:
		code, why = c.st.checkException(x, at)
	case *format.SmallOrgAction:
		code, why = c.st.checkSmallOrg(x, at)
	case *format.SmallOrgReviewAction:
		code, why = c.st.checkSmallOrgReview(x, at)
	}
	if code != "" && c.on(code) {
		return code, why
	}
	return "", ""
}

// applyExceptionChange puts an executed exception change into force at
// record seq, time at.
func (s *state) applyExceptionChange(r *run, ch any, seq int64, at string) {
	t, err := format.ParseTime(at)
	if err != nil {
		return
	}
	switch x := ch.(type) {
	case *format.ReportingLineAction:
		s.applyReportingLine(r, x, seq, at)
	case *format.ExceptionAction:
		if code, _ := s.checkException(x, t); code != "" {
			return
		}
		starts, _ := calendar.Parse(x.Starts)
		expires, _ := calendar.Parse(x.Expires)
		e := &exception{id: x.Exception, holder: x.Holder, team: s.principals[x.Holder] == nil, beneficiary: x.Beneficiary, control: x.Control,
			roles: slices.Clone(x.Roles), risk: x.RiskAssessment, starts: starts, expires: expires, seq: seq}
		s.exc.byID[e.id] = e
		s.exc.lastOf[chainKey(e.holder, e.control, e.roles)] = e
	case *format.SmallOrgAction:
		if code, _ := s.checkSmallOrg(x, t); code != "" {
			return
		}
		rb, _ := calendar.Parse(x.ReviewBy)
		s.exc.small[x.Exception] = &smallOrg{id: x.Exception, control: x.Control, roles: slices.Clone(x.Roles), reviewBy: rb}
	case *format.SmallOrgReviewAction:
		if code, _ := s.checkSmallOrgReview(x, t); code != "" {
			return
		}
		so := s.exc.small[x.Exception]
		if x.Outcome == "end" {
			so.ended = true
			return
		}
		so.reviewBy, _ = calendar.Parse(x.NextReviewBy)
	}
}

// lapseSmallOrgs marks every small-organisation exception lapsed once five
// humans hold control roles: the lapse is for good.
func (s *state) lapseSmallOrgs() {
	if len(s.exc.small) == 0 || s.people(s.reg) < smallOrgMaxPeople {
		return
	}
	for _, so := range s.exc.small {
		so.lapsed = true
	}
}

// exceptionSelf returns why signer, as the holder of a change.exception
// run's exception (or a member of the holding team) or its beneficiary,
// cannot approve it, or "".
func (s *state) exceptionSelf(r *run, signer string) string {
	e, _ := decodeChangeAction(r.action).(*format.ExceptionAction)
	switch {
	case e == nil:
		return ""
	case s.holderPerson(e, signer):
		return fmt.Sprintf("%s holds exception %s (or is a member of the team holding it) and cannot approve it", signer, e.Exception)
	case e.Beneficiary != "" && s.samePerson(e.Beneficiary, signer):
		return fmt.Sprintf("%s is the beneficiary of exception %s and cannot approve it", signer, e.Exception)
	}
	return ""
}
