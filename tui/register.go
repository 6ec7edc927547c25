package tui

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// The register of controls, built from what the verifier hands out as it
// reads: the change log (Options.Changes) and the timelines of executed
// change runs (Options.Timeline). The browser replays it as of any time;
// it never rereads the bundle. Each kind of change is one entry of
// regDecode or fromChange (how it is read) and regApply (what it does to
// the register), so a new kind of change slots in without touching the
// rest.
//
// What feeds it: controls, teams and role assignments from the change
// log's kinds control, team and role, as the verifier applied them (a
// change it did not apply flags its control and changes nothing); the
// conflicts, after each applied register change, from the verifier's own
// register (State.Conflicts, what SOD-CONTROL-ROLES judges), so a marked
// cell is the verifier's word, not the screen's; teams of enrolments from
// the change log; exceptions and small-organisation exceptions from the
// actions of executed change.exception and change.small_org runs, exactly
// as the records state them (the verifier does not judge them yet, so the
// E mark is a display of the register, not a verdict); the grants of the
// last executed change.policy. Personnel moves, reporting lines and
// small-organisation reviews are not shown yet.

// Roles is the five control roles, in the register's column order.
var Roles = []string{"build", "operate", "approve", "validate", "audit"}

// regEvent is one change to the register, as the record making it says.
type regEvent struct {
	Seq  int64
	Time string
	Kind string
	// OK is the verifier's status of the record making the change (intact,
	// no finding); Applied, for the change log's kinds, whether the
	// verifier's state took it.
	OK      bool
	Applied bool

	Control, Name, Role, Principal, Op, Justification string
	Material                                          bool
	Exception, Holder, Starts, Expires, Team          string
	RolesOf                                           []string
	Grants                                            []format.Grant
	Version                                           int64
	// Marks and Units, for a conflicts event: each role's holders (as the
	// matrix shows them) that take part in a conflict on Control, and each
	// conflicting unit in words.
	Marks map[string][]string
	Units []string
}

// Register kinds beyond the change log's: the actions of executed change
// runs (SPEC.md §6.8).
const (
	regControl   = "control"
	regRole      = "role"
	regTeam      = "team"
	regConflicts = "conflicts"
	regException = "exception"
	regSmallOrg  = "small-org"
	regPolicy    = "policy-grants"
)

// Register collects register events in sequence order.
type Register struct {
	events  []regEvent
	dropped int64
	// pending is the applied register change of the record the verifier
	// is reading, judged for conflicts when its record event comes; since
	// is when each conflicting unit's conflict began, by control.
	pending *verifier.Change
	since   map[string]map[string]int64
}

const maxRegisterEvents = 200_000

func newRegister() *Register { return &Register{since: map[string]map[string]int64{}} }

func (r *Register) add(e regEvent) {
	if len(r.events) >= maxRegisterEvents {
		r.dropped++
		return
	}
	r.events = append(r.events, e)
}

// fromChange takes one change of the change log: enrolments (a
// principal's team) and the control register's changes.
func (r *Register) fromChange(c *verifier.Change) {
	e := regEvent{Seq: c.Seq, Time: c.Time, OK: c.OK(), Applied: c.Applied}
	switch c.Kind {
	case verifier.ChangeEnrolment:
		if c.Principal == nil {
			return
		}
		e.Kind, e.Principal, e.Team = c.Kind, c.Principal.ID, c.Principal.Team
	case verifier.ChangeControl:
		e.Kind, e.Control = regControl, c.Control
		if c.ControlDef != nil {
			e.Name, e.Material = c.ControlDef.Name, c.ControlDef.Material
		}
	case verifier.ChangeTeam:
		e.Kind, e.Team = regTeam, c.Team
	case verifier.ChangeRole:
		e.Kind, e.Control, e.Role, e.Principal, e.Team, e.Op, e.Justification = regRole, c.Control, c.Role, c.Holder, c.Team, c.Op, c.Justification
	default:
		return
	}
	if c.Applied && e.Kind != verifier.ChangeEnrolment {
		r.pending = c
	}
	r.add(e)
}

