package tui

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/countersign/countersign/format"
)

// Source reads the records of one bundle file, on screen only: through the
// seek table while it agrees with what the verifier reads in order, and
// through that linear reading once it does not (or when the bundle has no
// usable table). It holds one file for its whole life and reads it with
// ReadAt, so the background verification and the screen share it.
type Source struct {
	r    io.ReaderAt
	size int64

	mu     sync.Mutex
	ix     *format.Index // nil when there is no usable seek table
	linear bool
	reason string // why the linear reading is used
	// lin is what the linear reading found: for each frame some line ends
	// in, its offset and the first line (record) ending in it.
	lin     []linFrame
	linRecs int64 // records the linear reading has passed
	frames  map[int][][]byte
	order   []int // frames cached, oldest first
	block   linBlock
}

type linFrame struct {
	off   int64
	first int64
}

// linBlock is the lines last read in the linear reading.
type linBlock struct {
	lo    int64
	lines [][]byte
}

// cacheFrames is how many decoded frames are kept (each at most
// format.MaxFrameContent bytes).
const cacheFrames = 4

// linearWindow is how many lines one linear read keeps.
const linearWindow = 256

// NewSource opens the seek table of the bundle r of the given size. A
// bundle without a usable table is read linearly: then only the records
// the verifier has already passed can be shown.
func NewSource(r io.ReaderAt, size int64) *Source {
	s := &Source{r: r, size: size, frames: map[int][][]byte{}}
	ix, err := format.OpenIndex(r, size)
	if err != nil {
		s.linear, s.reason = true, "no usable seek table ("+err.Error()+")"
		return s
	}
	s.ix = ix
	return s
}

// Close releases the decoder.
func (s *Source) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ix != nil {
		s.ix.Close()
	}
}

// Linear reports whether the linear reading is in use, and why.
func (s *Source) Linear() (bool, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.linear, s.reason
}

// Count is the number of records that can be shown: per the seek table,
// or as far as the linear reading has got.
func (s *Source) Count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.linear {
		return s.linRecs
	}
	return s.ix.Records
}

// TableRecords is the number of records the seek table states, -1 without
// one.
func (s *Source) TableRecords() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ix == nil {
		return -1
	}
	return s.ix.Records
}

// SwitchLinear makes the source read linearly from now on, for reason.
func (s *Source) SwitchLinear(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.linear {
		s.linear, s.reason = true, reason
		s.frames, s.order = map[int][][]byte{}, nil
	}
}

// seen records what the linear reading found at record seq: the frame its
// line ends in. It returns a reason when that disagrees with the seek
// table.
func (s *Source) seen(seq, frame int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.lin); n == 0 || s.lin[n-1].off != frame {
		s.lin = append(s.lin, linFrame{off: frame, first: seq})
	}
	if seq+1 > s.linRecs {
		s.linRecs = seq + 1
	}
	if s.linear || s.ix == nil {
		return ""
	}
	if seq >= s.ix.Records {
		return fmt.Sprintf("the seek table lists %d records, but record %d follows in the file", s.ix.Records, seq)
	}
	i := s.frameOf(seq)
	if s.ix.Frames[i].Offset != frame {
		return fmt.Sprintf("the seek table places record %d in the frame at byte %d; read in order it ends in the frame at byte %d", seq, s.ix.Frames[i].Offset, frame)
	}
	return ""
}

func (s *Source) frameOf(seq int64) int {
	return sort.Search(len(s.ix.Frames), func(i int) bool { return s.ix.Frames[i].FirstSeq+int64(s.ix.Frames[i].Count) > seq })
}

// errNotRead is returned for a record the linear reading has not reached.
var errNotRead = errors.New("not read yet: the verification has not reached this record")

// Line returns the exact line of record seq.
func (s *Source) Line(seq int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.linear {
		l, err := s.viaTable(seq)
		if err == nil {
			return l, nil
		}
		var ce *format.ContainerError
		if !errors.As(err, &ce) {
			return nil, err
		}
		s.linear, s.reason = true, "the seek table disagrees with the file: "+err.Error()
		s.frames, s.order = map[int][][]byte{}, nil
	}
	return s.viaLinear(seq)
}

func (s *Source) viaTable(seq int64) ([]byte, error) {
	if seq < 0 || seq >= s.ix.Records {
		return nil, fmt.Errorf("record %d is outside the bundle (0 to %d)", seq, s.ix.Records-1)
	}
	i := s.frameOf(seq)
	lines, ok := s.frames[i]
	if !ok {
		var err error
		if lines, err = s.ix.Frame(i); err != nil {
			return nil, err
		}
		s.frames[i] = lines
		s.order = append(s.order, i)
		if len(s.order) > cacheFrames {
			delete(s.frames, s.order[0])
			s.order = s.order[1:]
		}
	}
	return lines[seq-s.ix.Frames[i].FirstSeq], nil
}

func (s *Source) viaLinear(seq int64) ([]byte, error) {
	if seq < 0 || seq >= s.linRecs {
		return nil, errNotRead
	}
	if b := s.block; seq >= b.lo && seq < b.lo+int64(len(b.lines)) {
		return b.lines[seq-b.lo], nil
	}
	// The line of seq starts in the frame where the line before it ends
	// (or a later one): read from there and skip the lines before it.
	k := sort.Search(len(s.lin), func(i int) bool { return s.lin[i].first > seq }) - 1
	var off, first int64
	if k > 0 {
		off, first = s.lin[k-1].off, s.lin[k-1].first
	}
	rd := format.NewReader(io.NewSectionReader(s.r, off, s.size-off))
	defer rd.Close()
	var out [][]byte
	for idx := first; idx < seq+linearWindow; idx++ {
		l, err := rd.Next()
		if err != nil {
			break
		}
		if idx >= seq {
			if format.IsTrailer(l.Bytes) {
				break
			}
			out = append(out, append([]byte(nil), l.Bytes...))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("record %d cannot be read in order from byte %d", seq, off)
	}
	s.block = linBlock{lo: seq, lines: out}
	return out[0], nil
}
