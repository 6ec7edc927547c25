package tui

import (
	"sort"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// The register of controls, built from what the verifier hands out as it
// reads: the change log (Options.Changes) and the timelines of executed
// change runs (Options.Timeline). The browser replays it as of any time;
// it never rereads the bundle. Each kind of change is one entry of
// regDecode (how it is read) and regApply (what it does to the register),
// so a new kind of change slots in without touching the rest.
//
// What feeds it today: teams from the change log's enrolments; controls,
// role assignments, exceptions and small-organisation exceptions from the
// actions of executed change.control, change.role, change.exception and
// change.small_org runs, exactly as the records state them; the grants of
// the last executed change.policy. The verifier does not yet judge the
// AG-259 rules on these (the register's own change kinds are still to
// come): the screen shows what was executed, marks a row whose records
// carry findings, and its conflicts and exceptions are a display of the
// register, not a verdict. Personnel moves, reporting lines and
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
}

// Register kinds beyond the change log's: the actions of executed change
// runs (SPEC.md §6.8).
const (
	regControl   = "control"
	regRole      = "role"
	regException = "exception"
	regSmallOrg  = "small-org"
	regPolicy    = "policy-grants"
)

// Register collects register events in sequence order.
type Register struct {
	events  []regEvent
	dropped int64
}

const maxRegisterEvents = 200_000

func newRegister() *Register { return &Register{} }

func (r *Register) add(e regEvent) {
	if len(r.events) >= maxRegisterEvents {
		r.dropped++
		return
	}
	r.events = append(r.events, e)
}

// fromChange takes one change of the change log; only enrolments matter to
// the register today (a principal's team).
func (r *Register) fromChange(c *verifier.Change) {
	if c.Kind != verifier.ChangeEnrolment || c.Principal == nil {
		return
	}
	r.add(regEvent{Seq: c.Seq, Time: c.Time, Kind: c.Kind, OK: c.OK(), Applied: c.Applied, Principal: c.Principal.ID, Team: c.Principal.Team})
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
// class.
var regDecode = map[string]func(v any, e *regEvent){
	format.ClassControl: func(v any, e *regEvent) {
		a := v.(*format.ControlAction)
		e.Kind, e.Control, e.Name, e.Material = regControl, a.Control, a.Name, a.Material
	},
	format.ClassRole: func(v any, e *regEvent) {
		a := v.(*format.RoleAction)
		e.Kind, e.Control, e.Role, e.Principal, e.Op, e.Justification = regRole, a.Control, a.Role, a.Principal, a.Op, a.Justification
	},
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
	controls map[string]*controlRow
	teams    map[string]string // principal -> team
	excepts  []regEvent
	policy   *regEvent // the last executed policy, with its grants
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
		c.Name, c.Material = e.Name, e.Material
		c.Flagged = c.Flagged || !e.OK
	},
	regRole: func(s *regState, e *regEvent) {
		c := s.control(e.Control)
		c.Flagged = c.Flagged || !e.OK
		hs := c.Holders[e.Role]
		out := hs[:0:0]
		for _, h := range hs {
			if h != e.Principal {
				out = append(out, h)
			}
		}
		if e.Op == "assign" {
			out = append(out, e.Principal)
		}
		c.Holders[e.Role] = out
	},
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
	s := &regState{controls: map[string]*controlRow{}, teams: map[string]string{}}
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
		if e.Kind == verifier.ChangeEnrolment || e.Kind == regPolicy {
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
		rolesOf := map[string]map[string]bool{} // principal or team -> roles
		for _, role := range Roles {
			for _, h := range c.Holders[role] {
				for _, who := range []string{"p:" + h, "t:" + s.teams[h]} {
					if who == "t:" {
						continue
					}
					if rolesOf[who] == nil {
						rolesOf[who] = map[string]bool{}
					}
					rolesOf[who][role] = true
				}
			}
		}
		for _, role := range Roles {
			cl := cell{Holders: c.Holders[role]}
			open := 0 // conflicting holders no exception covers
			for _, h := range cl.Holders {
				if len(rolesOf["p:"+h]) > 1 || s.teams[h] != "" && len(rolesOf["t:"+s.teams[h]]) > 1 {
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
