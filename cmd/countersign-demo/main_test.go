package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
)

// bundleCarries reports whether some record of the bundle carries stmt.
func bundleCarries(t *testing.T, path string, stmt []byte) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := format.NewReader(f)
	defer rd.Close()
	for {
		l, err := rd.Next()
		if err != nil {
			return false
		}
		if format.IsTrailer(l.Bytes) {
			continue
		}
		rec, err := format.ParseRecord(l.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range rec.Sigs {
			if bytes.Equal(s.Stmt, stmt) {
				return true
			}
		}
	}
}

// buildCountersign builds the regulator's binary, which the demo's signers
// run, into a temporary directory.
func buildCountersign(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "countersign")
	cmd := exec.Command("go", "build", "-o", bin, "../countersign")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ../countersign: %v\n%s", err, out)
	}
	return bin
}

func demoRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestDemo runs the demo end to end with real signer processes, then checks
// its bundle and the tampered copy with countersign verify, as a reader of
// the README would.
func TestDemo(t *testing.T) {
	cs := buildCountersign(t)
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := demoRun("--out", dir, "--countersign", cs)
	if code != exitOK {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"REFUSED  self-approval", "REFUSED  human-required", "REFUSED  quorum-not-met",
		"separate `countersign sign` process", "PASS  evidence.csb", "FAIL  evidence-tampered.csb", "INT-ENVELOPE",
		"REFUSED  conflicting-role: after the change person eng.erin would hold [build approve]", "REFUSED  role-not-assigned: ops.dana does not hold audit on control payments-limit",
		"ACCEPTED  the limit is EUR 25000.00 per payment", "records the finding  [audit_finding record",
		"parked at gate exception: one approval by someone above eng.erin", "REFUSED  self-approval: eng.erin holds exception exc-erin-validate",
		"ACCEPTED  exception exc-erin-validate in force from", "ACCEPTED  validation recorded",
		"ALERT    conflicting-role: eng.erin acting in validate on payments-limit",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	// Each alertable refusal of the second act is alerted on, and the
	// alert reaches the demo's pager hook, which prints its delivery.
	if got := regexp.MustCompile(`(?m)^    ALERT    (\S+): .*\n +alert record \d+, delivered by the demo's pager hook to alerts.log line (\d+), \d+ ms after the attempt$`).FindAllStringSubmatch(out, -1); len(got) != 3 ||
		got[0][1] != "conflicting-role" || got[0][2] != "1" || got[1][1] != "role-not-assigned" || got[1][2] != "2" ||
		got[2][1] != "conflicting-role" || got[2][2] != "3" {
		t.Errorf("alerts printed: %q", got)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "alerts.log")); err != nil || strings.Count(string(b), "\n") != 3 ||
		!strings.Contains(string(b), `"principal":"eng.erin"`) || !strings.Contains(string(b), "ops.dana does not hold audit") {
		t.Errorf("alerts.log: %q, %v", b, err)
	}
	// The register printed as of before the role change names Chen Wei as
	// approver, as of after it Ana Ribeiro, and the limit raised in both.
	before, after, ok := strings.Cut(out[strings.Index(out, "countersign register --at`."):], "(after it):")
	if !ok {
		t.Fatalf("the register is not printed as of before and after the role change:\n%s", out)
	}
	after, _, _ = strings.Cut(after, "Reports.")
	approver := regexp.MustCompile(`approve +(\S+) "`)
	if m := approver.FindStringSubmatch(before); m == nil || m[1] != "risk.chen" || !strings.Contains(before, "per_payment = 25000.00 EUR") {
		t.Errorf("register before the role change: %q\n%s", m, before)
	}
	if m := approver.FindStringSubmatch(after); m == nil || m[1] != "risk.ana" || strings.Contains(after, "risk.chen") {
		t.Errorf("register after the role change: %q\n%s", m, after)
	}
	for _, f := range []string{"evidence.csb", "evidence-tampered.csb", "trust.txt", "keys/risk.ana.key", "signatures/pay-0001-stage2-risk.ana.json",
		"requests/enrol-risk.ana-self.json", "requests/enrol-risk.ana-witness-reg.bea.json", "signatures/genesis-reg.alex.json",
		"signatures/enrol-risk.ana-self.json", "signatures/enrol-agent.payments-witness-reg.alex.json",
		"report.json", "report.xlsx", "report.pdf", "evidence-pack.pdf", "alerts.log", "signatures/limit-raise-stage1-risk.chen.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	// Each registrar's witness statement, made in a sign process of its
	// own, records how the registrar checked the enrolee's identity, and
	// it is the statement the bundle carries.
	for _, w := range []struct{ file, check string }{
		{"enrol-risk.ana-witness-reg.alex.json", "in person, passport"},
		{"enrol-risk.ana-witness-reg.bea.json", "video call, staff card checked against HR record"},
	} {
		raw, err := os.ReadFile(filepath.Join(dir, "signatures", w.file))
		if err != nil {
			t.Fatal(err)
		}
		s, err := signreq.DecodeSigned(raw)
		if err != nil {
			t.Fatal(err)
		}
		st, err := format.ParseStatement(s.Stmt, format.Strict)
		if err != nil || st.Purpose != format.PurposeEnrolWitness || st.Subject != "risk.ana" || st.IdentityCheck != w.check {
			t.Errorf("%s: %+v, %v", w.file, st, err)
		}
		if !bundleCarries(t, filepath.Join(dir, "evidence.csb"), s.Stmt) {
			t.Errorf("the bundle does not carry the statement of %s", w.file)
		}
	}
	trust := "@" + filepath.Join(dir, "trust.txt")
	verify := func(bundle string) (int, string) {
		cmd := exec.Command(cs, "verify", "--trust", trust, filepath.Join(dir, bundle))
		b, _ := cmd.Output()
		return cmd.ProcessState.ExitCode(), string(b)
	}
	if code, out := verify("evidence.csb"); code != exitOK {
		t.Errorf("verify evidence.csb exited %d:\n%s", code, out)
	}
	if code, out := verify("evidence-tampered.csb"); code != exitFail || !regexp.MustCompile(`INT-ENVELOPE +record 29 `).MatchString(out) ||
		!strings.Contains(out, "failed integrity and count for nothing") {
		t.Errorf("verify evidence-tampered.csb exited %d, want 1 naming record 29:\n%s", code, out)
	}
	// The evidence pack prints every signer's printed name and verbatim
	// reason, as the demo signed them.
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatalf("pdftotext (poppler-utils, in .ci/tools) is needed: %v", err)
	}
	text, err := exec.Command("pdftotext", filepath.Join(dir, "evidence-pack.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat := strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{"PASS", "Alex Morgan", "limits match the board's risk appetite", "Beatriz Okafor", "gate requires two human approvers; approved",
		"Ana Ribeiro", "supplier verified against the vendor master; amount within budget", "Ben Adeyemi", "four-eyes check done: invoice and purchase order agree",
		"Reviewer Agent", "invoice, IBAN and amount match the purchase order", "Payments Agent", "amount matches the invoice", "model review: no anomalies",
		"self-approval", "human-required", "quorum-not-met"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the evidence pack lacks %q", want)
		}
	}
	var rep struct {
		Summary struct {
			Verdict string `json:"verdict"`
			Rows    struct {
				Refusals int `json:"refusals"`
				Gates    int `json:"gates"`
			} `json:"rows"`
		} `json:"summary"`
		Refusals []struct {
			Seq       int64  `json:"seq"`
			Act       string `json:"act"`
			Code      string `json:"code"`
			Alert     int64  `json:"alert_seq"`
			Delivered int64  `json:"delivered_seq"`
			Delay     int64  `json:"alert_delay_ms"`
			Delivery  string `json:"delivery"`
		} `json:"refusals"`
		Register []struct {
			Part, Kind, Control, Role, Op, Principal, Detail, Reason string
		} `json:"register"`
		Conflicts []struct {
			Control, Principal, Roles string
			Seconds                   int64
		} `json:"conflicts"`
	}
	if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err != nil || json.Unmarshal(b, &rep) != nil ||
		rep.Summary.Verdict != "pass" || rep.Summary.Rows.Refusals != 8 || rep.Summary.Rows.Gates != 17 {
		t.Errorf("report.json: %+v, %v", rep.Summary, err)
	}
	// The conflict the exception covered is the one held: Erin Walsh as
	// builder and validator for the day of her cover.
	if len(rep.Conflicts) != 1 || rep.Conflicts[0].Principal != "eng.erin" || rep.Conflicts[0].Roles != "build, validate" ||
		rep.Conflicts[0].Control != "payments-limit" || rep.Conflicts[0].Seconds < 86400 || rep.Conflicts[0].Seconds > 86400+60 {
		t.Errorf("report.json conflicts: %+v", rep.Conflicts)
	}
	// The second act's refusals carry their alerts, delivered by the
	// demo's pager within the minute; the first act's raise none.
	alerted := map[string]bool{}
	for _, r := range rep.Refusals {
		switch r.Code {
		case "conflicting-role", "role-not-assigned":
			if r.Alert <= r.Seq || r.Delivered <= r.Alert || r.Delay < 0 || r.Delay > 60000 || !strings.HasPrefix(r.Delivery, "delivered via pager (alerts.log line ") {
				t.Errorf("refusal %d (%s): alert %d, delivered %d after %d ms: %s", r.Seq, r.Code, r.Alert, r.Delivered, r.Delay, r.Delivery)
			}
			alerted[r.Act+" "+r.Code] = true
		default:
			if r.Alert != -1 || r.Delivery != "none recorded" {
				t.Errorf("refusal %d (%s) has an alert: %+v", r.Seq, r.Code, r)
			}
		}
	}
	if !alerted["propose conflicting-role"] || !alerted["note role-not-assigned"] {
		t.Errorf("alerted refusals in report.json: %v", alerted)
	}
	// The register rows hold the control register's changes and its end.
	var changes []string
	for _, r := range rep.Register {
		if r.Kind == "control" || r.Kind == "team" || r.Kind == "role" {
			changes = append(changes, r.Part+" "+r.Detail)
		}
	}
	regText := strings.Join(changes, "\n")
	for _, want := range []string{"change \"Payment risk limit\", material, governs payment; per_payment = 10000.00 EUR (amount)",
		"change \"Payment risk limit\", material, governs payment; per_payment = 25000.00 EUR (amount)", "change assign approve on payments-limit to risk.chen",
		"change unassign approve on payments-limit from risk.chen", "end assign approve on payments-limit to risk.ana", "end assign operate on payments-limit to team payments-ops"} {
		if !strings.Contains(regText, want) {
			t.Errorf("report.json's register lacks %q:\n%s", want, regText)
		}
	}
	if strings.Contains(regText, "end assign approve on payments-limit to risk.chen") {
		t.Errorf("the register at the end still has the approver who moved:\n%s", regText)
	}
	text, err = exec.Command("pdftotext", filepath.Join(dir, "report.pdf"), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat = strings.Join(strings.Fields(string(text)), " ")
	for _, want := range []string{"conflicting-role", "role-not-assigned: ops.dana does not hold audit", "after the attempt; delivered via pager (alerts.log line 1)",
		"control payments-limit", "payments-limit from risk.chen justification “Chen Wei moves to treasury”"} {
		if !strings.Contains(flat, want) {
			t.Errorf("report.pdf lacks %q", want)
		}
	}
	// Running it again replaces the earlier demo's directory.
	if code, _, errOut := demoRun("--out", dir, "--countersign", cs); code != exitOK {
		t.Errorf("second demo run exited %d: %s", code, errOut)
	}
	// A directory the demo did not make is left alone.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "precious.txt"), []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := demoRun("--out", other, "--countersign", cs); code == exitOK || !strings.Contains(errOut, "not empty") {
		t.Errorf("demo into a foreign directory: exit %d, %s", code, errOut)
	}
}

