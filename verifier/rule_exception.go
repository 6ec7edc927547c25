package verifier

import (
	"slices"
	"strings"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
)

// RuleException: reporting lines never cycle, and an exception to role
// segregation is risk-assessed, approved with the approver's own signature
// by someone above its holder, never backdated, at most 90 days long, not
// used outside its dates, and renewed only with a fresh risk assessment.
const RuleException = "SOD-EXCEPTION"

var ruleException = Rule{
	ID:         RuleException,
	Statement:  "reporting lines never make anyone their own manager; an exception to role segregation is documented with a risk assessment, approved with the approver's own signed statement by a person at least one management level above its holder (never the holder or the beneficiary, nor a manager appointed within 30 days or by themselves), starts no earlier than the day it is granted, lasts at most 90 days, covers nothing once expired, and a renewal carries a new risk assessment",
	References: []string{"seed 003 (AG-259 4.5, tests 8.3, 8.7)", "SPEC.md §6.11"},
	check: func(j *judgement) {
		s := j.st
		conflictActs(j)
		expiredConflicts(j)
		if a, r := acceptedSignoff(j); a != nil && r.Action != nil {
			switch r.Class {
			case format.ClassException:
				exceptionSignoff(j, a, r)
			case format.ClassReportingLine:
				if ch, err := format.DecodeChange(r.Action, modeOf(s.Lax)); err == nil && j.on("SOD-EXCEPTION.10") {
					c := ch.(*format.ReportingLineAction)
					who := s.PersonOf(a.actor)
					if who == s.PersonOf(c.Principal) || c.Manager != "" && who == s.PersonOf(c.Manager) {
						j.emitf(RuleException, []int64{r.ProposalSeq, a.seq, j.rec.Seq}, "%s signed off run %s, which sets their own reporting line (%s reports to %s)", a.actor, r.ID, clip(c.Principal), clip(c.Manager))
					}
				}
			}
			return
		}
		r := j.run
		if _, ok := j.body.(*format.Execution); !ok || r == nil || r.Action == nil {
			return
		}
		ch, err := format.DecodeChange(r.Action, modeOf(s.Lax))
		if err != nil {
			return
		}
		switch c := ch.(type) {
		case *format.ReportingLineAction:
			if p := s.lineProblem(c); p != "" && j.on("SOD-EXCEPTION.1") {
				j.emitf(RuleException, []int64{r.ProposalSeq, j.rec.Seq}, "run %s cannot set the reporting line of %s: %s; the change does not take effect", r.ID, clip(c.Principal), p)
			}
		case *format.ExceptionAction:
			for _, p := range exceptionProblems(j, r, c) {
				j.emitf(RuleException, p.recs, "%s", p.msg)
			}
		}
	},
	end: expiredAtEnd,
}

// excRun is what a change.exception run's sign-offs showed: the accepted
// sign-offs by a person above the holder at the sign-off, and whether one
// failed SOD-EXCEPTION.3 or .7.
type excRun struct {
	above []int64
	bad   bool
}

// exceptionSignoff judges an accepted sign-off on a change.exception run
// (SOD-EXCEPTION.3: never the holder or beneficiary; .7: not a manager
// appointed within 30 days, after the proposal, or by themselves).
func exceptionSignoff(j *judgement, a *pending, r *RunState) {
	s := j.st
	ch, err := format.DecodeChange(r.Action, modeOf(s.Lax))
	if err != nil {
		return
	}
	c := ch.(*format.ExceptionAction)
	if r.exc == nil {
		r.exc = &excRun{}
	}
	recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
	who := s.PersonOf(a.actor)
	unit, anchor := s.exceptionHolder(c.Holder)
	self := unit == "p:"+who
	if t := s.Reg.Teams[c.Holder]; unit != "" && unit[0] == 't' && t != nil {
		self = slices.ContainsFunc(t.Members, func(m string) bool { return s.PersonOf(m) == who })
	}
	if b := s.beneficiaryOf(c); self || b != "" && s.PersonOf(b) == who {
		if j.on("SOD-EXCEPTION.3") {
			r.exc.bad = true
			j.emitf(RuleException, recs, "%s signed off exception %s, of which they are the holder or the beneficiary", a.actor, clip(c.Exception))
		}
		return
	}
	ok, last := s.above(a.actor, anchor)
	if !ok {
		return
	}
	r.exc.above = append(r.exc.above, a.seq)
	if !j.on("SOD-EXCEPTION.7") {
		return
	}
	why := ""
	signed := calendar.On(j.at(), s.zone())
	lt, _ := format.ParseTime(last.time)
	switch {
	case s.PersonOf(last.proposer) == who:
		why = "they proposed that reporting line themselves"
	case last.seq > r.ProposalSeq:
		why = "that reporting line took effect after the exception was proposed"
	case signed.Sub(calendar.On(lt, s.zone())) < 30:
		why = "that was less than 30 days before the approval"
	}
	if why != "" {
		r.exc.bad = true
		j.emitf(RuleException, append(recs, last.seq), "%s approved exception %s as a manager above %s by the reporting line of record %d (%s): %s", a.actor, clip(c.Exception), clip(c.Holder), last.seq, last.time, why)
	}
}

