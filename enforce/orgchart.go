package enforce

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
)

// Reporting lines and personnel (AG-259 4.5, SPEC.md §6.8, §6.9).
//
// A change.reporting_line run, gated like any register change, sets a
// principal's manager at its execution. "Above" is the transitive closure:
// A is above H when A is H's manager or above H's manager. A change that
// would put a principal above itself is refused (invalid-reporting-line).
//
// A personnel record is an HR fact the core records and never refuses for
// the conflicts it makes: a joiner joins a team, a mover leaves every team
// and joins one, a leaver leaves every team (its individual role
// assignments stay until unassigned). A mover or joiner whose new team
// gives them, or the team, two roles on a control is a personnel conflict:
// the core writes a note personnel-conflict with an alert, and refuses
// that person's acts on the control (conflicting-role) while the conflict
// stands uncovered by an exception.

// CodeInvalidReportingLine refuses a change.reporting_line that names a
// principal not enrolled, or would make a principal its own manager or
// above itself.
const CodeInvalidReportingLine = "invalid-reporting-line"

// CodePersonnelConflict is the note code of a personnel record that made a
// conflict (SPEC.md §6.9): it alerts like a refusal.
const CodePersonnelConflict = "personnel-conflict"

// Personnel events.
const (
	EventJoiner = "joiner"
	EventMover  = "mover"
	EventLeaver = "leaver"
)

// line is one principal's reporting line: its manager, and the executed
// change that set it.
type line struct {
	manager  string
	seq      int64  // the execution record of the change.reporting_line
	time     string // that record's time
	proposer string // who proposed the change
}

// orgChart holds the reporting lines in force.
type orgChart struct {
	lines map[string]line // principal -> its line; absent or manager "" means none
}

// maxChain bounds a walk up the reporting lines: the lines are kept
// acyclic, so a walk ends once it has met every principal with a line.
func (o *orgChart) maxChain() int { return len(o.lines) + 1 }

// chain returns the principals above h, nearest first, with the line
// that links each to the one below it. It stops at a principal without a
// manager, and never loops (a cycle, which the core never writes, ends the
// walk).
func (o *orgChart) chain(h string) ([]string, []line) {
	var ups []string
	var links []line
	seen := map[string]bool{h: true}
	for cur := h; len(ups) < o.maxChain(); {
		l, ok := o.lines[cur]
		if !ok || l.manager == "" || seen[l.manager] {
			break
		}
		ups, links = append(ups, l.manager), append(links, l)
		seen[l.manager] = true
		cur = l.manager
	}
	return ups, links
}

// above returns the principals above h, sorted bytewise.
func (s *state) above(h string) []string {
	ups, _ := s.org.chain(h)
	slices.Sort(ups)
	return slices.Compact(ups)
}

// isAbove reports whether a, as a person, is above h, and the lines from
// h up to the first principal of a's person on the way.
func (s *state) isAbove(a, h string) (bool, []line) {
	ups, links := s.org.chain(h)
	for i, u := range ups {
		if s.samePerson(u, a) {
			return true, links[:i+1]
		}
	}
	return false, nil
}

// checkReportingLine returns why a change.reporting_line cannot be put in
// force, or "".
func (s *state) checkReportingLine(r *format.ReportingLineAction) string {
	switch {
	case s.principals[r.Principal] == nil:
		return fmt.Sprintf("%s is not an enrolled principal", r.Principal)
	case r.Manager == "":
		return ""
	case s.principals[r.Manager] == nil:
		return fmt.Sprintf("manager %s is not an enrolled principal", r.Manager)
	case s.samePerson(r.Manager, r.Principal):
		return fmt.Sprintf("%s cannot be its own manager", r.Principal)
	}
	if ok, _ := s.isAbove(r.Principal, r.Manager); ok {
		return fmt.Sprintf("%s is above %s already: making %s its manager would put %s above itself", r.Principal, r.Manager, r.Manager, r.Principal)
	}
	return ""
}

// reportingLineAction decodes a change.reporting_line run's action.
func reportingLineAction(action []byte) *format.ReportingLineAction {
	a, err := format.ParseAction(action)
	if err != nil {
		return nil
	}
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return nil
	}
	rl, _ := ch.(*format.ReportingLineAction)
	return rl
}

