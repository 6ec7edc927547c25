package verifier

import (
	"fmt"
	"testing"

	"countersign/fixtures"
)

// TestSoDVectors: each forged-but-signed violation is caught by the right
// rule, naming the right records, and by nothing else.
func TestSoDVectors(t *testing.T) {
	for _, v := range fixtures.SoDVectors() {
		t.Run(v.Name, func(t *testing.T) {
			trust, _ := PinGenesis(v.Trust)
			res := verifyBytes(t, v.Bundle, trust, Options{})
			got := []string{}
			for _, f := range res.Findings {
				got = append(got, fmt.Sprint(f.Rule, f.Records))
			}
			want := []string{}
			for _, f := range v.Findings {
				want = append(want, fmt.Sprint(f.Rule, f.Records))
			}
			if res.Verdict != VerdictFail || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("verdict %s\n got  %v\n want %v\n%+v", res.Verdict, got, want, res.Findings)
			}
		})
	}
}