// afterRecord judges, at the record event of an applied register change,
// which units hold incompatible roles on the controls it can touch, as
// the verifier's register has them after it.
func (r *Register) afterRecord(ev *verifier.Event) {
	c := r.pending
	if c == nil || c.Seq != ev.Seq || ev.State == nil || ev.State.Reg == nil {
		return
	}
	r.pending = nil
	reg := ev.State.Reg
	var ctls []string
	switch c.Kind {
	case verifier.ChangeRole:
		ctls = []string{c.Control}
	case verifier.ChangeTeam:
		for id := range reg.Controls {
			ctls = append(ctls, id)
		}
		sort.Strings(ctls)
	}
	for _, ctl := range ctls {
		e := regEvent{Seq: ev.Seq, Time: ev.Time, OK: ev.OK, Applied: true, Kind: regConflicts, Control: ctl, Marks: map[string][]string{}}
		was, now := r.since[ctl], map[string]int64{}
		for _, cf := range ev.State.Conflicts(ctl) {
			unit := cf.Kind + " " + cf.Unit
			from, ok := was[unit]
			if !ok {
				from = ev.Seq
			}
			now[unit] = from
			e.Units = append(e.Units, fmt.Sprintf("%s: %s since record %d", unit, strings.Join(cf.Roles, "+"), from))
			for _, role := range cf.Roles {
				for _, h := range reg.Holders(ctl, role) {
					if conflictHolder(ev.State, cf, h) && !slices.Contains(e.Marks[role], holderText(h.Principal, h.Team)) {
						e.Marks[role] = append(e.Marks[role], holderText(h.Principal, h.Team))
					}
				}
			}
		}
		if len(now) == 0 && len(was) == 0 {
			continue
		}
		r.since[ctl] = now
		r.add(e)
	}
}

// conflictHolder reports whether holder h of a role takes part in
// conflict cf: h is the team in conflict, a principal of the person in
// conflict, or a team with a member who is that person or (for a team in
// conflict) a principal who is a member of it.
func conflictHolder(s *verifier.State, cf verifier.Conflict, h verifier.Holder) bool {
	switch {
	case cf.Kind == "team" && h.Team == cf.Unit:
		return true
	case cf.Kind == "person" && h.Principal != "":
		return s.PersonOf(h.Principal) == cf.Unit
	case cf.Kind == "person" && h.Team != "":
		if t := s.Reg.Teams[h.Team]; t != nil {
			for _, m := range t.Members {
				if s.PersonOf(m) == cf.Unit {
					return true
				}
			}
		}
	case cf.Kind == "team" && h.Principal != "":
		if t := s.Reg.Teams[cf.Unit]; t != nil {
			return slices.Contains(t.Members, h.Principal)
		}
	}
	return false
}

// holderText is a role holder as the matrix shows it: a principal, or
// "team:" and the team.
func holderText(principal, team string) string {
	if team != "" {
		return "team:" + team
	}
	return principal
}

// fromRun takes the timeline of a run: an executed run of a register class
// changes the register at its execution.
func (r *Register) fromRun(tl *verifier.RunTimeline) {
	if tl.State != verifier.RunExecuted || tl.Proposal == nil || tl.Execution == nil {
		return
	}
	decode, ok := regDecode[tl.Proposal.Class]
	if !ok {
		return
	}
	a, err := format.ParseAction([]byte(tl.Proposal.Action))
	if err != nil {
		return
	}
	v, err := format.DecodeChange(a, format.Lax)
	if err != nil {
		return
	}
	e := regEvent{Seq: tl.Execution.Seq, Time: tl.Execution.Time, OK: tl.OK(), Applied: true}
	decode(v, &e)
	r.add(e)
}

// regDecode fills in a register event from a change run's action, by
// class: the kinds the change log does not carry yet.
var regDecode = map[string]func(v any, e *regEvent){
	format.ClassException: func(v any, e *regEvent) {
		a := v.(*format.ExceptionAction)
		e.Kind, e.Exception, e.Holder, e.Control, e.RolesOf, e.Starts, e.Expires = regException, a.Exception, a.Holder, a.Control, a.Roles, a.Starts, a.Expires
	},
	format.ClassPolicy: func(v any, e *regEvent) {
		a := v.(*format.PolicyAction)
		e.Kind, e.Control, e.Grants, e.Version = regPolicy, a.Control, a.Grants, a.Version
	},
	format.ClassSmallOrg: func(v any, e *regEvent) {
		a := v.(*format.SmallOrgAction)
		e.Kind, e.Exception, e.Control, e.RolesOf, e.Expires = regSmallOrg, a.Exception, a.Control, a.Roles, a.ReviewBy
	},
}

// regState is the register as of a time.
type regState struct {
	controls  map[string]*controlRow
	conflicts map[string]*regEvent // control -> its conflicts, as the verifier judged them last
	teams     map[string]string    // principal -> team
	excepts   []regEvent
	policy    *regEvent // the last executed policy, with its grants
}

// controlRow is one control of the register.
type controlRow struct {
	ID, Name string
	Material bool
	Holders  map[string][]string // role -> principals, in order of assignment
	Flagged  bool                // a record behind the row has findings
}

