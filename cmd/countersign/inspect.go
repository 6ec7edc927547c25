package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// inspection is what inspect reports: a description of the bundle, with no
// verdict. Its JSON form is the --json output.
type inspection struct {
	Format        string             `json:"format"`
	Version       int                `json:"version"`
	FormatVersion string             `json:"format_version"`
	Genesis       string             `json:"genesis"`
	BundleID      string             `json:"bundle_id"`
	Organisation  string             `json:"organisation"`
	TimeZone      string             `json:"time_zone"`
	Size          inspectSize        `json:"size"`
	Records       int64              `json:"records"`
	RecordTypes   map[string]int64   `json:"record_types"`
	Runs          int64              `json:"runs"`
	Seals         int64              `json:"seals"`
	FinalSeal     bool               `json:"final_seal"` // a trailer that verifies (SPEC §7.2)
	Principals    []inspectPrincipal `json:"principals"`
	Findings      int                `json:"findings"`
}

type inspectSize struct {
	Compressed   int64 `json:"compressed"`
	Decompressed int64 `json:"decompressed"`
	Frames       int64 `json:"frames"`
}

type inspectPrincipal struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Team      string `json:"team"`
	Registrar bool   `json:"registrar"`
	Keys      int    `json:"keys"`
}

// Names of the inspect document.
const (
	inspectFormat  = "countersign-inspect"
	inspectVersion = 1
	// unparsedType counts records that could not be parsed.
	unparsedType = "(unparseable)"
)

func runInspect(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("inspect")
	asJSON := fs.Bool("json", false, "")
	runs := fs.Bool("runs", false, "")
	runID := fs.String("run", "", "")
	trustArg := fs.String("trust", "", "")
	unsafe := fs.Bool("unsafe-no-trust", false, "")
	pos, code, ok := e.parse("inspect", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("inspect", "inspect takes exactly one BUNDLE (a file, or - for stdin); got %d arguments", len(pos))
	}
	selectRun := flagSet(fs, "run")
	if selectRun && *runID == "" {
		return e.usageError("inspect", "--run needs a run ID")
	}
	var trust verifier.Trust
	var mode trustMode
	if *runs || selectRun {
		trust, mode, code = e.trustFlags("inspect", flagSet(fs, "trust"), *trustArg, *unsafe, "inspect --runs needs --trust FP, or --unsafe-no-trust to read an unauthenticated bundle: approvals from an unauthenticated bundle are not facts")
		if code != 0 {
			return code
		}
	} else if flagSet(fs, "trust") || *unsafe {
		return e.usageError("inspect", "--trust and --unsafe-no-trust go with --runs; inspect alone gives no verdict")
	}
	in, code := e.openBundle(pos[0])
	if code != 0 {
		return code
	}
	defer in.close()
	if *runs || selectRun {
		return e.inspectRuns(ctx, in, trust, mode, *runID, selectRun, *asJSON)
	}
	ins, code := e.inspect(ctx, in)
	if code != 0 {
		return code
	}
	if *asJSON {
		if err := writeJSON(e.stdout, ins); err != nil {
			return e.errorf(exitInput, "cannot write the result: %v", err)
		}
		return exitOK
	}
	printInspection(e.stdout, in.name, ins)
	return exitOK
}

// containerStats is what a second reader of the same bytes learns about
// the container: frames and decompressed size.
type containerStats struct {
	frames       int64
	decompressed int64
}

func scanContainer(r io.Reader) containerStats {
	rd := format.NewReader(r)
	defer rd.Close()
	var st containerStats
	last := int64(-1)
	for {
		l, err := rd.Next()
		if err != nil {
			return st
		}
		st.decompressed += int64(len(l.Bytes)) + 1
		if l.Frame != last {
			st.frames++
			last = l.Frame
		}
	}
}

