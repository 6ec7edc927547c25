package verifier

import "github.com/countersign/countersign/format"

// Signatures are checked in batches by key (SPEC.md §4.1): the jobs of a
// window of records are grouped by the key they are checked under, in the
// order they first appear, and each group is checked in chunks of at most
// maxBatch with one batch equation. A chunk that fails is decided member
// by member with the single check, so a finding names exactly the records
// at fault; after a failed chunk, the rest of that key's group in the
// window is checked one by one, so a bundle that spoils every batch costs
// little more than checking every signature singly.
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
	for _, g := range w.order {
		w.group(g)
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

func (j *job) entryOf() format.Entry {
	return format.Entry{Prefix: j.prefix, Data: j.data, Tail: j.tail, Sig: j.sig}
}

// single is the single check of SPEC.md §4.1.
func (j *job) single() bool {
	e := j.entryOf()
	return j.pub.VerifyEntry(&e)
}