// regApply applies one kind of register event to a state.
var regApply = map[string]func(s *regState, e *regEvent){
	verifier.ChangeEnrolment: func(s *regState, e *regEvent) {
		if e.Applied {
			s.teams[e.Principal] = e.Team
		}
	},
	regControl: func(s *regState, e *regEvent) {
		c := s.control(e.Control)
		c.Flagged = c.Flagged || !e.OK
		if e.Applied {
			c.Name, c.Material = e.Name, e.Material
		}
	},
	regTeam: func(s *regState, e *regEvent) {},
	regRole: func(s *regState, e *regEvent) {
		c := s.control(e.Control)
		c.Flagged = c.Flagged || !e.OK
		if !e.Applied {
			return
		}
		who := holderText(e.Principal, e.Team)
		hs := c.Holders[e.Role]
		out := hs[:0:0]
		for _, h := range hs {
			if h != who {
				out = append(out, h)
			}
		}
		if e.Op == "assign" {
			out = append(out, who)
		}
		c.Holders[e.Role] = out
	},
	regConflicts: func(s *regState, e *regEvent) { s.conflicts[e.Control] = e },
	regException: func(s *regState, e *regEvent) { s.excepts = append(s.excepts, *e) },
	regSmallOrg:  func(s *regState, e *regEvent) { s.excepts = append(s.excepts, *e) },
	regPolicy:    func(s *regState, e *regEvent) { s.policy = e },
}

func (s *regState) control(id string) *controlRow {
	c := s.controls[id]
	if c == nil {
		c = &controlRow{ID: id, Holders: map[string][]string{}}
		s.controls[id] = c
	}
	return c
}

// at replays the register up to and including time at ("" for all).
func (r *Register) at(at string) *regState {
	s := &regState{controls: map[string]*controlRow{}, conflicts: map[string]*regEvent{}, teams: map[string]string{}}
	for i := range r.events {
		e := &r.events[i]
		if at != "" && e.Time > at {
			break
		}
		if f := regApply[e.Kind]; f != nil {
			f(s, e)
		}
	}
	return s
}

// times returns the distinct times the register changed, in order.
func (r *Register) times() []string {
	var out []string
	for _, e := range r.events {
		if e.Kind == verifier.ChangeEnrolment || e.Kind == regPolicy || e.Kind == regConflicts {
			continue
		}
		if n := len(out); n == 0 || out[n-1] != e.Time {
			out = append(out, e.Time)
		}
	}
	return out
}

// hasControls reports whether any change run touched the register.
func (r *Register) hasControls() bool {
	for _, e := range r.events {
		if e.Kind != verifier.ChangeEnrolment && e.Kind != regPolicy {
			return true
		}
	}
	return false
}

// cell is one control and role of the matrix as of a time.
type cell struct {
	Holders  []string
	Conflict bool // a holder (or the holder's team) holds another role of the control
	Excepted bool // the conflict is covered by an exception in force
}

// matrix returns the rows of the register as of at, sorted by control ID,
// with each cell's conflicts and exceptions. The date of at decides which
// exceptions are in force (from starts to expires, inclusive).
func (s *regState) matrix(at string) ([]*controlRow, map[string]map[string]cell) {
	rows := make([]*controlRow, 0, len(s.controls))
	for _, c := range s.controls {
		rows = append(rows, c)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	date := ""
	if len(at) >= 10 {
		date = at[:10]
	}
	cells := map[string]map[string]cell{}
	for _, c := range rows {
		m := map[string]cell{}
		marks := map[string][]string{}
		if e := s.conflicts[c.ID]; e != nil {
			marks = e.Marks
		}
		for _, role := range Roles {
			cl := cell{Holders: c.Holders[role]}
			open := 0 // conflicting holders no exception covers
			for _, h := range cl.Holders {
				if slices.Contains(marks[role], h) {
					cl.Conflict = true
					if !s.excepted(c.ID, h, role, date) {
						open++
					}
				}
			}
			cl.Excepted = cl.Conflict && open == 0
			m[role] = cl
		}
		cells[c.ID] = m
	}
	return rows, cells
}

// excepted reports whether an exception in force on date covers principal
// h in role on control.
func (s *regState) excepted(control, h, role, date string) bool {
	for _, e := range s.excepts {
		if e.Control != control || e.Kind == regException && e.Holder != h {
			continue
		}
		if e.Starts != "" && date < e.Starts || e.Expires != "" && date > e.Expires {
			continue
		}
		for _, r := range e.RolesOf {
			if r == role {
				return true
			}
		}
	}
	return false
}
