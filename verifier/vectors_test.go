package verifier

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// vectorTrust is the trust root an expectation asks for.
func vectorTrust(t *testing.T, e fixtures.Expect) Trust {
	t.Helper()
	if e.Trust == "" {
		return Trust{}
	}
	tr, err := PinGenesis(e.Trust)
	if err != nil {
		t.Fatalf("trust %q: %v", e.Trust, err)
	}
	return tr
}

// vectorCheckpoint reads the checkpoint file an expectation names.
func vectorCheckpoint(t *testing.T, e fixtures.Expect) *format.Trailer {
	t.Helper()
	if e.Checkpoint == "" {
		return nil
	}
	raw, err := fs.ReadFile(fixtures.Vectors(), e.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	line, ok := bytes.CutSuffix(raw, []byte("\n"))
	if !ok || bytes.IndexByte(line, '\n') >= 0 {
		t.Fatalf("%s is not exactly one line", e.Checkpoint)
	}
	cp, err := format.ParseTrailer(line)
	if err != nil {
		t.Fatalf("%s: %v", e.Checkpoint, err)
	}
	return cp
}

func findingList(fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, fmt.Sprint(f.Rule, f.Records))
	}
	return out
}

func expectedList(fs []fixtures.ExpectFinding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

// TestVectors: every integrity vector gets exactly its expected verdict and
// findings (rule and records, in order).
func TestVectors(t *testing.T) {
	exps, err := fixtures.LoadExpectations()
	if err != nil {
		t.Fatal(err)
	}
	if len(exps) == 0 {
		t.Fatal("no vectors")
	}
	for _, e := range exps {
		t.Run(e.Vector, func(t *testing.T) {
			data, err := fs.ReadFile(fixtures.Vectors(), e.Vector+".csb")
			if err != nil {
				t.Fatal(err)
			}
			res, err := Verify(context.Background(), bytes.NewReader(data), vectorTrust(t, e), Options{Checkpoint: vectorCheckpoint(t, e)})
			if e.Expect == fixtures.ExpectNotBundle {
				if !errors.Is(err, ErrNotBundle) {
					t.Fatalf("want a not-a-bundle error, got err %v, result %+v", err, res)
				}
				if len(e.Findings) != 0 {
					t.Fatalf("a not-bundle expectation lists findings")
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			got, want := findingList(res.Findings), expectedList(e.Findings)
			if res.Verdict != e.Expect || !slices.Equal(got, want) {
				var msgs strings.Builder
				for _, f := range res.Findings {
					fmt.Fprintf(&msgs, "\n  %s %v: %s", f.Rule, f.Records, f.Message)
				}
				t.Fatalf("verdict %s, want %s\n got  %v\n want %v\nfindings:%s", res.Verdict, e.Expect, got, want, msgs.String())
			}
			if res.FindingsOmitted != 0 {
				t.Fatalf("%d findings omitted", res.FindingsOmitted)
			}
		})
	}
}

// TestVectorFilesMatchExpectations: every bundle has an expectation, every
// expectation a bundle, every checkpoint file is used, and nothing else
// lies in the directory.
func TestVectorFilesMatchExpectations(t *testing.T) {
	exps, err := fixtures.LoadExpectations()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(fixtures.Vectors(), ".")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, en := range entries {
		if en.IsDir() {
			t.Errorf("unexpected directory %s", en.Name())
			continue
		}
		files[en.Name()] = true
	}
	used := map[string]bool{"README.md": true, "LICENSE-CC0": true}
	for _, e := range exps {
		for _, name := range []string{e.Vector + ".csb", e.Vector + ".expect.json", e.Checkpoint} {
			if name == "" {
				continue
			}
			if !files[name] {
				t.Errorf("%s: %s is missing", e.Vector, name)
			}
			used[name] = true
		}
		if e.Expect != fixtures.ExpectNotBundle && e.Trust == "" {
			t.Errorf("%s: no trust root: its verdict could never be pass", e.Vector)
		}
	}
	for name := range files {
		if !used[name] {
			t.Errorf("%s has no expectation (or is not a vector file)", name)
		}
	}
}

// readVectorLines returns the decompressed record lines and the trailer of
// a vector bundle.
func readVectorLines(t *testing.T, name string) (lines [][]byte, trailer []byte) {
	t.Helper()
	data, err := fs.ReadFile(fixtures.Vectors(), name)
	if err != nil {
		t.Fatal(err)
	}
	rd := format.NewReader(bytes.NewReader(data))
	defer rd.Close()
	var problems []string
	rd.OnProblem = func(e *format.ContainerError) { problems = append(problems, e.Error()) }
	for {
		l, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b := append([]byte{}, l.Bytes...)
		if format.IsTrailer(b) {
			if trailer != nil {
				t.Fatalf("%s: two trailers", name)
			}
			trailer = b
			continue
		}
		if trailer != nil {
			t.Fatalf("%s: a record after the trailer", name)
		}
		lines = append(lines, b)
	}
	if len(problems) > 0 || trailer == nil || len(lines) == 0 {
		t.Fatalf("%s is not a clean bundle: problems %v, trailer %t, %d records", name, problems, trailer != nil, len(lines))
	}
	return lines, trailer
}

var flipAll = flag.Bool("flip-all", false, "TestFlipEveryByte: flip every byte instead of every 7th")

// TestFlipEveryByte flips one bit (xor 0x01) of bytes of a valid bundle's
// decompressed records and trailer, one at a time, re-packs it, and checks
// that each change is caught on the record it was made in. A changed
// genesis may stop being a bundle at all, which is also a refusal. By
// default it flips every 7th byte (from a different offset in each line)
// to stay fast; -flip-all flips every byte.
func TestFlipEveryByte(t *testing.T) {
	const vector = "valid-minimal"
	stride := 7
	if *flipAll {
		stride = 1
	}
	e := expectationFor(t, vector)
	trust := vectorTrust(t, e)
	lines, trailer := readVectorLines(t, vector+".csb")
	verify := func(t *testing.T, lines [][]byte, trailer []byte) (*Result, error) {
		t.Helper()
		return Verify(context.Background(), bytes.NewReader(fixtures.Pack(lines, trailer)), trust, Options{Workers: 1})
	}
	if res, err := verify(t, lines, trailer); err != nil || res.Verdict != VerdictPass {
		t.Fatalf("unchanged bundle: %v %+v", err, res)
	}
	names := func(res *Result, rec int64) bool {
		for _, f := range res.Findings {
			if slices.Contains(f.Records, rec) {
				return true
			}
		}
		return false
	}
	for i := range lines {
		rec := int64(i)
		t.Run(fmt.Sprintf("record-%d", i), func(t *testing.T) {
			t.Parallel()
			for pos := i % stride; pos < len(lines[i]); pos += stride {
				changed := slices.Clone(lines)
				changed[i] = slices.Clone(lines[i])
				changed[i][pos] ^= 0x01
				res, err := verify(t, changed, trailer)
				if err != nil {
					if rec == 0 && errors.Is(err, ErrNotBundle) {
						continue // the genesis no longer parses as one
					}
					t.Fatalf("byte %d (%q): %v", pos, lines[i][pos], err)
				}
				if res.Verdict != VerdictFail || !names(res, rec) {
					t.Fatalf("byte %d (%q): verdict %s, no finding names record %d: %+v", pos, lines[i][pos], res.Verdict, rec, res.Findings)
				}
			}
		})
	}
	t.Run("trailer", func(t *testing.T) {
		t.Parallel()
		for pos := len(lines) % stride; pos < len(trailer); pos += stride {
			changed := slices.Clone(trailer)
			changed[pos] ^= 0x01
			res, err := verify(t, lines, changed)
			if err != nil {
				t.Fatalf("byte %d (%q): %v", pos, trailer[pos], err)
			}
			ok := false
			for _, f := range res.Findings {
				ok = ok || f.Rule == RuleFinalSeal || f.Rule == RuleParse
			}
			if res.Verdict != VerdictFail || !ok {
				t.Fatalf("byte %d (%q): verdict %s, no final-seal or parse finding: %+v", pos, trailer[pos], res.Verdict, res.Findings)
			}
		}
	})
	t.Run("trailer-dropped", func(t *testing.T) {
		t.Parallel()
		res, err := verify(t, lines, nil)
		if err != nil {
			t.Fatal(err)
		}
		last := int64(len(lines) - 1)
		if res.Verdict != VerdictFail || len(res.Findings) != 1 || res.Findings[0].Rule != RuleFinalSeal || !slices.Equal(res.Findings[0].Records, []int64{last}) {
			t.Fatalf("verdict %s, findings %+v; want one %s naming record %d", res.Verdict, res.Findings, RuleFinalSeal, last)
		}
	})
}

func expectationFor(t *testing.T, name string) fixtures.Expect {
	t.Helper()
	exps, err := fixtures.LoadExpectations()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range exps {
		if e.Vector == name {
			return e
		}
	}
	t.Fatalf("no vector %s", name)
	return fixtures.Expect{}
}
