package verifier

import (
	"sort"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
)

// RuleRegisterTimely: a leaver's role assignments leave the register by
// the end of the fifth business day after the effective date, business
// days counting the holidays the bundle records (AG-259 4.2).
const RuleRegisterTimely = "SOD-REGISTER-TIMELY"

// deadlineDays is how many business days after its effective date a leaver
// may still hold roles, and how many after the change that left it so a
// material control may stay incomplete.
const deadlineDays = 5

// leaver is a leaver whose register deadline is not yet judged.
type leaver struct {
	seq       int64  // the personnel record
	principal string // the leaver
	date      calendar.Date
	deadline  string // the end of the fifth business day after date, as a bundle time
}

// timelyState is what the rule keeps: the holidays executed and the
// leavers not yet judged, with the earliest of their deadlines.
type timelyState struct {
	holidays map[calendar.Date]bool
	leavers  []*leaver
	earliest string
}

func (s *State) timelyRule() *timelyState {
	if s.timely == nil {
		s.timely = &timelyState{holidays: map[calendar.Date]bool{}}
	}
	return s.timely
}

// deadline is the end, local time, of the fifth business day after d,
// holidays executed so far counted (SPEC.md §6.11, Timely register).
func (s *State) deadline(d calendar.Date) string {
	return s.businessEnd(d, s.timelyRule().holidays)
}

// businessEnd is the end, local time, of the fifth business day after d,
// d itself not counted, holidays being no business days, as a bundle
// time: the register deadline of a leaver and the deadline of an
// incomplete material control (SOD-CONTROL-ROLES.5) alike.
func (s *State) businessEnd(d calendar.Date, holidays map[calendar.Date]bool) string {
	b := calendar.Business{Holidays: holidays}
	return format.FormatTime(b.NthAfter(d, deadlineDays).End(s.zone()))
}

// redeadline recomputes every deadline, after a holiday changed the count.
func (t *timelyState) redeadline(s *State) {
	t.earliest = ""
	for _, l := range t.leavers {
		l.deadline = s.deadline(l.date)
		if t.earliest == "" || l.deadline < t.earliest {
			t.earliest = l.deadline
		}
	}
}

// individualRoles lists the roles principal's person holds as an
// individual holder, through any of its principals ("role on control", or
// "role on control as P" for another principal P of the person), sorted.
func (s *State) individualRoles(principal string) []string {
	var out []string
	who := s.PersonOf(principal)
	for k, hs := range s.Reg.Roles {
		for _, h := range hs {
			switch {
			case h.Principal == principal:
				out = append(out, k.role+" on "+k.control)
			case h.Principal != "" && s.PersonOf(h.Principal) == who:
				out = append(out, k.role+" on "+k.control+" as "+h.Principal)
			}
		}
	}
	sort.Strings(out)
	return out
}

// holidayProblem says why a change.holiday cannot be applied, or "".
func holidayProblem(h *format.HolidayAction) string {
	if _, err := calendar.Parse(h.Date); err != nil {
		return "its date " + clip(h.Date) + " is not a date of the form YYYY-MM-DD"
	}
	if !nonBlank(h.Name) {
		return "its name is blank"
	}
	return ""
}

// applyHoliday puts an executed, valid change.holiday into force: its date
// is no business day from now on, for the leavers' deadlines and for those
// of incomplete material controls (SOD-CONTROL-ROLES.5).
func applyHoliday(j *judgement, h *format.HolidayAction) {
	if holidayProblem(h) != "" && j.on("SOD-REGISTER-TIMELY.3") {
		return
	}
	d, err := calendar.Parse(h.Date)
	if err != nil {
		return
	}
	t := j.st.timelyRule()
	if !t.holidays[d] {
		t.holidays[d] = true
		t.redeadline(j.st)
		if j.on("SOD-CONTROL-ROLES.5/holidays") {
			j.st.redeadlineControls(true)
		}
	}
}

