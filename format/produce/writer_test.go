package produce_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
)

// A producer streaming records counts them with Records, and the bundle it
// finishes reads back line for line.
func TestBundleWriterRecords(t *testing.T) {
	lines := [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`), []byte(`{"c":3}`)}
	var buf bytes.Buffer
	w := produce.NewBundleWriter(&buf)
	w.FrameRecords = 2
	for i, l := range lines {
		if got := w.Records(); got != int64(i) {
			t.Fatalf("Records before line %d = %d", i, got)
		}
		if err := w.WriteRecord(l); err != nil {
			t.Fatal(err)
		}
	}
	if got := w.Records(); got != int64(len(lines)) {
		t.Fatalf("Records = %d, want %d", got, len(lines))
	}
	if err := w.Finish(nil); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecord(lines[0]); !errors.Is(err, produce.ErrFinished) {
		t.Fatalf("write after Finish: got %v, want ErrFinished", err)
	}
	r := format.NewReader(&buf)
	defer r.Close()
	for i, want := range lines {
		l, err := r.Next()
		if err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if !bytes.Equal(l.Bytes, want) {
			t.Fatalf("line %d = %q, want %q", i, l.Bytes, want)
		}
	}
}
