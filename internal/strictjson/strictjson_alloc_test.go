//go:build !race

package strictjson

import "testing"

// The race detector's instrumentation allocates, so this test is built
// only without it; `make check` runs it in a separate, race-free pass.

func TestValidateJSONAllocs(t *testing.T) {
	inputs := [][]byte{
		benchRecord(),
		[]byte(`{"a":{"\u0062":[1,2,{"c":"d"}]},"e":"\u00e9"}`),
		[]byte(manyKeys(12, `,"n":[[[[]]]]`)),
	}
	for _, in := range inputs {
		if err := Validate(in, Limits{}); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(200, func() {
			_ = Validate(in, Limits{})
		})
		if allocs != 0 {
			t.Errorf("%.40q: %v allocations per run, want 0", in, allocs)
		}
	}
}
