package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// asCLI makes this test binary act as the countersign executable, so the
// demo's signers (which run os.Executable) run the real sign command.
const asCLI = "COUNTERSIGN_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestDemo runs the demo end to end, then checks its bundle and the
// tampered copy with the verify command, as a reader of the README would.
func TestDemo(t *testing.T) {
	t.Setenv(asCLI, "1")
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errOut := cli(t, nil, nil, "demo", "--out", dir)
	if code != exitOK {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"REFUSED  self-approval", "REFUSED  human-required", "REFUSED  quorum-not-met",
		"separate `countersign sign` process", "PASS  evidence.csb", "FAIL  evidence-tampered.csb", "INT-ENVELOPE",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	for _, f := range []string{"evidence.csb", "evidence-tampered.csb", "trust.txt", "keys/risk.ana.key", "signatures/pay-0001-stage2-risk.ana.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("demo did not write %s: %v", f, err)
		}
	}
	trust := "@" + filepath.Join(dir, "trust.txt")
	if code, out, _ := cli(t, nil, nil, "verify", "--trust", trust, filepath.Join(dir, "evidence.csb")); code != exitOK {
		t.Errorf("verify evidence.csb exited %d:\n%s", code, out)
	}
	code, out, _ = cli(t, nil, nil, "verify", "--trust", trust, filepath.Join(dir, "evidence-tampered.csb"))
	if code != exitFail || !strings.Contains(out, "INT-ENVELOPE  records 29") {
		t.Errorf("verify evidence-tampered.csb exited %d, want 1 naming record 29:\n%s", code, out)
	}
	// Running it again replaces the earlier demo's directory.
	if code, _, errOut := cli(t, nil, nil, "demo", "--out", dir); code != exitOK {
		t.Errorf("second demo run exited %d: %s", code, errOut)
	}
	// A directory the demo did not make is left alone.
	other := t.TempDir()
	write(t, other, "precious.txt", []byte("keep me"))
	if code, _, errOut := cli(t, nil, nil, "demo", "--out", other); code == exitOK || !strings.Contains(errOut, "not empty") {
		t.Errorf("demo into a foreign directory: exit %d, %s", code, errOut)
	}
}