type excProblem struct {
	cond string
	recs []int64
	msg  string
}

// exceptionProblems judges an executed change.exception (SOD-EXCEPTION.2
// to .6 and .9); an exception with any problem, or whose sign-offs failed
// .3 or .7, does not take effect.
func exceptionProblems(j *judgement, r *RunState, c *format.ExceptionAction) []excProblem {
	s := j.st
	recs := []int64{r.ProposalSeq, j.rec.Seq}
	var out []excProblem
	add := func(cond string, recs []int64, msg string) {
		if j.on(cond) {
			out = append(out, excProblem{cond, recs, msg})
		}
	}
	id := clip(c.Exception)
	unit, _ := s.exceptionHolder(c.Holder)
	switch {
	case !format.ValidID(c.Exception):
		add("SOD-EXCEPTION.2", recs, "run "+r.ID+": exception ID "+id+" is not an identifier")
	case unit == "":
		add("SOD-EXCEPTION.2", recs, "exception "+id+": holder "+clip(c.Holder)+" is neither an enrolled principal nor a team")
	case c.Beneficiary != "" && s.Principals[c.Beneficiary] == nil:
		add("SOD-EXCEPTION.2", recs, "exception "+id+": beneficiary "+clip(c.Beneficiary)+" is not enrolled")
	case s.Reg.Controls[c.Control] == nil:
		add("SOD-EXCEPTION.2", recs, "exception "+id+": control "+clip(c.Control)+" is not in the register")
	case !rolesValid(c.Roles):
		add("SOD-EXCEPTION.2", recs, "exception "+id+": it does not name at least two distinct roles of the five")
	case !nonBlank(c.RiskAssessment):
		add("SOD-EXCEPTION.2", recs, "exception "+id+" has no risk assessment")
	}
	counted, above := false, false
	for _, so := range r.Signoffs {
		if so.Bound {
			counted = true
			above = above || r.exc != nil && slices.Contains(r.exc.above, so.Attempt)
		}
	}
	switch {
	case !counted:
		add("SOD-EXCEPTION.4", recs, "exception "+id+" took effect with no counted sign-off: no approver's signed statement")
	case !above:
		add("SOD-EXCEPTION.3", recs, "exception "+id+" has no counted sign-off by a person above its holder "+clip(c.Holder))
	}
	starts, e1 := calendar.Parse(c.Starts)
	expires, e2 := calendar.Parse(c.Expires)
	granted := calendar.On(j.at(), s.zone())
	if e1 == nil && starts.Before(granted) {
		add("SOD-EXCEPTION.5", recs, "exception "+id+" starts on "+c.Starts+", before "+granted.String()+", the local date it was granted")
	}
	switch {
	case e1 != nil || e2 != nil:
		add("SOD-EXCEPTION.6", recs, "exception "+id+": starts "+clip(c.Starts)+" or expires "+clip(c.Expires)+" is not a date")
	case expires.Before(starts):
		add("SOD-EXCEPTION.6", recs, "exception "+id+" expires on "+c.Expires+", before it starts on "+c.Starts)
	case expires.Sub(starts) > 89:
		add("SOD-EXCEPTION.6", recs, "exception "+id+" runs from "+c.Starts+" to "+c.Expires+" inclusive, "+itoa(int64(expires.Sub(starts)+1))+" days: more than 90")
	}
	if e1 == nil && e2 == nil && unit != "" {
		if prev := s.renewed(unit, c, starts); prev != nil && prev.risk == c.RiskAssessment {
			add("SOD-EXCEPTION.9", []int64{prev.seq, r.ProposalSeq, j.rec.Seq}, "exception "+id+" renews exception "+clip(prev.id)+" of record "+itoa(prev.seq)+" with the same risk assessment; the chain would run "+itoa(int64(expires.Sub(prev.chain)+1))+" days from "+prev.chain.String())
		}
	}
	return out
}

