package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

func runVerify(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("verify")
	trustArg := fs.String("trust", "", "")
	unsafe := fs.Bool("unsafe-no-trust", false, "")
	cpPath := fs.String("checkpoint", "", "")
	asJSON := fs.Bool("json", false, "")
	pos, code, ok := e.parse("verify", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("verify", "verify takes exactly one BUNDLE (a file, or - for stdin); got %d arguments", len(pos))
	}
	trust, mode, code := e.trustFlags("verify", flagSet(fs, "trust"), *trustArg, *unsafe, "")
	if code != 0 {
		return code
	}

	var opts verifier.Options
	if flagSet(fs, "checkpoint") {
		cp, code := e.readCheckpoint(*cpPath)
		if code != 0 {
			return code
		}
		opts.Checkpoint = cp
	}

	in, code := e.openBundle(pos[0])
	if code != 0 {
		return code
	}
	defer in.close()
	res, code := e.verifyBundle(ctx, in, trust, opts)
	if code != 0 {
		// Not a bundle: --json still prints a document saying so.
		if res != nil && *asJSON {
			if err := writeJSON(e.stdout, res); err != nil {
				return e.errorf(exitInput, "cannot write the result: %v", err)
			}
		}
		return code
	}

	if *asJSON {
		if err := writeJSON(e.stdout, res); err != nil {
			return e.errorf(exitInput, "cannot write the result: %v", err)
		}
	} else {
		printResult(e.stdout, in.name, res, mode)
		printCheckpoint(e.stdout, res, opts.Checkpoint)
	}
	e.verdictHints(res, mode)
	if res.Verdict == verifier.VerdictPass {
		return exitOK
	}
	return exitFail
}

// How the trust root was given.
type trustMode int

const (
	trustNone trustMode = iota
	trustPinned
	trustUnsafe
)

// trustFlags reads the --trust FP and --unsafe-no-trust flags of command
// cmd: at most one of them. With neither, it is a usage error saying
// missing when missing is not "", and trustNone otherwise.
func (e *env) trustFlags(cmd string, pinned bool, arg string, unsafe bool, missing string) (verifier.Trust, trustMode, int) {
	switch {
	case pinned && unsafe:
		return verifier.Trust{}, trustNone, e.usageError(cmd, "--trust and --unsafe-no-trust exclude each other")
	case pinned:
		fp, code := e.readFingerprint(arg)
		if code != 0 {
			return verifier.Trust{}, trustNone, code
		}
		t, err := verifier.PinGenesis(fp)
		if err != nil {
			return verifier.Trust{}, trustNone, e.usageError(cmd, "--trust: %s", display.Escape(err.Error()))
		}
		return t, trustPinned, 0
	case unsafe:
		return verifier.UnsafeNoTrust(), trustUnsafe, 0
	case missing != "":
		return verifier.Trust{}, trustNone, e.usageError(cmd, "%s", missing)
	}
	return verifier.Trust{}, trustNone, 0
}

// maxSmallFile bounds what is read from a fingerprint or checkpoint file.
const maxSmallFile = format.MaxLine + 4096

// readSmallFile reads a short text file, refusing one that is too large.
func readSmallFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSmallFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSmallFile {
		return nil, fmt.Errorf("larger than %d bytes", maxSmallFile)
	}
	return b, nil
}

// readFingerprint turns the --trust argument into a genesis hash in the
// format's spelling. The argument is the hash itself or @FILE; white space
// anywhere (a newline from $(cat trust.txt), groups typed with spaces) is
// ignored and upper-case hex accepted.
func (e *env) readFingerprint(arg string) (string, int) {
	from := "--trust"
	fp := arg
	if strings.HasPrefix(strings.TrimSpace(arg), "@") {
		path := strings.TrimPrefix(strings.TrimSpace(arg), "@")
		b, err := readSmallFile(path)
		if err != nil {
			return "", e.errorf(exitInput, "cannot read the trust fingerprint from %s: %s", display.Escape(path), display.Escape(unwrapPath(err).Error()))
		}
		fp, from = string(b), "--trust @"+display.Escape(path)
	}
	// White space anywhere is ignored: a fingerprint read out over the
	// phone is often typed in groups.
	fp = strings.ToLower(strings.Join(strings.Fields(fp), ""))
	switch {
	case fp == "":
		return "", e.usageError("verify", "%s is empty: give the bundle's genesis hash (64 hex digits) obtained out of band", from)
	case len(fp) != 64 || strings.Trim(fp, "0123456789abcdef") != "":
		shown := fp
		if len(shown) > 80 {
			shown = shown[:80] + "..."
		}
		return "", e.usageError("verify", "%s: %s is not a genesis hash: want 64 hex digits", from, display.Quote(shown))
	}
	return fp, 0
}

