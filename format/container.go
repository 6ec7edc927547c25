package format

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/zstd"
)

// Container limits (SPEC.md §2.2, §2.4, §10).
const (
	MaxFrameContent = 4 << 20 // decompressed bytes in one frame
	MaxWindow       = 8 << 20 // declared window of one frame
	MaxLine         = 1 << 20 // bytes in one line, newline excluded
	maxFrameRaw     = MaxFrameContent + MaxFrameContent/8 + 1024
	bombRatio       = 100
)

// Seek table constants (SPEC.md §2.3).
const (
	seekTableMagic = 0x184D2A5C
	seekEntrySize  = 28
	seekFooterSize = 16
	seekFooter     = "CSBSEEK1"
	zstdMagic      = 0xFD2FB528
)

// FrameInfo is one seek-table entry.
type FrameInfo struct {
	Offset   int64
	CSize    uint32
	DSize    uint32
	FirstSeq int64
	Count    uint32
}

func (f FrameInfo) append(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(f.Offset))
	b = binary.LittleEndian.AppendUint32(b, f.CSize)
	b = binary.LittleEndian.AppendUint32(b, f.DSize)
	b = binary.LittleEndian.AppendUint64(b, uint64(f.FirstSeq))
	return binary.LittleEndian.AppendUint32(b, f.Count)
}

func parseFrameInfo(b []byte) FrameInfo {
	return FrameInfo{
		Offset:   int64(binary.LittleEndian.Uint64(b[0:])),
		CSize:    binary.LittleEndian.Uint32(b[8:]),
		DSize:    binary.LittleEndian.Uint32(b[12:]),
		FirstSeq: int64(binary.LittleEndian.Uint64(b[16:])),
		Count:    binary.LittleEndian.Uint32(b[24:]),
	}
}

// ErrNotBundle is returned for input that is not a bundle at all: not zstd,
// or without a readable first record.
var ErrNotBundle = errors.New("not a countersign bundle")

// ContainerError is a problem with the container (rule INT-CONTAINER): it
// names the byte offset of the frame concerned.
type ContainerError struct {
	Offset int64
	Msg    string
	// Kind tells problems apart where a caller needs to; "" for most.
	Kind string
}

// ProblemTrailerFrame is the Kind of a trailer that does not stand alone
// in its frame (SPEC.md §2.2).
const ProblemTrailerFrame = "trailer-frame"

func (e *ContainerError) Error() string {
	return fmt.Sprintf("container: %s (frame at byte %d)", e.Msg, e.Offset)
}

// Line is one line of the decompressed stream.
type Line struct {
	Bytes   []byte // without the newline; valid until the next call to Next
	Index   int64  // position among all lines, from 0
	Frame   int64  // byte offset of the frame the line ends in
	TooLong bool   // the line exceeded MaxLine; Bytes holds its start only
	// Hash is the record hash of the whole line, set only when TooLong
	// (otherwise hash Bytes), so a chain link past it can still be judged.
	Hash Hash
}

// IsTrailer reports whether a line is the export trailer (SPEC.md §7.2),
// whose first member is "seal", rather than a chain record.
func IsTrailer(b []byte) bool {
	const p = `{"seal":`
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// Reader reads a bundle's lines in one pass with memory bounded by the
// container limits, whatever the bundle's length. Problems with the
// container are passed to OnProblem and reading goes on where it safely
// can; Next returns a *ContainerError only when it cannot go on.
type Reader struct {
	// OnProblem receives every container problem, fatal ones included.
	OnProblem func(*ContainerError)

	br     *bufio.Reader
	dec    *zstd.Decoder
	off    int64 // bytes consumed from the file
	raw    []byte
	out    []byte
	pend   []byte // decoded bytes not yet returned as lines
	carry  []byte // partial line carried from an unaligned frame
	frame  int64
	index  int64
	done   bool
	err    error
	dTotal int64

	// seek-table cross-check, in constant memory
	seen      hash.Hash
	seenN     uint32
	cur       FrameInfo
	curOpen   bool
	records   int64
	sawTable  bool
	carryLong bool
	carryHash hash.Hash // record hash of the whole carried line

	// a frame decoded as a stream (no declared size, or over 4 MiB)
	sdec     *zstd.Decoder
	stream   *frameStream
	sbuf     []byte
	streamed int64 // bytes the current streamed frame has decompressed to
	sOver    bool  // the over-4-MiB finding was made for the streamed frame
	sLast    byte  // the last byte the streamed frame decompressed to
}

// streamChunk is how many decompressed bytes a streamed frame yields at a
// time.
const streamChunk = 64 << 10

// NewReader returns a streaming reader over a bundle.
func NewReader(r io.Reader) *Reader {
	// The decoder's memory limit caps the window it accepts, so it is the
	// window limit; DecodeAll's output is capped by the buffer given it.
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderMaxMemory(MaxWindow),
		zstd.WithDecoderMaxWindow(MaxWindow),
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecodeAllCapLimit(true),
	)
	if err != nil {
		panic(err) // only invalid options make this fail
	}
	return &Reader{br: bufio.NewReaderSize(r, 1<<16), dec: dec, seen: sha256.New()}
}