// renewed returns the exception c renews: the last one in effect of the
// same holder, control and roles whose expires is at least the day before
// c's starts (SPEC.md §6.11, Exceptions), or nil.
func (s *State) renewed(unit string, c *format.ExceptionAction, starts calendar.Date) *exception {
	if s.Reg.x == nil {
		return nil
	}
	for i := len(s.Reg.x.excepts) - 1; i >= 0; i-- {
		e := s.Reg.x.excepts[i]
		if e.holder == unit && e.control == c.Control && len(e.roles) == len(c.Roles) && subset(c.Roles, e.roles) && !e.expires.AddDays(1).Before(starts) {
			return e
		}
	}
	return nil
}

// applyException puts an executed change.exception that breaks no
// condition into the register. It returns whether it took effect.
func applyException(j *judgement, r *RunState, c *format.ExceptionAction) bool {
	s := j.st
	if len(exceptionProblems(j, r, c)) > 0 || r.exc != nil && r.exc.bad || !j.roomInRegister(1) {
		return false
	}
	unit, _ := s.exceptionHolder(c.Holder)
	starts, _ := calendar.Parse(c.Starts)
	expires, _ := calendar.Parse(c.Expires)
	e := &exception{id: c.Exception, control: c.Control, holder: unit, holderID: c.Holder, roles: slices.Clone(c.Roles), starts: starts, expires: expires,
		from: starts.Start(s.zone()), until: expires.End(s.zone()), seq: j.rec.Seq, proposal: r.ProposalSeq, risk: c.RiskAssessment, chain: starts}
	if prev := s.renewed(unit, c, starts); prev != nil {
		e.chain = prev.chain
	}
	x := s.Reg.ext()
	x.excepts = append(x.excepts, e)
	if x.expiring.IsZero() || e.until.Before(x.expiring) {
		x.expiring = e.until
	}
	endPersonnelConflicts(j, c.Control, func(u string) bool {
		return u == unit && subset(s.conflicts(c.Control)[u], e.roles)
	}, "exception "+clip(c.Exception)+" of record "+itoa(j.rec.Seq)+" covers it")
	return true
}

// Cumulative is the length in days, inclusive, of the chain of renewals an
// exception ends.
func (e *exception) cumulative() int { return e.expires.Sub(e.chain) + 1 }

// conflictActs judges an act on a control by a member of a unit in
// conflict there that no exception now covers: a conflict a personnel
// record started (SOD-CONTROL-ROLES.6), or one an exception or a
// small-organisation exception would cover but is not in force
// (SOD-EXCEPTION.8, SOD-SMALL-ORG.4): the act is a conflict act.
func conflictActs(j *judgement) {
	s := j.st
	if s.Reg.x == nil || len(s.Reg.x.excepts) == 0 && len(s.Reg.x.smallOrgs) == 0 && len(s.Reg.x.pconf) == 0 {
		return
	}
	actor := j.rec.Actor
	var act int64 = j.rec.Seq
	var controls []string
	switch b := j.body.(type) {
	case *format.Validation:
		controls = []string{b.Control}
	case *format.AuditFinding:
		controls = []string{b.Control}
	default:
		a, r := accepted(j)
		if a == nil {
			return
		}
		actor, act = a.actor, a.seq
		switch {
		case a.typ == format.TypeProposal:
			if r.Control != "" {
				controls = append(controls, r.Control)
			}
			for _, c := range r.Affected {
				controls = append(controls, c.Control)
			}
		case a.act == format.ActExecute && r.Control != "":
			controls = []string{r.Control}
		case a.act == format.ActSignoff && a.stmt != nil && r.Required != nil:
			for _, st := range r.Required.Stages {
				if st.Stage == a.stmt.stage && st.PoolRole != nil {
					controls = append(controls, st.PoolRole.Control)
				}
			}
		}
	}
	t := j.at()
	who := s.PersonOf(actor)
	for _, ctl := range controls {
		if len(s.Reg.conflict[ctl]) == 0 {
			continue
		}
		units := s.conflicts(ctl)
		if j.on("SOD-CONTROL-ROLES.6") {
			heldActs(j, ctl, units, who, t, act)
		}
		for _, u := range sortedKeys(units) {
			if !memberOf(s, u, who) || s.covered(ctl, u, units[u], t) {
				continue
			}
			lapsedCover(j, ctl, u, units[u], t, act)
		}
	}
}

