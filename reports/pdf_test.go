package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

func writeP(t *testing.T, rep *Report) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WritePDF(&b); err != nil {
		t.Fatalf("WritePDF: %v", err)
	}
	p := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, b.Bytes()
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

var spaces = regexp.MustCompile(`\s+`)

// pdfText is the document's text as pdftotext extracts it, white space
// collapsed (table cells wrap lines).
func pdfText(t *testing.T, path string, args ...string) string {
	t.Helper()
	return spaces.ReplaceAllString(run(t, "pdftotext", append(append([]string{}, args...), path, "-")...), " ")
}

func TestPDFReadByPoppler(t *testing.T) {
	bundle, _, g, _ := fixtures.Demo()
	tr, mode := pinned(t, g)
	rep := build(t, bundle, Options{Kind: KindEvidence, Trust: tr, TrustMode: mode})
	path, raw := writeP(t, rep)

	if out := run(t, "qpdf", "--check", path); !strings.Contains(out, "No syntax or stream encoding errors found") {
		t.Errorf("qpdf --check:\n%s", out)
	}
	info := run(t, "pdfinfo", path)
	for _, want := range []string{"Title:           Evidence pack: Example Bank plc", "Author:          Example Bank plc",
		"Subject:         Bundle demo-2026-11-02", "CreationDate:    Mon Nov  2 09:00:36 2026 UTC", "ModDate:         Mon Nov  2 09:00:36 2026 UTC",
		"Producer:        countersign", "Page size:       595.28 x 841.89 pts (A4)"} {
		if !strings.Contains(info, want) {
			t.Errorf("pdfinfo lacks %q:\n%s", want, info)
		}
	}
	fonts := strings.Split(strings.TrimSpace(run(t, "pdffonts", path)), "\n")
	if len(fonts) < 3+2 {
		t.Errorf("pdffonts lists %d fonts, want the three embedded:\n%s", len(fonts)-2, strings.Join(fonts, "\n"))
	}
	for _, l := range fonts[2:] {
		f := strings.Fields(l)
		if len(f) < 7 || f[len(f)-5] != "yes" {
			t.Errorf("font not embedded: %s", l)
		}
	}
	// Every signer's printed name and verbatim reason is in the text.
	text := pdfText(t, path)
	var signers int
	check := func(name, reason string) {
		signers++
		if !strings.Contains(text, name) {
			t.Errorf("the evidence pack lacks the printed name %q", name)
		}
		if reason != "" && !strings.Contains(text, "\u201c"+reason+"\u201d") {
			t.Errorf("the evidence pack lacks the reason %q verbatim", reason)
		}
	}
	rows(t, rep.Signoffs)
	for _, o := range rows(t, rep.Signoffs) {
		check(o.Name, o.Reason)
	}
	for _, r := range rows(t, rep.Refusals) {
		check(r.Name, r.Reason)
	}
	if signers != 10 {
		t.Errorf("%d signers checked, want the demo's 7 sign-offs and 3 refusals", signers)
	}
	for _, want := range []string{"PASS", "Glossary", "How to re-verify", rep.Summary.Reverify, "Page 1 of "} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q", want)
		}
	}
	// The attachments: the verification result as verify --json prints
	// it, the report's JSON and the final seal.
	dir := t.TempDir()
	run(t, "pdfdetach", "-saveall", "-o", dir, path)
	vj, _ := VerifyJSON(rep)
	var rj bytes.Buffer
	if err := rep.WriteJSON(&rj); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"verify-result.json": vj, "report.json": rj.Bytes(), "final-seal.checkpoint": []byte(rep.Summary.FinalSeal + "\n")} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("pdfdetach extracted no %s: %v", name, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("attached %s differs from the document it should be", name)
		}
	}
	if bytes.Contains(raw, []byte("pdfaid")) {
		t.Error("the PDF claims PDF/A")
	}
	if !regexp.MustCompile(`trailer\n<<\n/ID \[<[0-9a-f]{32}> <[0-9a-f]{32}>\]`).Match(raw) {
		t.Error("the trailer has no document /ID")
	}
}

