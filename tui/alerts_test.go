package tui

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/verifier"
)

func vectorBundle(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.Vectors(), name+".csb")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A refused act's record detail and its run's timeline show the alert on
// it and each delivery, the failed one and the retry, with the delay from
// the act; a refusal recorded as a note shows its alert too.
func TestAlertsInDetails(t *testing.T) {
	m := testModel(t, vectorBundle(t, "alert-failed-retried"), verifier.UnsafeNoTrust(), TrustUnsafe)
	m.detail.open(m, 7)
	s := strings.Join(m.detail.lines(m, 100), "\n")
	for _, want := range []string{"alert record 9: agent.payments acting in ", "delivery record 10: failed via ", "delivery record 12: delivered via ",
		"30.000 s after the act"} {
		if !strings.Contains(s, want) {
			t.Errorf("the detail of record 7 lacks %q:\n%s", want, s)
		}
	}
	m.detail.open(m, 13)
	if s := strings.Join(m.detail.lines(m, 100), "\n"); !strings.Contains(s, "alert record 14: names no actor") || !strings.Contains(s, "delivery record 15: delivered via ") ||
		!strings.Contains(s, "2.000 s after the act") {
		t.Errorf("the note's detail:\n%s", s)
	}
	m.detail.open(m, 9)
	if s := strings.Join(m.detail.lines(m, 100), "\n"); !strings.Contains(s, "the alert on the refused act at record 7") {
		t.Errorf("the alert's detail:\n%s", s)
	}
	m.detail.open(m, 5)
	if s := strings.Join(m.detail.lines(m, 100), "\n"); strings.Contains(s, "alert record") {
		t.Errorf("a record no alert names shows one:\n%s", s)
	}
	var found bool
	for _, e := range m.st.sortedRunsLocked() {
		if e.TL == nil || e.TL.Proposal == nil || e.TL.Proposal.Seq != 7 {
			continue
		}
		found = true
		s := strings.Join(m.screens[scrRuns].(*runsScreen).timeline(m, e, 100), "\n")
		if !strings.Contains(s, "REFUSED") || !strings.Contains(s, "alert record 9") || !strings.Contains(s, "delivery record 12: delivered via ") {
			t.Errorf("the run's timeline:\n%s", s)
		}
	}
	if !found {
		t.Fatal("no run opens at record 7")
	}
}

// The controls screen marks the conflicts the verifier's register has: a
// team whose members hold build and approve on one control.
func TestControlsConflictFromVerifier(t *testing.T) {
	m := testModel(t, vectorBundle(t, "ctl-team-members-two-roles"), verifier.UnsafeNoTrust(), TrustUnsafe)
	press(m, "5")
	s := screenText(m)
	if !strings.Contains(s, "conflict on risk-limit: team quant: build+approve since record 160") || !strings.Contains(s, "2 conflicts, 0 excepted conflicts") {
		t.Errorf("controls screen:\n%s", s)
	}
	m.st.mu.RLock()
	rows, cells := m.st.register.at("").matrix("")
	m.st.mu.RUnlock()
	marked := map[string]bool{}
	for _, r := range rows {
		for _, role := range Roles {
			if cells[r.ID][role].Conflict {
				marked[r.ID+" "+role] = true
			}
		}
	}
	if !marked["risk-limit build"] || !marked["risk-limit approve"] || len(marked) != 2 {
		t.Errorf("cells marked: %v", marked)
	}
}
