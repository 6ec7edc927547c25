package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/verifier"
)

// keys sends a sequence of key presses to the model.
func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(keyMsg(k))
	}
}

// keyMsg makes the key press of a key name as KeyPressMsg.String() gives
// it.
func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// Every screen of the sample bundle at 80x24, colours off.
func TestScreens(t *testing.T) {
	bundle, genesis := sampleBundle()
	cases := []struct {
		name string
		keys []string
	}{
		{"overview", nil},
		{"records", []string{"2"}},
		{"records-bottom", []string{"2", "G"}},
		{"detail-proposal", []string{"2", ":", "1", "6", "enter", "enter"}},
		{"detail-proposal-action", []string{"2", ":", "1", "6", "enter", "enter", "pgdown"}},
		{"detail-statement", []string{"2", "j", "enter", "pgdown"}},
		{"runs", []string{"3"}},
		{"run-timeline", []string{"3", "G", "k", "k", "k", "k", "enter"}},
		{"principals", []string{"4"}},
		{"controls", []string{"5"}},
		{"controls-earlier", []string{"5", "[", "["}},
		{"findings", []string{"6"}},
		{"help", []string{"?"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
			press(m, c.keys...)
			s := screenText(m)
			checkSize(t, s, 80, 24)
			if ls := strings.Split(s, "\n"); c.name != "help" && !strings.HasSuffix(strings.TrimSpace(ls[len(ls)-1]), "q quit") {
				t.Errorf("the help line is cut before q quit: %q", ls[len(ls)-1])
			}
			checkGolden(t, c.name, s)
		})
	}
}

// The unauthenticated banner stays on every screen without a pinned trust
// root, and the exit code is 1 even with no finding.
func TestUnauthenticated(t *testing.T) {
	bundle, _ := sampleBundle()
	m := testModel(t, bundle, verifier.UnsafeNoTrust(), TrustUnsafe)
	for _, k := range []string{"1", "2", "3", "4", "5", "6"} {
		press(m, k)
		s := screenText(m)
		if !contains(s, "UNAUTHENTICATED") {
			t.Errorf("screen %s has no unauthenticated banner:\n%s", k, s)
		}
	}
	checkGolden(t, "unauthenticated-overview", func() string { press(m, "1"); return screenText(m) }())
}