// Close releases the decoders.
func (r *Reader) Close() {
	r.dec.Close()
	if r.sdec != nil {
		r.sdec.Close()
	}
}

func (r *Reader) problem(off int64, format string, args ...any) *ContainerError {
	e := &ContainerError{Offset: off, Msg: fmt.Sprintf(format, args...)}
	if r.OnProblem != nil {
		r.OnProblem(e)
	}
	return e
}

// Next returns the next line. At the end it returns io.EOF; input that is
// not a bundle gives ErrNotBundle; a container problem that stops reading
// gives a *ContainerError (already passed to OnProblem).
func (r *Reader) Next() (Line, error) {
	for {
		if i := indexByte(r.pend, '\n'); i >= 0 {
			b := r.pend[:i]
			r.pend = r.pend[i+1:]
			carried := len(r.carry) > 0 || r.carryLong
			if carried {
				b = r.joinCarry(b)
			}
			if IsTrailer(b) && r.curOpen && (carried || r.cur.Count > 0 || len(r.pend) > 0) {
				// §2.2: the trailer stands alone in its own frame.
				r.problem(r.frame, "the trailer shares its frame with other lines; it must be alone in the trailer frame").Kind = ProblemTrailerFrame
			}
			return r.emit(b), nil
		}
		if r.stream != nil {
			// Inside a streamed frame the unfinished line stays in pend
			// until more is decoded, up to a line's worth of it.
			if len(r.pend) > MaxLine {
				r.appendCarry(r.pend)
				r.pend = nil
			}
			if err := r.streamMore(); err != nil {
				r.done = true
				r.err = err
			}
			continue
		}
		if len(r.pend) > 0 {
			// The frame did not end at a line boundary: carry the rest over,
			// keeping no more than a line's worth of it.
			r.appendCarry(r.pend)
			r.pend = nil
		}
		if r.done {
			if len(r.carry) > 0 || r.carryLong {
				r.problem(r.frame, "stream ends inside a line")
				b := r.joinCarry(nil)
				return r.emit(b), nil
			}
			return Line{}, r.err
		}
		if err := r.nextFrame(); err != nil {
			r.done = true
			r.err = err
		}
	}
}

// appendCarry keeps a partial line across frames, no more than a line's
// worth of it, so that its length can still be judged.
func (r *Reader) appendCarry(b []byte) {
	if r.carryHash == nil {
		r.carryHash = sha256.New()
		r.carryHash.Write([]byte(PrefixRecord))
	}
	r.carryHash.Write(b)
	if room := MaxLine + 1 - len(r.carry); len(b) > room {
		b = b[:room]
		r.carryLong = true
	}
	r.carry = append(r.carry, b...)
}

// joinCarry completes the carried line with b and returns it; emit empties
// the carry.
func (r *Reader) joinCarry(b []byte) []byte {
	r.appendCarry(b)
	return r.carry
}