// readCheckpoint reads a checkpoint file: one line in the trailer's form,
// as printed by countersign checkpoint, whose seal is an export seal (a
// trailer) or a periodic seal (SPEC.md §7.3). A file that is not one is a
// usage error.
func (e *env) readCheckpoint(path string) (*format.Trailer, int) {
	name := display.Escape(path)
	if path == "" {
		return nil, e.usageError("verify", "--checkpoint needs a file name")
	}
	b, err := readSmallFile(path)
	if err != nil {
		return nil, e.errorf(exitInput, "cannot read checkpoint %s: %s", name, display.Escape(unwrapPath(err).Error()))
	}
	line := bytes.TrimSpace(b)
	bad := func(why string) (*format.Trailer, int) {
		e.errorf(exitUsage, "checkpoint file %s is not a checkpoint: %s", name, why)
		e.hintf("a checkpoint file holds one line, the final seal printed by 'countersign checkpoint BUNDLE', or a periodic seal in the same form")
		return nil, exitUsage
	}
	switch {
	case len(line) == 0:
		return bad("it is empty")
	case bytes.ContainsAny(line, "\r\n"):
		return bad("it holds more than one line")
	}
	t, err := format.ParseTrailer(line)
	if err != nil {
		return bad(display.Escape(err.Error()))
	}
	if t.Seal.Kind != format.SealExport && t.Seal.Kind != format.SealPeriodic {
		return bad(fmt.Sprintf("its seal has kind %s, not export or periodic", display.Quote(t.Seal.Kind)))
	}
	return t, 0
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeJSON writes v as indented JSON in which every character that could
// act on a terminal is a JSON escape (display.JSON); the values are
// unchanged.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(display.JSON(b), '\n')
	_, err = w.Write(b)
	return err
}

// printResult writes the human form of a verification result. Every string
// that came from the bundle is escaped.
func printResult(w io.Writer, name string, res *verifier.Result, mode trustMode) {
	verdict := strings.ToUpper(res.Verdict)
	fmt.Fprintf(w, "%s  %s\n", verdict, name)
	fmt.Fprintf(w, "  %s\n", authenticityText(res, mode))
	b := res.Bundle
	fmt.Fprintf(w, "  genesis       %s\n", display.Escape(b.Genesis))
	fmt.Fprintf(w, "  bundle        id %s, organisation %s, format %s\n", display.Quote(b.ID), display.Quote(b.Organisation), display.Quote(b.FormatVersion))
	fmt.Fprintf(w, "  rules         SPEC %s, verifier %s\n", display.Escape(res.Spec), display.Escape(res.Verifier))
	c := res.Counts
	sigs := display.Count(c.Signatures, "signature")
	if c.SignaturesFailed > 0 {
		sigs += fmt.Sprintf(" (%d failed)", c.SignaturesFailed)
	}
	fmt.Fprintf(w, "  checked       %s, %s, %s, %s, %s, %s, %s\n",
		display.Count(c.Records, "record"), sigs, display.Count(c.Statements, "statement"),
		display.Count(c.Seals, "periodic seal"), display.Count(c.Principals, "principal"), display.Count(c.Keys, "key"),
		display.Count(c.Bytes, "byte"))
	if b.FinalSeal != "" && !hasRule(res.Findings, verifier.RuleFinalSeal) {
		fmt.Fprintf(w, "  final seal    present\n")
	} else {
		fmt.Fprintf(w, "  final seal    missing or invalid (see findings)\n")
	}
	total := len(res.Findings) + res.FindingsOmitted
	if total == 0 {
		fmt.Fprintf(w, "  findings      none\n")
		return
	}
	fmt.Fprintf(w, "  findings      %d\n", total)
	printFindings(w, res.Findings)
	if res.FindingsOmitted > 0 {
		fmt.Fprintf(w, "  ... and %d more findings not listed\n", res.FindingsOmitted)
	}
}