// lateLeavers judges every leaver whose deadline the record at time now
// reaches: the leaver must hold no individual role.
func lateLeavers(j *judgement) {
	t := j.st.timely
	if t == nil || t.earliest == "" || j.rec.Time < t.earliest {
		return
	}
	keep := t.leavers[:0]
	t.earliest = ""
	for _, l := range t.leavers {
		if j.rec.Time < l.deadline {
			keep = append(keep, l)
			if t.earliest == "" || l.deadline < t.earliest {
				t.earliest = l.deadline
			}
			continue
		}
		j.st.Reg.entries-- // the leaver leaves the state (SPEC.md §10)
		if roles := j.st.individualRoles(l.principal); len(roles) > 0 && j.on("SOD-REGISTER-TIMELY.1") {
			j.emitf(RuleRegisterTimely, []int64{l.seq, j.rec.Seq}, "%s left (record %d) and still holds %s at record %d, past the deadline %s, the end of the fifth business day after %s",
				clip(l.principal), l.seq, strings.Join(roles, ", "), j.rec.Seq, l.deadline, l.date)
		}
	}
	t.leavers = keep
}

var ruleRegisterTimely = Rule{
	ID:         RuleRegisterTimely,
	Statement:  "a leaver's role assignments are all unassigned by the end of the fifth business day after the leaving date, in the organisation's time zone, counting only the holidays the bundle records",
	References: []string{"seed 003 (AG-259 4.2)", "SPEC.md §6.11", "SPEC.md §8.3"},
	check: func(j *judgement) {
		lateLeavers(j)
		switch b := j.body.(type) {
		case *format.Personnel:
			d, err := calendar.Parse(b.Effective)
			if err != nil {
				if j.on("SOD-REGISTER-TIMELY.2") {
					j.emitf(RuleRegisterTimely, nil, "personnel record %d's effective %q is not a date of the form YYYY-MM-DD; its deadline is counted from the record's local date", j.rec.Seq, clip(b.Effective))
				}
				if x, err := format.ParseTime(j.rec.Time); err == nil {
					d = calendar.On(x, j.st.zone())
				} else {
					return
				}
			}
			if b.Event != "leaver" {
				return
			}
			if !j.roomInRegister(1) {
				return
			}
			t := j.st.timelyRule()
			l := &leaver{seq: j.rec.Seq, principal: b.Principal, date: d, deadline: j.st.deadline(d)}
			t.leavers = append(t.leavers, l)
			if t.earliest == "" || l.deadline < t.earliest {
				t.earliest = l.deadline
			}
		case *format.Execution:
			r := j.run
			if r == nil || r.Class != format.ClassHoliday || r.Action == nil || !j.on("SOD-REGISTER-TIMELY.3") {
				return
			}
			if ch, err := format.DecodeChange(r.Action, modeOf(j.st.Lax)); err == nil {
				if p := holidayProblem(ch.(*format.HolidayAction)); p != "" {
					j.emitf(RuleRegisterTimely, []int64{r.ProposalSeq, j.rec.Seq}, "run %s cannot record a holiday: %s; the change does not take effect", r.ID, p)
				}
			}
		}
	},
	end: func(s *State, off map[string]bool, emit func(Finding)) {
		t := s.timely
		if t == nil || off["SOD-REGISTER-TIMELY.1"] || s.endTime == "" {
			return
		}
		for _, l := range t.leavers {
			if s.endTime < l.deadline {
				continue
			}
			if roles := s.individualRoles(l.principal); len(roles) > 0 {
				emit(Finding{Rule: RuleRegisterTimely, Records: []int64{l.seq}, msgf: "%s left (record %d) and still holds %s when the bundle is sealed at %s, past the deadline %s, the end of the fifth business day after %s",
					args: []any{clip(l.principal), l.seq, strings.Join(roles, ", "), s.endTime, l.deadline, l.date}})
			}
		}
	},
}
