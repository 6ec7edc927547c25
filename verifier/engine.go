package verifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/countersign/countersign/format"
)

// Rule IDs of the integrity layer (SPEC.md §8.1) and of key enrolment (§8.2).
const (
	RuleContainer    = "INT-CONTAINER"
	RuleParse        = "INT-PARSE"
	RuleVersion      = "INT-VERSION"
	RuleSequence     = "INT-SEQUENCE"
	RuleChain        = "INT-CHAIN"
	RuleEnvelope     = "INT-ENVELOPE"
	RuleStatement    = "INT-STATEMENT"
	RuleSeal         = "INT-SEAL"
	RuleFinalSeal    = "INT-FINAL-SEAL"
	RuleTime         = "INT-TIME"
	RuleTrust        = "INT-TRUST"
	RuleCheckpoint   = "INT-CHECKPOINT"
	RuleKeyEnrolment = "SOD-KEY-ENROLMENT"
	noSeq            = int64(-1)
)

// job is one signature check, run on a worker.
type job struct {
	pub    *format.PublicKey
	prefix string // sig is over prefix || data || tail
	data   []byte
	tail   string
	sig    []byte
	ok     bool
	done   bool // already checked while scanning
	stmt   int  // 1 + the index in sigs of the statement it checks; 0 for none
	// what to report if it fails, naming recs (the item's record when nil)
	rule string
	msg  string
	recs []int64
	// msgOf, when set, makes msg only if the check fails (most never do);
	// who is the signer it names.
	msgOf func(j *job, pos int64) string
	who   string
}

// item is one line of the bundle on its way through the pipeline.
type item struct {
	pos      int64
	bytes    int64
	frame    int64          // byte offset of the frame the line ends in
	rec      *format.Record // nil if the line could not be parsed
	body     any
	stmts    []*format.Statement // parallel to rec.Sigs; nil where unusable
	jobs     []*job
	findings []Finding
	effect   func(*State) // applied to a State once the record is checked
	// checkpoint is set on the record a checkpoint ends at.
	checkpoint bool
}

type batch struct {
	items []*item
	done  chan struct{}
}

// verification holds one Verify call.
type verification struct {
	trust Trust
	opts  Options

	// scan stage
	ahead     *State
	pos       int64
	prevHash  format.Hash
	prevLine  format.Hash // hash of the line before the one being scanned
	prevTime  string
	havePrev  bool
	trailer   *format.Trailer
	afterTrl  bool
	cpChecked bool
	genesisOK bool
	stopped   bool
	lim       limits
	badLines  int       // consecutive lines that did not parse
	stmtSet   digestSet // statements of records other than attempts and proposals (SPEC.md §5.1)

	// finish stage
	state    *State
	rules    []Rule
	findings []Finding
	omitted  int
	counts   Counts
	bundle   Bundle
	problems []*format.ContainerError

	tl *timeline // the timeline and change log, when a consumer is set

	// resolve sends the open window and waits until every window sent has
	// its signatures checked.
	resolve func()
	// batchStats sums the workers' counts once they are done.
	batchStats batchStats
}

func newRun(trust Trust, opts Options) *verification {
	v := &verification{trust: trust, opts: opts, ahead: newState(), state: newState(), rules: Rules(), lim: defaultLimits()}
	if opts.lim != nil {
		v.lim = *opts.lim
	}
	v.tl = newTimeline(opts, v.lim)
	return v
}

// on reports whether condition id is checked (tests turn conditions off).
func (v *verification) on(id string) bool { return !v.opts.off[id] }

