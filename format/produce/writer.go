package produce

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/countersign/countersign/format"
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
	// format.MaxFrameContent.
	FrameRecords int

	w       io.Writer
	enc     *zstd.Encoder
	buf     []byte
	n       uint32
	first   int64
	next    int64
	off     int64
	entries []format.FrameInfo
	frame   []byte
	done    bool
}

// NewBundleWriter returns a writer of a bundle to w. The caller calls
// WriteRecord for each record in order, then Finish with the trailer.
func NewBundleWriter(w io.Writer) *BundleWriter {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(format.MaxWindow),
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
	if len(line) > format.MaxLine {
		return fmt.Errorf("record %d is %d bytes, more than %d", b.next, len(line), format.MaxLine)
	}
	if b.n > 0 && len(b.buf)+len(line)+1 > format.MaxFrameContent {
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
	b.entries = append(b.entries, format.FrameInfo{Offset: b.off, CSize: uint32(len(b.frame)), DSize: uint32(len(content)), FirstSeq: first, Count: count})
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

// Seek table layout (SPEC.md §2.3).
const (
	seekTableMagic = 0x184D2A5C
	seekEntrySize  = 28
	seekFooterSize = 16
	seekFooter     = "CSBSEEK1"
)

// AppendSeekTable appends the seek-table skippable frame for entries.
func AppendSeekTable(dst []byte, entries []format.FrameInfo) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, seekTableMagic)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(seekEntrySize*len(entries)+seekFooterSize))
	for _, f := range entries {
		dst = binary.LittleEndian.AppendUint64(dst, uint64(f.Offset))
		dst = binary.LittleEndian.AppendUint32(dst, f.CSize)
		dst = binary.LittleEndian.AppendUint32(dst, f.DSize)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(f.FirstSeq))
		dst = binary.LittleEndian.AppendUint32(dst, f.Count)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(entries)))
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	return append(dst, seekFooter...)
}
