package tui

import (
	"context"
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
)

// recordsScreen lists records: every record, or a filter's matches.
type recordsScreen struct {
	scroll
	filter *filter
	nextID int
	h      int
}

func (r *recordsScreen) keys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Open, k.Filter, k.Jump, k.Top, k.Bottom}
}

// rows is how many rows the list has, and the sequence number of row i.
func (r *recordsScreen) rows(m *Model) int64 {
	if r.filter != nil {
		n, _, _, _ := r.filter.snapshot()
		return n
	}
	return m.src.Count()
}

func (r *recordsScreen) seqAt(m *Model, row int64) int64 {
	if r.filter != nil {
		return r.filter.nth(row)
	}
	return row
}

func (r *recordsScreen) update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Filter):
		text := ""
		if r.filter != nil {
			text = r.filter.text
		}
		return true, m.ask(inputFilter, text)
	case key.Matches(msg, k.Jump):
		return true, m.ask(inputJump, "")
	case key.Matches(msg, k.Back) && r.filter != nil:
		r.clearFilter()
		return true, nil
	case key.Matches(msg, k.Open):
		if seq := r.seqAt(m, r.cur); seq >= 0 && r.rows(m) > 0 {
			m.openRecord(seq)
		}
		return true, nil
	}
	return r.move(k, msg, r.rows(m), r.h), nil
}

// stopFilter cancels the filter's scan.
func (r *recordsScreen) stopFilter() {
	if r.filter != nil && r.filter.cancel != nil {
		r.filter.cancel()
	}
}

func (r *recordsScreen) clearFilter() {
	r.stopFilter()
	if r.filter != nil {
		// Keep the record under the cursor under the cursor.
		if n, _, _, _ := r.filter.snapshot(); n > 0 {
			r.cur = r.filter.nth(r.cur)
		}
	}
	r.filter = nil
}

// setFilter starts a background filter for text ("" clears it).
func (r *recordsScreen) setFilter(m *Model, text string) tea.Cmd {
	r.stopFilter()
	r.filter = nil
	r.cur, r.top = 0, 0
	if text == "" {
		return nil
	}
	r.nextID++
	ctx, cancel := context.WithCancel(m.ctx)
	f := &filter{id: r.nextID, text: text, cancel: cancel, news: make(chan struct{}, 1), total: m.src.Count()}
	r.filter = f
	lin, _ := m.src.Linear()
	go f.scan(ctx, m.cfg.File, m.cfg.Size, lin, parseQuery(text))
	return r.waitFilter(f)
}

// showRecords makes the list exactly the given records (a finding's), at
// once.
func (r *recordsScreen) showRecords(recs []int64, label string) {
	r.stopFilter()
	r.nextID++
	f := &filter{id: r.nextID, text: label, done: true}
	sorted := append([]int64(nil), recs...)
	sortInt64(sorted)
	for _, s := range sorted {
		f.set.add(s)
	}
	f.total, f.scanned = int64(len(sorted)), int64(len(sorted))
	r.filter = f
	r.cur, r.top = 0, 0
}

func (r *recordsScreen) waitFilter(f *filter) tea.Cmd {
	return func() tea.Msg {
		<-f.news
		return filterMsg{id: f.id}
	}
}

func (r *recordsScreen) filterNews(msg filterMsg) tea.Cmd {
	f := r.filter
	if f == nil || f.id != msg.id {
		return nil
	}
	if _, _, _, done := f.snapshot(); done {
		return nil
	}
	return r.waitFilter(f)
}

// jump puts the cursor on record seq, clearing any filter.
func (r *recordsScreen) jump(m *Model, seq int64) {
	n := m.src.Count()
	if seq >= n {
		m.message = fmt.Sprintf("record %d is past the last record that can be shown (%d)", seq, n-1)
		return
	}
	r.stopFilter()
	r.filter = nil
	r.cur = seq
	r.clamp(n, r.h)
	m.show(scrRecords)
}

// recordRow is what the list shows of one record.
type recordRow struct {
	seq                     int64
	time, typ, actor, run   string
	err                     string
	unreadable, unreadLater bool
}

func (m *Model) rowOf(seq int64) recordRow {
	row := recordRow{seq: seq}
	line, err := m.src.Line(seq)
	if err != nil {
		row.err, row.unreadable = err.Error(), true
		return row
	}
	rec, err := format.ParseRecord(line)
	if err != nil {
		row.err = "unparseable: " + err.Error()
		return row
	}
	row.time, row.typ, row.actor, row.run = rec.Time, rec.Type, rec.Actor, runOf(rec.Body)
	return row
}

func (r *recordsScreen) view(m *Model, w, h int) []string {
	head := 1
	var status string
	if f := r.filter; f != nil {
		n, scanned, total, done := f.snapshot()
		state := fmt.Sprintf("scanning %d of %d", scanned, total)
		if done {
			state = fmt.Sprintf("%d records scanned", scanned)
		}
		status = fit(fmt.Sprintf(" filter %s: %s, %s (esc clears)", display.Quote(f.text), matchesText(n), state), w)
		head++
	}
	r.h = h - head
	n := r.rows(m)
	r.clamp(n, r.h)
	var out []string
	if status != "" {
		out = append(out, m.styles.Label.Render(status))
	}
	tw, yw, aw := 24, 16, 14
	rw := w - 1 - 9 - 1 - tw - 1 - yw - 1 - aw - 1
	if rw < 4 {
		rw = 4
	}
	out = append(out, m.styles.Heading.Render(fit(fmt.Sprintf("  %8s %-*s %-*s %-*s %s", "seq", tw, "time", yw, "type", aw, "actor", "run"), w)))
	if n == 0 {
		msg := "  no records to show yet"
		if r.filter != nil {
			msg = "  no match yet"
		}
		return append(out, m.styles.Dim.Render(msg))
	}
	for i := r.top; i < r.top+int64(r.h) && i < n; i++ {
		seq := r.seqAt(m, i)
		row := m.rowOf(seq)
		var text string
		if row.err != "" {
			text = fmt.Sprintf(" %8d %s", seq, display.Escape(row.err))
		} else {
			text = fmt.Sprintf(" %8d %-*s %-*s %-*s %s", seq, tw, cut(display.Escape(row.time), tw), yw, cut(display.Escape(row.typ), yw),
				aw, cut(display.Escape(row.actor), aw), cut(display.Escape(row.run), rw))
		}
		text = fit(text, w-1)
		if i == r.cur {
			text = m.styles.Selected.Render(text)
		}
		out = append(out, m.marker(m.st.Status(seq))+text)
	}
	return out
}

func sortInt64(s []int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func matchesText(n int64) string {
	if n == 1 {
		return "1 match"
	}
	return fmt.Sprintf("%d matches", n)
}
