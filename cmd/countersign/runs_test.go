package main

import (
	"encoding/json"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// TestInspectRuns pins the whole runs view of the demonstration's bundle
// and of its tampered copy (built by fixtures.Demo with the fixture keys,
// so the transcripts are stable), and the view's errors.
func TestInspectRuns(t *testing.T) {
	dir := t.TempDir()
	good, tampered, genesis, _ := fixtures.Demo()
	bundle := write(t, dir, "evidence.csb", good)
	bad := write(t, dir, "evidence-tampered.csb", tampered)
	fp := genesis.String()
	other := fixtures.New(fixtures.Options{BundleID: "other"}).Genesis().String()

	// A run whose reason and printed name carry terminal controls.
	b := fixtures.New(fixtures.Options{})
	b.Person("ops.dana", format.KindHuman, "operations")
	r := &fixtures.Run{B: b, ID: "run-\x1b[2J", Maker: "ops.dana", Action: []byte(`{"class":"change.policy","version":1,"control":"c\u202e","grants":[],"gates":[]}`)}
	r.Propose()
	r.Gate(0, "governance", []format.Stage{{Stage: 1, N: 2, Pool: []string{"reg.alex", "reg.bea"}, Meaning: format.MeaningApproval, Human: true}})
	r.Signoff("reg.alex", 1, format.MeaningApproval, "fine\x1b[31m red \u202eevil", true, "ok")
	hostile := write(t, dir, "hostile.csb", b.Bundle())

	runCases(t, []cliCase{
		{name: "verify demo", args: []string{"verify", "--trust", fp, bundle}, code: exitOK, out: []string{"PASS"}},
		{name: "verify demo tampered", args: []string{"verify", "--trust", fp, bad}, code: exitFail,
			out: []string{"FAIL", "INT-ENVELOPE", "record 29", "failed integrity and count for nothing"}},
		{name: "selftest", args: []string{"selftest"}, code: exitOK, maskHex: true, out: []string{"matched their expectation, 0 did not"}},
		{name: "demo pinned", args: []string{"inspect", "--runs", "--trust", fp, bundle}, code: exitOK,
			out:    []string{`run "pay-0001" (payment): executed; 7 attempts, 3 refused; every record ok`, "REFUSED self-approval", "REFUSED human-required", "REFUSED quorum-not-met", `by risk.ana "Ana Ribeiro" (human)`, `"supplier verified against the vendor master; amount within budget"`, "verification  PASS"},
			notOut: []string{"UNAUTHENTICATED", "NOT INTACT"}},
		{name: "demo tampered", args: []string{"inspect", "--runs", "--trust", fp, bad}, code: exitOK,
			out: []string{"findings on records 19, 29, 30, 31, 35", "[NOT INTACT]", "! INT-ENVELOPE  record 29", "NOT INTACT records failed integrity", "verification  FAIL"}},
		{name: "demo unauthenticated", args: []string{"inspect", "--runs", "--unsafe-no-trust", bundle}, code: exitOK,
			out: []string{"UNAUTHENTICATED: nothing is pinned (--unsafe-no-trust); approvals from an unauthenticated bundle are not facts"}},
		{name: "one run", args: []string{"inspect", "--run", "policy-v1", "--trust", fp, bundle}, code: exitOK,
			out: []string{`run "policy-v1" (change.policy)`, "1 run: 1 executed"}, notOut: []string{"pay-0001"}},
		{name: "one run as JSON", args: []string{"inspect", "--run", "pay-0001", "--trust", fp, "--json", bundle}, code: exitOK, outJSON: true,
			out: []string{`"format":"countersign-runs"`, `"run":"pay-0001"`, `"reason":"supplier verified against the vendor master; amount within budget"`}},
		{name: "unknown run", args: []string{"inspect", "--run", "pay-9999", "--trust", fp, bundle}, code: exitFail,
			errOut: []string{`has no run "pay-9999"`}},
		{name: "wrong pin", args: []string{"inspect", "--runs", "--trust", other, bundle}, code: exitOK,
			out: []string{"NOT AUTHENTIC: the bundle is not the one pinned"}},
		{name: "no trust", args: []string{"inspect", "--runs", bundle}, code: exitUsage,
			errOut: []string{"inspect --runs needs --trust FP, or --unsafe-no-trust"}},
		{name: "trust without runs", args: []string{"inspect", "--trust", fp, bundle}, code: exitUsage, errOut: []string{"go with --runs"}},
		{name: "trust and unsafe", args: []string{"inspect", "--runs", "--trust", fp, "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"exclude each other"}},
		{name: "empty run ID", args: []string{"inspect", "--run", "", "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"--run needs a run ID"}},
		{name: "escaped", args: []string{"inspect", "--runs", "--unsafe-no-trust", hostile}, code: exitOK,
			out: []string{`run "run-\x1b[2J"`, `"fine\x1b[31m red \u202eevil"`}, notOut: []string{"\x1b", "\u202e"}},
		{name: "escaped JSON", args: []string{"inspect", "--runs", "--unsafe-no-trust", "--json", hostile}, code: exitOK, outJSON: true,
			notOut: []string{"\x1b", "\u202e"}},
	})
}

// The JSON runs document is one JSON value: the runs, then the result.
func TestInspectRunsJSON(t *testing.T) {
	dir := t.TempDir()
	good, _, genesis, _ := fixtures.Demo()
	bundle := write(t, dir, "evidence.csb", good)
	code, out, errOut := cli(t, nil, nil, "inspect", "--runs", "--trust", genesis.String(), "--json", bundle)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Format string `json:"format"`
		Trust  string `json:"trust"`
		Runs   []struct {
			Run      string `json:"run"`
			State    string `json:"state"`
			Attempts []struct {
				Outcome struct {
					Code string `json:"code"`
				} `json:"outcome"`
			} `json:"attempts"`
		} `json:"runs"`
		Result struct {
			Verdict string `json:"verdict"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Format != runsFormat || doc.Trust != "pinned" || len(doc.Runs) != 2 || doc.Runs[1].Run != "pay-0001" || doc.Runs[1].State != "executed" ||
		len(doc.Runs[1].Attempts) != 7 || doc.Runs[1].Attempts[0].Outcome.Code != "self-approval" || doc.Result.Verdict != "pass" {
		t.Errorf("runs document: %+v", doc)
	}
}
