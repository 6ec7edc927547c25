package verifier

import (
	"os/exec"
	"strings"
	"testing"
)

// The verifier and the enforcement core are independent of each other: a
// bug in one cannot reach the other through an import, so the tool that
// judges a bundle shares no code with the producer beyond format and what
// both take from internal packages.
func TestVerifierAndEnforceIndependent(t *testing.T) {
	const mod = "github.com/countersign/countersign/"
	tests := []struct {
		name      string
		pkg       string
		forbidden string
	}{
		{name: "verifier imports no enforce", pkg: ".", forbidden: mod + "enforce"},
		{name: "enforce imports no verifier", pkg: "../enforce", forbidden: mod + "verifier"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", tc.pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", tc.pkg, err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 10 {
				t.Fatalf("go list -deps %s printed only %d packages", tc.pkg, len(deps))
			}
			sawFormat := false
			for _, d := range deps {
				if d == tc.forbidden || strings.HasPrefix(d, tc.forbidden+"/") {
					t.Errorf("%s links %s", tc.pkg, d)
				}
				sawFormat = sawFormat || d == mod+"format"
			}
			if !sawFormat {
				t.Errorf("go list -deps %s does not list format: the listing is not what this test reads", tc.pkg)
			}
		})
	}
}
