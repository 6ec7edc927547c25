// Command countersign-bench measures verification against the machine's
// own signature-checking bound. For each size it generates a realistic
// bundle once (kept in -dir), verifies it in a child process (so peak
// memory is the child's maximum resident set), and runs a bare loop of
// crypto/ed25519.Verify over signatures taken from the same bundle on all
// cores. It prints records and signatures per second, the bare bound, the
// ratio, and peak memory. With the countersign binary at -countersign (make
// bench builds it), it also times `countersign verify` and `countersign
// inspect --runs --json` on the same bundle, each in a child process with
// its peak memory: the runs view streams, so its memory follows the runs
// open at once, not the bundle's length; and `countersign report --month`
// (the monthly conflict report) as JSON, and as JSON, XLSX and PDF.
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

func main() {
	records := flag.String("records", "1000000", "comma-separated bundle sizes, in records")
	dir := flag.String("dir", "bench", "where generated bundles are kept")
	one := flag.String("verify-one", "", "internal: verify this bundle and print a JSON summary")
	trust := flag.String("trust", "", "internal: genesis fingerprint for -verify-one")
	flag.StringVar(&countersignBin, "countersign", "bin/countersign", "the countersign binary whose verify and inspect --runs are timed (skipped when absent)")
	flag.Parse()
	if *one != "" {
		os.Exit(verifyOne(*one, *trust))
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fail(err)
	}
	fmt.Printf("cores: %d (GOMAXPROCS %d)\n", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	for _, s := range strings.Split(*records, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			fail(err)
		}
		if err := bench(*dir, n); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "countersign-bench: error:", err)
	os.Exit(1)
}

func bench(dir string, n int64) error {
	file := filepath.Join(dir, fmt.Sprintf("realistic-%d.csb", n))
	trustFile := file + ".trust"
	if _, err := os.Stat(trustFile); err != nil {
		fmt.Printf("\ngenerating %s ...\n", file)
		start := time.Now()
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		g, err := fixtures.Realistic(f, n)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(trustFile, []byte(g.String()), 0o644); err != nil {
			return err
		}
		fmt.Printf("generated in %s\n", time.Since(start).Round(time.Millisecond))
	}
	fp, err := os.ReadFile(trustFile)
	if err != nil {
		return err
	}
	st, _ := os.Stat(file)
	fmt.Printf("\n== %d records (%s, %.1f MB)\n", n, file, float64(st.Size())/1e6)

	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-verify-one", file, "-trust", string(fp))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("verification child: %w", err)
	}
	var sum summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return err
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux

	bare, err := bareBound(file)
	if err != nil {
		return err
	}
	sigRate := float64(sum.Signatures) / sum.Seconds
	fmt.Printf("verifier:   verdict %s, %.1f s, %.0f records/s, %.0f signatures/s\n", sum.Verdict, sum.Seconds, float64(sum.Records)/sum.Seconds, sigRate)
	fmt.Printf("bare bound: %.0f ed25519.Verify/s on %d goroutines (same signatures)\n", bare, runtime.GOMAXPROCS(0))
	fmt.Printf("ratio:      %.2f of the signature bound\n", sigRate/bare)
	fmt.Printf("peak RSS:   %.1f MB\n", float64(rss)/1024)
	return timeCLI(file, strings.TrimSpace(string(fp)))
}

// benchMonth is the month the realistic bundles' records fall in (from
// fixtures.Epoch, one record a second).
const benchMonth = "2026-11"

// countersignBin is the binary timeCLI runs.
var countersignBin string

