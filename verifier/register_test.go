package verifier

import (
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/internal/calendar"
)

func vectorBundle(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.Vectors(), name+".csb")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The change log reports every register change, in order, with what it
// changes and whether it took effect.
func TestChangeLogRegister(t *testing.T) {
	_, changes, res := collect(t, vectorBundle(t, "controls-register-complete"), UnsafeNoTrust(), Options{})
	if res.Verdict != VerdictPass {
		t.Fatalf("verdict %s: %v", res.Verdict, findingList(res.Findings))
	}
	var got []string
	for _, c := range changes {
		switch c.Kind {
		case ChangeControl:
			got = append(got, "control "+c.Control+" "+c.ControlDef.Name)
		case ChangeTeam:
			got = append(got, "team "+c.Team+" "+strings.Join(c.TeamDef.Members, ","))
		case ChangeRole:
			got = append(got, "role "+c.Control+" "+c.Role+" "+c.Op+" "+c.Holder+c.Team+" "+c.Justification)
		case ChangePolicy:
			got = append(got, "policy "+c.Run)
		default:
			continue
		}
		if !c.Applied {
			t.Errorf("change at record %d not applied", c.Seq)
		}
	}
	want := []string{
		"control risk-limit Trading risk limit", "control thermal Thermal load threshold",
		"role risk-limit build assign eng.sam initial owner of risk-limit", "role risk-limit operate assign agent.trader initial owner of risk-limit",
		"role risk-limit approve assign risk.ana initial owner of risk-limit", "role risk-limit validate assign val.vic initial owner of risk-limit",
		"role risk-limit audit assign aud.ada initial owner of risk-limit",
		"role thermal build assign eng.sam initial owner of thermal", "role thermal operate assign agent.grid initial owner of thermal",
		"role thermal approve assign risk.ben initial owner of thermal", "role thermal validate assign val.vic initial owner of thermal",
		"role thermal audit assign aud.ada initial owner of thermal",
		"policy policy-v1", "team audit-team aud.ada,aud.abe",
		"role risk-limit audit assign audit-team audit moves to the internal audit team",
		"role risk-limit audit unassign aud.ada aud.ada audits through the team now",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("change log:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A change the register cannot take, and a policy beyond the register,
// are logged as not applied.
func TestChangeLogNotApplied(t *testing.T) {
	for name, kind := range map[string]string{"ctl-role-change-invalid": ChangeRole, "ctl-grant-beyond-register": ChangePolicy, "ctl-control-invalid": ChangeControl} {
		_, changes, _ := collect(t, vectorBundle(t, name), UnsafeNoTrust(), Options{})
		last := changes[len(changes)-1]
		if last.Kind != kind || last.Applied {
			t.Errorf("%s: last change %s applied %v, want %s not applied", name, last.Kind, last.Applied, kind)
		}
	}
}

// Business days are counted in the genesis zone, Monday to Friday but the
// recorded holidays: the deadline is the midnight ending the fifth
// business day after the change's local date.
func TestBusinessDeadline(t *testing.T) {
	for _, c := range []struct{ tz, at, want string }{
		{"Europe/London", "2026-11-02T09:00:00.000Z", "2026-11-10T00:00:00.000Z"},    // Monday -> end of Monday 9
		{"Europe/London", "2026-11-06T23:30:00.000Z", "2026-11-14T00:00:00.000Z"},    // Friday -> end of Friday 13
		{"America/New_York", "2026-11-07T03:00:00.000Z", "2026-11-14T05:00:00.000Z"}, // still Friday 6 in New York
		{"Asia/Tokyo", "2026-11-06T16:00:00.000Z", "2026-11-13T15:00:00.000Z"},       // already Saturday 7 in Tokyo
	} {
		s := newState()
		loc, ok := loadZone(c.tz)
		if !ok {
			t.Fatalf("zone %s not in the embedded database", c.tz)
		}
		s.loc = loc
		if got := s.businessDeadline(c.at, true); got != c.want {
			t.Errorf("%s %s: deadline %s, want %s", c.tz, c.at, got, c.want)
		}
	}
	// A recorded holiday is no business day, unless the count is told to
	// leave holidays out.
	s := newState()
	s.loc, _ = loadZone("Europe/London")
	s.timelyRule().holidays[calendar.Date{Year: 2026, Month: time.November, Day: 4}] = true
	if got, want := s.businessDeadline("2026-11-02T09:00:00.000Z", true), "2026-11-11T00:00:00.000Z"; got != want {
		t.Errorf("with the holiday of 2026-11-04: deadline %s, want %s", got, want)
	}
	if got, want := s.businessDeadline("2026-11-02T09:00:00.000Z", false), "2026-11-10T00:00:00.000Z"; got != want {
		t.Errorf("holidays left out: deadline %s, want %s", got, want)
	}
	if _, ok := loadZone("Mars/Olympus_Mons"); ok {
		t.Error("an unknown zone loaded")
	}
}