func (r *Reader) emit(b []byte) Line {
	l := Line{Bytes: b, Index: r.index, Frame: r.frame}
	if len(b) > MaxLine || r.carryLong {
		l.TooLong = true
		if r.carryHash != nil {
			r.carryHash.Sum(l.Hash[:0])
		} else {
			l.Hash = RecordHash(b)
		}
		if len(b) > MaxLine {
			l.Bytes = b[:MaxLine]
		}
	}
	r.carryLong = false
	r.carry = nil
	r.carryHash = nil
	r.index++
	if !IsTrailer(b) && r.curOpen {
		r.cur.Count++
		r.records++
	}
	return l
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func (r *Reader) closeFrame() {
	if r.curOpen {
		r.seen.Write(r.cur.append(nil))
		r.seenN++
		r.curOpen = false
	}
}

func (r *Reader) nextFrame() error {
	r.closeFrame()
	start := r.off
	head, err := r.br.Peek(4)
	if len(head) == 0 && errors.Is(err, io.EOF) {
		if start == 0 {
			return ErrNotBundle
		}
		if !r.sawTable {
			r.problem(start, "seek table missing")
		}
		return io.EOF
	}
	if len(head) < 4 {
		if start == 0 {
			return ErrNotBundle
		}
		return r.problem(start, "truncated frame: %d trailing bytes", len(head))
	}
	magic := binary.LittleEndian.Uint32(head)
	if start == 0 && magic != zstdMagic {
		return ErrNotBundle
	}
	if r.sawTable {
		return r.problem(start, "trailing bytes after the seek table")
	}
	switch {
	case magic == zstdMagic:
		return r.readZstdFrame(start)
	case magic&0xFFFFFFF0 == 0x184D2A50:
		return r.readSkippable(start, magic)
	default:
		return r.problem(start, "bytes that are not a zstd frame")
	}
}

func (r *Reader) take(n int) ([]byte, error) {
	if len(r.raw)+n > maxFrameRaw {
		return nil, errors.New("frame larger than the limit")
	}
	old := len(r.raw)
	r.raw = append(r.raw, make([]byte, n)...)
	if _, err := io.ReadFull(r.br, r.raw[old:]); err != nil {
		return nil, err
	}
	r.off += int64(n)
	return r.raw[old:], nil
}

func (r *Reader) readZstdFrame(start int64) error {
	r.raw = r.raw[:0]
	peek, _ := r.br.Peek(18)
	var h zstd.Header
	if err := h.Decode(peek); err != nil {
		return r.problem(start, "unreadable frame header: %v", err)
	}
	if _, err := r.take(h.HeaderSize); err != nil {
		return r.problem(start, "truncated frame header")
	}
	if h.DictionaryID != 0 {
		return r.problem(start, "frame uses dictionary %d", h.DictionaryID)
	}
	window := h.WindowSize
	if h.SingleSegment {
		window = h.FrameContentSize
	}
	if window > MaxWindow {
		return r.problem(start, "frame needs a window of %d bytes; a bundle allows at most %d", window, MaxWindow)
	}
	if !h.HasFCS {
		r.problem(start, "frame does not declare its content size, which a bundle writer always does: the container was rewritten")
		return r.startStream(start, 0)
	}
	if h.FrameContentSize > MaxFrameContent {
		r.problem(start, "frame declares %d bytes, more than the %d a bundle writer puts in one frame: the container was rewritten", h.FrameContentSize, MaxFrameContent)
		r.sOver = true
		return r.startStream(start, h.FrameContentSize)
	}
	for {
		bh, err := r.take(3)
		if err != nil {
			return r.problem(start, "truncated frame: %v", err)
		}
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		last, typ, size := v&1 == 1, (v>>1)&3, int(v>>3)
		switch typ {
		case 1:
			size = 1
		case 3:
			return r.problem(start, "reserved block type")
		}
		if _, err := r.take(size); err != nil {
			return r.problem(start, "truncated frame: %v", err)
		}
		if last {
			break
		}
	}
	if h.HasCheckSum {
		if _, err := r.take(4); err != nil {
			return r.problem(start, "truncated frame checksum")
		}
	}
	if cap(r.out) < MaxFrameContent {
		r.out = make([]byte, 0, MaxFrameContent)
	}
	out, err := r.dec.DecodeAll(r.raw, r.out[:0])
	if err != nil {
		return r.problem(start, "%s", decodeProblem(err, h.FrameContentSize))
	}
	r.out = out
	if uint64(len(out)) != h.FrameContentSize {
		return r.problem(start, "frame decompresses to %d bytes, not the %d it declares", len(out), h.FrameContentSize)
	}
	r.dTotal += int64(len(out))
	if r.dTotal > bombRatio*r.off+MaxFrameContent {
		return r.problem(start, "decompressed size exceeds %d times the compressed size (decompression bomb)", bombRatio)
	}
	if len(out) == 0 || out[len(out)-1] != '\n' {
		r.problem(start, "frame does not end at a line boundary")
	}
	r.frame = start
	r.pend = out
	r.cur = FrameInfo{Offset: start, CSize: uint32(r.off - start), DSize: uint32(len(out)), FirstSeq: r.records}
	r.curOpen = true
	return nil
}

func (r *Reader) readSkippable(start int64, magic uint32) error {
	var hdr [8]byte
	if _, err := io.ReadFull(r.br, hdr[:]); err != nil {
		return r.problem(start, "truncated skippable frame")
	}
	r.off += 8
	size := int64(binary.LittleEndian.Uint32(hdr[4:]))
	if magic != seekTableMagic {
		r.problem(start, "unknown skippable frame (magic %#x)", magic)
		if _, err := io.CopyN(io.Discard, r.br, size); err != nil {
			return r.problem(start, "truncated skippable frame")
		}
		r.off += size
		return nil
	}
	if size < seekFooterSize || (size-seekFooterSize)%seekEntrySize != 0 {
		return r.problem(start, "seek table has an impossible size %d", size)
	}
	entries := (size - seekFooterSize) / seekEntrySize
	h := sha256.New()
	if _, err := io.CopyN(h, r.br, entries*seekEntrySize); err != nil {
		return r.problem(start, "truncated seek table")
	}
	var foot [seekFooterSize]byte
	if _, err := io.ReadFull(r.br, foot[:]); err != nil {
		return r.problem(start, "truncated seek table")
	}
	r.off += size
	r.sawTable = true
	n := binary.LittleEndian.Uint32(foot[0:])
	switch {
	case string(foot[8:]) != seekFooter:
		r.problem(start, "seek table footer magic is wrong")
	case binary.LittleEndian.Uint32(foot[4:]) != 0:
		r.problem(start, "seek table reserved field is not zero")
	case int64(n) != entries:
		r.problem(start, "seek table counts %d entries in a frame of %d", n, entries)
	case n != r.seenN || string(h.Sum(nil)) != string(r.seen.Sum(nil)):
		r.problem(start, "seek table disagrees with the frames in the file")
	}
	return nil
}

// decodeProblem says in this format's words why a frame's content did not
// decode; the decoder's own wording never reaches a reader's user.
func decodeProblem(err error, declared uint64) string {
	switch {
	case errors.Is(err, zstd.ErrFrameSizeExceeded), errors.Is(err, zstd.ErrFrameSizeMismatch):
		return fmt.Sprintf("frame does not decompress to the %d bytes it declares", declared)
	case errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return fmt.Sprintf("frame decompresses to more than %d bytes", MaxFrameContent)
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrWindowSizeTooSmall):
		return fmt.Sprintf("frame needs a window over the %d bytes a bundle allows", MaxWindow)
	case errors.Is(err, zstd.ErrCRCMismatch):
		return "frame checksum does not match its content"
	case errors.Is(err, zstd.ErrReservedBlockType):
		return "reserved block type"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "truncated frame"
	default:
		return "frame content is not valid zstd data"
	}
}

