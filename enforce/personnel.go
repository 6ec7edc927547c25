package enforce

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
)

// Personnel events (SPEC.md §5, §6.9).
const (
	EventJoiner = "joiner"
	EventMover  = "mover"
	EventLeaver = "leaver"
)

// LeaverDays is how many business days after a leaver's effective date
// the register may still name them (SPEC.md §6.11, Timely register).
const LeaverDays = 5

// leaver is a leaver record: the principal who left and from when.
type leaver struct {
	seq       int64
	principal string
	effective calendar.Date
}

func (s *state) applyPersonnel(seq int64, p *format.Personnel) {
	if p.Event != EventLeaver {
		return
	}
	if d, err := calendar.Parse(p.Effective); err == nil {
		s.leavers = append(s.leavers, leaver{seq: seq, principal: p.Principal, effective: d})
	}
}

// Personnel records a personnel statement (a joiner, mover or leaver, an
// HR fact signed by the principal reporting it) as a personnel record. It
// refuses, recording nothing, a statement naming a principal not
// enrolled, an unknown event or an effective date that is not a date. A
// leaver's individual role assignments stay in the register until they
// are unassigned; RegisterDue lists the ones still there and their
// deadlines. The accepted Decision's Outcome is the record's sequence
// number.
func (c *Core) Personnel(stmt format.Signed) (*Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, p, err := c.attribute(stmt, format.PurposePersonnel)
	if err != nil {
		return asDecision(err)
	}
	switch {
	case c.st.principals[st.Subject] == nil:
		return nil, fmt.Errorf("personnel statement names %q, who is not an enrolled principal", st.Subject)
	case !slices.Contains([]string{EventJoiner, EventMover, EventLeaver}, st.Event):
		return nil, fmt.Errorf("personnel event %q is none of joiner, mover, leaver", st.Event)
	}
	if _, err := calendar.Parse(st.Effective); err != nil {
		return nil, fmt.Errorf("personnel effective date %q is not a date of the form YYYY-MM-DD", st.Effective)
	}
	seqs, err := c.write(entry{typ: format.TypePersonnel, actor: p.ID, body: &format.Personnel{Principal: st.Subject, Event: st.Event, Effective: st.Effective, Team: st.Team}, sigs: []format.Signed{stmt}})
	if err != nil {
		return nil, err
	}
	return &Decision{Accepted: true, Code: "ok", Detail: "personnel recorded", Outcome: seqs[0]}, nil
}

// Due is a leaver the register still names: the personnel record, the
// principal, its individual role assignments ("role on control", sorted)
// and the instant by which they must all be unassigned.
type Due struct {
	Personnel int64
	Principal string
	Roles     []string
	Deadline  time.Time
}

// RegisterDue lists, in the order recorded, every leaver that still holds
// an individual role assignment, with the register deadline: the end,
// in the organisation's time zone, of the fifth business day after the
// effective date, counting the holidays executed so far. A deadline
// before now is already missed.
func (c *Core) RegisterDue() []Due {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	loc := s.days.loc
	if loc == nil {
		loc = time.UTC
	}
	var out []Due
	for _, l := range s.leavers {
		var roles []string
		for ctl, byRole := range s.reg.roles {
			for role, hs := range byRole {
				for _, h := range hs {
					switch {
					case h.principal == l.principal:
						roles = append(roles, role+" on "+ctl)
					case h.principal != "" && s.samePerson(h.principal, l.principal):
						roles = append(roles, role+" on "+ctl+" as "+h.principal)
					}
				}
			}
		}
		if len(roles) == 0 {
			continue
		}
		sort.Strings(roles)
		b := calendar.Business{Holidays: s.holidays}
		out = append(out, Due{Personnel: l.seq, Principal: l.principal, Roles: roles, Deadline: b.NthAfter(l.effective, LeaverDays).End(loc)})
	}
	return out
}
