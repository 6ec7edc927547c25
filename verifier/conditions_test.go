package verifier

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
)

// caseResult is what one verification gave, as comparable text.
func caseResult(data []byte, trust Trust, opts Options) string {
	res, err := Verify(context.Background(), bytes.NewReader(data), trust, opts)
	if err != nil {
		if errors.Is(err, ErrNotBundle) {
			return "not-bundle"
		}
		return "error: " + err.Error()
	}
	return res.Verdict + " " + strings.Join(findingList(res.Findings), " ")
}

// checkCase is one bundle with the result it must give: a vector or a
// probe.
type checkCase struct {
	name  string
	data  []byte
	trust Trust
	opts  Options
	want  string
}

func vectorCases(t *testing.T) []checkCase {
	t.Helper()
	exps, err := fixtures.LoadExpectations()
	if err != nil {
		t.Fatal(err)
	}
	var out []checkCase
	for _, e := range exps {
		data, err := fs.ReadFile(fixtures.Vectors(), e.Vector+".csb")
		if err != nil {
			t.Fatal(err)
		}
		want := "not-bundle"
		if e.Expect != fixtures.ExpectNotBundle {
			want = e.Expect + " " + strings.Join(expectedList(e.Findings), " ")
		}
		out = append(out, checkCase{name: e.Vector, data: data, trust: vectorTrust(t, e), opts: Options{Checkpoint: vectorCheckpoint(t, e), Workers: 1}, want: want})
	}
	return out
}

// allCases are the probes, then the vectors, smallest first, so that a
// condition is usually noticed after a few cheap verifications.
func allCases(t *testing.T) []checkCase {
	var cs []checkCase
	for _, p := range probes() {
		data, trust := p.build()
		p.opts.Workers = 1
		cs = append(cs, checkCase{name: p.name, data: data, trust: trust, opts: p.opts, want: p.want})
	}
	vs := vectorCases(t)
	slices.SortStableFunc(vs, func(a, b checkCase) int { return len(a.data) - len(b.data) })
	return append(cs, vs...)
}

// TestProbes: each probe bundle gives exactly its expected result.
func TestProbes(t *testing.T) {
	for _, p := range probes() {
		t.Run(p.name, func(t *testing.T) {
			data, trust := p.build()
			p.opts.Workers = 1
			if got := caseResult(data, trust, p.opts); got != p.want {
				t.Fatalf("got  %s\nwant %s", got, p.want)
			}
		})
	}
}

// TestConditionsLoadBearing turns off each numbered condition of SPEC.md
// §8 in turn, and each catalogued part of one, and fails unless some vector
// or probe then gets a result other than its expected one: no condition is
// dead weight.
func TestConditionsLoadBearing(t *testing.T) {
	cases := allCases(t)
	for _, id := range slices.Concat(conditionIDs, conditionParts) {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			// Cases whose expected findings name the rule go first.
			rule, _, _ := strings.Cut(id, ".")
			ordered := slices.Clone(cases)
			slices.SortStableFunc(ordered, func(a, b checkCase) int {
				x, y := strings.Contains(a.want, rule+"["), strings.Contains(b.want, rule+"[")
				switch {
				case x && !y:
					return -1
				case y && !x:
					return 1
				}
				return 0
			})
			for _, c := range ordered {
				opts := c.opts
				opts.off = map[string]bool{id: true}
				if got := caseResult(c.data, c.trust, opts); got != c.want {
					t.Logf("noticed by %s", c.name)
					return
				}
			}
			t.Fatalf("with %s turned off every vector and probe still gives its expected result", id)
		})
	}
}

// TestConditionCatalogue: every condition the code checks is in the
// catalogue, and every catalogued condition is checked somewhere.
func TestConditionCatalogue(t *testing.T) {
	re := regexp.MustCompile(`"((?:INT|SOD)-[A-Z0-9-]+\.[0-9]+(?:/[a-z-]+)?)"`)
	catalogue := slices.Concat(conditionIDs, conditionParts)
	used := map[string]bool{}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "conditions.go" {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			used[string(m[1])] = true
		}
	}
	for id := range used {
		if !slices.Contains(catalogue, id) {
			t.Errorf("%s is checked but not catalogued", id)
		}
	}
	for _, id := range catalogue {
		if !used[id] {
			t.Errorf("%s is catalogued but never checked", id)
		}
	}
}

// probe is a small bundle built to exercise one condition that no vector
// isolates.
type probe struct {
	name  string
	build func() ([]byte, Trust)
	want  string
	opts  Options
}