// errStreamStop tells the stream decoder that the frame reader met a
// container problem it has already reported.
var errStreamStop = errors.New("container problem")

// frameStream yields one zstd frame's bytes from the file, walking its
// block headers, so that the stream decoder never reads past the frame.
type frameStream struct {
	r     *Reader
	start int64
	pre   []byte // bytes taken but not yet given (frame or block header)
	left  int    // bytes of the current block (or checksum) still to give
	last  bool   // the current block is the last
	sum   bool   // the frame ends with a 4-byte checksum
	ended bool   // every byte of the frame has been given
	stop  *ContainerError
	size  uint64 // the declared content size, 0 if none
}

func (s *frameStream) fail(format string, args ...any) (int, error) {
	s.stop = s.r.problem(s.start, format, args...)
	return 0, errStreamStop
}

func (s *frameStream) Read(p []byte) (int, error) {
	if s.stop != nil {
		return 0, errStreamStop
	}
	if len(s.pre) > 0 {
		n := copy(p, s.pre)
		s.pre = s.pre[n:]
		return n, nil
	}
	for s.left == 0 {
		if s.ended {
			return 0, io.EOF
		}
		if s.last {
			s.ended = true
			if s.sum {
				s.left = 4
				break
			}
			return 0, io.EOF
		}
		var bh [3]byte
		if _, err := io.ReadFull(s.r.br, bh[:]); err != nil {
			return s.fail("truncated frame")
		}
		s.r.off += 3
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		typ, size := (v>>1)&3, int(v>>3)
		s.last = v&1 == 1
		switch typ {
		case 1:
			size = 1
		case 3:
			return s.fail("reserved block type")
		}
		s.pre = append(s.pre[:0], bh[:]...)
		s.left = size
		n := copy(p, s.pre)
		s.pre = s.pre[n:]
		return n, nil
	}
	if len(p) > s.left {
		p = p[:s.left]
	}
	n, err := s.r.br.Read(p)
	s.left -= n
	s.r.off += int64(n)
	if n == 0 && err != nil {
		return s.fail("truncated frame")
	}
	return n, nil
}

