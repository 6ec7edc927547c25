package enforce

import (
	"sort"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
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
