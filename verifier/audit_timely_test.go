package verifier

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/internal/calendar"
)

// TestAuditFindingsWithinRegisterBound: past the register's bound an audit
// finding is not kept, so the auditor's later downgrade of it cannot be
// judged valid: the bundle that passes under the default bound fails
// closed under a bound one entry short (SPEC.md §10).
func TestAuditFindingsWithinRegisterBound(t *testing.T) {
	data, err := fs.ReadFile(fixtures.Vectors(), "audit-downgrade-by-auditor.csb")
	if err != nil {
		t.Fatal(err)
	}
	run := func(bound int) *Result {
		lim := defaultLimits()
		lim.register = bound
		res, err := Verify(context.Background(), bytes.NewReader(data), Trust{unsafe: true}, Options{Workers: 1, lim: &lim})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run(MaxRegister); res.Verdict != VerdictPass {
		t.Fatalf("under the default bound: %s %v", res.Verdict, findingList(res.Findings))
	}
	// Two controls and ten role holders fill a bound of 12: the finding
	// is the thirteenth entry.
	res := run(12)
	rules := []string{}
	for _, f := range res.Findings {
		rules = append(rules, f.Rule)
	}
	for _, want := range []string{RuleAttemptOutcome, RuleAuditIndependence} {
		if !slices.Contains(rules, want) {
			t.Errorf("under a bound of 12, no %s finding: %v", want, findingList(res.Findings))
		}
	}
}

// TestRegisterDeadlineTable: the worked table of SPEC.md §6.11 (Timely
// register), row by row, in Europe/London.
func TestRegisterDeadlineTable(t *testing.T) {
	for _, c := range []struct{ effective, holiday, want string }{
		{"2026-11-06", "", "2026-11-14T00:00:00.000Z"},
		{"2026-11-07", "", "2026-11-14T00:00:00.000Z"},
		{"2026-11-06", "2026-11-11", "2026-11-17T00:00:00.000Z"},
		{"2026-10-16", "", "2026-10-23T23:00:00.000Z"},
	} {
		s := newState()
		loc, ok := loadZone("Europe/London")
		if !ok {
			t.Fatal("Europe/London is not in the embedded zone data")
		}
		s.loc = loc
		if c.holiday != "" {
			s.timelyRule().holidays[must(calendar.Parse(c.holiday))] = true
		}
		if got := s.deadline(must(calendar.Parse(c.effective))); got != c.want {
			t.Errorf("effective %s, holiday %q: deadline %s, want %s", c.effective, c.holiday, got, c.want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLeaverTeamNotRead: a leaver's personnel record means the same
// whatever its team says (SPEC.md §6.9, §6.11 Personnel): with a team
// "desk" in the register that approves thermal, which val.vic validates, a
// leaver naming "desk", or a team not in the register, gives the findings
// (messages included) and the change-log entry of one naming "". A mover
// naming "desk" joins it and starts a conflict, so the team would matter
// if it were read.
func TestLeaverTeamNotRead(t *testing.T) {
	run := func(event, team string) (string, string) {
		t.Helper()
		b, p, _ := fixtures.TimelyLeaver(event, team, true)
		var entry string
		res, err := Verify(context.Background(), bytes.NewReader(b.Bundle()), Trust{unsafe: true}, Options{Workers: 1, Changes: func(c *Change) {
			if c.Seq == p {
				entry = fmt.Sprintf("%s holder=%s team=%q event=%s effective=%s applied=%v", c.Kind, c.Holder, c.Team, c.Event, c.Effective, c.Applied)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, f := range res.Findings {
			out = append(out, fmt.Sprint(f.Rule, f.Records, " ", f.Message))
		}
		return res.Verdict + "\n" + strings.Join(out, "\n"), entry
	}
	want, wantEntry := run("leaver", "")
	if !strings.Contains(want, RuleRegisterTimely) || strings.Contains(want, RuleControlRoles) {
		t.Fatalf("the leaver naming no team: want the late leaver alone, got\n%s", want)
	}
	if !strings.Contains(wantEntry, `team=""`) || !strings.Contains(wantEntry, "applied=true") {
		t.Fatalf("the leaver naming no team: change-log entry %s", wantEntry)
	}
	for _, team := range []string{"desk", "x", "validation"} {
		got, entry := run("leaver", team)
		if got != want {
			t.Errorf("a leaver naming team %q:\n%s\nwant (as with \"\"):\n%s", team, got, want)
		}
		if entry != wantEntry {
			t.Errorf("a leaver naming team %q: change-log entry %s, want %s", team, entry, wantEntry)
		}
	}
	if got, _ := run("mover", "desk"); !strings.Contains(got, RuleControlRoles) {
		t.Errorf("a mover into desk starts no conflict:\n%s", got)
	}
}
