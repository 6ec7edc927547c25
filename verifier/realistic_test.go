package verifier

import (
	"bytes"
	"testing"

	"github.com/countersign/countersign/fixtures"
)

// TestRealisticPasses: a realistic bundle (runs, gates, refusals, seals)
// verifies with no findings, so the rules do not cry wolf at volume.
func TestRealisticPasses(t *testing.T) {
	var buf bytes.Buffer
	g, err := fixtures.Realistic(&buf, 6000)
	if err != nil {
		t.Fatal(err)
	}
	trust, _ := PinGenesis(g.String())
	res := verifyBytes(t, buf.Bytes(), trust, Options{})
	if res.Verdict != VerdictPass {
		t.Fatalf("verdict %s; first findings %+v", res.Verdict, res.Findings[:min(5, len(res.Findings))])
	}
	if res.Counts.Records < 6000 || res.Counts.Seals < 4 || res.Counts.Runs < 300 || res.Counts.Refusals < 30 {
		t.Fatalf("counts %+v", res.Counts)
	}
}
