package tui

import (
	"sort"
	"strings"
	"sync"

	"github.com/countersign/countersign/verifier"
)

// Record statuses, as the verifier reported them.
const (
	statusPending uint8 = iota // the verifier has not reached the record
	statusOK                   // intact, no finding
	statusFinding              // a finding names the record, or it is not intact
)

// Bounds on what the browser keeps of the verifier's streams, so that its
// memory stays bounded on any bundle: past them it counts and says so.
const (
	maxRunsKept       = 200_000  // run summaries listed
	maxRunDetailBytes = 16 << 20 // estimated bytes of timelines kept in full (about twice that in memory)
	maxBadRunBytes    = 16 << 20 // the same, for runs with findings, kept apart so they are never crowded out
	maxChangesKept    = 100_000
	maxRecordFindings = 20_000 // records whose findings are kept per record
	statusChunk       = 1 << 16
)

// runEntry is one run as the runs screen lists it. TL is nil when the
// timeline was not kept (the memory bound was reached).
type runEntry struct {
	Run     string
	First   int64
	State   string
	OK      bool
	Partial bool
	Records int
	TL      *verifier.RunTimeline
}

// Store is what the background verification hands the screens. It is
// written by one goroutine and read by the screens under its lock.
type Store struct {
	mu sync.RWMutex

	status  [][]uint8 // chunked per-record status
	records int64     // records reported so far
	bytes   int64     // compressed bytes read so far
	total   int64     // file size
	types   map[string]int64
	first   string // claimed time of the first record
	last    string // claimed time of the last record read

	findings    map[int64][]verifier.Finding // findings per record (bounded)
	liveCount   int64                        // findings reported so far
	live        []verifier.Finding           // the first findings reported, before the Result
	alerts      *alertStore
	runs        []*runEntry
	runsDropped int64
	runBytes    int64
	badRunBytes int64
	runsSorted  bool
	changes     []*verifier.Change
	chDropped   int64
	register    *Register

	done   bool
	result *verifier.Result
	err    error
	sha256 string
	gen    uint64 // bumped on every change the screens should see
}

func newStore(total int64) *Store {
	return &Store{total: total, types: map[string]int64{}, findings: map[int64][]verifier.Finding{}, register: newRegister(), alerts: newAlertStore()}
}

// Status returns the status of record seq.
func (st *Store) Status(seq int64) uint8 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.statusLocked(seq)
}

func (st *Store) statusLocked(seq int64) uint8 {
	c := seq / statusChunk
	if seq < 0 || c >= int64(len(st.status)) {
		return statusPending
	}
	return st.status[c][seq%statusChunk]
}

func (st *Store) setStatusLocked(seq int64, s uint8) {
	c := seq / statusChunk
	for int64(len(st.status)) <= c {
		st.status = append(st.status, make([]uint8, statusChunk))
	}
	if old := st.status[c][seq%statusChunk]; old == statusFinding {
		return // a later event on the same record (the trailer's) never clears a finding
	}
	st.status[c][seq%statusChunk] = s
}

// event takes one verifier event.
func (st *Store) event(ev *verifier.Event) {
	s := statusOK
	if !ev.OK || len(ev.Findings) > 0 {
		s = statusFinding
	}
	st.setStatusLocked(ev.Seq, s)
	if ev.Seq+1 > st.records {
		st.records = ev.Seq + 1
	}
	st.bytes = ev.Bytes
	if ev.Type != "" {
		st.types[ev.Type]++
	}
	if ev.Time != "" {
		if st.first == "" {
			st.first = ev.Time
		}
		st.last = ev.Time
	}
	if len(ev.Findings) > 0 {
		st.liveCount += int64(len(ev.Findings))
		if len(st.live) < 1000 {
			st.live = append(st.live, ev.Findings[:min(len(ev.Findings), 1000-len(st.live))]...)
		}
		if _, ok := st.findings[ev.Seq]; ok || len(st.findings) < maxRecordFindings {
			st.findings[ev.Seq] = append(st.findings[ev.Seq], ev.Findings...)
		}
	}
}

func (st *Store) addRun(tl *verifier.RunTimeline) {
	st.register.fromRun(tl)
	if len(st.runs) >= maxRunsKept {
		st.runsDropped++
		return
	}
	recs := tl.Records()
	e := &runEntry{Run: tl.Run, State: tl.State, OK: tl.OK(), Partial: tl.Partial, Records: len(recs)}
	if len(recs) > 0 {
		e.First = recs[0].Seq
	}
	switch cost := timelineCost(tl); {
	case !e.OK && st.badRunBytes+cost <= maxBadRunBytes:
		st.badRunBytes += cost
		e.TL = tl
	case e.OK && st.runBytes+cost <= maxRunDetailBytes:
		st.runBytes += cost
		e.TL = tl
	}
	st.runs = append(st.runs, e)
	st.runsSorted = false
}

// timelineCost is about what a timeline holds in memory.
func timelineCost(tl *verifier.RunTimeline) int64 {
	n := int64(len(tl.Run)) + 512
	if p := tl.Proposal; p != nil {
		n += int64(len(p.Action)+len(p.Reason)) + 512
		for k, v := range p.Summary {
			n += int64(len(k) + len(v) + 32)
		}
	}
	for _, a := range tl.Attempts {
		n += int64(len(a.Reason)) + 768
	}
	n += int64(len(tl.Gates)+len(tl.Others)) * 512
	return n
}

func (st *Store) addChange(c *verifier.Change) {
	st.register.fromChange(c)
	if len(st.changes) >= maxChangesKept {
		st.chDropped++
		return
	}
	st.changes = append(st.changes, c)
}

// sortedRuns returns the runs in order of their first record.
func (st *Store) sortedRunsLocked() []*runEntry {
	if !st.runsSorted {
		sort.SliceStable(st.runs, func(i, j int) bool { return st.runs[i].First < st.runs[j].First })
		st.runsSorted = true
	}
	return st.runs
}

// recordFindings returns the findings that name record seq: those reported
// with it, and, once verification ended, those of the Result.
func (st *Store) recordFindings(seq int64) []verifier.Finding {
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := append([]verifier.Finding(nil), st.findings[seq]...)
	if st.result != nil {
		for _, f := range st.result.Findings {
			if names(f, seq) && !hasFinding(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func names(f verifier.Finding, seq int64) bool {
	for _, r := range f.Records {
		if r == seq {
			return true
		}
	}
	return false
}

func hasFinding(fs []verifier.Finding, f verifier.Finding) bool {
	for _, g := range fs {
		if g.Rule == f.Rule && g.Message == f.Message {
			return true
		}
	}
	return false
}

// integrity reports whether a finding is an integrity finding.
func integrity(f verifier.Finding) bool { return strings.HasPrefix(f.Rule, "INT-") }

// Findings returns the findings to list: the Result's once verification
// ended, the ones reported so far before; integrity findings first.
func (st *Store) findingsLocked() []verifier.Finding {
	var fs []verifier.Finding
	if st.result != nil {
		fs = append(fs, st.result.Findings...)
	} else {
		fs = append(fs, st.live...)
	}
	sort.SliceStable(fs, func(i, j int) bool { return integrity(fs[i]) && !integrity(fs[j]) })
	return fs
}
