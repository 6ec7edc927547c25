package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestToolTamper edits a bundle the way someone with standard tools would:
// `zstd -dc`, change one character in a line, `zstd` again (which drops the
// seek table and the frame layout). verify must exit 1 and name the
// record; dropping the last line (the final seal) must too.
func TestToolTamper(t *testing.T) {
	b, note := sample()
	dir := t.TempDir()
	bundle := write(t, dir, "b.csb", b.Bundle())
	plain, err := exec.Command("zstd", "-dc", bundle).Output()
	if err != nil {
		t.Fatalf("zstd -dc: %v", err)
	}
	lines := bytes.Split(bytes.TrimSuffix(plain, []byte("\n")), []byte("\n"))
	recompress := func(name string, ls [][]byte) string {
		t.Helper()
		in := append(bytes.Join(ls, []byte("\n")), '\n')
		cmd := exec.Command("zstd", "-q", "-c")
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		return write(t, dir, name, out)
	}
	edited := append([][]byte{}, lines...)
	edited[note] = bytes.Replace(append([]byte{}, lines[note]...), []byte("a note"), []byte("A note"), 1)
	trust := b.Genesis().String()

	code, out, _ := cli(t, nil, nil, "verify", "--trust", trust, recompress("edited.csb", edited))
	if code != exitFail || !regexp.MustCompile(`INT-ENVELOPE +record `+strconv.FormatInt(note, 10)+` `).MatchString(out) {
		t.Errorf("edited line: exit %d, want 1 naming record %d:\n%s", code, note, out)
	}
	code, out, _ = cli(t, nil, nil, "verify", "--trust", trust, recompress("cut.csb", lines[:len(lines)-1]))
	last := int64(len(lines) - 2)
	if code != exitFail || !regexp.MustCompile(`INT-FINAL-SEAL +record `+strconv.FormatInt(last, 10)+` `).MatchString(out) {
		t.Errorf("last line dropped: exit %d, want 1 naming record %d:\n%s", code, last, out)
	}
	// Unedited but recompressed: the records verify, the container does not.
	code, out, _ = cli(t, nil, nil, "verify", "--trust", trust, recompress("same.csb", lines))
	if code != exitFail || !strings.Contains(out, "INT-CONTAINER") || strings.Contains(out, "INT-ENVELOPE") {
		t.Errorf("recompressed: exit %d, want 1 with only container findings:\n%s", code, out)
	}
	_ = os.Remove(filepath.Join(dir, "same.csb"))
}

