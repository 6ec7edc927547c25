package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// Names of the runs document (inspect --runs --json).
const (
	runsFormat  = "countersign-runs"
	runsVersion = 1
)

// unauthenticatedBanner heads the runs view when nothing is pinned.
const unauthenticatedBanner = "UNAUTHENTICATED: nothing is pinned (--unsafe-no-trust); approvals from an unauthenticated bundle are not facts"

// runsView is inspect --runs: every run's timeline as the verifier hands it
// over, printed at once, so memory follows the runs open at once and not
// the bundle's length. only, when set, selects one run ID.
type runsView struct {
	w      *bufio.Writer
	json   bool
	mode   trustMode
	only   string
	seen   int
	counts map[string]int
	broken bool // some record printed failed integrity
}

func (e *env) inspectRuns(ctx context.Context, in *bundleInput, trust verifier.Trust, mode trustMode, only string, selectRun bool, asJSON bool) int {
	v := &runsView{w: bufio.NewWriterSize(e.stdout, 1<<16), json: asJSON, mode: mode, counts: map[string]int{}}
	if selectRun {
		v.only = only
	}
	v.begin(in.name)
	res, code := e.verifyBundle(ctx, in, trust, verifier.Options{Timeline: v.run})
	if code != 0 {
		v.w.Flush()
		return code
	}
	v.end(in.name, res)
	if err := v.w.Flush(); err != nil {
		return e.errorf(exitInput, "cannot write the runs: %v", err)
	}
	if selectRun && v.seen == 0 {
		return e.errorf(exitFail, "%s has no run %s", in.name, display.Quote(only))
	}
	return exitOK
}

func (v *runsView) begin(name string) {
	if v.json {
		trust := "pinned"
		if v.mode == trustUnsafe {
			trust = "unsafe-no-trust"
		}
		fmt.Fprintf(v.w, "{\"format\":%q,\"version\":%d,\"trust\":%q,\"runs\":[", runsFormat, runsVersion, trust)
		return
	}
	fmt.Fprintf(v.w, "runs of %s\n", name)
	if v.mode == trustUnsafe {
		fmt.Fprintf(v.w, "%s\n", unauthenticatedBanner)
	}
}

func (v *runsView) run(tl *verifier.RunTimeline) {
	if v.only != "" && tl.Run != v.only {
		return
	}
	v.seen++
	v.counts[tl.State]++
	if v.json {
		b, err := json.Marshal(tl)
		if err != nil {
			panic(err) // the timeline is plain data
		}
		if v.seen > 1 {
			v.w.WriteByte(',')
		}
		v.w.WriteString("\n")
		v.w.Write(display.JSON(b))
		return
	}
	v.broken = printRun(v.w, tl) || v.broken
}

func (v *runsView) end(name string, res *verifier.Result) {
	if v.json {
		b, err := json.Marshal(res)
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(v.w, "\n],\"result\":%s}\n", display.JSON(b))
		return
	}
	if v.broken {
		fmt.Fprintf(v.w, "\nNOT INTACT records failed integrity: what they say may have been altered and is not evidence\n")
	}
	fmt.Fprintf(v.w, "\n%s: %d executed, %d refused, %d open\n", display.Count(int64(v.seen), "run"),
		v.counts[verifier.RunExecuted], v.counts[verifier.RunRefused], v.counts[verifier.RunOpen])
	total := len(res.Findings) + res.FindingsOmitted
	fmt.Fprintf(v.w, "verification  %s, %s; %s\n", strings.ToUpper(res.Verdict), display.Count(int64(total), "finding"), authenticityText(res, v.mode))
	switch {
	case res.Authenticity == verifier.AuthFailed:
		fmt.Fprintf(v.w, "NOT AUTHENTIC: the bundle is not the one pinned; the approvals above are not facts\n")
	case v.mode == trustUnsafe:
		fmt.Fprintf(v.w, "%s\n", unauthenticatedBanner)
	}
	if total > 0 {
		fmt.Fprintf(v.w, "details       countersign verify --trust FP %s\n", name)
	}
}

// line is one record of a run as printed.
type line struct {
	rs   *verifier.RecordStatus
	kind string
	text []string // the first is on the record's line, the rest below
}

