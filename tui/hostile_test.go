package tui

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/countersign/countersign/verifier"
)

// sgr is the only escape sequence a screen's text may hold: the styles'
// select-graphic-rendition sequences.
var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// forbidden are the characters hostile carries that must never reach the
// terminal as they are.
var forbidden = []string{"\x1b", "\x07", "\r", "\u202e", "\u2028", "\x9b", "\x9d"}

// The hostile bundle's every screen, with colours on so the styles' own
// sequences are there too: after them, nothing of the attacker's text
// reaches the terminal unescaped, and its escaped form is what is shown.
func TestHostileTextIsEscaped(t *testing.T) {
	bundle := hostileBundle()
	m := testModel(t, bundle, verifier.UnsafeNoTrust(), TrustUnsafe)
	m.styles = DefaultStyles(false)
	m.help.Styles = m.styles.Help
	n := m.src.Count()
	var shown strings.Builder
	visit := func(name string) {
		raw := m.render()
		rest := sgr.ReplaceAllString(raw, "")
		for _, f := range forbidden {
			if strings.Contains(rest, f) {
				t.Errorf("%s: the screen holds %q outside the browser's own styling:\n%q", name, f, raw)
			}
		}
		shown.WriteString(ansi.Strip(raw))
	}
	for _, k := range []string{"1", "2", "3", "4", "5", "6"} {
		press(m, k)
		visit("screen " + k)
	}
	// Every record's detail, every page of it.
	press(m, "2")
	for seq := int64(0); seq < n; seq++ {
		m.openRecord(seq)
		for p := 0; p < 12; p++ {
			visit("record detail")
			press(m, "pgdown")
		}
	}
	// Every run's timeline.
	press(m, "esc", "3")
	for i := 0; i < 3; i++ {
		press(m, "enter")
		for p := 0; p < 4; p++ {
			visit("run timeline")
			press(m, "pgdown")
		}
		press(m, "esc", "j")
	}
	// A filter whose text is hostile too.
	press(m, "2", "/")
	typeText(m, "\x1b]52;c;x\x07")
	visit("filter input")
	got := shown.String()
	for _, want := range []string{`\x1b[2J`, `\x1b]8;;https://evil.example/\x07link`, `\x1b]52;c;SEVMTE8=\x07`, `\r`, `\u202e`, `\u2028`} {
		if !strings.Contains(got, want) {
			t.Errorf("no screen shows the escaped form %s", want)
		}
	}
}

// The golden record detail of the note whose code and text are hostile,
// and the record whose actor is.
func TestHostileGolden(t *testing.T) {
	m := testModel(t, hostileBundle(), verifier.UnsafeNoTrust(), TrustUnsafe)
	press(m, "2")
	checkGolden(t, "hostile-records", screenText(m))
	m.openRecord(4)
	checkGolden(t, "hostile-proposal", screenText(m))
	m.openRecord(3)
	checkGolden(t, "hostile-note", screenText(m))
	m.openRecord(m.src.Count() - 1)
	checkGolden(t, "hostile-actor", screenText(m))
	press(m, "esc", "4")
	checkGolden(t, "hostile-principals", screenText(m))
}

// The whole of what the program writes to the terminal while a person
// goes through every screen of the hostile bundle: the renderer's own
// cursor and style sequences, and none of the attacker's.
func TestHostileProgramOutput(t *testing.T) {
	tm, _ := program(t, hostileBundle(), verifier.UnsafeNoTrust(), TrustUnsafe)
	var out bytes.Buffer
	// collect reads what the program wrote so far; the renderer draws at
	// most every few milliseconds, so each key gets time to be drawn.
	step := func(keys ...string) {
		for _, k := range keys {
			tm.Send(keyMsg(k))
			time.Sleep(30 * time.Millisecond)
			io.Copy(&out, tm.Output())
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "FAIL") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		io.Copy(&out, tm.Output())
	}
	step("4", "G", "2")
	for i := 0; i < 11; i++ {
		step("enter", "pgdown", "pgdown", "esc", "j")
	}
	step("3", "enter", "pgdown", "esc", "j", "enter", "esc", "5", "6", "1", "q")
	io.Copy(&out, tm.FinalOutput(t, teatest.WithFinalTimeout(10*time.Second)))
	s := out.String()
	if !strings.Contains(s, `\x1b]52;c;SEVMTE8=\x07`) {
		t.Fatalf("the escaped form of the hostile text never reached the terminal: the test proves nothing\n%q", s)
	}
	for _, bad := range []string{"\x1b[31mRED", "\x1b]8;", "\x1b]52;", "\x07bell", "\rrlo", "\u202e", "\u2028", "\x9b", "\x9d"} {
		if strings.Contains(s, bad) {
			t.Errorf("the program wrote %q to the terminal", bad)
		}
	}
}
