package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
)

// controlsScreen is the register of controls as a matrix of controls by
// the five roles, as of a chosen time: the latest, a time typed in, or a
// step through the times the register changed.
type controlsScreen struct {
	textView
	at    string // "" for the latest
	h, n  int
	typed bool
}

func (c *controlsScreen) keys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Prev, k.Next, k.Time, k.Down}
}

func (c *controlsScreen) update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	k := &m.keys
	m.st.mu.RLock()
	times := m.st.register.times()
	m.st.mu.RUnlock()
	i := sort.SearchStrings(times, c.at) // index of the current time
	if c.at == "" {
		i = len(times)
	}
	switch {
	case key.Matches(msg, k.Prev):
		if c.at != "" && i < len(times) && times[i] != c.at {
			i++ // a typed time between changes: the change before it is i-1
		}
		if i > 0 {
			c.at = times[i-1]
		}
		return true, nil
	case key.Matches(msg, k.Next):
		if c.at != "" {
			j := sort.Search(len(times), func(j int) bool { return times[j] > c.at })
			if j < len(times) {
				c.at = times[j]
			} else {
				c.at = ""
			}
		}
		return true, nil
	case key.Matches(msg, k.Time):
		return true, m.ask(inputTime, c.at)
	}
	return c.move(k, msg, c.n, c.h), nil
}

// setTime sets the time the register is shown as of: a bundle time, or a
// prefix of one (a date, or a date and hour), taken as the end of what it
// names.
func (c *controlsScreen) setTime(m *Model, v string) {
	if v == "" || v == "now" {
		c.at = ""
		return
	}
	const shape, end = "0000-00-00T00:00:00.000Z", "9999-12-31T23:59:59.999Z"
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '0'
		}
		return r
	}, v)
	if len(v) > len(shape) || !strings.HasPrefix(shape, digits) {
		m.message = "not a time: " + quoteInput(v) + " (want YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS.mmmZ or a prefix of it)"
		return
	}
	c.at = v + end[len(v):]
}

func (c *controlsScreen) view(m *Model, w, h int) []string {
	c.h = h
	lines := c.lines(m, w)
	c.n = len(lines)
	return c.window(lines, h)
}

func (c *controlsScreen) lines(m *Model, w int) []string {
	m.st.mu.RLock()
	reg := m.st.register
	s := reg.at(c.at)
	times := reg.times()
	has := reg.hasControls()
	dropped := reg.dropped
	done := m.st.done
	eff := c.at
	if eff == "" {
		eff = m.st.last // the latest record read decides which exceptions are in force
	}
	m.st.mu.RUnlock()

	asOf := "as of the latest record read"
	if c.at != "" {
		asOf = "as of " + display.Escape(c.at)
	}
	if !done {
		asOf += " (verification still reading)"
	}
	out := []string{m.styles.Heading.Render(fit(fmt.Sprintf("  register of controls, %s; %s", asOf, display.Count(int64(len(times)), "change")), w))}
	if dropped > 0 {
		out = append(out, fmt.Sprintf("  %d register changes not kept (memory bound)", dropped))
	}
	if !has {
		out = append(out, "",
			"  No "+format.ClassControl+", "+format.ClassRole+" or "+format.ClassException+" run has been",
			"  executed in this bundle"+map[bool]string{true: "", false: " so far"}[done]+": the register of controls is empty.",
			"",
			"  The register is built from the verifier's change log (controls, teams,",
			"  roles) and its judgement of conflicts, and from the executed exception",
			"  runs it hands out; it never rereads the bundle.")
		return out
	}
	rows, cells := s.matrix(eff)
	cw := (w - 16) / len(Roles)
	if cw < 6 {
		cw = 6
	}
	head := fmt.Sprintf("  %-13s", "control")
	for _, r := range Roles {
		head += " " + fmt.Sprintf("%-*s", cw-1, r)
	}
	out = append(out, m.styles.Heading.Render(fit(head, w)))
	conflicts, excepted := 0, 0
	for _, row := range rows {
		flag := " "
		if row.Flagged {
			flag = m.styles.Finding.Render("✗")
		}
		mat := ""
		if row.Material {
			mat = "*"
		}
		line := flag + " " + fit(cut(display.Escape(row.ID)+mat, 13), 13)
		for _, r := range Roles {
			cl := cells[row.ID][r]
			text := "-"
			if len(cl.Holders) > 0 {
				text = display.Escape(cl.Holders[0])
				if len(cl.Holders) > 1 {
					text += fmt.Sprintf("+%d", len(cl.Holders)-1)
				}
			}
			tag := " "
			switch {
			case cl.Excepted:
				tag = "E"
				excepted++
			case cl.Conflict:
				tag = "!"
				conflicts++
			}
			cellText := fit(cut(text, cw-2), cw-2) + tag
			switch {
			case cl.Excepted:
				cellText = m.styles.Excepted.Render(cellText)
			case cl.Conflict:
				cellText = m.styles.Conflict.Render(cellText)
			}
			line += " " + cellText
		}
		out = append(out, line)
		if row.Name != "" {
			out = append(out, m.styles.Dim.Render("    "+cut(display.Quote(row.Name), w-4)))
		}
	}
	out = append(out, "",
		fmt.Sprintf("  %s, %s", display.Count(int64(conflicts), "conflict"), display.Count(int64(excepted), "excepted conflict")),
		"  ! one person, or one team, holds two roles of the control (the verifier's",
		"    register, SOD-CONTROL-ROLES)",
		"  E the same, covered by an exception in force on that date",
		"  * a material control     ✗ a record behind the row has findings")
	for _, row := range rows {
		if e := s.conflicts[row.ID]; e != nil {
			for _, u := range e.Units {
				out = append(out, m.styles.Conflict.Render(cut("  conflict on "+display.Escape(row.ID)+": "+display.Escape(u), w)))
			}
		}
	}
	for _, e := range s.excepts {
		who := display.Escape(e.Holder)
		if e.Kind == regSmallOrg {
			who = "small organisation"
		}
		out = append(out, cut(fmt.Sprintf("  exception %s: %s on %s, roles %s, %s to %s", display.Quote(e.Exception), who, display.Escape(e.Control),
			display.Escape(strings.Join(e.RolesOf, "+")), display.Escape(e.Starts), display.Escape(e.Expires)), w))
	}
	return out
}