// startStream begins decoding the frame at start, whose header has been
// taken, as a stream: its lines are read as they are decoded.
func (r *Reader) startStream(start int64, size uint64) error {
	s := &frameStream{r: r, start: start, pre: append([]byte{}, r.raw...), size: size}
	hdr := r.raw
	s.sum = len(hdr) > 4 && hdr[4]&0x04 != 0 // Content_Checksum_flag
	if r.sdec == nil {
		d, err := zstd.NewReader(nil,
			zstd.WithDecoderMaxWindow(MaxWindow),
			zstd.WithDecoderMaxMemory(1<<62),
			zstd.WithDecoderConcurrency(1),
		)
		if err != nil {
			panic(err) // only invalid options make this fail
		}
		r.sdec = d
	}
	if err := r.sdec.Reset(s); err != nil {
		return r.problem(start, "%s", decodeProblem(err, 0))
	}
	r.stream = s
	r.streamed = 0
	r.frame = start
	r.cur = FrameInfo{Offset: start, FirstSeq: r.records}
	r.curOpen = true
	return nil
}

// streamMore decodes the next part of a streamed frame into pend, after
// the unfinished line pend holds.
func (r *Reader) streamMore() error {
	s := r.stream
	if cap(r.sbuf) < MaxLine+1+streamChunk {
		r.sbuf = make([]byte, MaxLine+1+streamChunk)
	}
	buf := r.sbuf[:cap(r.sbuf)]
	rem := copy(buf, r.pend)
	n, err := io.ReadFull(r.sdec, buf[rem:rem+streamChunk])
	r.pend = buf[:rem+n]
	if n > 0 {
		r.sLast = buf[rem+n-1]
	}
	r.streamed += int64(n)
	r.dTotal += int64(n)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		r.stream, r.pend = nil, nil
		if s.stop != nil {
			return s.stop
		}
		return r.problem(s.start, "%s", decodeProblem(err, s.size))
	}
	if r.streamed > MaxFrameContent && !r.sOver {
		r.sOver = true
		r.problem(s.start, "frame decompresses to more than the %d bytes a bundle writer puts in one frame: the container was rewritten", MaxFrameContent)
	}
	if r.dTotal > bombRatio*r.off+MaxFrameContent {
		r.stream, r.pend = nil, nil
		return r.problem(s.start, "decompressed size exceeds %d times the compressed size (decompression bomb)", bombRatio)
	}
	if err == nil {
		return nil
	}
	// The frame has ended.
	r.stream = nil
	r.sOver = false
	if !s.ended || s.left > 0 {
		r.pend = nil
		return r.problem(s.start, "truncated frame")
	}
	if r.streamed == 0 || r.sLast != '\n' {
		r.problem(s.start, "frame does not end at a line boundary")
	}
	r.cur.CSize = clamp32(r.off - s.start)
	r.cur.DSize = clamp32(r.streamed)
	return nil
}

func clamp32(n int64) uint32 {
	if n > 1<<32-1 {
		return 1<<32 - 1
	}
	return uint32(n)
}