// heldActs judges an act on control by person who against the personnel
// conflicts on it (SOD-CONTROL-ROLES.6, SPEC.md §6.11, Personnel): a
// personnel record holds the person of the principal it names, and only
// that person, on that control, while some conflict it started there has
// not ended and no exception in force covers it. One finding per
// personnel record holding the actor.
func heldActs(j *judgement, control string, units map[string][]string, who string, t time.Time, act int64) {
	s := j.st
	person := j.on("SOD-CONTROL-ROLES.6/person")
	seen := map[int64]bool{}
	for _, key := range sortedKeys(s.Reg.x.pconf) {
		c, u, _ := strings.Cut(key, "\x00")
		pc := s.Reg.x.pconf[key]
		if c != control || seen[pc.seq] || s.covered(control, u, units[u], t) {
			continue
		}
		if person && s.PersonOf(pc.principal) != who || !person && !memberOf(s, u, who) {
			continue
		}
		seen[pc.seq] = true
		j.emitf(RuleControlRoles, []int64{pc.seq, act}, "record %d is an act on control %s by %s, whom personnel record %d put in a conflict on it (%s holding roles %v) that has not ended and that no exception in force covers", act, control, clip(who), pc.seq, unitText(u), units[u])
	}
}

// memberOf reports whether person is the unit or a member of it.
func memberOf(s *State, unit, person string) bool {
	if unit == "p:"+person {
		return true
	}
	if t := s.Reg.Teams[unit[2:]]; unit[0] == 't' && t != nil {
		return slices.ContainsFunc(t.Members, func(m string) bool { return s.PersonOf(m) == person })
	}
	return false
}

// lapsedCover reports each exception that would cover unit's conflict on
// control but is not in force at t.
func lapsedCover(j *judgement, control, unit string, roles []string, t time.Time, act int64) {
	x := j.st.Reg.x
	for _, e := range x.excepts {
		if e.control == control && e.holder == unit && subset(roles, e.roles) && j.on("SOD-EXCEPTION.8") {
			state := "has expired: it covered until " + format.FormatTime(e.until)
			if t.Before(e.from) {
				state = "has not started: it covers from " + format.FormatTime(e.from)
			}
			j.emitf(RuleException, []int64{e.seq, act}, "record %d is an act on control %s by %s while it holds roles %v, and exception %s %s", act, control, unitText(unit), roles, clip(e.id), state)
		}
	}
	for _, o := range x.smallOrgs {
		if o.control == control && subset(roles, o.roles) && j.on("SOD-SMALL-ORG.4") {
			j.emitf(RuleSmallOrg, []int64{o.seq, act}, "record %d is an act on control %s by %s while it holds roles %v, and small-organisation exception %s no longer covers it", act, control, unitText(unit), roles, clip(o.id))
		}
	}
}

// expiredConflicts judges, at the first record at or past an exception's
// end, whether the conflict it covered is still there with nothing else
// covering it (SOD-EXCEPTION.11): roles combined past the exception's
// last day.
func expiredConflicts(j *judgement) {
	x := j.st.Reg.x
	t := j.at()
	if x == nil || x.expiring.IsZero() || t.Before(x.expiring) {
		return
	}
	x.expiring = time.Time{}
	for _, e := range x.excepts {
		if e.done {
			continue
		}
		if t.Before(e.until) {
			if x.expiring.IsZero() || e.until.Before(x.expiring) {
				x.expiring = e.until
			}
			continue
		}
		e.done = true
		if roles, ok := j.st.conflicts(e.control)[e.holder]; ok && subset(roles, e.roles) && !j.st.covered(e.control, e.holder, roles, t) && j.on("SOD-EXCEPTION.11") {
			j.emitf(RuleException, []int64{e.seq, j.rec.Seq}, "exception %s ended at %s, and %s still holds roles %v on control %s at record %d", clip(e.id), format.FormatTime(e.until), unitText(e.holder), roles, e.control, j.rec.Seq)
		}
	}
}

// expiredAtEnd is SOD-EXCEPTION.11 at the end of the bundle: an exception
// whose end the final seal's time reaches, its conflict still there.
func expiredAtEnd(s *State, off map[string]bool, emit func(Finding)) {
	x := s.Reg.x
	end, err := format.ParseTime(s.endTime)
	if x == nil || err != nil || off["SOD-EXCEPTION.11"] {
		return
	}
	for _, e := range x.excepts {
		if e.done || end.Before(e.until) {
			continue
		}
		if roles, ok := s.conflicts(e.control)[e.holder]; ok && subset(roles, e.roles) && !s.covered(e.control, e.holder, roles, end) {
			emit(Finding{Rule: RuleException, Records: []int64{e.seq}, msgf: "exception %s ended at %s, and %s still holds roles %v on control %s when the bundle is sealed at %s", args: []any{clip(e.id), format.FormatTime(e.until), unitText(e.holder), roles, e.control, s.endTime}})
		}
	}
}