// judgeReportingLine returns the refusal of a change.reporting_line, at
// its proposal or execute attempt, or "".
func (c *Core) judgeReportingLine(action []byte) (string, string) {
	rl := reportingLineAction(action)
	if rl == nil || !c.on(CodeInvalidReportingLine) {
		return "", ""
	}
	if why := c.st.checkReportingLine(rl); why != "" {
		return CodeInvalidReportingLine, why
	}
	return "", ""
}

// applyReportingLine puts an executed change.reporting_line into force.
func (s *state) applyReportingLine(r *run, rl *format.ReportingLineAction, seq int64, at string) {
	if s.checkReportingLine(rl) != "" {
		return // a forged cyclic line changes nothing
	}
	if rl.Manager == "" {
		delete(s.org.lines, rl.Principal)
		return
	}
	s.org.lines[rl.Principal] = line{manager: rl.Manager, seq: seq, time: at, proposer: r.proposer}
}

// Personnel records an HR fact, signed by the principal reporting it (a
// personnel statement): a joiner joins team, a mover leaves every team and
// joins team, a leaver leaves every team (team ""). The core records it
// whatever conflicts it makes: each conflict it starts is recorded as a
// note personnel-conflict naming person, control and roles, with an alert,
// and the person's acts on that control are refused (conflicting-role)
// until a role is unassigned, the person moves again, or an exception
// covers it. The reporter is a human and not the person the record is
// about. The Decision's Outcome is the personnel record's sequence number.
func (c *Core) Personnel(stmt format.Signed) (*Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.begin()()
	st, p, err := c.attribute(stmt, format.PurposePersonnel)
	if err != nil {
		return asDecision(err)
	}
	s := c.st
	switch {
	case p.Kind != format.KindHuman:
		return nil, fmt.Errorf("a personnel record is reported by a human; %s is enrolled as %s", p.ID, p.Kind)
	case s.principals[st.Subject] == nil:
		return nil, fmt.Errorf("personnel record for %s, who is not an enrolled principal", st.Subject)
	case s.samePerson(p.ID, st.Subject):
		return nil, fmt.Errorf("%s reports a personnel event about themselves: someone else records it", p.ID)
	}
	if _, err := calendar.Parse(st.Effective); err != nil {
		return nil, fmt.Errorf("personnel record: effective date: %w", err)
	}
	switch st.Event {
	case EventJoiner, EventMover:
		t := s.reg.teams[st.Team]
		if t == nil {
			return nil, fmt.Errorf("personnel record: team %q is not in the register", st.Team)
		}
		if st.Event == EventJoiner && slices.Contains(t.members, st.Subject) {
			return nil, fmt.Errorf("personnel record: %s is a member of team %s already", st.Subject, st.Team)
		}
	case EventLeaver:
		if st.Team != "" {
			return nil, fmt.Errorf("a leaver leaves every team: its team is \"\", not %q", st.Team)
		}
	default:
		return nil, fmt.Errorf("personnel event %q is none of joiner, mover, leaver", st.Event)
	}
	rec := &format.Personnel{Principal: st.Subject, Event: st.Event, Effective: st.Effective, Team: st.Team}
	after := s.reg.clone()
	after.applyPersonnel(rec)
	entries := []entry{{typ: format.TypePersonnel, actor: p.ID, body: rec, sigs: []format.Signed{stmt}}}
	cs := s.newConflicts(s.reg, after, c.judgeTime())
	c.noteAlert = map[*format.Note]alertWho{}
	defer func() { c.noteAlert = nil }()
	for _, cf := range cs {
		n := &format.Note{Code: CodePersonnelConflict,
			Text: fmt.Sprintf("personnel record (%s %s): %s now holds %s on control %s; %s's acts on the control are refused until a role is unassigned, %s moves again, or an exception covers it",
				st.Event, st.Subject, cf.unit, strings.Join(cf.roles, " and "), cf.control, st.Subject, st.Subject)}
		c.noteAlert[n] = alertWho{principal: st.Subject, control: cf.control, role: cf.roles[0]}
		entries = append(entries, entry{typ: format.TypeNote, body: n})
	}
	seqs, err := c.write(entries...)
	if err != nil {
		return nil, err
	}
	d := &Decision{Accepted: true, Code: "ok", Detail: "personnel record recorded", Outcome: seqs[0]}
	if len(cs) > 0 {
		d.Detail = fmt.Sprintf("personnel record recorded; it makes %d conflict(s), recorded and alerted", len(cs))
	}
	return d, nil
}

