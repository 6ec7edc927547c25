package tui

import (
	"fmt"
	"sort"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// runsScreen lists the runs; enter shows a run as its timeline.
type runsScreen struct {
	scroll
	h       int
	open    *runEntry
	tv      textView
	tvLines int
}

func (r *runsScreen) keys(k *KeyMap) []key.Binding {
	if r.open != nil {
		return []key.Binding{k.Back, k.Open, k.PageDown}
	}
	return []key.Binding{k.Up, k.Down, k.Open}
}

func (r *runsScreen) entries(m *Model) ([]*runEntry, int64) {
	m.st.mu.Lock()
	defer m.st.mu.Unlock()
	return append([]*runEntry(nil), m.st.sortedRunsLocked()...), m.st.runsDropped
}

func (r *runsScreen) update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	k := &m.keys
	if r.open != nil {
		switch {
		case key.Matches(msg, k.Back):
			r.open = nil
			return true, nil
		case key.Matches(msg, k.Open):
			// enter on an open timeline shows the run's records: at once
			// from the timeline, or by a filter when it was not kept.
			e := r.open
			r.open = nil
			m.show(scrRecords)
			if e.TL == nil {
				return true, m.records.setFilter(m, "run:"+e.Run)
			}
			m.records.showRecords(runSeqs(e), "records of run "+e.Run)
			return true, nil
		}
		return r.tv.move(k, msg, r.tvLines, r.h), nil
	}
	es, _ := r.entries(m)
	if key.Matches(msg, k.Open) {
		if r.cur < int64(len(es)) {
			r.open, r.tv.top = es[r.cur], 0
		}
		return true, nil
	}
	return r.move(k, msg, int64(len(es)), r.h-1), nil
}

func runSeqs(e *runEntry) []int64 {
	var out []int64
	for _, rs := range e.TL.Records() {
		out = append(out, rs.Seq)
	}
	return out
}

func (r *runsScreen) view(m *Model, w, h int) []string {
	r.h = h
	if r.open != nil {
		lines := r.timeline(m, r.open, w)
		r.tvLines = len(lines)
		return r.tv.window(lines, h)
	}
	es, dropped := r.entries(m)
	head := fmt.Sprintf("  %s", display.Count(int64(len(es)), "run"))
	if dropped > 0 {
		head += fmt.Sprintf(" listed; %d more not kept (memory bound): filter the records by run:ID", dropped)
	}
	out := []string{m.styles.Heading.Render(fit(head, w))}
	if len(es) == 0 {
		m.st.mu.RLock()
		done := m.st.done
		m.st.mu.RUnlock()
		if done {
			return append(out, "  no runs in this bundle")
		}
		return append(out, "  no run has closed yet (runs are listed as the verifier closes them)")
	}
	r.clamp(int64(len(es)), h-1)
	for i := r.top; i < int64(len(es)) && len(out) < h; i++ {
		e := es[i]
		st := statusOK
		if !e.OK {
			st = statusFinding
		}
		part := ""
		if e.Partial {
			part = " partial"
		}
		text := fit(fmt.Sprintf(" %-32s %-9s from record %-8d %s%s", cut(display.Escape(e.Run), 32), e.State, e.First, display.Count(int64(e.Records), "record"), part), w-1)
		if i == r.cur {
			text = m.styles.Selected.Render(text)
		}
		out = append(out, m.marker(st)+text)
	}
	return out
}

