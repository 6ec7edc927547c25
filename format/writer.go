package format

import (
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

// DefaultFrameRecords is how many records a BundleWriter puts in one frame.
const DefaultFrameRecords = 1024

// BundleWriter writes record lines into the container of SPEC.md §2: data
// frames of whole records, the trailer frame, then the seek table. It does
// not check what it is given; use Chain to produce valid records.
type BundleWriter struct {
	// FrameRecords is the number of records per data frame (default
	// DefaultFrameRecords). A frame is also cut before it would exceed
	// MaxFrameContent.
	FrameRecords int

	w       io.Writer
	enc     *zstd.Encoder
	buf     []byte
	n       uint32
	first   int64
	next    int64
	off     int64
	entries []FrameInfo
	frame   []byte
	done    bool
}

// NewBundleWriter returns a writer of a bundle to w. The caller calls
// WriteRecord for each record in order, then Finish with the trailer.
func NewBundleWriter(w io.Writer) *BundleWriter {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(MaxWindow),
		zstd.WithEncoderCRC(true),
		zstd.WithSingleSegment(true),
	)
	if err != nil {
		panic(err) // only invalid options make this fail
	}
	return &BundleWriter{w: w, enc: enc, FrameRecords: DefaultFrameRecords}
}

// ErrFinished is returned when writing to a finished BundleWriter.
var ErrFinished = errors.New("bundle already finished")

// WriteRecord appends one record line (without newline). seq is its
// sequence number, used for the seek table.
func (b *BundleWriter) WriteRecord(line []byte) error {
	if b.done {
		return ErrFinished
	}
	if len(line) > MaxLine {
		return fmt.Errorf("record %d is %d bytes, more than %d", b.next, len(line), MaxLine)
	}
	if b.n > 0 && len(b.buf)+len(line)+1 > MaxFrameContent {
		if err := b.flush(); err != nil {
			return err
		}
	}
	if b.n == 0 {
		b.first = b.next
	}
	b.buf = append(b.buf, line...)
	b.buf = append(b.buf, '\n')
	b.n++
	b.next++
	limit := b.FrameRecords
	if limit <= 0 {
		limit = DefaultFrameRecords
	}
	if int(b.n) >= limit {
		return b.flush()
	}
	return nil
}

// WriteFrame writes content (whole lines) as one frame holding count
// records whose first has sequence number first. Fixture builders use it to
// shape frames; WriteRecord is the ordinary path.
func (b *BundleWriter) WriteFrame(content []byte, first int64, count uint32) error {
	b.frame = b.enc.EncodeAll(content, b.frame[:0])
	if _, err := b.w.Write(b.frame); err != nil {
		return fmt.Errorf("failed to write frame: %w", err)
	}
	b.entries = append(b.entries, FrameInfo{Offset: b.off, CSize: uint32(len(b.frame)), DSize: uint32(len(content)), FirstSeq: first, Count: count})
	b.off += int64(len(b.frame))
	return nil
}

func (b *BundleWriter) flush() error {
	if b.n == 0 {
		return nil
	}
	err := b.WriteFrame(b.buf, b.first, b.n)
	b.buf = b.buf[:0]
	b.n = 0
	return err
}

// Finish writes the pending frame, the trailer frame (trailer is one line
// without newline; nil writes none) and the seek table.
func (b *BundleWriter) Finish(trailer []byte) error {
	if b.done {
		return ErrFinished
	}
	b.done = true
	if err := b.flush(); err != nil {
		return err
	}
	if trailer != nil {
		if err := b.WriteFrame(append(append([]byte{}, trailer...), '\n'), b.next, 0); err != nil {
			return err
		}
	}
	if _, err := b.w.Write(AppendSeekTable(nil, b.entries)); err != nil {
		return fmt.Errorf("failed to write seek table: %w", err)
	}
	b.enc.Close()
	return nil
}

// Records returns how many records have been written.
func (b *BundleWriter) Records() int64 { return b.next }