// timeCLI runs the command line's verify and inspect --runs --json on file,
// output discarded, and prints each one's wall time and peak memory.
func timeCLI(file, fp string) error {
	if _, err := os.Stat(countersignBin); err != nil {
		fmt.Printf("command line: skipped (no countersign binary at %s; make build)\n", countersignBin)
		return nil
	}
	out := strings.TrimSuffix(file, ".csb") + "-report"
	defer os.Remove(out + ".json")
	defer os.Remove(out + ".xlsx")
	defer os.Remove(out + ".pdf")
	for _, run := range []struct {
		label string
		args  []string
	}{
		{"countersign verify:", []string{"verify", "--trust", fp, file}},
		{"inspect --runs --json:", []string{"inspect", "--runs", "--trust", fp, "--json", file}},
		// The monthly conflict report: one pass over the bundle (which it
		// verifies), rows spooled to disk, then each renderer.
		{"report --month, JSON:", []string{"report", "--month", benchMonth, "--trust", fp, "--json", out + ".json", file}},
		{"report --month, all:", []string{"report", "--month", benchMonth, "--trust", fp, "--json", out + ".json", "--xlsx", out + ".xlsx", "--pdf", out + ".pdf", file}},
	} {
		args := run.args
		cmd := exec.Command(countersignBin, args...)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if cmd.ProcessState == nil {
			return fmt.Errorf("countersign %s: %w", args[0], err)
		}
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("countersign %s exited %d", args[0], code)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
		fmt.Printf("%-23s %.1f s, peak RSS %.1f MB\n", run.label, took.Seconds(), float64(rss)/1024)
	}
	return nil
}

type summary struct {
	Verdict    string  `json:"verdict"`
	Records    int64   `json:"records"`
	Signatures int64   `json:"signatures"`
	Seconds    float64 `json:"seconds"`
}

func verifyOne(file, fp string) int {
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	defer f.Close()
	trust, err := verifier.PinGenesis(strings.TrimSpace(fp))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	start := time.Now()
	res, err := verifier.Verify(context.Background(), f, trust, verifier.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	sec := time.Since(start).Seconds()
	b, _ := json.Marshal(summary{Verdict: res.Verdict, Records: res.Counts.Records, Signatures: res.Counts.Signatures, Seconds: sec})
	fmt.Println(string(b))
	return 0
}

type sigJob struct {
	pub ed25519.PublicKey
	msg []byte
	sig []byte
}

// bareBound collects up to 100,000 signatures from the start of the bundle
// (envelopes and statements, with their real keys and messages) and
// verifies them in a loop on all cores for a few seconds.
func bareBound(file string) (float64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rd := format.NewReader(f)
	defer rd.Close()
	keys := map[format.Hash]ed25519.PublicKey{}
	var jobs []sigJob
	for len(jobs) < 100000 {
		l, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if format.IsTrailer(l.Bytes) {
			continue
		}
		rec, err := format.ParseRecord(append([]byte{}, l.Bytes...))
		if err != nil {
			return 0, err
		}
		body, _ := format.DecodeBody(rec.Type, rec.Body, format.Strict)
		switch b := body.(type) {
		case *format.Genesis:
			pub, _ := format.ParsePublicKey(b.LogKey)
			keys[format.KeyIDOf(pub)] = pub
			for _, r := range b.Registrars {
				p, _ := format.ParsePublicKey(r.Key)
				keys[format.KeyIDOf(p)] = p
			}
		case *format.Enrolment:
			p, _ := format.ParsePublicKey(b.Key)
			keys[format.KeyIDOf(p)] = p
		}
		jobs = append(jobs, sigJob{keys[rec.LKey], format.Message(format.PrefixEnvelope, rec.Unsigned()), rec.LSig})
		for _, s := range rec.Sigs {
			if k := keys[s.Key]; k != nil {
				jobs = append(jobs, sigJob{k, format.Message(format.PrefixStatement, s.Stmt), s.Sig})
			}
		}
	}
	var count atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(5 * time.Second)
	start := time.Now()
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; time.Now().Before(stop); i++ {
				j := jobs[i%len(jobs)]
				if !ed25519.Verify(j.pub, j.msg, j.sig) {
					panic("a signature from the bundle does not verify")
				}
				count.Add(1)
			}
		}(w)
	}
	wg.Wait()
	return float64(count.Load()) / time.Since(start).Seconds(), nil
}