func TestDemoUsage(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "help", args: []string{"--help"}, code: exitOK, stdout: usage},
		{name: "stray argument", args: []string{"extra"}, code: exitUsage,
			stderr: "countersign-demo: error: countersign-demo takes no arguments, got \"extra\"\n"},
		{name: "unknown flag", args: []string{"--frobnicate"}, code: exitUsage,
			stderr: "countersign-demo: error: flag provided but not defined: -frobnicate\ncountersign-demo: hint: countersign-demo --help\n"},
		{name: "no countersign binary", args: []string{"--countersign", "/nonexistent/countersign"}, code: exitInput,
			stderr: "countersign-demo: error: no countersign binary at /nonexistent/countersign\ncountersign-demo: hint: make build (or go install ./cmd/countersign), or pass --countersign PATH\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := demoRun(tt.args...)
			if code != tt.code || out != tt.stdout || errOut != tt.stderr {
				t.Errorf("exit %d, stdout %q, stderr %q\nwant exit %d, stdout %q, stderr %q", code, out, errOut, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// countersign demo runs this binary when it sits beside countersign, as
// make install leaves them, and passes its exit code through.
func TestLaunchedByCountersign(t *testing.T) {
	cs := buildCountersign(t)
	demoBin := filepath.Join(filepath.Dir(cs), "countersign-demo")
	if out, err := exec.Command("go", "build", "-o", demoBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "demo")
	cmd := exec.Command(cs, "demo", "--out", dir)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Everything behaved as designed") {
		t.Fatalf("countersign demo: %v\n%s", err, out)
	}
	cmd = exec.Command(cs, "demo", "extra")
	out, _ = cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != exitUsage || !strings.Contains(string(out), "takes no arguments") {
		t.Fatalf("countersign demo extra: exit %d\n%s", code, out)
	}
}
