package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/reports"
	"github.com/countersign/countersign/verifier"
)

// runReport is countersign report: the monthly conflict report, or with
// --evidence the evidence pack, written as JSON, XLSX and PDF files from
// one pass over the bundle. A report on a bundle that fails verification
// is still written; the exit code is verify's.
func runReport(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("report")
	month := fs.String("month", "", "")
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	evidence := fs.Bool("evidence", false, "")
	run := fs.String("run", "", "")
	jsonOut := fs.String("json", "", "")
	xlsxOut := fs.String("xlsx", "", "")
	pdfOut := fs.String("pdf", "", "")
	trustArg := fs.String("trust", "", "")
	unsafe := fs.Bool("unsafe-no-trust", false, "")
	cpPath := fs.String("checkpoint", "", "")
	pos, code, ok := e.parse("report", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("report", "report takes exactly one BUNDLE (a file, or - for stdin); got %d arguments", len(pos))
	}
	o := reports.Options{Kind: reports.KindMonthly, Month: *month, From: *from, To: *to, Run: *run,
		SourceDateEpoch: e.getenv("SOURCE_DATE_EPOCH")}
	if *evidence {
		o.Kind = reports.KindEvidence
	}
	if flagSet(fs, "run") && *run == "" {
		return e.usageError("report", "--run needs a run ID")
	}
	if err := reports.CheckOptions(o); err != nil {
		return e.usageError("report", "%s", display.Escape(err.Error()))
	}
	outs := []struct{ flag, path string }{{"json", *jsonOut}, {"xlsx", *xlsxOut}, {"pdf", *pdfOut}}
	any := false
	for _, out := range outs {
		if flagSet(fs, out.flag) && out.path == "" {
			return e.usageError("report", "--%s needs a file name", out.flag)
		}
		any = any || out.path != ""
	}
	if !any {
		return e.usageError("report", "give at least one of --json FILE, --xlsx FILE, --pdf FILE")
	}

	trust, mode, code := e.trustFlags("report", flagSet(fs, "trust"), *trustArg, *unsafe, "")
	if code != 0 {
		return code
	}
	o.Trust, o.TrustMode = trust, map[trustMode]string{trustNone: reports.TrustNone, trustPinned: reports.TrustPinned, trustUnsafe: reports.TrustUnsafe}[mode]
	if flagSet(fs, "checkpoint") {
		cp, code := e.readCheckpoint(*cpPath)
		if code != 0 {
			return code
		}
		o.Checkpoint, o.CheckpointFile = cp, *cpPath
	}

	in, code := e.openBundle(pos[0])
	if code != 0 {
		return code
	}
	defer in.close()
	o.File = pos[0]
	if pos[0] == "-" {
		o.File = "BUNDLE"
	}
	head, _ := in.r.Peek(4)
	head = append([]byte(nil), head...)
	if e.stderrTerminal != nil && e.stderrTerminal() {
		p := newProgress(e.stderr, in.size, e.now)
		o.Observer = p
		defer p.done()
	}
	rep, err := reports.Build(ctx, in.r, o)
	if err != nil {
		_, code := e.readError(in, head, err)
		return code
	}
	defer rep.Close()

	for _, out := range outs {
		if out.path == "" {
			continue
		}
		var write func(io.Writer) error
		switch out.flag {
		case "json":
			write = rep.WriteJSON
		case "xlsx":
			write = rep.WriteXLSX
		case "pdf":
			write = rep.WritePDF
		}
		if err := writeFile(out.path, write); err != nil {
			return e.errorf(exitInput, "cannot write %s: %s", display.Escape(out.path), display.Escape(unwrapPath(err).Error()))
		}
	}
	printReport(e.stdout, rep, mode, outs)
	e.verdictHints(rep.Result, mode)
	if rep.Summary.Verdict == verifier.VerdictPass {
		return exitOK
	}
	return exitFail
}

// writeFile writes path through a temporary file beside it, renamed into
// place only when the whole document is written.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// printReport says on stdout what the report found and where it went.
func printReport(w io.Writer, rep *reports.Report, mode trustMode, outs []struct{ flag, path string }) {
	s := rep.Summary
	fmt.Fprintf(w, "%s  %s of %s\n", strings.ToUpper(s.Verdict), strings.ToLower(s.Title[:1])+s.Title[1:], display.Escape(s.File))
	fmt.Fprintf(w, "  bundle        id %s, organisation %s\n", display.Quote(s.BundleID), display.Quote(s.Organisation))
	fmt.Fprintf(w, "  integrity     %s\n", display.Escape(s.Integrity))
	fmt.Fprintf(w, "  %s\n", authenticityText(rep.Result, mode))
	p := s.Period
	switch {
	case s.Run != "":
		fmt.Fprintf(w, "  run           %s\n", display.Quote(s.Run))
	case p.FirstSeq < 0:
		fmt.Fprintf(w, "  period        %s (%s): no records\n", display.Escape(p.Label), display.Escape(p.Zone))
	default:
		fmt.Fprintf(w, "  period        %s (%s): records %d to %d\n", display.Escape(p.Label), display.Escape(p.Zone), p.FirstSeq, p.LastSeq)
	}
	if s.Kind == reports.KindMonthly {
		fmt.Fprintf(w, "  findings      %d in the period, %d before it, %d after it, %d bundle-wide\n",
			s.FindingsInPeriod, s.FindingsBefore, s.FindingsAfter, s.FindingsBundle)
	} else {
		fmt.Fprintf(w, "  findings      %d\n", len(rep.Findings)+s.FindingsOmitted)
	}
	r := s.Rows
	fmt.Fprintf(w, "  rows          %s, %s, %s, %s, %s, %s\n", display.Count(r.Conflicts, "conflict"), display.Count(r.Exceptions, "exception"),
		display.Count(r.Refusals, "refusal"), display.Count(r.Gates, "gate"), display.Count(r.Signoffs, "sign-off"), display.Count(r.Records, "record"))
	for _, n := range s.Notes {
		if strings.HasPrefix(n, "Period incomplete") {
			fmt.Fprintf(w, "  note          %s\n", display.Escape(n))
		}
	}
	if k := s.Checkpoint; k != nil {
		fmt.Fprintf(w, "  checkpoint    %s\n", display.Escape(k.Outcome))
	}
	for _, out := range outs {
		if out.path != "" {
			fmt.Fprintf(w, "  wrote         %s\n", display.Escape(out.path))
		}
	}
}
