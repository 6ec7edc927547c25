// Command countersign-bench measures verification against the machine's
// own signature-checking bound. For each size it generates a realistic
// bundle once (kept in -dir) and verifies it in a child process (so peak
// memory is the child's maximum resident set). The bound is a bare loop of
// crypto/ed25519.Verify over signatures taken from the same bundle on all
// cores, run just before and just after the child, so that both see the
// same neighbours; the ratio is given both in wall time (verifier
// signatures/s over the bound's) and CPU-time normalised (signatures per
// CPU-second of each), since a neighbour's load moves the second much
// less. It prints records and signatures per second, the bound, the
// ratios, peak memory and the load average, and does the same for a
// hostile bundle whose log key spoils one signature in every batch. With
// the countersign binary at -countersign (make bench builds it), it also
// times `countersign verify` and `countersign inspect --runs --json` on the
// same bundle, each in a child process with its peak memory, and `countersign
// report --month` (the monthly conflict report) as JSON, and as JSON, XLSX
// and PDF.
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
	hostile := flag.Int64("hostile", 1000000, "records of the hostile bundle (0: none)")
	spoil := flag.Int("spoil", 128, "the hostile bundle spoils one log-key signature in every this many")
	genOnly := flag.Bool("generate-only", false, "generate the bundles that are missing, measure nothing")
	boundOne := flag.String("bound-one", "", "internal: run the bare bound over this bundle's signatures and print a JSON summary")
	flag.Parse()
	generateOnly = *genOnly
	if *boundOne != "" {
		os.Exit(boundChild(*boundOne))
	}
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
		if err := bench(*dir, n, 0); err != nil {
			fail(err)
		}
	}
	if *hostile > 0 {
		if err := bench(*dir, *hostile, *spoil); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "countersign-bench: error:", err)
	os.Exit(1)
}

func bench(dir string, n int64, spoil int) error {
	file := filepath.Join(dir, fmt.Sprintf("realistic-%d.csb", n))
	if spoil > 0 {
		file = filepath.Join(dir, fmt.Sprintf("hostile-%d-spoil-%d.csb", n, spoil))
	}
	trustFile := file + ".trust"
	if _, err := os.Stat(trustFile); err != nil {
		fmt.Printf("\ngenerating %s ...\n", file)
		start := time.Now()
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		var g format.Hash
		if spoil > 0 {
			g, err = fixtures.RealisticSpoiled(f, n, spoil)
		} else {
			g, err = fixtures.Realistic(f, n)
		}
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
	if generateOnly {
		return nil
	}
	fp, err := os.ReadFile(trustFile)
	if err != nil {
		return err
	}
	st, _ := os.Stat(file)
	if spoil > 0 {
		fmt.Printf("\n== hostile: %d records, one log-key signature in every %d wrong (%s, %.1f MB)\n", n, spoil, file, float64(st.Size())/1e6)
	} else {
		fmt.Printf("\n== %d records (%s, %.1f MB)\n", n, file, float64(st.Size())/1e6)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	load0 := loadAvg()
	// The bound, the verifier, the bound again: one sitting. Each runs in
	// a child of its own, and this process stays small: a child's peak
	// resident set counts its parent's at the moment it was started.
	before, err := runBound(exe, file)
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, "-verify-one", file, "-trust", string(fp))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("verification child: %w", err)
	}
	after, err := runBound(exe, file)
	if err != nil {
		return err
	}
	load1 := loadAvg()
	var sum summary
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		return err
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	rss := ru.Maxrss // KiB on Linux
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()

	bare := bound{Sigs: before.Sigs + after.Sigs, Wall: before.Wall + after.Wall, CPU: before.CPU + after.CPU}
	bareRate, bareCPU := float64(bare.Sigs)/bare.Wall, float64(bare.Sigs)/bare.CPU
	sigRate := float64(sum.Signatures) / sum.Seconds
	sigCPU := float64(sum.Signatures) / cpu
	fmt.Printf("load:       %s before, %s after\n", load0, load1)
	fmt.Printf("verifier:   verdict %s, %d findings (+%d omitted), %.1f s, %.0f records/s, %.0f signatures/s; %.1f CPU-s (%.2f cores), %.0f signatures/CPU-s\n",
		sum.Verdict, sum.Findings, sum.Omitted, sum.Seconds, float64(sum.Records)/sum.Seconds, sigRate, cpu, cpu/sum.Seconds, sigCPU)
	fmt.Printf("bare bound: %.0f ed25519.Verify/s on %d goroutines (%.0f before, %.0f after the verifier), %.0f per CPU-s\n",
		bareRate, runtime.GOMAXPROCS(0), float64(before.Sigs)/before.Wall, float64(after.Sigs)/after.Wall, bareCPU)
	fmt.Printf("ratio:      %.2f of the bound in signatures/s (wall, interleaved); %.2f per CPU-second\n", sigRate/bareRate, sigCPU/bareCPU)
	fmt.Printf("peak RSS:   %.1f MB\n", float64(rss)/1024)
	if spoil > 0 {
		return nil
	}
	return timeCLI(file, strings.TrimSpace(string(fp)))
}

