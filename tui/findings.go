package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// findingsScreen lists the findings, integrity first; enter shows the
// records a finding names.
type findingsScreen struct {
	scroll
	h int
}

func (f *findingsScreen) keys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Open}
}

func (f *findingsScreen) list(m *Model) []verifier.Finding {
	m.st.mu.RLock()
	defer m.st.mu.RUnlock()
	return m.st.findingsLocked()
}

func (f *findingsScreen) update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	fs := f.list(m)
	if key.Matches(msg, m.keys.Open) {
		if f.cur < int64(len(fs)) && len(fs[f.cur].Records) > 0 {
			fd := fs[f.cur]
			m.records.showRecords(fd.Records, "records of "+fd.Rule)
			m.show(scrRecords)
		}
		return true, nil
	}
	return f.move(&m.keys, msg, int64(len(fs)), f.h/3), nil
}

// references are the rule's references (SPEC.md and the seeds).
func references(rule string) string {
	if strings.HasPrefix(rule, "INT-") {
		return "SPEC.md §8.1 (integrity)"
	}
	for _, r := range verifier.Rules() {
		if r.ID == rule {
			return strings.Join(r.References, "; ")
		}
	}
	return ""
}

func (f *findingsScreen) view(m *Model, w, h int) []string {
	f.h = h
	fs := f.list(m)
	m.st.mu.RLock()
	done, omitted, live := m.st.done, 0, m.st.liveCount
	if m.st.result != nil {
		omitted = m.st.result.FindingsOmitted
	}
	m.st.mu.RUnlock()
	head := fmt.Sprintf("  %s", display.Count(int64(len(fs)), "finding"))
	if !done {
		head = fmt.Sprintf("  %d so far (the list is final when verification ends)", live)
	} else if omitted > 0 {
		head += fmt.Sprintf(" listed, %d more not kept by the verifier", omitted)
	}
	out := []string{m.styles.Heading.Render(fit(head, w))}
	if len(fs) == 0 {
		return append(out, "", "  none")
	}
	broken := map[int64]bool{} // records with an integrity finding
	for _, fd := range fs {
		if integrity(fd) {
			for _, r := range fd.Records {
				broken[r] = true
			}
		}
	}
	// Each finding takes three rows or more: rule and records, message, references.
	per := 3
	f.clamp(int64(len(fs)), (h-1)/per)
	lastClass := ""
	for i := f.top; i < int64(len(fs)) && len(out) < h; i++ {
		fd := fs[i]
		class := "rules (segregation of duties, judged on the records)"
		if integrity(fd) {
			class = "integrity (the bundle's bytes, chain and signatures)"
		}
		if class != lastClass && len(out) < h-1 {
			out = append(out, m.styles.Label.Render(fit(" "+class, w)))
			lastClass = class
		}
		first := fit(fmt.Sprintf(" %s  %s", display.Escape(fd.Rule), recordsText(fd.Records)), w-1)
		if i == f.cur {
			first = m.styles.Selected.Render(first)
		}
		out = append(out, m.styles.Finding.Render("✗")+first)
		for _, l := range wrap(display.Escape(fd.Message), w-4, 2) {
			out = append(out, "    "+l)
		}
		if note := consequence(fd, broken); note != "" {
			for _, l := range wrap(note, w-4, 2) {
				out = append(out, m.styles.Dim.Render("    "+l))
			}
		}
		if ref := references(fd.Rule); ref != "" {
			out = append(out, m.styles.Dim.Render("    "+cut(display.Escape(ref), w-4)))
		}
	}
	return out
}

// consequence says, as verify does, when a rule finding may follow from
// records that failed integrity: one it names, or one inside the span of
// records it covers.
func consequence(f verifier.Finding, broken map[int64]bool) string {
	if integrity(f) || len(broken) == 0 {
		return ""
	}
	var named, within []int64
	lo, hi := int64(-1), int64(-1)
	for _, r := range f.Records {
		if broken[r] {
			named = append(named, r)
		}
		if lo < 0 || r < lo {
			lo = r
		}
		if r > hi {
			hi = r
		}
	}
	if len(named) > 0 {
		return "(consequence of " + recordsText(named) + " failing integrity)"
	}
	for r := range broken {
		if r > lo && r < hi {
			within = append(within, r)
		}
	}
	if len(within) == 0 {
		return ""
	}
	sortInt64(within)
	return "(" + recordsText(within) + " failed integrity and count for nothing: this may be a consequence)"
}
