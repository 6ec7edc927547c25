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

// overviewScreen is the verdict and what the bundle holds.
type overviewScreen struct{ textView }

func (o *overviewScreen) keys(k *KeyMap) []key.Binding {
	return []key.Binding{k.Records, k.Findings}
}

func (o *overviewScreen) update(m *Model, msg tea.KeyPressMsg) (bool, tea.Cmd) {
	return o.move(&m.keys, msg, len(o.lines(m, m.width)), m.height), nil
}

func (o *overviewScreen) view(m *Model, w, h int) []string {
	return o.window(o.lines(m, w), h)
}

func (o *overviewScreen) lines(m *Model, w int) []string {
	st := m.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	var out []string
	row := func(label, value string) {
		for i, l := range wrap(value, w-15, 0) {
			if i == 0 {
				out = append(out, fmt.Sprintf("  %-12s %s", label, l))
			} else {
				out = append(out, "               "+l)
			}
		}
	}
	res := st.result
	out = append(out, "  "+m.styles.Heading.Render(display.Escape(m.cfg.Name)))
	switch {
	case !st.done:
		row("verdict", "pending: verifying in the background")
	case st.err != nil:
		row("verdict", "none: "+display.Escape(st.err.Error()))
	default:
		v := strings.ToUpper(res.Verdict)
		if res.Verdict == verifier.VerdictPass {
			v = m.styles.Pass.Render(v)
		} else {
			v = m.styles.Fail.Render(v)
		}
		row("verdict", v)
	}
	row("authenticity", m.authenticity(res))
	if res != nil {
		b := res.Bundle
		row("bundle", fmt.Sprintf("id %s, organisation %s", display.Quote(b.ID), display.Quote(b.Organisation)))
		row("genesis", display.Escape(b.Genesis))
		row("revision", fmt.Sprintf("format %s; rules of SPEC %s, verifier %s", display.Quote(b.FormatVersion), display.Escape(res.Spec), display.Escape(res.Verifier)))
	} else {
		row("revision", "rules of SPEC "+verifier.SpecRevision+"; the bundle's format is known when verification ends")
	}
	so := ""
	if !st.done {
		so = " so far"
	}
	recs := fmt.Sprintf("%d read%s", st.records, so)
	if tr := m.src.TableRecords(); tr >= 0 {
		recs += fmt.Sprintf(" (the seek table lists %d)", tr)
	}
	row("records", recs)
	var types []string
	for t := range st.types {
		types = append(types, t)
	}
	sort.Strings(types)
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%s %d", display.Escape(t), st.types[t]))
	}
	if len(parts) == 0 {
		parts = []string{"none yet"}
	}
	row("by type", strings.Join(parts, ", "))
	seals := fmt.Sprintf("%d periodic", st.types["seal"])
	if res != nil {
		if res.Bundle.FinalSeal != "" && !hasRule(res.Findings, verifier.RuleFinalSeal) {
			seals += "; final seal present"
		} else {
			seals += "; final seal missing or invalid (see findings)"
		}
	}
	row("seals", seals)
	if st.first != "" {
		row("period", display.Escape(st.first)+" to "+display.Escape(st.last)+" (claimed times)")
	}
	nf := st.liveCount
	if res != nil {
		nf = int64(len(res.Findings) + res.FindingsOmitted)
	}
	integ := 0
	for _, f := range st.findingsLocked() {
		if integrity(f) {
			integ++
		}
	}
	fl := fmt.Sprintf("%d%s", nf, so)
	if nf > 0 {
		fl += fmt.Sprintf(": %d integrity, %d rules, listed on screen 6", integ, nf-int64(integ))
	}
	row("findings", fl)
	row("runs", fmt.Sprintf("%d closed or open%s", int64(len(st.runs))+st.runsDropped, so))
	if st.sha256 != "" {
		row("sha-256", st.sha256)
	} else if !st.done {
		row("sha-256", "when verification ends")
	}
	return out
}

func (m *Model) authenticity(res *verifier.Result) string {
	if res != nil {
		switch res.Authenticity {
		case verifier.AuthEstablished:
			return "established: the genesis matches the pinned trust root"
		case verifier.AuthFailed:
			return "FAILED: the genesis does not match the pinned trust root"
		}
	}
	if m.cfg.TrustMode == TrustUnsafe {
		return "not established: --unsafe-no-trust checks integrity only"
	}
	if res == nil {
		return "pending: a trust root is pinned (--trust)"
	}
	return "not established: the bundle is not intact"
}

func hasRule(fs []verifier.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}