// applyPersonnel changes team membership as a personnel record says.
func (r *register) applyPersonnel(p *format.Personnel) {
	if p.Event == EventMover || p.Event == EventLeaver {
		for id, t := range r.teams {
			if i := slices.Index(t.members, p.Principal); i >= 0 {
				nt := *t
				nt.members = slices.Delete(slices.Clone(t.members), i, i+1)
				r.teams[id] = &nt
			}
		}
	}
	if p.Event == EventJoiner || p.Event == EventMover {
		if t := r.teams[p.Team]; t != nil && !slices.Contains(t.members, p.Principal) {
			nt := *t
			nt.members = append(slices.Clone(t.members), p.Principal)
			r.teams[p.Team] = &nt
		}
	}
}

// conflictOf returns the roles of an uncovered conflict of id's person on
// ctl at instant at (the roles it holds individually and through its
// teams), or nil. A team in conflict because one member holds a role of
// their own does not stop its other members: the person does.
func (s *state) conflictOf(id, ctl string, at time.Time) (string, []string) {
	u := "person " + s.personOf(id)
	if roles := s.conflictsOn(s.reg, ctl)[u]; len(roles) >= 2 && !s.covered(ctl, u, roles, at) {
		return u, roles
	}
	return "", nil
}

// personnelHold is a personnel record's hold on its principal's person
// on one control (SPEC.md §6.11, Personnel): the units whose conflicts on
// it the record started, until each has ended.
type personnelHold struct {
	seq     int64
	person  string
	control string
	units   []string
}

// holdPersonnel records the holds of the personnel record at seq for
// principal, which changed the register from before to s.reg at instant
// at.
func (s *state) holdPersonnel(seq int64, principal string, before *register, at time.Time) {
	byControl := map[string][]string{}
	var order []string
	for _, cf := range s.newConflicts(before, s.reg, at) {
		if byControl[cf.control] == nil {
			order = append(order, cf.control)
		}
		byControl[cf.control] = append(byControl[cf.control], cf.unit)
	}
	for _, ctl := range order {
		s.pholds = append(s.pholds, personnelHold{seq: seq, person: s.personOf(principal), control: ctl, units: byControl[ctl]})
	}
}

// heldBy returns the personnel record holding id's person on ctl at
// instant at, or 0: a hold lasts while some conflict it started there
// still stands uncovered. A conflict that has ended, or that an exception
// has covered, ends for good: the hold forgets it.
func (s *state) heldBy(id, ctl string, at time.Time) int64 {
	person := s.personOf(id)
	var held int64
	var now map[string][]string // the conflicts on ctl, once
	for i := range s.pholds {
		h := &s.pholds[i]
		if h.control != ctl || len(h.units) == 0 {
			continue
		}
		if now == nil {
			now = s.conflictsOn(s.reg, ctl)
		}
		h.units = slices.DeleteFunc(h.units, func(u string) bool {
			roles := now[u]
			return len(roles) < 2 || s.covered(ctl, u, roles, at)
		})
		if len(h.units) > 0 && h.person == person && held == 0 {
			held = h.seq
		}
	}
	return held
}

// judgeInConflict returns the refusal of an act by id on ctl while id is
// part of an uncovered conflict on it (a personnel conflict, or one an
// expired exception no longer covers), or "".
func (c *Core) judgeInConflict(id, ctl string) (string, string) {
	if ctl == "" || !c.on(CodeConflictingRole) {
		return "", ""
	}
	at := c.judgeTime()
	if unit, roles := c.st.conflictOf(id, ctl, at); unit != "" {
		return CodeConflictingRole, fmt.Sprintf("%s holds %v on control %s and no exception in force covers it: %s's acts on the control are refused until the conflict is resolved or excepted", unit, roles, ctl, id)
	}
	if seq := c.st.heldBy(id, ctl, at); seq != 0 {
		return CodeConflictingRole, fmt.Sprintf("personnel record %d started a conflict on control %s that no exception covers and has not ended: %s's acts on the control are refused until it is resolved or excepted", seq, ctl, id)
	}
	return "", ""
}
