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

const crashEnv = "COUNTERSIGN_CRASH_CHILD"

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
	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), Clock: o.now, SealEvery: 5, HeadStore: headOf(dir)})
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

// TestCrashRecovery kills a writing child with SIGKILL at random moments
// and checks, after each kill, that recovery yields a bundle that verifies
// and holds every record the child acknowledged.
func TestCrashRecovery(t *testing.T) {
	kills := 40
	if testing.Short() {
		kills = 10
	}
	dir := t.TempDir()
	o := newOrg(t, dir)
	o.approvePolicy()
	genesis := o.core.Genesis().String()
	if err := o.core.Close(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for k := 0; k < kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
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
		deadline := time.After(time.Duration(5+rng.Intn(60)) * time.Millisecond)
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
				break read
			}
		}
		for range lines {
			// An ack already written after the kill signal still counts.
		}
		_ = cmd.Wait()

		core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir)})
		if err != nil {
			t.Fatalf("kill %d: recovery failed: %v", k, err)
		}
		res := verifyCore(t, core)
		if res.Verdict != verifier.VerdictPass || res.Bundle.Genesis != genesis {
			t.Fatalf("kill %d: recovered bundle does not verify: %+v", k, res.Findings)
		}
		if res.Counts.Records <= acked {
			t.Fatalf("kill %d: record %d was acknowledged but the recovered bundle has %d records", k, acked, res.Counts.Records)
		}
		core.Close()
	}
	t.Logf("%d SIGKILLs, every recovery verified and kept every acknowledged record", kills)
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
