package tui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// detailScreen shows one record with every field decoded.
type detailScreen struct {
	textView
	seq int64
	h   int
}

func (d *detailScreen) keys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Prev, k.Next, k.Back, k.PageDown}
}

func (d *detailScreen) open(m *Model, seq int64) {
	d.seq, d.top = seq, 0
	// The list under the detail follows it, so esc returns to the record
	// last shown.
	if m.back == scrRecords && m.records.filter == nil {
		m.records.cur = seq
	}
}

func (d *detailScreen) update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	k := &m.keys
	switch {
	case key.Matches(msg, k.Prev):
		if d.seq > 0 {
			d.open(m, d.seq-1)
		}
		return true, nil
	case key.Matches(msg, k.Next):
		if d.seq+1 < m.src.Count() {
			d.open(m, d.seq+1)
		}
		return true, nil
	}
	return d.move(k, msg, len(d.lines(m, m.width)), d.h), nil
}

func (d *detailScreen) view(m *Model, w, h int) []string {
	d.h = h
	return d.window(d.lines(m, w), h)
}

// lines is the whole detail of the record, w columns wide.
func (d *detailScreen) lines(m *Model, w int) []string {
	seq := d.seq
	st := m.st.Status(seq)
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	field := func(label, value string) {
		for i, l := range wrap(value, w-14, 0) {
			if i == 0 {
				add(fmt.Sprintf("  %-11s %s", label, l))
			} else {
				add("              " + l)
			}
		}
	}
	head := func(s string) { add("", m.styles.Heading.Render(s)) }

	add(m.marker(st) + m.styles.Heading.Render(fmt.Sprintf(" record %d of %d", seq, m.src.Count())) + "  " + statusWord(st))
	line, err := m.src.Line(seq)
	if err != nil {
		add("  cannot read this record: " + display.Escape(err.Error()))
		return out
	}
	rec, perr := format.ParseRecord(line)
	if perr != nil {
		add("  the line does not parse as a record: " + display.Escape(perr.Error()))
	} else {
		field("type", display.Escape(rec.Type))
		field("time", display.Escape(rec.Time)+" (claimed)")
		actor := display.Escape(rec.Actor)
		if rec.Actor == "" {
			actor = "(the producer)"
		}
		field("actor", actor)
		field("hash", rec.Hash.String())
		field("prev", rec.Prev.String())
		field("log key", rec.LKey.String())
	}

	// What the verifier found: the record's status and its findings.
	fs := m.st.recordFindings(seq)
	head("verification")
	switch st {
	case statusPending:
		add("  pending: the verifier has not reached this record yet")
	case statusOK:
		add("  ok: intact, and no finding names it")
	default:
		verb := " names"
		if len(fs) != 1 {
			verb = " name"
		}
		add("  finding: " + display.Count(int64(len(fs)), "finding") + verb + " this record")
	}
	for _, f := range fs {
		if integrity(f) {
			add(m.styles.Finding.Render("  NOT INTACT: what this record says may have been altered; it counts for nothing"))
			break
		}
	}
	if st != statusPending {
		add("  link        " + checkWord(fs, st, verifier.RuleChain, verifier.RuleSequence))
		add("  envelope    " + checkWord(fs, st, verifier.RuleEnvelope))
		add("  statements  " + checkWord(fs, st, verifier.RuleStatement))
	}
	for _, f := range fs {
		for _, l := range wrap(display.Escape(f.Rule)+"  "+recordsText(f.Records)+"  "+display.Escape(f.Message), w-4, 4) {
			add("    " + l)
		}
	}
	if rec == nil {
		head("raw line")
		for _, l := range wrap(display.Escape(string(line)), w-2, 0) {
			add("  " + l)
		}
		return out
	}

	if al := m.st.alertLines(seq, rec.Time); len(al) > 0 {
		head("alert")
		for _, l := range al {
			for _, wl := range wrap(l, w-4, 2) {
				add("  " + wl)
			}
		}
	}

	head("body")
	add(prettyJSON(rec.Body, w)...)
	if body, err := format.DecodeBody(rec.Type, rec.Body, format.Lax); err == nil {
		switch b := body.(type) {
		case *format.Proposal:
			head("action (the proposal's action, decoded)")
			add(prettyJSON([]byte(b.Action), w)...)
			if got := format.ActionDigest([]byte(b.Action)).String(); got != b.Digest {
				add("  its digest is " + got + ", not the digest the proposal states")
			}
		case *format.SealBody:
			head("seal (decoded)")
			add(prettyJSON([]byte(b.Seal), w)...)
		}
	}

	for i, s := range rec.Sigs {
		head(fmt.Sprintf("statement %d of %d", i+1, len(rec.Sigs)))
		field("key", s.Key.String())
		if owner := m.keyOwner(s.Key.String()); owner != "" {
			field("key of", owner)
		}
		if stmt, err := format.ParseStatement(s.Stmt, format.Lax); err == nil {
			field("signer", display.Escape(stmt.Principal)+" "+display.Quote(stmt.Name))
			if stmt.Meaning != "" {
				field("meaning", display.Escape(stmt.Meaning))
			}
			if stmt.Reason != "" {
				field("reason", display.Quote(stmt.Reason))
			}
		} else {
			field("signer", "the statement does not parse: "+display.Escape(err.Error()))
		}
		field("signature", sigWord(st, fs))
		add(prettyJSON(s.Stmt, w)...)
	}

	head("raw line")
	for _, l := range wrap(display.Escape(string(line)), w-2, 0) {
		add("  " + l)
	}

	head("neighbours")
	for _, n := range []int64{seq - 1, seq + 1} {
		if n < 0 || n >= m.src.Count() {
			continue
		}
		row := m.rowOf(n)
		label := "previous"
		if n > seq {
			label = "next    "
		}
		add(fmt.Sprintf("  %s %s %d %s %s", label, m.marker(m.st.Status(n)), n, display.Escape(row.typ), display.Escape(row.actor)))
	}
	return out
}

