package verifier

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"sort"
)

// digestSet is an exact set of 128-bit digests, each with the sequence
// number of the record that added it. It holds 24 bytes per member: a
// small map takes new members; full, it is sorted into a level of chunks,
// and levels merge like a binary counter, chunk by chunk, so a merge never
// holds two copies of what it merges (SPEC.md §10).
type digestSet struct {
	buf    map[digest]int64
	levels []*setLevel // levels[i] is nil or holds setBuffer<<i members
	n      int64
}

type digest [16]byte

type setEntry struct {
	d   digest
	seq int64
}

// setLevel is a sorted sequence of members kept in chunks of chunkLen.
type setLevel struct {
	chunks [][]setEntry
}

const (
	setBuffer = 1 << 12
	chunkLen  = 2048
)

func digestOf(prefix string, b []byte) digest {
	h := sha256.New()
	h.Write([]byte(prefix))
	h.Write(b)
	var d digest
	copy(d[:], h.Sum(nil))
	return d
}

func (s *digestSet) lookup(d digest) (int64, bool) {
	if seq, ok := s.buf[d]; ok {
		return seq, true
	}
	for _, l := range s.levels {
		if l == nil {
			continue
		}
		if seq, ok := l.find(d); ok {
			return seq, true
		}
	}
	return 0, false
}

// add puts d in the set; the caller has checked that it is not there.
func (s *digestSet) add(d digest, seq int64) {
	if s.buf == nil {
		s.buf = make(map[digest]int64, setBuffer)
	}
	s.buf[d] = seq
	s.n++
	if len(s.buf) < setBuffer {
		return
	}
	es := make([]setEntry, 0, len(s.buf))
	for d, seq := range s.buf {
		es = append(es, setEntry{d, seq})
	}
	clear(s.buf)
	slices.SortFunc(es, func(a, b setEntry) int { return bytes.Compare(a.d[:], b.d[:]) })
	carry := &setLevel{}
	for len(es) > 0 {
		n := min(chunkLen, len(es))
		carry.chunks = append(carry.chunks, slices.Clone(es[:n]))
		es = es[n:]
	}
	for i := 0; ; i++ {
		if i == len(s.levels) {
			s.levels = append(s.levels, nil)
		}
		if s.levels[i] == nil {
			s.levels[i] = carry
			return
		}
		carry = mergeLevels(s.levels[i], carry)
		s.levels[i] = nil
	}
}

func (l *setLevel) find(d digest) (int64, bool) {
	i := sort.Search(len(l.chunks), func(i int) bool {
		c := l.chunks[i]
		return bytes.Compare(c[len(c)-1].d[:], d[:]) >= 0
	})
	if i == len(l.chunks) {
		return 0, false
	}
	c := l.chunks[i]
	j := sort.Search(len(c), func(j int) bool { return bytes.Compare(c[j].d[:], d[:]) >= 0 })
	if j < len(c) && c[j].d == d {
		return c[j].seq, true
	}
	return 0, false
}

// mergeLevels merges two levels into a new one, dropping each input chunk
// as soon as it is consumed.
func mergeLevels(a, b *setLevel) *setLevel {
	out := &setLevel{}
	cur := make([]setEntry, 0, chunkLen)
	emit := func(e setEntry) {
		cur = append(cur, e)
		if len(cur) == chunkLen {
			out.chunks = append(out.chunks, cur)
			cur = make([]setEntry, 0, chunkLen)
		}
	}
	ai, aj, bi, bj := 0, 0, 0, 0
	for ai < len(a.chunks) || bi < len(b.chunks) {
		switch {
		case bi == len(b.chunks) || ai < len(a.chunks) && bytes.Compare(a.chunks[ai][aj].d[:], b.chunks[bi][bj].d[:]) < 0:
			emit(a.chunks[ai][aj])
			if aj++; aj == len(a.chunks[ai]) {
				a.chunks[ai], ai, aj = nil, ai+1, 0
			}
		default:
			emit(b.chunks[bi][bj])
			if bj++; bj == len(b.chunks[bi]) {
				b.chunks[bi], bi, bj = nil, bi+1, 0
			}
		}
	}
	if len(cur) > 0 {
		out.chunks = append(out.chunks, slices.Clip(cur))
	}
	return out
}