// printFindings lists integrity findings first, then the rules' findings,
// each group in the verifier's order, in aligned columns. A rule finding
// that cites a record which failed integrity says so: the cause is shown
// before its consequence, so an altered record does not read as a missing
// approval.
func printFindings(w io.Writer, fs []verifier.Finding) {
	broken := map[int64]bool{} // records with an integrity finding
	var integrity, rules []verifier.Finding
	for _, f := range fs {
		if strings.HasPrefix(f.Rule, "INT-") {
			integrity = append(integrity, f)
			for _, r := range f.Records {
				broken[r] = true
			}
		} else {
			rules = append(rules, f)
		}
	}
	ruleW, recW := 0, 0
	for _, f := range fs {
		ruleW = max(ruleW, len(display.Escape(f.Rule)))
		recW = max(recW, len(recordsText(f.Records)))
	}
	line := func(f verifier.Finding, note string) {
		fmt.Fprintf(w, "    %-*s  %-*s  %s%s\n", ruleW, display.Escape(f.Rule), recW, recordsText(f.Records), display.Escape(f.Message), note)
	}
	if len(integrity) > 0 {
		fmt.Fprintf(w, "  integrity (the bundle's bytes, chain and signatures):\n")
		for _, f := range integrity {
			line(f, "")
		}
	}
	if len(rules) > 0 {
		fmt.Fprintf(w, "  rules (segregation of duties, judged on the records):\n")
		for _, f := range rules {
			var causes, within []int64
			for _, r := range f.Records {
				if broken[r] {
					causes = append(causes, r)
				}
			}
			if len(causes) == 0 && len(f.Records) > 1 {
				// A record that failed integrity counts for nothing, so
				// one lying inside the span the finding covers (a sign-off
				// between proposal and execution) may be its cause.
				lo, hi := slices.Min(f.Records), slices.Max(f.Records)
				for _, r := range slices.Sorted(maps.Keys(broken)) {
					if r > lo && r < hi {
						within = append(within, r)
					}
				}
			}
			note := ""
			switch {
			case len(causes) > 0:
				note = "  (consequence of " + recordsText(causes) + " failing integrity)"
			case len(within) > 0:
				verb := "counts"
				if len(within) > 1 {
					verb = "count"
				}
				note = "  (" + recordsText(within) + " failed integrity and " + verb + " for nothing: this may be a consequence)"
			}
			line(f, note)
		}
	}
}

// printCheckpoint says what the checkpoint proved: that this bundle
// extends the seal kept earlier (how many records it covered, its head and
// its time), or that it does not (the findings say how).
func printCheckpoint(w io.Writer, res *verifier.Result, cp *format.Trailer) {
	if cp == nil || cp.Seal == nil {
		return
	}
	if cp.Seal.Bundle != res.Bundle.Genesis {
		fmt.Fprintf(w, "  checkpoint    wrong checkpoint file: it seals bundle %s, not this one; nothing was compared\n", display.Escape(cp.Seal.Bundle))
		return
	}
	if hasRule(res.Findings, verifier.RuleCheckpoint) {
		fmt.Fprintf(w, "  checkpoint    NOT extended: see the %s finding\n", verifier.RuleCheckpoint)
		return
	}
	fmt.Fprintf(w, "  checkpoint    extended: this bundle holds the %s the checkpoint sealed at %s, head %s, unchanged\n",
		display.Count(cp.Seal.Count, "record"), display.Escape(cp.Seal.Time), display.Escape(cp.Seal.Head))
}

// recordsText is "record 29", "records 19, 31, 35", or "-" for none.
func recordsText(recs []int64) string {
	switch len(recs) {
	case 0:
		return "-"
	case 1:
		return "record " + strconv.FormatInt(recs[0], 10)
	}
	seqs := make([]string, len(recs))
	for i, s := range recs {
		seqs[i] = strconv.FormatInt(s, 10)
	}
	return "records " + strings.Join(seqs, ", ")
}

func authenticityText(res *verifier.Result, mode trustMode) string {
	switch res.Authenticity {
	case verifier.AuthEstablished:
		return "authenticity established: the genesis matches the pinned trust root"
	case verifier.AuthFailed:
		return "authenticity FAILED: the genesis does not match the pinned trust root"
	}
	switch mode {
	case trustUnsafe:
		return "authenticity not established: --unsafe-no-trust checks integrity only"
	case trustNone:
		return "authenticity not established: no trust root was given (--trust)"
	}
	return "authenticity not established: the bundle is not intact"
}

// verdictHints explains on stderr what to do about an unauthenticated or
// mis-pinned bundle.
func (e *env) verdictHints(res *verifier.Result, mode trustMode) {
	switch {
	case res.Verdict == verifier.VerdictUnauthenticated:
		e.hintf("without a trust root the verdict is never pass: pin the bundle's genesis hash, obtained out of band, with --trust FP or --trust @FILE")
		e.hintf("this bundle's genesis is %s; compare it with the one you were given, never with one taken from the bundle itself", display.Escape(res.Bundle.Genesis))
		e.hintf("--unsafe-no-trust checks integrity only and labels authenticity \"not established\"")
	case res.Authenticity == verifier.AuthFailed:
		e.hintf("this bundle's genesis is %s: it is another bundle than the one you pinned, or the pin is wrong", display.Escape(res.Bundle.Genesis))
	}
}

func hasRule(fs []verifier.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}