// checkWord says what the verifier found for one check of the record.
func checkWord(fs []verifier.Finding, st uint8, rules ...string) string {
	for _, f := range fs {
		for _, r := range rules {
			if f.Rule == r {
				return "FAILED (" + display.Escape(f.Rule) + ")"
			}
		}
	}
	if st == statusOK {
		return "ok"
	}
	return "no finding of its own"
}

func sigWord(st uint8, fs []verifier.Finding) string {
	if st == statusPending {
		return "pending"
	}
	return checkWord(fs, st, verifier.RuleStatement, verifier.RuleEnvelope)
}

// keyOwner is the principal the change log enrols key under, escaped.
func (m *Model) keyOwner(kid string) string {
	m.st.mu.RLock()
	defer m.st.mu.RUnlock()
	for _, c := range m.st.changes {
		if c.Key == kid && c.Principal != nil {
			switch c.Kind {
			case verifier.ChangeEnrolment:
				return display.Escape(c.Principal.ID) + " " + display.Quote(c.Principal.Name) + fmt.Sprintf(" (enrolled at record %d)", c.Seq)
			}
		}
		if c.Key == kid && c.Kind == verifier.ChangeLogKey {
			return fmt.Sprintf("the log key (from record %d)", c.Seq)
		}
	}
	return ""
}

// prettyJSON indents a JSON text and makes it safe to show
// (display.JSON); text that is not JSON is shown escaped.
func prettyJSON(b []byte, w int) []string {
	var buf bytes.Buffer
	var out []string
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		for _, l := range wrap(display.Escape(string(b)), w-2, 0) {
			out = append(out, "  "+l)
		}
		return out
	}
	for _, l := range strings.Split(string(display.JSON(buf.Bytes())), "\n") {
		out = append(out, wrap("  "+l, w, 4)...)
	}
	return out
}

// recordsText is "record 29", "records 19, 31", or "-".
func recordsText(recs []int64) string {
	switch len(recs) {
	case 0:
		return "-"
	case 1:
		return fmt.Sprintf("record %d", recs[0])
	}
	s := make([]string, len(recs))
	for i, r := range recs {
		s[i] = fmt.Sprint(r)
	}
	return "records " + strings.Join(s, ", ")
}
