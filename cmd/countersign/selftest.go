package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// runSelftest verifies every test vector built into this binary and
// compares verdict and findings (rule and records, in order) with the
// vector's expectation: the evidence a regulated user files when
// validating the tool on the machine it will run on.
func runSelftest(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("selftest")
	pos, code, ok := e.parse("selftest", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.usageError("selftest", "selftest takes no arguments")
	}
	exps, err := fixtures.LoadExpectations()
	if err != nil {
		return e.errorf(exitInput, "cannot read the built-in test vectors: %v", err)
	}
	failed := 0
	for _, x := range exps {
		got, err := selftestOne(ctx, x)
		status := "ok  "
		if err != nil {
			status = "FAIL"
			failed++
		}
		fmt.Fprintf(e.stdout, "%s  %-40s  %s\n", status, x.Vector, got)
		if err != nil {
			fmt.Fprintf(e.stdout, "      %s\n", err)
		}
	}
	fmt.Fprintf(e.stdout, "\n%d vectors: %d matched their expectation, %d did not\n", len(exps), len(exps)-failed, failed)
	fmt.Fprintf(e.stdout, "bundle format %s %s, verify result %s v%d\n", format.FormatName, format.Version, verifier.ResultFormat, verifier.ResultVersion)
	fmt.Fprintf(e.stdout, "binary sha256 %s\n", selfSHA256())
	if failed > 0 {
		return exitFail
	}
	return exitOK
}

// selftestOne verifies one vector; it returns what was found, and an error
// saying how that differs from the expectation.
func selftestOne(ctx context.Context, x fixtures.Expect) (string, error) {
	data, err := fs.ReadFile(fixtures.Vectors(), x.Vector+".csb")
	if err != nil {
		return "", err
	}
	var trust verifier.Trust // none pinned, as the expectation says
	if x.Trust != "" {
		if trust, err = verifier.PinGenesis(x.Trust); err != nil {
			return "", fmt.Errorf("bad trust root in the expectation: %v", err)
		}
	}
	var opts verifier.Options
	if x.Checkpoint != "" {
		raw, err := fs.ReadFile(fixtures.Vectors(), x.Checkpoint)
		if err != nil {
			return "", err
		}
		cp, err := format.ParseTrailer(bytes.TrimSuffix(raw, []byte("\n")))
		if err != nil {
			return "", fmt.Errorf("bad checkpoint %s: %v", x.Checkpoint, err)
		}
		opts.Checkpoint = cp
	}
	res, err := verifier.Verify(ctx, bytes.NewReader(data), trust, opts)
	if x.Expect == fixtures.ExpectNotBundle {
		if errors.Is(err, verifier.ErrNotBundle) {
			return "not a bundle", nil
		}
		return "a verdict", fmt.Errorf("expected the input to be refused as not a bundle, got %v", err)
	}
	if err != nil {
		return "error", fmt.Errorf("verification did not complete: %v", err)
	}
	var got, want []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprint(f.Rule, f.Records))
	}
	for _, f := range x.Findings {
		want = append(want, f.String())
	}
	summary := fmt.Sprintf("%s, %d findings", res.Verdict, len(res.Findings))
	if len(res.Findings) == 1 {
		summary = fmt.Sprintf("%s, 1 finding", res.Verdict)
	}
	switch {
	case res.Verdict != x.Expect:
		return summary, fmt.Errorf("verdict %s, expected %s", res.Verdict, x.Expect)
	case !slices.Equal(got, want) || res.FindingsOmitted != 0:
		return summary, fmt.Errorf("findings %v, expected %v", got, want)
	}
	return summary, nil
}

// selfSHA256 is the SHA-256 of the running executable, so a report of a
// self-test or a verdict names the exact binary that produced it.
func selfSHA256() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	f, err := os.Open(exe)
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return hex.EncodeToString(h.Sum(nil))
}