// inspect reads the bundle once: the verifier (without a trust root) gives
// the state and the per-record events, and a container reader fed the
// same bytes counts frames and decompressed bytes.
func (e *env) inspect(ctx context.Context, in *bundleInput) (*inspection, int) {
	pr, pw := io.Pipe()
	stats := make(chan containerStats, 1)
	go func() {
		st := scanContainer(pr)
		io.Copy(io.Discard, pr) // keep the verifier's side moving
		stats <- st
	}()

	types := map[string]int64{}
	var state *verifier.State
	obs := verifier.ObserverFunc(func(ev *verifier.Event) {
		t := ev.Type
		if t == "" {
			t = unparsedType
		}
		types[t]++
		state = ev.State
	})
	tee := &bundleInput{r: bufio.NewReaderSize(io.TeeReader(in.r, pw), 1<<16), name: in.name, close: func() {}}
	res, code := e.verifyBundle(ctx, tee, verifier.UnsafeNoTrust(), verifier.Options{Observer: obs})
	pw.Close()
	st := <-stats
	if code != 0 {
		return nil, code
	}

	ins := &inspection{
		Format:        inspectFormat,
		Version:       inspectVersion,
		FormatVersion: res.Bundle.FormatVersion,
		Genesis:       res.Bundle.Genesis,
		BundleID:      res.Bundle.ID,
		Organisation:  res.Bundle.Organisation,
		Size:          inspectSize{Compressed: res.Counts.Bytes, Decompressed: st.decompressed, Frames: st.frames},
		Records:       res.Counts.Records,
		RecordTypes:   types,
		Runs:          res.Counts.Runs,
		Seals:         res.Counts.Seals,
		FinalSeal:     res.Bundle.FinalSeal != "" && !hasRule(res.Findings, verifier.RuleFinalSeal),
		Principals:    []inspectPrincipal{},
		Findings:      len(res.Findings) + res.FindingsOmitted,
	}
	if state != nil {
		ins.TimeZone = state.Org.TZ
		for _, id := range state.PrincipalIDs() {
			p := state.Principals[id]
			ins.Principals = append(ins.Principals, inspectPrincipal{ID: p.ID, Kind: p.Kind, Name: p.Name, Team: p.Team, Registrar: p.Registrar, Keys: len(p.Keys)})
		}
	}
	return ins, 0
}

// typeOrder is the order record types are listed in: that of SPEC.md §6.
var typeOrder = []string{
	format.TypeGenesis, format.TypeEnrolment, format.TypeKeyRevocation, format.TypeLogKeyRotation,
	format.TypeSeal, format.TypeNote, format.TypeProposal, format.TypeGate, format.TypeAttempt,
	format.TypeOutcome, format.TypeExecution, format.TypeAuditFinding, format.TypePersonnel,
	format.TypeAlert, format.TypeAlertDelivery,
}

func sortedTypes(types map[string]int64) []string {
	rank := map[string]int{}
	for i, t := range typeOrder {
		rank[t] = i
	}
	names := make([]string, 0, len(types))
	for t := range types {
		names = append(names, t)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, oki := rank[names[i]]
		rj, okj := rank[names[j]]
		switch {
		case oki && okj:
			return ri < rj
		case oki != okj:
			return oki
		}
		return names[i] < names[j]
	})
	return names
}

func printInspection(w io.Writer, name string, ins *inspection) {
	row := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-14s%s\n", label, fmt.Sprintf(format, args...))
	}
	row("bundle", "%s", name)
	row("format", "countersign %s", display.Escape(ins.FormatVersion))
	row("genesis", "%s", display.Escape(ins.Genesis))
	row("bundle id", "%s", display.Quote(ins.BundleID))
	row("organisation", "%s (time zone %s)", display.Quote(ins.Organisation), display.Quote(ins.TimeZone))
	row("size", "%s compressed, %s decompressed, %s", display.Count(ins.Size.Compressed, "byte"),
		display.Count(ins.Size.Decompressed, "byte"), display.Count(ins.Size.Frames, "frame"))
	row("records", "%d", ins.Records)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range sortedTypes(ins.RecordTypes) {
		fmt.Fprintf(tw, "  %s\t%d\n", display.Escape(t), ins.RecordTypes[t])
	}
	tw.Flush()

	final := "final seal missing or invalid"
	if ins.FinalSeal {
		final = "final seal present and valid"
	}
	row("runs", "%d", ins.Runs)
	row("seals", "%d periodic, %s", ins.Seals, final)
	row("principals", "%d", len(ins.Principals))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range ins.Principals {
		role := "-"
		if p.Registrar {
			role = "registrar"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\tteam %s\t%s\t%s\n", display.Escape(p.ID), display.Escape(p.Kind), display.Quote(p.Name),
			display.Escape(p.Team), role, display.Count(int64(p.Keys), "key"))
	}
	tw.Flush()

	if ins.Findings == 0 {
		row("findings", "none seen; inspect gives no verdict: run 'countersign verify --trust FP BUNDLE'")
	} else {
		row("findings", "%d: run 'countersign verify --trust FP BUNDLE' for details", ins.Findings)
	}
}