// TestRecompressedWithZstd rewrites bundles with the standard zstd tool,
// as someone would who decompresses and compresses a file again: at levels
// 1 and 19 the bundle gets a verdict (exit 1) with container findings that
// say the container was rewritten, whether its content is a few kilobytes
// or over 4 MiB; with --long=27 from a pipe the window is over the format's
// limit, which is not a bundle (exit 3) in the format's own words.
func TestRecompressedWithZstd(t *testing.T) {
	dir := t.TempDir()
	b, _ := sample()
	small := write(t, dir, "small.csb", b.Bundle())
	const vectors = "../../fixtures/vectors/"
	large := vectors + "recompressed-single-frame.csb"
	largeTrust := vectorTrust(t, vectors+"recompressed-single-frame.expect.json")
	rewrite := func(name, in string, level ...string) string {
		t.Helper()
		plain, err := exec.Command("zstd", "-q", "-dc", in).Output()
		if err != nil {
			t.Fatalf("zstd -dc %s: %v", in, err)
		}
		if len(plain) == 0 {
			t.Fatalf("zstd -dc %s: no output", in)
		}
		cmd := exec.Command("zstd", append([]string{"-q", "-c"}, level...)...)
		cmd.Stdin = bytes.NewReader(plain)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("zstd %v: %v", level, err)
		}
		return write(t, dir, name, out)
	}
	rewritten := "frame does not declare its content size, which a bundle writer always does: the container was rewritten"
	over := "frame decompresses to more than the 4194304 bytes a bundle writer puts in one frame: the container was rewritten"
	library := []string{"window size exceeded", "exceeds configured limit", "frame size", "zstd:"}
	smallTrust := b.Genesis().String()
	runCases(t, []cliCase{
		{name: "small -1", args: []string{"verify", "--trust", smallTrust, rewrite("small-1.csb", small, "-1")}, code: exitFail, maskSizes: true,
			out: []string{"FAIL", rewritten, "seek table missing"}, notOut: append([]string{"INT-ENVELOPE", "INT-CHAIN", over}, library...)},
		{name: "small -19", args: []string{"verify", "--trust", smallTrust, rewrite("small-19.csb", small, "-19")}, code: exitFail, maskSizes: true,
			out: []string{"FAIL", rewritten, "seek table missing"}, notOut: append([]string{"INT-ENVELOPE", "INT-CHAIN", over}, library...)},
		{name: "over 4 MiB -1", args: []string{"verify", "--trust", largeTrust, rewrite("large-1.csb", large, "-1")}, code: exitFail, maskSizes: true,
			out: []string{"FAIL", rewritten, over, "seek table missing"}, notOut: append([]string{"INT-ENVELOPE", "INT-CHAIN", "bomb"}, library...)},
		{name: "over 4 MiB -19", args: []string{"verify", "--trust", largeTrust, rewrite("large-19.csb", large, "-19")}, code: exitFail, maskSizes: true,
			out: []string{"FAIL", rewritten, over, "seek table missing"}, notOut: append([]string{"INT-ENVELOPE", "INT-CHAIN", "bomb"}, library...)},
		{name: "window over the limit", args: []string{"verify", "--trust", smallTrust, rewrite("long.csb", small, "-1", "--long=27")}, code: exitInput, maskSizes: true,
			errOut: []string{"frame needs a window of 134217728 bytes; a bundle allows at most 8388608"}, notErr: library},
	})
}

// TestPeriodicCheckpoint checks a bundle against checkpoints that are
// periodic seals rather than trailers.
func TestPeriodicCheckpoint(t *testing.T) {
	const vectors = "../../fixtures/vectors/"
	// valid-minimal's record 3 is the periodic seal the vector
	// extends-periodic-checkpoint (valid-minimal itself) is checked against.
	want, err := os.ReadFile(vectors + "extends-periodic-checkpoint.checkpoint")
	if err != nil || len(want) < 100 {
		t.Fatalf("checkpoint vector: %v", err)
	}
	c := func(name, vector string, code int, out ...string) cliCase {
		return cliCase{name: name, code: code, out: out, args: []string{"verify", "--trust", vectorTrust(t, vectors+vector+".expect.json"),
			"--checkpoint", vectors + vector + ".checkpoint", vectors + vector + ".csb"}}
	}
	runCases(t, []cliCase{
		c("extends", "extends-periodic-checkpoint", exitOK, "PASS"),
		c("fork", "fork-against-periodic-checkpoint", exitFail, "INT-CHECKPOINT"),
		c("withheld", "withheld-against-periodic-checkpoint", exitFail, "INT-CHECKPOINT"),
		{name: "print a periodic seal", args: []string{"checkpoint", "--at", "3", vectors + "valid-minimal.csb"}, code: exitOK,
			out: []string{strings.TrimSpace(string(want))}},
		{name: "not a seal", args: []string{"checkpoint", "--at", "2", vectors + "valid-minimal.csb"}, code: exitFail,
			errOut: []string{`record 2 is of type "enrolment", not a periodic seal`}},
		{name: "past the end", args: []string{"checkpoint", "--at", "9", vectors + "valid-minimal.csb"}, code: exitFail,
			errOut: []string{"it has no record 9"}},
		{name: "from stdin", args: []string{"checkpoint", "--at", "3", "-"}, code: exitUsage,
			errOut: []string{"give a file, not -"}},
	})
}

// vectorTrust reads a vector's trust root from its expectation file.
func vectorTrust(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var e struct {
		Trust string `json:"trust"`
	}
	if err := json.Unmarshal(b, &e); err != nil || e.Trust == "" {
		t.Fatalf("%s: no trust root (%v)", path, err)
	}
	return e.Trust
}
