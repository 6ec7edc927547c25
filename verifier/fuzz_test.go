package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
)

// FuzzReader feeds arbitrary bytes to Verify, starting from every vector
// and the hostile shapes of fixtures: it must never panic, must give a verdict whenever it gives no
// error, and must give the same result twice for a bundle it passes. Each
// verification is bounded by a 10 s timeout.
func FuzzReader(f *testing.F) {
	dir := fixtures.Vectors()
	names, err := fs.Glob(dir, "*.csb")
	if err != nil {
		f.Fatal(err)
	}
	if len(names) == 0 {
		f.Fatal("no vectors to seed from")
	}
	for _, name := range names {
		data, err := fs.ReadFile(dir, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// The hostile shapes attacks were found with start the corpus too:
	// open runs with large actions, and a flood of empty lines.
	open, _ := fixtures.OpenRuns(3, 8<<10)
	f.Add(open)
	f.Add(fixtures.EmptyLines(3, 500))
	for _, s := range []string{"", "\x28", "\x28\xb5\x2f\xfd", "\x28\xb5\x2f\xfd\x00\x00\x00\x00", "{\"seq\":0}\n", "\x5c\x2a\x4d\x18\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00CSBSEEK1"} {
		f.Add([]byte(s))
	}
	verify := func(data []byte) (*Result, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return Verify(ctx, bytes.NewReader(data), UnsafeNoTrust(), Options{Workers: 1})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := verify(data)
		if err != nil {
			// Not a bundle, or (rarely, for inputs that decompress to
			// millions of lines) cut short by the timeout: no verdict to
			// check.
			return
		}
		if res == nil {
			t.Fatal("no result and no error")
		}
		switch res.Verdict {
		case VerdictPass, VerdictFail:
		default:
			t.Fatalf("verdict %q under UnsafeNoTrust", res.Verdict)
		}
		if res.Verdict != VerdictPass {
			return
		}
		again, err := verify(data)
		if err != nil {
			t.Fatalf("second verification: %v", err)
		}
		a, _ := json.Marshal(res)
		b, _ := json.Marshal(again)
		if !bytes.Equal(a, b) {
			t.Fatalf("two verifications differ:\n%s\n%s", a, b)
		}
	})
}