// benchMonth is the month the realistic bundles' records fall in (from
// fixtures.Epoch, one record a second).
const benchMonth = "2026-11"

// runBound runs the bare bound in a child process.
func runBound(exe, file string) (bound, error) {
	cmd := exec.Command(exe, "-bound-one", file)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return bound{}, fmt.Errorf("bound child: %w", err)
	}
	var b bound
	if err := json.Unmarshal(out.Bytes(), &b); err != nil {
		return bound{}, err
	}
	return b, nil
}

// boundChild is the bound child's work: collect signatures, verify them
// in a loop for three seconds, print what it did.
func boundChild(file string) int {
	jobs, err := boundSignatures(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	b, _ := json.Marshal(bareBound(jobs, 3*time.Second))
	fmt.Println(string(b))
	return 0
}

// loadAvg is the machine's load average over 1, 5 and 15 minutes.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// generateOnly makes bench stop once its bundle exists.
var generateOnly bool

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
	Findings   int     `json:"findings"`
	Omitted    int     `json:"omitted"`
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
	b, _ := json.Marshal(summary{Verdict: res.Verdict, Records: res.Counts.Records, Signatures: res.Counts.Signatures,
		Findings: len(res.Findings), Omitted: res.FindingsOmitted, Seconds: sec})
	fmt.Println(string(b))
	return 0
}

type sigJob struct {
	pub ed25519.PublicKey
	msg []byte
	sig []byte
}

// boundSignatures collects up to 100,000 signatures from the start of the
// bundle (envelopes and statements, with their real keys and messages).
func boundSignatures(file string) ([]sigJob, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := format.NewReader(f)
	defer rd.Close()
	keys := map[format.Hash]ed25519.PublicKey{}
	var jobs []sigJob
	add := func(j sigJob) {
		if j.pub != nil {
			jobs = append(jobs, j)
		}
	}
	for len(jobs) < 100000 {
		l, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if format.IsTrailer(l.Bytes) {
			continue
		}
		rec, err := format.ParseRecord(append([]byte{}, l.Bytes...))
		if err != nil {
			return nil, err
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
		add(sigJob{keys[rec.LKey], format.Message(format.PrefixEnvelope, rec.Unsigned()), rec.LSig})
		for _, s := range rec.Sigs {
			add(sigJob{keys[s.Key], format.Message(format.PrefixStatement, s.Stmt), s.Sig})
		}
	}
	if len(jobs) == 0 {
		return nil, errors.New("no signature in the bundle to verify")
	}
	return jobs, nil
}

// bound is one run of the bare loop: signatures checked, wall and CPU
// seconds.
type bound struct {
	Sigs int64   `json:"sigs"`
	Wall float64 `json:"wall"`
	CPU  float64 `json:"cpu"`
}

// bareBound verifies jobs in a loop on all cores for about d.
func bareBound(jobs []sigJob, d time.Duration) bound {
	var count atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuSeconds()
	start := time.Now()
	stop := start.Add(d)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; time.Now().Before(stop); i++ {
				// A hostile bundle's wrong signatures cost the same.
				j := jobs[i%len(jobs)]
				ed25519.Verify(j.pub, j.msg, j.sig)
				count.Add(1)
			}
		}(w)
	}
	wg.Wait()
	return bound{Sigs: count.Load(), Wall: time.Since(start).Seconds(), CPU: cpuSeconds() - cpu0}
}

// cpuSeconds is the CPU time this process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