// timeline draws one run: proposal and digest, gates with their stages and
// quorum, sign-offs with printed name, meaning and reason, refusals, and
// the execution.
func (r *runsScreen) timeline(m *Model, e *runEntry, w int) []string {
	var out []string
	add := func(indent int, s string) {
		for _, l := range wrap(s, w-indent, 2) {
			out = append(out, fmt.Sprintf("%*s%s", indent, "", l))
		}
	}
	mark := func(rs *verifier.RecordStatus) string {
		if rs.OK() {
			return m.styles.OK.Render("✓")
		}
		if !rs.Intact {
			return m.styles.Finding.Render("✗") + " NOT INTACT"
		}
		return m.styles.Finding.Render("✗")
	}
	findings := func(rs *verifier.RecordStatus) {
		for _, f := range rs.Findings {
			add(6, "finding "+display.Escape(f.Rule)+": "+display.Escape(f.Message))
		}
	}
	out = append(out, m.styles.Heading.Render(fit(fmt.Sprintf(" run %s  %s", display.Quote(e.Run), e.State), w)))
	tl := e.TL
	if tl == nil {
		add(2, fmt.Sprintf("its timeline was not kept (memory bound); it begins at record %d and has %s: enter finds them with the filter run:ID.", e.First, display.Count(int64(e.Records), "record")))
		return out
	}
	if tl.Partial {
		add(2, "partial: the run's records are split over several timelines (a bound of SPEC.md §10 was reached)")
	}
	if p := tl.Proposal; p != nil {
		add(1, fmt.Sprintf("%s %d proposal  %s  class %s", mark(&p.RecordStatus), p.Seq, display.Escape(p.Time), display.Quote(p.Class)))
		if p.Signer != nil {
			add(6, "by "+signerText(p.Signer)+"  reason "+display.Quote(p.Reason))
		}
		add(6, "digest "+display.Escape(p.Digest))
		if act := wrap("action "+display.Escape(p.Action), w-6, 2); len(act) > 4 {
			for _, l := range act[:3] {
				out = append(out, "      "+l)
			}
			out = append(out, "        … (the record's detail shows the whole action, decoded)")
		} else {
			add(6, "action "+display.Escape(p.Action))
		}
		if p.Beneficiary != "" {
			add(6, "beneficiary "+display.Escape(p.Beneficiary))
		}
		keys := make([]string, 0, len(p.Summary))
		for k := range p.Summary {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			add(6, display.Escape(k)+": "+display.Quote(p.Summary[k]))
		}
		findings(&p.RecordStatus)
		if o := p.Outcome; o != nil {
			outcomeLine(add, mark, o)
			findings(&o.RecordStatus)
			alertsOf(m, add, p.Seq, p.Time)
		}
	} else {
		add(2, "no proposal in this timeline")
	}
	for _, g := range tl.Gates {
		add(1, fmt.Sprintf("%s %d gate %s  policy %d", mark(&g.RecordStatus), g.Seq, display.Quote(g.Gate), g.Policy))
		for _, s := range g.Stages {
			human := ""
			if s.Human {
				human = ", humans only"
			}
			pool := ""
			for i, p := range s.Pool {
				if i > 0 {
					pool += ", "
				}
				pool += display.Escape(p)
			}
			add(6, fmt.Sprintf("stage %d: %d of [%s], meaning %s%s", s.Stage, s.N, pool, display.Quote(s.Meaning), human))
		}
		findings(&g.RecordStatus)
	}
	for _, a := range tl.Attempts {
		what := "sign-off"
		if a.Act != "signoff" {
			what = display.Escape(a.Act)
		}
		add(1, fmt.Sprintf("%s %d %s  %s", mark(&a.RecordStatus), a.Seq, what, display.Escape(a.Time)))
		if a.Signer != nil {
			add(6, "by "+signerText(a.Signer))
		}
		if a.Act == "signoff" {
			add(6, fmt.Sprintf("stage %d, meaning %s, reason %s", a.Stage, display.Quote(a.Meaning), display.Quote(a.Reason)))
		}
		findings(&a.RecordStatus)
		if o := a.Outcome; o != nil {
			outcomeLine(add, mark, o)
			findings(&o.RecordStatus)
			alertsOf(m, add, a.Seq, a.Time)
		}
	}
	if x := tl.Execution; x != nil {
		add(1, fmt.Sprintf("%s %d execution  %s  of attempt %d", mark(&x.RecordStatus), x.Seq, display.Escape(x.Time), x.Attempt))
		findings(&x.RecordStatus)
	}
	for _, o := range tl.Others {
		add(1, fmt.Sprintf("%s %d other record of this run", mark(o), o.Seq))
		findings(o)
	}
	out = append(out, "", m.styles.Dim.Render(cut(" enter lists these records; the verdict is the verifier's (findings screen)", w)))
	return out
}

// alertsOf adds the alert on the refused act at seq, and its deliveries.
func alertsOf(m *Model, add func(int, string), seq int64, actTime string) {
	for _, l := range m.st.alertLines(seq, actTime) {
		add(6, l)
	}
}

func outcomeLine(add func(int, string), mark func(*verifier.RecordStatus) string, o *verifier.OutcomeStep) {
	word := o.Result
	if o.Result == "refused" {
		word = "REFUSED"
	}
	add(3, fmt.Sprintf("%s %d outcome %s  code %s  %s", mark(&o.RecordStatus), o.Seq, display.Escape(word), display.Quote(o.Code), display.Quote(o.Detail)))
}

func signerText(s *verifier.Signer) string {
	kind := s.Kind
	if kind == "" {
		kind = "not enrolled"
	}
	return display.Escape(s.Principal) + " " + display.Quote(s.Name) + " (" + display.Escape(kind) + ")"
}