func (v *verification) run(ctx context.Context, r io.Reader) error {
	cr := &countingReader{r: r}
	rd := format.NewReader(cr)
	defer rd.Close()
	// The reader calls OnProblem from this goroutine; the result is read
	// only after every stage has finished.
	rd.OnProblem = func(e *format.ContainerError) { v.problems = append(v.problems, e) }

	// The first line must be a parseable genesis record, or this is not a
	// bundle at all.
	first, err := rd.Next()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, format.ErrNotBundle) {
			return fmt.Errorf("%w: no genesis record", format.ErrNotBundle)
		}
		var ce *format.ContainerError
		if errors.As(err, &ce) {
			return fmt.Errorf("%w: %v", format.ErrNotBundle, ce)
		}
		return err
	}
	if first.TooLong {
		return fmt.Errorf("%w: first line is not a genesis record", format.ErrNotBundle)
	}
	g, err := format.ParseRecord(first.Bytes)
	if err != nil || g.Type != format.TypeGenesis {
		return fmt.Errorf("%w: first line is not a genesis record", format.ErrNotBundle)
	}
	if err := wellFormedGenesis(g); err != nil {
		return fmt.Errorf("%w: record 0 is not a well-formed genesis: %v", format.ErrNotBundle, err)
	}

	work := make(chan *batch, windowsQueued)
	ordered := make(chan *batch, windowsQueued+v.opts.Workers)
	var wg sync.WaitGroup
	var statsMu sync.Mutex
	for i := 0; i < v.opts.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newBatcher()
			w.singly = v.opts.singly
			for b := range work {
				w.verify(b.items)
				close(b.done)
			}
			statsMu.Lock()
			v.batchStats.add(w.stats)
			statsMu.Unlock()
		}()
	}
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for b := range ordered {
			<-b.done
			for _, it := range b.items {
				v.finish(it)
			}
		}
	}()

	var readErr error
	cur := &batch{done: make(chan struct{})}
	curBytes := 0
	var pending []*batch // windows sent whose signatures may be unchecked
	send := func() {
		if len(cur.items) == 0 {
			return
		}
		ordered <- cur
		work <- cur
		kept := pending[:0]
		for _, b := range pending {
			select {
			case <-b.done:
			default:
				kept = append(kept, b)
			}
		}
		clear(pending[len(kept):])
		pending = append(kept, cur)
		cur = &batch{done: make(chan struct{})}
		curBytes = 0
	}
	// Before a record whose effect depends on its signatures takes effect,
	// every window read before it is sent and its batches are resolved.
	v.resolve = func() {
		send()
		for _, b := range pending {
			<-b.done
		}
		clear(pending)
		pending = pending[:0]
	}
	line := first
	for {
		if ctx.Err() != nil {
			readErr = ctx.Err()
			break
		}
		it := v.scan(line, cr.n)
		if it != nil {
			it.frame = line.Frame
			cur.items = append(cur.items, it)
			// Lines in flight are bounded in bytes too, so that large
			// records do not pile up in memory (SPEC.md §10).
			if curBytes += len(line.Bytes); len(cur.items) == windowRecords || curBytes >= windowBytes {
				send()
			}
		}
		if v.stopped {
			break
		}
		line, err = rd.Next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				var ce *format.ContainerError
				if !errors.As(err, &ce) {
					readErr = err
				}
			}
			break
		}
	}
	atEnd := readErr == nil && !v.stopped
	if atEnd {
		if it := v.end(cr.n); it != nil {
			cur.items = append(cur.items, it)
		}
	}
	send()
	close(ordered)
	close(work)
	wg.Wait()
	<-finished
	var ends []Finding
	if atEnd {
		ends = v.endRules()
		for _, f := range ends {
			v.add(f)
		}
	}
	if readErr == nil && v.tl != nil {
		v.tl.end(ends)
	}
	if readErr != nil {
		return fmt.Errorf("failed to read bundle: %w", readErr)
	}
	v.counts.Bytes = cr.n
	for _, p := range v.problems {
		cond := "INT-CONTAINER.1"
		if p.Kind == format.ProblemTrailerFrame {
			cond = "INT-CONTAINER.2"
		}
		if v.on(cond) {
			v.add(Finding{Rule: RuleContainer, Message: p.Msg + " (frame at byte " + strconv.FormatInt(p.Offset, 10) + ")"})
		}
	}
	return nil
}

