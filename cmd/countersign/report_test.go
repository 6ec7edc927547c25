package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/reports"
	"github.com/countersign/countersign/verifier"
)

// reportDir writes the demonstration bundle, its tampered copy and its
// fingerprint into a temporary directory.
func reportDir(t *testing.T) (dir, bundle, tampered, fp string) {
	t.Helper()
	b, tam, g, _ := fixtures.Demo()
	dir = t.TempDir()
	return dir, write(t, dir, "evidence.csb", b), write(t, dir, "evidence-tampered.csb", tam), g.String()
}

func TestReport(t *testing.T) {
	dir, bundle, tampered, fp := reportDir(t)
	out := func(name string) string { return filepath.Join(dir, name) }
	notBundle := write(t, dir, "notes.txt", []byte("hello\n"))
	runCases(t, []cliCase{
		{name: "monthly", args: []string{"report", "--month", "2026-11", "--trust", fp, "--json", out("m.json"), "--xlsx", out("m.xlsx"), "--pdf", out("m.pdf"), bundle}, code: exitOK,
			out: []string{"PASS  segregation-of-duties conflict report", "records 0 to 35", "3 refusals", "Period incomplete", "wrote"}},
		{name: "tampered", args: []string{"report", "--month", "2026-11", "--trust", fp, "--json", out("t.json"), "--xlsx", out("t.xlsx"), "--pdf", out("t.pdf"), tampered}, code: exitFail,
			out: []string{"FAIL  ", "NOT INTACT", "wrote"}},
		{name: "unauthenticated", args: []string{"report", "--evidence", "--json", out("u.json"), bundle}, code: exitFail,
			out: []string{"UNAUTHENTICATED  evidence pack"}},
		{name: "evidence of one run", args: []string{"report", "--evidence", "--run", "pay-0001", "--unsafe-no-trust", "--json", out("r.json"), bundle}, code: exitOK,
			out: []string{"run           \"pay-0001\"", "5 sign-offs"}},
		{name: "days", args: []string{"report", "--from", "2026-11-03", "--to", "2026-11-04", "--unsafe-no-trust", "--json", out("d.json"), bundle}, code: exitOK,
			out: []string{"no records"}},
		{name: "no period", args: []string{"report", "--unsafe-no-trust", "--json", out("x.json"), bundle}, code: exitUsage,
			errOut: []string{"a monthly report needs --month"}},
		{name: "bad month", args: []string{"report", "--month", "2026-13", "--unsafe-no-trust", "--json", out("x.json"), bundle}, code: exitUsage},
		{name: "no output", args: []string{"report", "--month", "2026-11", "--unsafe-no-trust", bundle}, code: exitUsage},
		{name: "both trust flags", args: []string{"report", "--month", "2026-11", "--trust", fp, "--unsafe-no-trust", "--json", out("x.json"), bundle}, code: exitUsage},
		{name: "not a bundle", args: []string{"report", "--month", "2026-11", "--unsafe-no-trust", "--json", out("x.json"), notBundle}, code: exitInput,
			errOut: []string{"is not a countersign bundle"}},
		{name: "unwritable", args: []string{"report", "--month", "2026-11", "--unsafe-no-trust", "--json", filepath.Join(dir, "no", "such", "dir.json"), bundle}, code: exitInput,
			errOut: []string{"cannot write"}},
		{name: "report -h", args: []string{"report", "-h"}, code: exitOK, out: []string{"Usage: countersign report"}},
	})
	if _, err := os.Stat(out("x.json")); err == nil {
		t.Error("a refused command line wrote its output")
	}
	// The JSON files are the report document, and the tampered one says fail.
	for name, verdict := range map[string]string{"m.json": verifier.VerdictPass, "t.json": verifier.VerdictFail, "u.json": verifier.VerdictUnauthenticated} {
		var doc struct {
			Format  string          `json:"format"`
			Summary reports.Summary `json:"summary"`
		}
		if err := json.Unmarshal(mustRead(t, out(name)), &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc.Format != reports.Format || doc.Summary.Verdict != verdict {
			t.Errorf("%s: format %q, verdict %q, want %q", name, doc.Format, doc.Summary.Verdict, verdict)
		}
	}
	// Two runs write the same bytes.
	code, _, _ := cli(t, nil, nil, "report", "--month", "2026-11", "--trust", fp, "--json", out("m2.json"), "--xlsx", out("m2.xlsx"), "--pdf", out("m2.pdf"), bundle)
	if code != exitOK {
		t.Errorf("exit %d", code)
	}
	for _, ext := range []string{"json", "xlsx", "pdf"} {
		if !bytes.Equal(mustRead(t, out("m."+ext)), mustRead(t, out("m2."+ext))) {
			t.Errorf("a second run wrote a different %s", ext)
		}
	}
	if x := mustRead(t, out("t.xlsx")); len(x) < 4 || string(x[:2]) != "PK" {
		t.Error("the tampered bundle's workbook was not written")
	}
	if x := mustRead(t, out("t.pdf")); !bytes.HasPrefix(x, []byte("%PDF-")) || !bytes.Contains(x, []byte("/EmbeddedFiles")) {
		t.Error("the tampered bundle's PDF was not written")
	}
}

// The report's embedded verification result is verify --json's document.
func TestReportResultIsVerifyJSON(t *testing.T) {
	dir, bundle, _, fp := reportDir(t)
	_, want, _ := cli(t, nil, nil, "verify", "--trust", fp, "--json", bundle)
	f, err := os.Open(bundle)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, _ := verifier.PinGenesis(fp)
	rep, err := reports.Build(t.Context(), f, reports.Options{Kind: reports.KindEvidence, Trust: tr, TrustMode: reports.TrustPinned, File: bundle, TmpDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	got, err := reports.VerifyJSON(rep)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("report's result differs from verify --json\n--- report\n%s\n--- verify\n%s", got, want)
	}
}
