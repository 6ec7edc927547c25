package tui

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// principalsScreen lists every principal the change log names, with its
// kind, printed name, roles and key history, and the log key's history.
type principalsScreen struct {
	textView
	h, n int
}

func (p *principalsScreen) keys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Down, k.PageDown}
}

func (p *principalsScreen) update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	return p.move(&m.keys, msg, p.n, p.h), nil
}

func (p *principalsScreen) view(m *Model, w, h int) []string {
	p.h = h
	lines := p.lines(m, w)
	p.n = len(lines)
	return p.window(lines, h)
}

type principalView struct {
	id, kind, name, team string
	registrar            bool
	keys                 []string            // key IDs, in order of first mention
	events               map[string][]string // key ID -> what happened to it
}

func (pv *principalView) event(kid, what string) {
	if _, ok := pv.events[kid]; !ok {
		pv.keys = append(pv.keys, kid)
	}
	pv.events[kid] = append(pv.events[kid], what)
}

func (p *principalsScreen) lines(m *Model, w int) []string {
	m.st.mu.RLock()
	changes := m.st.changes
	dropped := m.st.chDropped
	reg := m.st.register.at("")
	done := m.st.done
	m.st.mu.RUnlock()

	byID := map[string]*principalView{}
	var logKey []string
	mark := func(c *verifier.Change) string {
		s := ""
		if !c.OK() {
			s = " ✗ finding"
		}
		if !c.Applied {
			s += " (not applied: refused by a check)"
		}
		return s
	}
	for _, c := range changes {
		switch c.Kind {
		case verifier.ChangeLogKey:
			logKey = append(logKey, "key "+display.Escape(c.Key), fmt.Sprintf("    in force from record %d, %s%s", c.Seq, display.Escape(c.Time), mark(c)))
			continue
		case verifier.ChangePolicy:
			continue
		}
		if c.Principal == nil {
			continue
		}
		pv := byID[c.Principal.ID]
		if pv == nil {
			pv = &principalView{id: c.Principal.ID, events: map[string][]string{}}
			byID[c.Principal.ID] = pv
		}
		switch c.Kind {
		case verifier.ChangeEnrolment:
			if c.Applied || pv.name == "" {
				pv.kind, pv.name, pv.team = c.Principal.Kind, c.Principal.Name, c.Principal.Team
			}
			pv.registrar = pv.registrar || c.Registrar && c.Applied
			what := "enrolled"
			if c.Registrar {
				what += " as registrar"
			}
			pv.event(c.Key, fmt.Sprintf("%s at record %d, %s%s", what, c.Seq, display.Escape(c.Time), mark(c)))
		case verifier.ChangeRevocation:
			pv.event(c.Key, fmt.Sprintf("revoked at record %d, %s, reason %s%s", c.Seq, display.Escape(c.Time), display.Quote(c.Reason), mark(c)))
		default:
			pv.event(c.Key, fmt.Sprintf("%s at record %d", display.Escape(c.Kind), c.Seq))
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	head := display.Count(int64(len(ids)), "principal")
	if !done {
		head += " so far"
	}
	if dropped > 0 {
		head += fmt.Sprintf("; %d changes not kept (memory bound)", dropped)
	}
	out := []string{m.styles.Heading.Render(fit("  "+head, w))}
	add := func(indent int, s string) {
		for _, l := range wrap(s, w-indent, 2) {
			out = append(out, strings.Repeat(" ", indent)+l)
		}
	}
	// Control roles each principal holds in the register now.
	roles := map[string][]string{}
	for _, c := range reg.controls {
		for _, role := range Roles {
			for _, h := range c.Holders[role] {
				roles[h] = append(roles[h], role+" of "+display.Escape(c.ID))
			}
		}
	}
	for _, id := range ids {
		pv := byID[id]
		var rs []string
		if pv.registrar {
			rs = append(rs, "registrar")
		}
		cr := roles[id]
		sort.Strings(cr)
		rs = append(rs, cr...)
		if reg.policy != nil {
			for _, g := range reg.policy.Grants {
				if g.Principal != id {
					continue
				}
				lim := ""
				if g.MaxAmount != "" || g.Currency != "" {
					lim = " up to " + strings.TrimSpace(display.Escape(g.MaxAmount)+" "+display.Escape(g.Currency))
				}
				rs = append(rs, fmt.Sprintf("%s of %s%s (policy %d)", display.Escape(g.Role), display.Escape(strings.Join(g.Classes, ", ")), lim, reg.policy.Version))
			}
		}
		if len(rs) == 0 {
			rs = []string{"none in the register"}
		}
		add(1, fmt.Sprintf("%s  %s  %s  team %s", display.Escape(pv.id), display.Escape(pv.kind), display.Quote(pv.name), display.Escape(pv.team)))
		add(5, "roles: "+strings.Join(rs, ", "))
		for _, kid := range pv.keys {
			add(5, "key "+display.Escape(kid))
			for _, e := range pv.events[kid] {
				add(9, e)
			}
		}
	}
	if len(logKey) > 0 {
		out = append(out, "", m.styles.Heading.Render(" log key"))
		for _, l := range logKey {
			add(1, l)
		}
	}
	return out
}
