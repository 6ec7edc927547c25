package tui

import (
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case changedMsg:
		return m, m.wait()
	case doneMsg:
		return m, nil
	case filterMsg:
		return m, m.records.filterNews(msg)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.inputMode != inputNone {
		return m.inputKey(msg)
	}
	m.message = ""
	k := &m.keys
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return nil
	}
	if m.help.ShowAll && key.Matches(msg, k.Back) {
		m.help.ShowAll = false
		return nil
	}
	if handled, cmd := m.screens[m.cur].update(m, msg); handled {
		return cmd
	}
	switch {
	case key.Matches(msg, k.NextScreen):
		m.show(screenID((int(m.tab()) + 1) % len(screenNames)))
	case key.Matches(msg, k.PrevScreen):
		m.show(screenID((int(m.tab()) + len(screenNames) - 1) % len(screenNames)))
	case key.Matches(msg, k.Overview):
		m.show(scrOverview)
	case key.Matches(msg, k.Records):
		m.show(scrRecords)
	case key.Matches(msg, k.Runs):
		m.show(scrRuns)
	case key.Matches(msg, k.Principals):
		m.show(scrPrincipals)
	case key.Matches(msg, k.Controls):
		m.show(scrControls)
	case key.Matches(msg, k.Findings):
		m.show(scrFindings)
	case key.Matches(msg, k.Back) && m.cur == scrDetail:
		m.show(m.back)
	}
	return nil
}

// tab is the tab the current screen belongs to.
func (m *Model) tab() screenID {
	if m.cur == scrDetail {
		return m.back
	}
	return m.cur
}

func (m *Model) show(s screenID) { m.cur = s }

// openRecord shows the detail of record seq, returning to the current
// screen on esc.
func (m *Model) openRecord(seq int64) {
	if m.cur != scrDetail {
		m.back = m.cur
	}
	m.detail.open(m, seq)
	m.cur = scrDetail
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.cancel()
	return tea.Quit
}

// ask opens the input line.
func (m *Model) ask(mode inputMode, value string) tea.Cmd {
	m.inputMode = mode
	m.input.set(value)
	return nil
}

func (m *Model) inputKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "esc":
		m.inputMode = inputNone
		if m.cur == scrRecords {
			m.records.clearFilter()
		}
		return nil
	case "enter":
		mode, v := m.inputMode, strings.TrimSpace(m.input.String())
		m.inputMode = inputNone
		switch mode {
		case inputFilter:
			return m.records.setFilter(m, v)
		case inputJump:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				m.message = "not a sequence number: " + quoteInput(v)
				return nil
			}
			m.records.jump(m, n)
		case inputTime:
			if c, ok := m.screens[scrControls].(*controlsScreen); ok {
				c.setTime(m, v)
			}
		}
		return nil
	}
	m.input.key(msg)
	return nil
}
