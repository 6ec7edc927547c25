package verifier

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/internal/calendar"
)

// TestExceptionDates checks SPEC.md §6.11's worked table of exception
// dates in Europe/London: the last day is valid to its last second, the
// next instant is not, across both changes of daylight-saving time; and
// 90 days after the start is one day too many.
func TestExceptionDates(t *testing.T) {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	s := newState()
	s.loc = loc
	date := func(v string) calendar.Date {
		d, err := calendar.Parse(v)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		starts, expires, at string
		covered             bool
	}{
		{"2026-12-14", "2027-03-13", "2027-03-13T23:59:59Z", true},
		{"2026-12-14", "2027-03-13", "2027-03-14T00:00:00Z", false},
		{"2026-12-14", "2027-03-13", "2026-12-14T00:00:00Z", true},
		{"2026-12-14", "2027-03-13", "2026-12-13T23:59:59Z", false},
		{"2027-03-01", "2027-03-28", "2027-03-28T22:59:59Z", true},
		{"2027-03-01", "2027-03-28", "2027-03-28T23:00:00Z", false},
		{"2026-10-01", "2026-10-25", "2026-10-25T23:59:59Z", true},
		{"2026-10-01", "2026-10-25", "2026-10-26T00:00:00Z", false},
		{"2026-10-01", "2026-10-25", "2026-09-30T23:00:00Z", true}, // midnight BST
		{"2026-10-01", "2026-10-25", "2026-09-30T22:59:59Z", false},
	} {
		st, ex := date(c.starts), date(c.expires)
		s.Reg.x = nil
		s.Reg.ext().excepts = []*exception{{control: "c", holder: "p:h", roles: []string{RoleBuild, RoleValidate}, starts: st, expires: ex, from: st.Start(loc), until: ex.End(loc)}}
		at, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.covered("c", "p:h", []string{RoleValidate, RoleBuild}, at); got != c.covered {
			t.Errorf("%s to %s at %s: covered %v, want %v", c.starts, c.expires, c.at, got, c.covered)
		}
		if s.covered("c", "p:other", []string{RoleBuild, RoleValidate}, at) || s.covered("c", "p:h", []string{RoleBuild, RoleAudit}, at) {
			t.Errorf("%s: an exception covers another holder or another role", c.at)
		}
	}
	if n := date("2027-03-13").Sub(date("2026-12-14")); n != 89 {
		t.Errorf("day 89: got %d", n)
	}
	if n := date("2027-03-14").Sub(date("2026-12-14")); n != 90 {
		t.Errorf("day 90: got %d", n)
	}
}

// TestQuarter checks the 3-calendar-month steps of SPEC.md §6.11, Small
// organisation: clamped to the month's end, never into the next month.
func TestQuarter(t *testing.T) {
	for from, want := range map[string]string{"2026-11-30": "2027-02-28", "2027-11-30": "2028-02-29", "2026-12-31": "2027-03-31", "2027-02-26": "2027-05-26", "2026-11-29": "2027-02-28"} {
		d, err := calendar.Parse(from)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.AddMonths(maxMonths).String(); got != want {
			t.Errorf("%s + 3 months = %s, want %s", from, got, want)
		}
	}
}

// The change log lists reporting lines, exceptions with the cumulative
// duration of their chain of renewals, and personnel moves, each with
// whether it took effect.
func TestChangeLogExceptions(t *testing.T) {
	line := func(c *Change) string {
		switch c.Kind {
		case ChangeReportingLine:
			return "line " + c.Holder + " " + c.Manager
		case ChangeException:
			return "exception " + c.Exception + " " + c.Holder + " " + c.Control + " " + strings.Join(c.Roles, ",") + " " + c.Starts + ".." + c.Expires + " " + strconv.Itoa(c.Cumulative) + " from " + c.ChainStarts
		case ChangePersonnel:
			return "personnel " + c.Holder + " " + c.Event + " " + c.Team
		case ChangeSmallOrg, ChangeSmallOrgReview:
			return c.Kind + " " + c.Exception + " " + c.Op + " " + c.Expires
		}
		return ""
	}
	for name, want := range map[string][]string{
		"exc-renewed": {"line eng.sam risk.ana true", "line val.vic risk.ana true", "line risk.ana ops.dana true", "line risk.ben ops.dana true",
			"exception exc-1 eng.sam risk-limit build,validate 2026-12-14..2027-03-13 90 from 2026-12-14 true",
			"exception exc-2 eng.sam risk-limit build,validate 2027-03-14..2027-06-11 180 from 2026-12-14 true"},
		"exc-renewal-same-risk": {"line eng.sam risk.ana true", "line val.vic risk.ana true", "line risk.ana ops.dana true", "line risk.ben ops.dana true",
			"exception exc-1 eng.sam risk-limit build,validate 2026-12-14..2027-03-13 90 from 2026-12-14 true",
			"exception exc-2 eng.sam risk-limit build,validate 2027-03-14..2027-06-11 0 from  false"},
		"exc-cyclic-reporting-line": {"line eng.sam risk.ana true", "line val.vic risk.ana true", "line risk.ana ops.dana true", "line risk.ben ops.dana true",
			"line ops.dana eng.sam false"},
		"exc-mover-conflict": {"line eng.sam risk.ana true", "line val.vic risk.ana true", "line risk.ana ops.dana true", "line risk.ben ops.dana true",
			"personnel val.vic mover risk-team true", "personnel val.vic mover  true"},
		"small-org-missed-review": {"small-org small-1  2027-02-28 true", "small-org-review small-1 continue 2027-05-31 false"},
	} {
		_, changes, _ := collect(t, vectorBundle(t, name), UnsafeNoTrust(), Options{})
		var got []string
		for _, c := range changes {
			if l := line(c); l != "" {
				got = append(got, l+" "+strconv.FormatBool(c.Applied))
			}
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: change log:\n%s\nwant:\n%s", name, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
