// Package scripts holds the shell scripts the Makefile runs; its tests run
// them as make does.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// toolsUsed lists the commands the preflight must insist on.
var toolsUsed = []string{"go", "git", "gcc", "zstd", "make", "soffice", "qpdf", "pdfinfo", "pdftotext", "pdfdetach", "pdffonts", "pdftoppm", "tmux"}

// restrictedPath returns a directory holding links to sh and every tool in
// toolsUsed except drop.
func restrictedPath(t *testing.T, drop string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range append([]string{"sh"}, toolsUsed...) {
		if name == drop {
			continue
		}
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatalf("%s is not installed here (.ci/run installs it): %v", name, err)
		}
		if err := os.Symlink(p, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runPreflight(t *testing.T, path string) (string, error) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sh, "./preflight")
	cmd.Env = append(os.Environ(), "PATH="+path)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPreflightNamesMissingTool(t *testing.T) {
	for _, tool := range toolsUsed {
		t.Run(tool, func(t *testing.T) {
			out, err := runPreflight(t, restrictedPath(t, tool))
			if err == nil {
				t.Fatalf("preflight passed without %s:\n%s", tool, out)
			}
			if want := "missing tool: " + tool + " "; !strings.Contains(out, want) {
				t.Fatalf("preflight output does not name %s:\n%s", tool, out)
			}
		})
	}
}

func TestPreflightPassesWithEveryTool(t *testing.T) {
	out, err := runPreflight(t, restrictedPath(t, ""))
	if err != nil {
		t.Fatalf("preflight failed with every tool present: %v\n%s", err, out)
	}
}

// The tool list the test insists on and the one .ci/run installs from must
// be the same list.
func TestToolListMatches(t *testing.T) {
	b, err := os.ReadFile("../.ci/tools")
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		listed = append(listed, f[0])
	}
	if strings.Join(listed, " ") != strings.Join(toolsUsed, " ") {
		t.Fatalf(".ci/tools lists %v, the test checks %v", listed, toolsUsed)
	}
}