// Identical inputs make identical bytes, however many documents the
// process writes before (fpdf edits the font bytes it subsets).
func TestPDFDeterministic(t *testing.T) {
	bundle, _ := twoMonths()
	var out [3][]byte
	for i := range out {
		_, out[i] = writeP(t, build(t, bundle, Options{Month: "2026-11"}))
	}
	if !bytes.Equal(out[0], out[1]) || !bytes.Equal(out[1], out[2]) {
		t.Fatal("runs wrote different PDFs")
	}
}

func TestPDFTamperedSaysFailOnCover(t *testing.T) {
	_, tampered, g, _ := fixtures.Demo()
	tr, mode := pinned(t, g)
	rep := build(t, tampered, Options{Month: "2026-11", Trust: tr, TrustMode: mode})
	path, _ := writeP(t, rep)
	cover := pdfText(t, path, "-layout", "-f", "1", "-l", "1")
	for _, want := range []string{"Segregation-of-duties conflict report", " FAIL ", "NOT INTACT", "Findings in the period 4", "Period incomplete"} {
		if !strings.Contains(cover, want) {
			t.Errorf("cover lacks %q:\n%s", want, cover)
		}
	}
	if strings.Contains(cover, "PASS") {
		t.Error("the cover of a failing bundle says PASS")
	}
}

// Characters the font lacks print as U+XXXX; control and bidirectional
// characters print escaped; the JSON attached keeps the exact text.
func TestPDFGlyphsAndEscapes(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	b.Person("agent.pay", format.KindAgent, "payments")
	b.Person("risk.ana", format.KindHuman, "risk")
	stages := []format.Stage{{Stage: 1, N: 1, Pool: []string{"risk.ana"}, Meaning: format.MeaningApproval}}
	pol := format.PolicyAction{Class: format.ClassPolicy, Version: 1, Control: "payments", Gates: []format.GateDef{{Class: "payment", Gate: "pay", Stages: stages}},
		Grants: []format.Grant{{Principal: "agent.pay", Role: format.GrantMaker, Classes: []string{"payment"}}, {Principal: "risk.ana", Role: format.GrantChecker, Classes: []string{"payment"}}}}
	b.ApprovePolicy("risk.ana", &pol)
	r := &fixtures.Run{B: b, ID: "pay-1", Maker: "agent.pay", Action: []byte(`{"class":"payment","amount":"1.00","currency":"EUR"}`)}
	r.Propose()
	r.Gate(1, "pay", stages)
	reason := "checked 王 Ωμέγα Жук \u202eevil\u202c ok"
	r.Signoff("risk.ana", 1, format.MeaningApproval, reason, true, "ok")
	r.Execute("agent.pay", true, "ok")
	rep := build(t, b.Bundle(), Options{Kind: KindEvidence})
	path, _ := writeP(t, rep)
	text := pdfText(t, path)
	for _, want := range []string{"U+738B", "Ωμέγα Жук", `\u202eevil\u202c`} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	if strings.ContainsRune(text, '\u202e') || strings.ContainsRune(text, '王') {
		t.Error("the PDF prints a bidirectional override or a glyph the font lacks")
	}
	dir := t.TempDir()
	run(t, "pdfdetach", "-saveall", "-o", dir, path)
	rj, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rj), `checked 王 Ωμέγα Жук \u202eevil\u202c ok`) {
		t.Error("the attached JSON lacks the exact reason")
	}
}

func TestGlyphs(t *testing.T) {
	loadGlyphs()
	for _, c := range []struct {
		r    rune
		sans bool
		mono bool
	}{{'A', true, true}, {'é', true, true}, {'Ω', true, true}, {'Ж', true, true}, {'王', false, false}, {'あ', false, false}, {'\u0627', true, true}} {
		if got := sansGlyphs.has(c.r); got != c.sans {
			t.Errorf("sans has %U: %v, want %v", c.r, got, c.sans)
		}
		if got := monoGly.has(c.r); got != c.mono {
			t.Errorf("mono has %U: %v, want %v", c.r, got, c.mono)
		}
	}
	if _, err := readGlyphs([]byte("not a font")); err == nil {
		t.Error("read glyphs from a non-font")
	}
}