// wellFormedGenesis checks that record 0's body decodes as a genesis body
// and that its log key is accepted (SPEC.md §6.1): without them nothing can
// be verified, so the input is not a bundle. A genesis naming another
// format or an unknown major version is left to INT-VERSION, a finding.
func wellFormedGenesis(g *format.Record) error {
	body, err := format.DecodeBody(format.TypeGenesis, g.Body, format.Lax)
	if err != nil {
		return err
	}
	gb := body.(*format.Genesis)
	major, minor, ok := parseVersion(gb.Version)
	if gb.Format != format.FormatName || !ok || major != format.VersionMajor {
		return nil
	}
	if minor <= format.VersionMinor {
		if _, err := format.DecodeBody(format.TypeGenesis, g.Body, format.Strict); err != nil {
			return err
		}
	}
	if _, err := format.ParsePublicKey(gb.LogKey); err != nil {
		return fmt.Errorf("log key refused: %w", err)
	}
	return nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (v *verification) add(f Finding) {
	if f.Records == nil {
		f.Records = []int64{}
	}
	if len(v.findings) >= v.opts.MaxFindings {
		v.omitted++
		return
	}
	f.format()
	v.findings = append(v.findings, f)
}

// finish runs in sequence order once an item's signatures are checked.
func (v *verification) finish(it *item) {
	for _, j := range it.jobs {
		v.counts.Signatures++
		if !j.ok {
			v.counts.SignaturesFailed++
			recs := j.recs
			if recs == nil {
				recs = []int64{it.pos}
			}
			msg := j.msg
			if j.msgOf != nil {
				msg = j.msgOf(j, it.pos)
			}
			it.findings = append(it.findings, Finding{Rule: j.rule, Message: msg, Records: recs})
			if j.stmt > 0 {
				it.stmts[j.stmt-1] = nil // a statement that fails counts for nothing (§5.1)
			}
		}
	}
	ok := !hasIntegrityFinding(it.findings)
	excluded := it.pos > 0 && excludes(it.findings)
	// §8.1: an excluded record is not judged; a record carrying a statement
	// that counts for nothing is nobody's (a proposal opens no run, an
	// attempt awaits no outcome, a finding or personnel event states
	// nothing). Other integrity findings exclude nothing.
	if it.rec != nil && it.body != nil && !excluded && !hasRule(it.findings, RuleStatement) && !(it.pos == 0 && !ok) && v.genesisSeen(it) {
		v.judge(it)
	}
	if excluded {
		it.effect = nil
	}
	if it.rec != nil {
		v.counts.Records++
		v.counts.Statements += int64(len(it.rec.Sigs))
		switch b := it.body.(type) {
		case *format.SealBody:
			v.counts.Seals++
		case *format.Proposal:
			v.counts.Runs++
		case *format.Outcome:
			if b.Result == format.ResultRefused {
				v.counts.Refusals++
			}
		}
		if it.effect != nil {
			it.effect(v.state)
		}
		v.state.Seq = it.rec.Seq
		v.state.Time = it.rec.Time
		v.bundle.Head = it.rec.Hash.String()
	} else if it.pos >= 0 {
		v.counts.Records++
	}
	for _, f := range it.findings {
		v.add(f)
	}
	if v.tl != nil {
		v.tl.record(it, ok, v.state)
	}
	if v.opts.Observer != nil && it.pos >= 0 {
		for i := range it.findings {
			it.findings[i].format()
		}
		ev := &Event{Seq: it.pos, OK: ok, Findings: it.findings, Bytes: it.bytes, Frame: it.frame, State: v.state}
		if it.rec != nil {
			ev.Type, ev.Actor, ev.Time, ev.Hash = it.rec.Type, it.rec.Actor, it.rec.Time, it.rec.Hash
		}
		v.opts.Observer.Record(ev)
	}
}

func (v *verification) result() *Result {
	res := &Result{Format: ResultFormat, Version: ResultVersion, Spec: SpecRevision, Verifier: Version(), TZData: TZData, Bundle: v.bundle, Counts: v.counts, FindingsOmitted: v.omitted}
	res.Bundle.Genesis = v.state.Genesis.String()
	res.Bundle.ID = v.state.BundleID
	res.Bundle.Organisation = v.state.Org.Name
	res.Counts.Principals = int64(len(v.state.Principals))
	res.Counts.Keys = int64(len(v.state.Keys))
	sortFindings(v.findings)
	res.Findings = v.findings
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
	authFailed := false
	for _, f := range res.Findings {
		if f.Rule == RuleTrust {
			authFailed = true
		}
	}
	switch {
	case authFailed:
		res.Authenticity = AuthFailed
	case v.trust.pinned:
		res.Authenticity = AuthEstablished
	default:
		res.Authenticity = AuthNotEstablished
	}
	switch {
	case len(res.Findings) > 0 || res.FindingsOmitted > 0:
		res.Verdict = VerdictFail
		if res.Authenticity == AuthEstablished {
			// Authenticity is only established for an intact bundle.
			res.Authenticity = AuthNotEstablished
			if !notIntact(res.Findings) {
				res.Authenticity = AuthEstablished
			}
		}
	case v.trust.pinned || v.trust.unsafe:
		res.Verdict = VerdictPass
	default:
		res.Verdict = VerdictUnauthenticated
	}
	return res
}

// sortFindings puts findings in the order of SPEC.md §8.4: integrity
// findings before rule findings; then by the first record cited (findings
// citing none last), rule ID and the records cited element by element. The
// sort is stable, so findings equal in those keys keep the order in which
// the records were read, which for container findings is the order of their
// frames in the file. Messages never order findings.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ia, ib := isIntegrity(a.Rule), isIntegrity(b.Rule); ia != ib {
			return ia
		}
		fa, fb := firstRecord(a), firstRecord(b)
		if fa != fb {
			return fa < fb
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return slices.Compare(a.Records, b.Records) < 0
	})
}

func isIntegrity(rule string) bool { return strings.HasPrefix(rule, "INT-") }

// excludes reports whether findings take their record out of §8.2 and
// §8.3 (SPEC.md §8.1, "What an integrity finding excludes").
func excludes(fs []Finding) bool {
	for _, f := range fs {
		switch f.Rule {
		case RuleParse, RuleSequence, RuleChain, RuleEnvelope:
			return true
		}
	}
	return false
}

func hasRule(fs []Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

func hasIntegrityFinding(fs []Finding) bool {
	for _, f := range fs {
		if len(f.Rule) > 4 && f.Rule[:4] == "INT-" {
			return true
		}
	}
	return false
}

// notIntact reports a finding of steps 1 to 10 of SPEC.md §8.1, those
// that make a bundle not intact. A checkpoint the bundle does not extend
// (step 12) is a finding, but the bundle may still be intact and
// authentic: it is the history that differs.
func notIntact(fs []Finding) bool {
	for _, f := range fs {
		if len(f.Rule) > 4 && f.Rule[:4] == "INT-" && f.Rule != RuleCheckpoint && f.Rule != RuleTrust {
			return true
		}
	}
	return false
}

func firstRecord(f Finding) int64 {
	if len(f.Records) == 0 {
		return 1<<62 - 1
	}
	return f.Records[0]
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// genesisSeen reports whether the rules can run: the genesis record has
// been applied, or this is it.
func (v *verification) genesisSeen(it *item) bool {
	return it.rec.Type == format.TypeGenesis || v.state.LogKey != nil
}
