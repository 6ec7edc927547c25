package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/bits"
	"sort"
	"strings"
	"sync"

	"github.com/countersign/countersign/format"
)

// matchSet holds the sequence numbers a filter matched: one bit a record
// and a running count per 64 records, so the k-th match is found in
// logarithmic time and ten million records take under 3 MB however many
// match. Matches are added in increasing order.
type matchSet struct {
	words []uint64
	cum   []int64 // matches before each word
	n     int64
}

func (s *matchSet) add(seq int64) {
	w := int(seq / 64)
	for len(s.words) <= w {
		s.words = append(s.words, 0)
		s.cum = append(s.cum, s.n)
	}
	bit := uint64(1) << (seq % 64)
	if s.words[w]&bit == 0 {
		s.words[w] |= bit
		s.n++
	}
}

// nth returns the k-th match (from 0).
func (s *matchSet) nth(k int64) int64 {
	if k < 0 || k >= s.n {
		return -1
	}
	i := sort.Search(len(s.cum), func(i int) bool { return s.cum[i] > k }) - 1
	w := s.words[i]
	for r := k - s.cum[i]; r > 0; r-- {
		w &= w - 1
	}
	return int64(i)*64 + int64(bits.TrailingZeros64(w))
}

// rank returns how many matches are below seq.
func (s *matchSet) rank(seq int64) int64 {
	w := int(seq / 64)
	if w >= len(s.words) {
		return s.n
	}
	return s.cum[w] + int64(bits.OnesCount64(s.words[w]&(uint64(1)<<(seq%64)-1)))
}

// query is a parsed filter: actor:ID, run:ID (the records naming the run
// and the outcomes deciding its proposal and attempts), type:T, or text
// anywhere in the record's line (ASCII letters in either case).
type query struct {
	field, value string
	lower        []byte
	buf          []byte // the line in lower case, reused
	// attempts, for run:ID, are the run's proposals and attempts not yet
	// decided: the outcome deciding one names it, not the run, and is
	// shown with the run (at most maxOpenAttempts are remembered).
	attempts map[int64]bool
}

const maxOpenAttempts = 1 << 16

func parseQuery(q string) *query {
	for _, f := range []string{"actor", "run", "type"} {
		if v, ok := strings.CutPrefix(q, f+":"); ok {
			return &query{field: f, value: v, attempts: map[int64]bool{}}
		}
	}
	lower := []byte(q)
	for i, c := range lower {
		if c >= 'A' && c <= 'Z' {
			lower[i] = c + 'a' - 'A'
		}
	}
	return &query{lower: lower}
}

func (q *query) match(seq int64, line []byte) bool {
	if q.field == "" {
		q.buf = q.buf[:0]
		for _, c := range line {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			q.buf = append(q.buf, c)
		}
		return bytes.Contains(q.buf, q.lower)
	}
	if q.field == "run" && len(q.attempts) > 0 && bytes.Contains(line, []byte(`"type":"outcome"`)) {
		if r, err := format.ParseRecord(line); err == nil {
			var o struct {
				Attempt int64 `json:"attempt"`
			}
			if json.Unmarshal(r.Body, &o) == nil && q.attempts[o.Attempt] {
				delete(q.attempts, o.Attempt)
				return true
			}
		}
		return false
	}
	// A cheap test first: the value must appear in the line at all.
	if !bytes.Contains(line, []byte(q.value)) {
		return false
	}
	r, err := format.ParseRecord(line)
	if err != nil {
		return false
	}
	switch q.field {
	case "actor":
		return r.Actor == q.value
	case "type":
		return r.Type == q.value
	}
	if runOf(r.Body) != q.value {
		return false
	}
	if (r.Type == format.TypeProposal || r.Type == format.TypeAttempt) && len(q.attempts) < maxOpenAttempts {
		q.attempts[seq] = true
	}
	return true
}

// runOf is the run a record's body names ("" for none).
func runOf(body []byte) string {
	var b struct {
		Run string `json:"run"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	return b.Run
}

// filter is one filter, scanning in the background.
type filter struct {
	id     int
	text   string
	cancel context.CancelFunc
	news   chan struct{}

	mu      sync.Mutex
	set     matchSet
	scanned int64
	total   int64
	done    bool
}

// filterMsg says filter id has news.
type filterMsg struct{ id int }

func (f *filter) snapshot() (n, scanned, total int64, done bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.set.n, f.scanned, f.total, f.done
}

func (f *filter) nth(k int64) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.set.nth(k)
}

func (f *filter) poke() {
	select {
	case f.news <- struct{}{}:
	default:
	}
}

// scan matches the first total records of the bundle r, reading it apart
// from the screens (its own seek-table decoder, or in order when the
// linear reading is in use).
func (f *filter) scan(ctx context.Context, r io.ReaderAt, size int64, linear bool, q *query) {
	defer func() {
		f.mu.Lock()
		f.done = true
		f.mu.Unlock()
		f.poke()
	}()
	var batch []int64
	flush := func(scanned int64) {
		f.mu.Lock()
		for _, s := range batch {
			f.set.add(s)
		}
		f.scanned = scanned
		f.mu.Unlock()
		batch = batch[:0]
		f.poke()
	}
	if !linear {
		ix, err := format.OpenIndex(r, size)
		if err == nil {
			defer ix.Close()
			for i, fr := range ix.Frames {
				if ctx.Err() != nil || fr.FirstSeq >= f.total {
					return
				}
				lines, err := ix.Frame(i)
				if err != nil {
					break // the screens switch to the linear reading; this filter stops here
				}
				if fr.Count == 0 {
					continue
				}
				for j, l := range lines {
					if q.match(fr.FirstSeq+int64(j), l) {
						batch = append(batch, fr.FirstSeq+int64(j))
					}
				}
				flush(fr.FirstSeq + int64(fr.Count))
			}
			return
		}
	}
	rd := format.NewReader(io.NewSectionReader(r, 0, size))
	defer rd.Close()
	for seq := int64(0); seq < f.total; seq++ {
		if ctx.Err() != nil {
			return
		}
		l, err := rd.Next()
		if err != nil || format.IsTrailer(l.Bytes) {
			break
		}
		if q.match(seq, l.Bytes) {
			batch = append(batch, seq)
		}
		if seq%4096 == 4095 {
			flush(seq + 1)
		}
	}
	flush(f.total)
}
