package main

import (
	"bytes"
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
