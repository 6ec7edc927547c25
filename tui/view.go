package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// View draws the whole screen: the tabs, the banners, the verification
// line, the screen's body and the help line.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "countersign browse"
	return v
}

// render is the screen's text, exactly m.height lines of at most m.width
// columns.
func (m *Model) render() string {
	w, h := max(m.width, 20), max(m.height, 6)
	var top []string
	top = append(top, m.tabs(w))
	top = append(top, m.banners(w)...)
	top = append(top, m.verifyLine(w))
	var bottom []string
	if m.inputMode != inputNone {
		bottom = append(bottom, m.inputLine(w))
	} else if m.message != "" {
		bottom = append(bottom, fit(m.message, w))
	}
	hv := m.help.View(screenKeys{own: m.screens[m.cur].keys(&m.keys), k: &m.keys})
	bottom = append(bottom, strings.Split(hv, "\n")...)
	bodyH := h - len(top) - len(bottom)
	if bodyH < 1 {
		bodyH = 1
	}
	body := m.screens[m.cur].view(m, w, bodyH)
	if len(body) > bodyH {
		body = body[:bodyH]
	}
	for len(body) < bodyH {
		body = append(body, "")
	}
	lines := append(append(top, body...), bottom...)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, w, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) tabs(w int) string {
	var parts []string
	for i, n := range screenNames {
		label := fmt.Sprintf(" %d %s ", i+1, n)
		if screenID(i) == m.tab() {
			parts = append(parts, m.styles.ActiveTab.Render(label))
		} else {
			parts = append(parts, m.styles.Tab.Render(label))
		}
	}
	return strings.Join(parts, "")
}

// banners are the warnings that stay on screen.
func (m *Model) banners(w int) []string {
	var out []string
	if m.cfg.TrustMode != TrustPinned {
		out = append(out, m.styles.Banner.Render(fit(" UNAUTHENTICATED: no trust root pinned (--unsafe-no-trust); approvals shown are not facts", w)))
	}
	m.st.mu.RLock()
	res := m.st.result
	m.st.mu.RUnlock()
	if res != nil && res.Authenticity == verifier.AuthFailed {
		out = append(out, m.styles.Banner.Render(fit(" AUTHENTICITY FAILED: the genesis does not match the pinned trust root", w)))
	}
	if lin, why := m.src.Linear(); lin {
		ls := wrap(" LINEAR READING: "+display.Escape(why), w, 1)
		if len(ls) > 2 {
			ls = ls[:2]
			ls[1] = cut(ls[1]+" …", w)
		}
		for _, l := range ls {
			out = append(out, m.styles.Banner.Render(fit(l, w)))
		}
	}
	return out
}

// verifyLine is the progress bar while verifying, the verdict after.
func (m *Model) verifyLine(w int) string {
	st := m.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	if !st.done {
		frac := 0.0
		if st.total > 0 {
			frac = float64(st.bytes) / float64(st.total)
		}
		label := fmt.Sprintf(" verifying %3.0f%%  %d records", frac*100, st.records)
		barW := w - len(label) - 2
		if barW > 40 {
			barW = 40
		}
		if barW < 5 {
			return fit(label, w)
		}
		full := int(frac * float64(barW))
		return "[" + m.styles.Bar.Render(strings.Repeat("█", full)) + m.styles.BarEmpty.Render(strings.Repeat("░", barW-full)) + "]" + label
	}
	if st.err != nil {
		return m.styles.Fail.Render(fit(" cannot verify: "+display.Escape(st.err.Error()), w))
	}
	res := st.result
	verdict := strings.ToUpper(res.Verdict)
	style := m.styles.Fail
	if res.Verdict == verifier.VerdictPass {
		style = m.styles.Pass
	}
	n := len(res.Findings) + res.FindingsOmitted
	line := style.Render(verdict) + fmt.Sprintf("  %s, %s", display.Count(res.Counts.Records, "record"), display.Count(int64(n), "finding"))
	if st.sha256 != "" {
		sha := st.sha256
		if room := w - ansi.StringWidth(line) - 10; room < len(sha) {
			sha = sha[:max(room-1, 8)] + "…"
		}
		line += "  sha-256 " + sha
	}
	return line
}

func (m *Model) inputLine(w int) string {
	label := map[inputMode]string{inputFilter: "filter (actor:ID run:ID type:T or text): ", inputJump: "jump to record: ", inputTime: "as of time (YYYY-MM-DD[THH:MM:SS]): "}[m.inputMode]
	return m.styles.Input.Render(label) + m.input.view()
}

// fit cuts s to w columns with an ellipsis, and pads it to w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// cut cuts s to w columns with an ellipsis, without padding.
func cut(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s
}

// quoteInput shows what a person typed, escaped.
func quoteInput(s string) string { return display.Quote(s) }

// wrap breaks s (already escaped) into lines of w columns, at a space
// when there is one in the second half of the line, indenting the
// continuation lines by indent spaces.
func wrap(s string, w, indent int) []string {
	if w <= indent+1 {
		return []string{s}
	}
	var out []string
	for first := true; ; first = false {
		lim, prefix := w, ""
		if !first {
			lim, prefix = w-indent, strings.Repeat(" ", indent)
		}
		if ansi.StringWidth(s) <= lim {
			return append(out, prefix+s)
		}
		head := ansi.Truncate(s, lim, "")
		if head == "" {
			head = s[:1]
		}
		if i := strings.LastIndexByte(head, ' '); i > len(head)/2 {
			head = head[:i+1]
		}
		out = append(out, prefix+strings.TrimRight(head, " "))
		s = s[len(head):]
	}
}

// marker is the status character of a record.
func (m *Model) marker(s uint8) string {
	switch s {
	case statusOK:
		return m.styles.OK.Render("✓")
	case statusFinding:
		return m.styles.Finding.Render("✗")
	}
	return m.styles.Pending.Render("·")
}

// statusWord is the status of a record in words.
func statusWord(s uint8) string {
	switch s {
	case statusOK:
		return "ok"
	case statusFinding:
		return "finding"
	}
	return "pending"
}
