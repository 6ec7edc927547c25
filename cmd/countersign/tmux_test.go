package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tmuxSession drives the real binary in a terminal: a tmux server of its
// own (its own socket), one 80x24 window running one command line.
type tmuxSession struct {
	t      *testing.T
	socket string
	exit   string // file the shell writes the exit code to
}

func newTmux(t *testing.T, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is not installed (.ci/tools lists it; .ci/run installs it): %v", err)
	}
	dir := t.TempDir()
	s := &tmuxSession{t: t, socket: filepath.Join(dir, "tmux.sock"), exit: filepath.Join(dir, "exit")}
	script := fmt.Sprintf("%s; echo $? > %s; sleep 600", command, s.exit)
	s.run("-f", "/dev/null", "new-session", "-d", "-x", "80", "-y", "24", "sh", "-c", script)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// screen is what a person sees in the window now.
func (s *tmuxSession) screen() string { return s.run("capture-pane", "-p") }

// waitFor waits until the window shows every one of want.
func (s *tmuxSession) waitFor(want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		sc := s.screen()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(sc, w)
		}
		if ok {
			return sc
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the window never showed %q; it shows:\n%s", want, sc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	for _, k := range keys {
		s.run("send-keys", k)
		time.Sleep(80 * time.Millisecond) // so that Escape is not read as alt+ the next key
	}
}

// exitCode waits for the command to end and returns its exit code.
func (s *tmuxSession) exitCode() int {
	s.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(s.exit); err == nil && len(b) > 0 && b[len(b)-1] == '\n' {
			var code int
			if _, err := fmt.Sscan(string(b), &code); err != nil {
				s.t.Fatalf("exit file holds %q", b)
			}
			return code
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("the command did not end; the window shows:\n%s", s.screen())
	return -1
}

func buildCountersign(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "countersign")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func trustOf(t *testing.T, name string) string {
	t.Helper()
	return vectorTrust(t, filepath.Join("..", "..", "fixtures", "vectors", name+".expect.json"))
}

// The real binary in a real terminal, on fixture bundles: what a person
// sees on the screens they go to, and the exit code once they quit.
func TestBrowseInTmux(t *testing.T) {
	bin := buildCountersign(t)
	vec := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "..", "fixtures", "vectors", name+".csb"))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("pass", func(t *testing.T) {
		// stdout piped away: the browser draws on stderr.
		s := newTmux(t, fmt.Sprintf("NO_COLOR=1 %s browse --trust %s %s | cat > /dev/null", bin, trustOf(t, "log-key-rotation-valid"), vec("log-key-rotation-valid")))
		sc := s.waitFor("PASS", "sha-256", "authenticity established")
		if strings.Contains(sc, "UNAUTHENTICATED") {
			t.Errorf("a pinned bundle shows the unauthenticated banner:\n%s", sc)
		}
		s.keys("2")
		s.waitFor("log_key_rotation", "genesis", "enrolment")
		s.keys("j", "j", "j", "Enter")
		s.waitFor("record 3 of 7", "log key", "statement 1 of 1")
		s.keys("Escape")
		s.keys("4")
		s.waitFor("risk.ana", "log key")
		s.keys("G")
		s.waitFor("in force from record 3")
		s.keys("q")
		if code := s.exitCode(); code != 0 {
			t.Errorf("exit code %d after quitting a passing bundle, want 0", code)
		}
	})

	t.Run("fail", func(t *testing.T) {
		s := newTmux(t, fmt.Sprintf("NO_COLOR=1 %s browse --trust %s %s", bin, trustOf(t, "deleted-record"), vec("deleted-record")))
		s.waitFor("FAIL", "sha-256")
		s.keys("6")
		s.waitFor("integrity (the bundle's bytes, chain and signatures)", "INT-")
		s.keys("Enter")
		s.waitFor("filter \"records of INT-")
		s.keys("q")
		if code := s.exitCode(); code != 1 {
			t.Errorf("exit code %d after quitting a failed bundle, want 1", code)
		}
	})

	t.Run("unauthenticated", func(t *testing.T) {
		s := newTmux(t, fmt.Sprintf("%s browse --unsafe-no-trust %s", bin, vec("log-key-rotation-valid")))
		s.waitFor("UNAUTHENTICATED", "PASS")
		s.keys("3")
		s.waitFor("UNAUTHENTICATED")
		s.keys("q")
		if code := s.exitCode(); code != 0 {
			// --unsafe-no-trust verifies integrity only: verify exits 0 too.
			t.Errorf("exit code %d with --unsafe-no-trust on an intact bundle, want 0 as verify gives", code)
		}
	})
}
