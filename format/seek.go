package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"

	"github.com/klauspost/compress/zstd"
)

// Index gives random access to a bundle through its seek table (SPEC.md
// §2.3): a browser can show any record of a huge bundle by decoding one
// small frame. It trusts nothing it reads: every frame it decodes is held
// to the same limits as the streaming Reader, and a frame that does not
// match its seek-table entry is an error. Only a full verification proves
// the table agrees with the whole file.
type Index struct {
	r       io.ReaderAt
	size    int64
	Frames  []FrameInfo
	Records int64 // records in the bundle, per the seek table
	dec     *zstd.Decoder
}

// maxSeekEntries bounds the seek table a reader will load (2^24 frames).
const maxSeekEntries = 1 << 24

// OpenIndex reads the seek table at the end of a bundle of the given size.
func OpenIndex(r io.ReaderAt, size int64) (*Index, error) {
	if size < seekFooterSize+8 {
		return nil, fmt.Errorf("%w: too short for a seek table", ErrNotBundle)
	}
	var foot [seekFooterSize]byte
	if _, err := r.ReadAt(foot[:], size-seekFooterSize); err != nil {
		return nil, fmt.Errorf("failed to read seek table: %w", err)
	}
	if string(foot[8:]) != seekFooter || binary.LittleEndian.Uint32(foot[4:]) != 0 {
		return nil, &ContainerError{Offset: size - seekFooterSize, Msg: "no seek table at the end of the file"}
	}
	n := int64(binary.LittleEndian.Uint32(foot[0:]))
	if n > maxSeekEntries {
		return nil, &ContainerError{Offset: size - seekFooterSize, Msg: "seek table too large"}
	}
	start := size - seekFooterSize - n*seekEntrySize - 8
	if start < 0 {
		return nil, &ContainerError{Offset: 0, Msg: "seek table larger than the file"}
	}
	table := make([]byte, 8+n*seekEntrySize)
	if _, err := r.ReadAt(table, start); err != nil {
		return nil, fmt.Errorf("failed to read seek table: %w", err)
	}
	if binary.LittleEndian.Uint32(table) != seekTableMagic || int64(binary.LittleEndian.Uint32(table[4:])) != n*seekEntrySize+seekFooterSize {
		return nil, &ContainerError{Offset: start, Msg: "seek table header does not match its footer"}
	}
	ix := &Index{r: r, size: size}
	var off, next int64
	for i := int64(0); i < n; i++ {
		f := parseFrameInfo(table[8+i*seekEntrySize:])
		if f.Offset != off || f.CSize == 0 || f.DSize > MaxFrameContent || f.FirstSeq != next {
			return nil, &ContainerError{Offset: start, Msg: fmt.Sprintf("seek table entry %d is inconsistent", i)}
		}
		off += int64(f.CSize)
		next += int64(f.Count)
		ix.Frames = append(ix.Frames, f)
	}
	if off != start {
		return nil, &ContainerError{Offset: start, Msg: "seek table does not cover the file exactly"}
	}
	ix.Records = next
	// The memory limit also caps the window the decoder accepts, so it is
	// the window limit; output is capped by the buffer Frame gives it.
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxWindow), zstd.WithDecoderMaxWindow(MaxWindow),
		zstd.WithDecoderConcurrency(1), zstd.WithDecodeAllCapLimit(true))
	if err != nil {
		return nil, err
	}
	ix.dec = dec
	return ix, nil
}

// Close releases the decoder.
func (ix *Index) Close() { ix.dec.Close() }

// Frame decodes frame i and returns its lines (without newlines).
func (ix *Index) Frame(i int) ([][]byte, error) {
	f := ix.Frames[i]
	raw := make([]byte, f.CSize)
	if _, err := ix.r.ReadAt(raw, f.Offset); err != nil {
		return nil, fmt.Errorf("failed to read frame %d: %w", i, err)
	}
	var h zstd.Header
	if err := h.Decode(raw); err != nil || h.Skippable || h.DictionaryID != 0 || !h.HasFCS || h.FrameContentSize != uint64(f.DSize) {
		return nil, &ContainerError{Offset: f.Offset, Msg: "frame header does not match its seek-table entry"}
	}
	out, err := ix.dec.DecodeAll(raw, make([]byte, 0, f.DSize))
	if err != nil || len(out) != int(f.DSize) || len(out) == 0 || out[len(out)-1] != '\n' {
		return nil, &ContainerError{Offset: f.Offset, Msg: "frame does not decode to the size and lines its seek-table entry states"}
	}
	lines := bytes.Split(out[:len(out)-1], []byte("\n"))
	want := int(f.Count)
	if f.Count == 0 {
		want = 1 // the trailer frame
	}
	if len(lines) != want {
		return nil, &ContainerError{Offset: f.Offset, Msg: fmt.Sprintf("frame holds %d lines, its seek-table entry says %d", len(lines), want)}
	}
	return lines, nil
}

// Record returns the line of the record with sequence number seq.
func (ix *Index) Record(seq int64) ([]byte, error) {
	if seq < 0 || seq >= ix.Records {
		return nil, fmt.Errorf("record %d is outside the bundle (0 to %d)", seq, ix.Records-1)
	}
	i := sort.Search(len(ix.Frames), func(i int) bool { return ix.Frames[i].FirstSeq+int64(ix.Frames[i].Count) > seq })
	lines, err := ix.Frame(i)
	if err != nil {
		return nil, err
	}
	return lines[seq-ix.Frames[i].FirstSeq], nil
}
