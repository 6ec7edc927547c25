package enforce_test

import (
	"bufio"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

const (
	crashEnv = "COUNTERSIGN_CRASH_CHILD"
	// crashModeEnv names where the child kills itself: "" (it does not; the
	// parent kills it at a random moment), "before-head" (after the
	// journal's sync, before the head is written), "torn-head" (part way
	// through writing the head), "head-unsynced" (head written, not
	// synced). crashAtEnv is the head write at which it does.
	crashModeEnv = "COUNTERSIGN_CRASH_MODE"
	crashAtEnv   = "COUNTERSIGN_CRASH_AT"
	crashCutEnv  = "COUNTERSIGN_CRASH_CUT"
)

// killingHeads is the child's head store: at the chosen head write it
// kills its own process at the chosen point.
type killingHeads struct {
	*enforce.FileHeadStore
	mode  string
	at, n int
	cut   int
}

func (k *killingHeads) StoreHead(seq int64, head []byte) error {
	k.n++
	if k.n == k.at {
		switch k.mode {
		case "before-head":
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case "torn-head", "head-unsynced":
			enforce.SetTornHeadWrite(func(f *os.File, off int64, slot []byte) {
				if k.mode == "torn-head" {
					slot = slot[:k.cut%len(slot)]
				}
				_, _ = f.WriteAt(slot, off)
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			})
		}
	}
	return k.FileHeadStore.StoreHead(seq, head)
}

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// crashChild appends proposals as fast as it can and reports each
// acknowledged record on stdout, until it is killed.
func crashChild(dir string) {
	t := &testing.T{}
	o := &org{t: t, keys: map[string]ed25519.PrivateKey{}, ppl: map[string]format.Principal{}, clock: time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)}
	at, _ := strconv.Atoi(os.Getenv(crashAtEnv))
	cut, _ := strconv.Atoi(os.Getenv(crashCutEnv))
	heads := &killingHeads{FileHeadStore: headOf(dir), mode: os.Getenv(crashModeEnv), at: at, cut: cut}
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), Clock: o.now, SealEvery: 5, HeadStore: heads})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	o.core = core
	o.keys["agent.payments"] = key("agent.payments")
	o.ppl["agent.payments"] = format.Principal{ID: "agent.payments", Kind: format.KindAgent, Name: "Payments Agent", Team: "payments"}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		run := fmt.Sprintf("crash-%d-%d", os.Getpid(), i)
		d, err := o.propose(run, "agent.payments", payment("10.00"), nil, "")
		if err != nil {
			fmt.Fprintln(w, "error", err)
			w.Flush()
			os.Exit(1)
		}
		fmt.Fprintf(w, "ack %d\n", d.Outcome)
		w.Flush()
	}
}

// TestCrashRecovery kills a writing child with SIGKILL, at random moments
// and at the points between the journal's sync and the head's: after the
// journal sync, part way through the head write, and after the head write
// before its sync. After each kill it checks that recovery yields a bundle
// that verifies pinned and holds every record the child acknowledged.
func TestCrashRecovery(t *testing.T) {
	perMode := map[string]int{"": 40, "before-head": 10, "torn-head": 10, "head-unsynced": 10}
	if testing.Short() {
		perMode = map[string]int{"": 10, "before-head": 3, "torn-head": 3, "head-unsynced": 3}
	}
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.approvePolicy()
	genesis := o.core.Genesis().String()
	if err := o.core.Close(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	var modes []string
	for _, m := range []string{"", "before-head", "torn-head", "head-unsynced"} {
		for i := 0; i < perMode[m]; i++ {
			modes = append(modes, m)
		}
	}
	rng.Shuffle(len(modes), func(i, j int) { modes[i], modes[j] = modes[j], modes[i] })
	for k, mode := range modes {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashModeEnv+"="+mode,
			crashAtEnv+"="+strconv.Itoa(1+rng.Intn(25)), crashCutEnv+"="+strconv.Itoa(1+rng.Intn(600)))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := int64(-1)
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		wait := time.Duration(5+rng.Intn(60)) * time.Millisecond
		if mode != "" {
			wait = 20 * time.Second // the child kills itself
		}
		deadline := time.After(wait)
		killed := false
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				if seq, found := strings.CutPrefix(l, "ack "); found {
					acked, _ = strconv.ParseInt(seq, 10, 64)
				} else {
					t.Fatalf("child: %s", l)
				}
			case <-deadline:
				_ = cmd.Process.Signal(syscall.SIGKILL)
				killed = true
				break read
			}
		}
		for range lines {
			// An ack already written after the kill signal still counts.
		}
		_ = cmd.Wait()
		if mode != "" {
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if killed || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("kill %d (%s): the child did not kill itself at its kill point", k, mode)
			}
		}

		core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir)})
		if err != nil {
			t.Fatalf("kill %d (%q): recovery failed: %v", k, mode, err)
		}
		res := verifyCore(t, core)
		if res.Verdict != verifier.VerdictPass || res.Bundle.Genesis != genesis {
			t.Fatalf("kill %d (%q): recovered bundle does not verify: %+v", k, mode, res.Findings)
		}
		if res.Counts.Records <= acked {
			t.Fatalf("kill %d (%q): record %d was acknowledged but the recovered bundle has %d records", k, mode, acked, res.Counts.Records)
		}
		core.Close()
	}
	t.Logf("%d SIGKILLs (%v per kill point, \"\" random), every recovery verified and kept every acknowledged record", len(modes), perMode)
}

// TestJournalLocked: two processes (here, two opens) cannot write one
// journal.
func TestJournalLocked(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	defer o.core.Close()
	_, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir)})
	if !errors.Is(err, enforce.ErrLocked) {
		t.Fatalf("second open: want ErrLocked, got %v", err)
	}
}

// TestTornTailDropped: a half-written last record (a crash mid-write) is
// dropped on recovery; it was never acknowledged.
func TestTornTailDropped(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	before := verifyCore(t, o.core).Counts.Records
	o.core.Close()
	f, err := os.OpenFile(dir+"/journal.csj", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":99,"time":"2026-11-02T09:`)
	f.Close()
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir)})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	res := verifyCore(t, core)
	if res.Verdict != verifier.VerdictPass || res.Counts.Records != before {
		t.Fatalf("after torn tail: verdict %s, %d records (want %d)", res.Verdict, res.Counts.Records, before)
	}
}
