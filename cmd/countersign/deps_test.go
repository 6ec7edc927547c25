package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The regulator's binary links only the format, the verifier and what
// renders them: no producer code, so a bug shared with the producer cannot
// hide itself in the tool that judges it.
func TestLinksNoProducer(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps printed only %d packages", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/countersign/countersign/enforce") || strings.HasPrefix(d, "github.com/countersign/countersign/internal/demo") {
			t.Errorf("countersign links %s", d)
		}
	}
}
