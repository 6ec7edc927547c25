package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
)

func TestSelftest(t *testing.T) {
	exps, err := fixtures.LoadExpectations()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, nil, nil, "selftest")
	if code != exitOK || errOut != "" {
		t.Fatalf("selftest exited %d\n%s\n%s", code, out, errOut)
	}
	lines := strings.Split(out, "\n")
	for i, x := range exps {
		if !strings.HasPrefix(lines[i], "ok    "+x.Vector+" ") {
			t.Errorf("line %d is %q, want the result of %s", i+1, lines[i], x.Vector)
		}
	}
	if want := fmt.Sprintf("%d vectors: %d matched their expectation, 0 did not", len(exps), len(exps)); !strings.Contains(out, want) {
		t.Errorf("no summary %q in\n%s", want, out)
	}
	if !strings.Contains(out, "binary sha256 ") || strings.Contains(out, "binary sha256 unknown") {
		t.Errorf("no binary SHA-256 in\n%s", out)
	}
}

// A vector whose expectation the verifier does not meet is reported.
func TestSelftestCatchesADifference(t *testing.T) {
	exps, err := fixtures.LoadExpectations()
	if err != nil {
		t.Fatal(err)
	}
	var pass, fail fixtures.Expect
	for _, x := range exps {
		switch {
		case x.Expect == fixtures.ExpectPass && pass.Vector == "":
			pass = x
		case x.Expect == fixtures.ExpectFail && len(x.Findings) > 1 && x.Findings[0].String() != x.Findings[1].String() && fail.Vector == "":
			fail = x
		}
	}
	tests := []struct {
		name string
		edit func() fixtures.Expect
		want string
	}{
		{name: "verdict", edit: func() fixtures.Expect { x := pass; x.Expect = fixtures.ExpectFail; return x }, want: "verdict pass, expected fail"},
		{name: "not a bundle", edit: func() fixtures.Expect { x := pass; x.Expect = fixtures.ExpectNotBundle; return x }, want: "not a bundle"},
		{name: "a finding fewer", edit: func() fixtures.Expect { x := fail; x.Findings = x.Findings[1:]; return x }, want: "findings"},
		{name: "findings reordered", edit: func() fixtures.Expect {
			x := fail
			x.Findings = append([]fixtures.ExpectFinding{x.Findings[1], x.Findings[0]}, x.Findings[2:]...)
			return x
		}, want: "findings"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.edit()
			if _, err := selftestOne(context.Background(), x); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("selftestOne(%s edited) = %v, want an error with %q", x.Vector, err, tt.want)
			}
		})
	}
}
