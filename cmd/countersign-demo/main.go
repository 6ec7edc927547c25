// Command countersign-demo runs the end-to-end demonstration: a whole
// producer (the enforcement core, agents' keys held by the runtime, a log
// key) beside the regulator's countersign binary, whose sign command each
// human runs in a process of their own with their own key file.
//
//	countersign-demo [--out DIR] [--countersign PATH]
//
// It lives apart from countersign so that the binary a regulator runs
// links no producer code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"

	"github.com/countersign/countersign/internal/demo"
)

// Exit codes, as for countersign.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
	exitInput = 3
)

const usage = `Usage: countersign-demo [--out DIR] [--countersign PATH]

Run the end-to-end demonstration: every key is made with countersign keygen
and enrolled through enrolment requests, the enrolee and both registrars each
signing in a countersign sign process of their own; an agent is refused its
own approval, a reviewer agent is refused a human-only stage, two named humans
sign in processes of their own with their own key files (countersign sign), the
payment executes. In a second act a payment risk limit control gets five
owners; its builder is refused approving a raise of the limit and refused
becoming its approver, the refusal alerted through the demo's alert hook
(alerts.log); the approver signs the raise; an operator is refused an audit
finding; the approver role moves. The evidence bundle is written, verified
pinned, tampered with and verified again, countersign register prints the
register as of before and after the role change, and countersign report
writes the month's conflict report and the evidence pack. Everything goes to
DIR (default ./countersign-demo): keys/, requests/, signatures/, journal/,
alerts.log, evidence.csb, evidence-tampered.csb, trust.txt, report.json,
report.xlsx, report.pdf and evidence-pack.pdf.

Flags:
  --out DIR            where to write (an earlier demo's directory is replaced;
                       any other non-empty directory is refused)
  --countersign PATH   the countersign binary the signers run (default: the one
                       beside this executable, else countersign on PATH)

Exit status:
  0  everything behaved as designed
  1  something did not behave as designed
  2  usage error
  3  the countersign binary cannot be found, or an I/O error
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("countersign-demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "countersign-demo", "")
	cs := fs.String("countersign", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return exitOK
		}
		fmt.Fprintf(stderr, "countersign-demo: error: %v\ncountersign-demo: hint: countersign-demo --help\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "countersign-demo: error: countersign-demo takes no arguments, got %q\n", fs.Arg(0))
		return exitUsage
	}
	signer, err := findCountersign(*cs)
	if err != nil {
		fmt.Fprintf(stderr, "countersign-demo: error: %v\ncountersign-demo: hint: make build (or go install ./cmd/countersign), or pass --countersign PATH\n", err)
		return exitInput
	}
	res, err := demo.Run(ctx, demo.Config{Dir: *out, Sign: []string{signer, "sign"}, Out: stdout})
	if err != nil {
		fmt.Fprintf(stderr, "countersign-demo: error: %v\n", err)
		return exitFail
	}
	if res.Verdict != "pass" || res.TamperedResult == nil || res.TamperedResult.Verdict != "fail" || len(res.Refusals) < 3 {
		fmt.Fprintln(stderr, "countersign-demo: error: something did not behave as designed")
		return exitFail
	}
	return exitOK
}

// findCountersign returns the countersign binary the signers run: the one
// given, else the one beside this executable, else countersign on PATH.
func findCountersign(given string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("no countersign binary at %s", given)
		}
		return given, nil
	}
	if exe, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(exe), "countersign")
		if st, err := os.Stat(beside); err == nil && !st.IsDir() {
			return beside, nil
		}
	}
	p, err := exec.LookPath("countersign")
	if err != nil {
		return "", errors.New("cannot find the countersign binary the signers run: none beside this executable and none on PATH")
	}
	return p, nil
}