// printRun writes one run: a heading with its state and status, then each
// record in sequence order with what it says and what verification found
// on it. It reports whether some record failed integrity.
func printRun(w io.Writer, tl *verifier.RunTimeline) bool {
	var lines []line
	add := func(rs *verifier.RecordStatus, kind string, text ...string) {
		lines = append(lines, line{rs: rs, kind: kind, text: text})
	}
	refused, class := 0, ""
	if p := tl.Proposal; p != nil {
		class = p.Class
		text := []string{signerText(p.Signer, p.Actor), "reason   " + display.Quote(p.Reason), "digest   " + display.Escape(p.Digest),
			"action   " + display.Escape(p.Action)}
		if len(p.Summary) > 0 {
			text = append(text, "summary  "+summaryText(p.Summary))
		}
		if p.Beneficiary != "" {
			text = append(text, "benefits "+display.Quote(p.Beneficiary))
		}
		add(&p.RecordStatus, "proposal", text...)
		if o := p.Outcome; o != nil {
			add(&o.RecordStatus, "outcome", outcomeText(o))
		}
	}
	for _, g := range tl.Gates {
		text := []string{fmt.Sprintf("%s, policy version %d", display.Quote(g.Gate), g.Policy)}
		for _, s := range g.Stages {
			pool := make([]string, len(s.Pool))
			for i, p := range s.Pool {
				pool[i] = display.Escape(p)
			}
			human := ""
			if s.Human {
				human = ", humans only"
			}
			text = append(text, fmt.Sprintf("stage %d  %d of %s, meaning %s%s", s.Stage, s.N, strings.Join(pool, ", "), display.Escape(s.Meaning), human))
		}
		add(&g.RecordStatus, "gate", text...)
	}
	for _, a := range tl.Attempts {
		kind := display.Escape(a.Act)
		text := []string{signerText(a.Signer, a.Actor)}
		if a.Act == format.ActSignoff {
			kind = "sign-off"
			text[0] += fmt.Sprintf(", stage %d, meaning %s", a.Stage, display.Quote(a.Meaning))
			text = append(text, "reason   "+display.Quote(a.Reason))
		}
		add(&a.RecordStatus, kind, text...)
		if o := a.Outcome; o != nil {
			if o.Result == format.ResultRefused {
				refused++
			}
			add(&o.RecordStatus, "outcome", outcomeText(o))
		}
	}
	if e := tl.Execution; e != nil {
		add(&e.RecordStatus, "execution", fmt.Sprintf("executes attempt %d", e.Attempt))
	}
	for _, o := range tl.Others {
		add(o, "record", "of this run (see the findings)")
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].rs.Seq < lines[j].rs.Seq })

	var bad []int64
	broken := false
	for _, l := range lines {
		if !l.rs.OK() {
			bad = append(bad, l.rs.Seq)
		}
		broken = broken || !l.rs.Intact
	}
	head := "run " + display.Quote(tl.Run)
	if class != "" {
		head += " (" + display.Escape(class) + ")"
	}
	head += ": " + tl.State
	if tl.Partial {
		head += " (part of the run: the verifier's memory bounds split it)"
	}
	head += fmt.Sprintf("; %s, %d refused", display.Count(int64(len(tl.Attempts)), "attempt"), refused)
	if len(bad) == 0 {
		head += "; every record ok"
	} else {
		head += "; findings on " + recordsText(bad)
	}
	fmt.Fprintf(w, "\n%s\n", head)

	seqW := 0
	for _, l := range lines {
		seqW = max(seqW, len(strconv.FormatInt(l.rs.Seq, 10)))
	}
	pad := strings.Repeat(" ", 2+len("record ")+seqW+2+len("execution")+2)
	for _, l := range lines {
		status := "ok"
		switch {
		case !l.rs.Intact:
			status = "NOT INTACT"
		case len(l.rs.Findings) > 0:
			status = "FINDINGS"
		}
		fmt.Fprintf(w, "  record %*d  %-9s  %s  [%s]\n", seqW, l.rs.Seq, l.kind, l.text[0], status)
		for _, t := range l.text[1:] {
			fmt.Fprintf(w, "%s%s\n", pad, t)
		}
		fmt.Fprintf(w, "%sat %s, hash %s\n", pad, display.Escape(l.rs.Time), display.Escape(l.rs.Hash))
		for _, f := range l.rs.Findings {
			fmt.Fprintf(w, "%s! %s  %s\n", pad, display.Escape(f.Rule), display.Escape(f.Message))
		}
	}
	return broken
}

// signerText names who signed, as the statement says, or the record's
// actor when the statement could not be read.
func signerText(s *verifier.Signer, actor string) string {
	if s == nil {
		return "by " + display.Escape(actor) + " (statement unreadable)"
	}
	kind := s.Kind
	if kind == "" {
		kind = "not enrolled"
	}
	return fmt.Sprintf("by %s %s (%s), signed %s", display.Escape(s.Principal), display.Quote(s.Name), display.Escape(kind), display.Escape(s.Time))
}

func outcomeText(o *verifier.OutcomeStep) string {
	if o.Result == format.ResultRefused {
		return fmt.Sprintf("REFUSED %s: %s", display.Escape(o.Code), display.Quote(o.Detail))
	}
	if o.Result == format.ResultAccepted && o.Code == "ok" {
		return "accepted: " + display.Quote(o.Detail)
	}
	return fmt.Sprintf("%s %s: %s", display.Quote(o.Result), display.Quote(o.Code), display.Quote(o.Detail))
}

func summaryText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = display.Escape(k) + " " + display.Quote(m[k])
	}
	return strings.Join(parts, ", ")
}
