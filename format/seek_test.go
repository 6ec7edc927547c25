package format_test

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
)

func TestIndexSeeks(t *testing.T) {
	logKey := testKey("log")
	c, g := genesisFor(t, logKey)
	lines := [][]byte{g}
	for i := 0; i < 2500; i++ {
		l, err := c.Append("2026-11-02T09:00:01.000Z", format.TypeNote, "", &format.Note{Code: "n", Text: "note"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	tr, _ := c.Trailer("2026-11-02T09:00:02.000Z")
	var buf bytes.Buffer
	w := produce.NewBundleWriter(&buf)
	w.FrameRecords = 100
	for _, l := range lines {
		if err := w.WriteRecord(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Finish(tr); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	ix, err := format.OpenIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Records != int64(len(lines)) || len(ix.Frames) != 27 {
		t.Fatalf("index: %d records in %d frames", ix.Records, len(ix.Frames))
	}
	for _, seq := range []int64{0, 1, 99, 100, 1234, 2500} {
		got, err := ix.Record(seq)
		if err != nil || !bytes.Equal(got, lines[seq]) {
			t.Fatalf("record %d: %v", seq, err)
		}
	}
	if _, err := ix.Record(2501); err == nil {
		t.Fatal("record past the end was returned")
	}
	trailer, err := ix.Frame(len(ix.Frames) - 1)
	if err != nil || !bytes.Equal(trailer[0], tr) {
		t.Fatalf("trailer frame: %v", err)
	}

	// A seek table that lies about a frame's record count is caught when
	// that frame is read.
	bad := append([]byte{}, data...)
	entry := len(bad) - 16 - 27*28 + 5*28 // a 16-byte footer after 27 entries of 28 bytes (SPEC.md §2.3)
	bad[entry+24]++                       // count of frame 5
	ix2, err := format.OpenIndex(bytes.NewReader(bad), int64(len(bad)))
	if err == nil {
		_, err = ix2.Frame(5)
	}
	var ce *format.ContainerError
	if !errors.As(err, &ce) {
		t.Fatalf("lying seek table: want a container error, got %v", err)
	}
	// No seek table at all.
	if _, err := format.OpenIndex(bytes.NewReader(data[:len(data)-3]), int64(len(data)-3)); !errors.As(err, &ce) {
		t.Fatalf("cut seek table: %v", err)
	}
}

// TestIndexWindowOf8MiB reads records at random from a bundle whose frames
// declare a window of exactly 8 MiB, the limit (vector window-exactly-8mib).
func TestIndexWindowOf8MiB(t *testing.T) {
	data, err := os.ReadFile("../fixtures/vectors/window-exactly-8mib.csb")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := format.OpenIndex(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for seq := int64(0); seq < ix.Records; seq++ {
		l, err := ix.Record(seq)
		if err != nil {
			t.Fatalf("record %d: %v", seq, err)
		}
		if rec, err := format.ParseRecord(l); err != nil || rec.Seq != seq {
			t.Fatalf("record %d: %v", seq, err)
		}
	}
	if ix.Records != 5 {
		t.Errorf("%d records, want 5", ix.Records)
	}
}
