package verifier

import "github.com/countersign/countersign/format"

// Signatures are checked in batches by key (SPEC.md §4.1): the jobs of a
// window of records are grouped by the key they are checked under, in the
// order they first appear, and each group is checked in chunks of at most
// maxBatch with one batch equation. A chunk that fails is decided member
// by member with the single check, so a finding names exactly the records
// at fault; after a failed chunk, the rest of that key's group in the
// window is checked one by one, so a bundle that spoils every batch costs
// little more than checking every signature singly. Keys with fewer than
// minBatch signatures in the window share batches, with a term per key in
// the equation; a key with a failing signature is then checked one by one
// for the rest of the window.
const (
	windowRecords = 1024    // records per window
	windowBytes   = 1 << 20 // a window is sent once its lines reach this size
	windowsQueued = 1       // windows waiting for a worker
	maxBatch      = 128
	minBatch      = 12 // below this, single checks cost less (a batch costs about 7 single checks, then a quarter of one per member)
)

// batcher groups and checks the jobs of one window. Each worker has one.
type batcher struct {
	b       *format.Batch
	groups  map[[32]byte]*keyGroup
	order   []*keyGroup
	entries []format.Entry
	spare   []*keyGroup
	singly  bool // no batches: every job is checked on its own
	small   []*job
	keys    []*format.PublicKey
	members []*job
	spoiled map[[32]byte]bool
	stats   batchStats
}

// batchStats counts what a batcher did.
type batchStats struct {
	batches, failed, singles int64
}

func (s *batchStats) add(o batchStats) {
	s.batches += o.batches
	s.failed += o.failed
	s.singles += o.singles
}

type keyGroup struct {
	key  *format.PublicKey
	jobs []*job
}

func newBatcher() *batcher {
	return &batcher{b: format.NewBatch(), groups: make(map[[32]byte]*keyGroup)}
}

// verify sets ok on every job of items not already checked.
func (w *batcher) verify(items []*item) {
	for _, it := range items {
		for _, j := range it.jobs {
			if j.done {
				continue
			}
			var raw [32]byte
			copy(raw[:], j.pub.Raw())
			g := w.groups[raw]
			if g == nil {
				if n := len(w.spare); n > 0 {
					g, w.spare = w.spare[n-1], w.spare[:n-1]
				} else {
					g = &keyGroup{}
				}
				g.key = j.pub
				w.groups[raw] = g
				w.order = append(w.order, g)
			}
			g.jobs = append(g.jobs, j)
		}
	}
	// Keys with too few signatures for a batch of their own share one:
	// a term per key in the equation.
	w.small = w.small[:0]
	for _, g := range w.order {
		if len(g.jobs) < minBatch {
			w.small = append(w.small, g.jobs...)
		} else {
			w.group(g)
		}
	}
	w.mixed(w.small)
	clear(w.small)
	for _, g := range w.order {
		clear(g.jobs)
		g.jobs, g.key = g.jobs[:0], nil
		w.spare = append(w.spare, g)
	}
	clear(w.groups)
	clear(w.order)
	w.order = w.order[:0]
}

// group checks one key's jobs.
func (w *batcher) group(g *keyGroup) {
	failed := false
	for start := 0; start < len(g.jobs); start += maxBatch {
		chunk := g.jobs[start:min(start+maxBatch, len(g.jobs))]
		if !failed && !w.singly && len(chunk) >= minBatch {
			w.entries = w.entries[:0]
			for _, j := range chunk {
				w.entries = append(w.entries, j.entryOf())
			}
			ok := w.b.Verify(g.key, w.entries)
			clear(w.entries)
			w.stats.batches++
			if ok {
				for _, j := range chunk {
					j.ok = true
				}
				continue
			}
			failed = true
			w.stats.failed++
		}
		for _, j := range chunk {
			j.ok = j.single()
		}
		w.stats.singles += int64(len(chunk))
	}
}

// mixed checks jobs under many keys in shared batches. A key with a
// signature that fails is checked one by one for the rest of the window.
func (w *batcher) mixed(jobs []*job) {
	if w.spoiled == nil {
		w.spoiled = map[[32]byte]bool{}
	}
	clear(w.spoiled)
	for start := 0; start < len(jobs); start += maxBatch {
		chunk := jobs[start:min(start+maxBatch, len(jobs))]
		w.members, w.keys, w.entries = w.members[:0], w.keys[:0], w.entries[:0]
		for _, j := range chunk {
			if w.singly || w.spoiled[rawKey(j)] {
				j.ok = j.single()
				w.stats.singles++
				continue
			}
			w.members, w.keys, w.entries = append(w.members, j), append(w.keys, j.pub), append(w.entries, j.entryOf())
		}
		if len(w.members) >= minBatch {
			ok := w.b.VerifyKeys(w.keys, w.entries)
			w.stats.batches++
			if ok {
				for _, j := range w.members {
					j.ok = true
				}
				w.done()
				continue
			}
			w.stats.failed++
		}
		for _, j := range w.members {
			if j.ok = j.single(); !j.ok {
				w.spoiled[rawKey(j)] = true
			}
		}
		w.stats.singles += int64(len(w.members))
		w.done()
	}
}

// done drops the references a chunk left in the scratch slices.
func (w *batcher) done() {
	clear(w.members)
	clear(w.keys)
	clear(w.entries)
}

func rawKey(j *job) (raw [32]byte) {
	copy(raw[:], j.pub.Raw())
	return raw
}

func (j *job) entryOf() format.Entry {
	return format.Entry{Prefix: j.prefix, Data: j.data, Tail: j.tail, Sig: j.sig}
}

// single is the single check of SPEC.md §4.1.
func (j *job) single() bool {
	e := j.entryOf()
	return j.pub.VerifyEntry(&e)
}
