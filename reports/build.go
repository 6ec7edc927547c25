package reports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// Trust modes, as Summary.Trust names them.
const (
	TrustPinned = "pinned"
	TrustUnsafe = "unsafe-no-trust"
	TrustNone   = "none"
)

// Options say which report to build from which bundle.
type Options struct {
	// Kind is KindMonthly or KindEvidence.
	Kind string
	// Month (YYYY-MM), or From and To (YYYY-MM-DD, inclusive), choose the
	// period of a monthly report in the organisation's zone.
	Month, From, To string
	// Run, for an evidence pack, selects one run.
	Run string
	// Trust is the trust root, and TrustMode how it was given.
	Trust     verifier.Trust
	TrustMode string
	// Checkpoint, when set, is last month's seal the bundle must extend;
	// CheckpointFile is its file's name, for the re-verify command.
	Checkpoint     *format.Trailer
	CheckpointFile string
	// File is the bundle's name as the caller shows it.
	File string
	// SourceDateEpoch is $SOURCE_DATE_EPOCH: the report's date when the
	// bundle has no final seal.
	SourceDateEpoch string
	// TmpDir is where sections are spooled ("" for the system's).
	TmpDir string
	// Observer, when set, also receives every record (progress).
	Observer verifier.Observer
}

// CheckOptions reports a malformed period or kind before any bundle is read.
func CheckOptions(o Options) error {
	if o.Kind != KindMonthly && o.Kind != KindEvidence {
		return fmt.Errorf("unknown report kind %q", o.Kind)
	}
	p, err := parsePeriod(o.Month, o.From, o.To)
	if err != nil {
		return err
	}
	if o.Kind == KindMonthly && p.whole {
		return errors.New("a monthly report needs --month YYYY-MM, or --from and --to")
	}
	if o.Kind == KindEvidence && !p.whole {
		return errors.New("an evidence pack covers the whole bundle or one run (--run): it takes no period")
	}
	if o.Kind == KindMonthly && o.Run != "" {
		return errors.New("--run selects a run of an evidence pack (--evidence)")
	}
	return nil
}

// Build reads the bundle once, verifying it, and builds the report. It
// returns an error only when r is not a bundle (verifier.ErrNotBundle) or
// cannot be read, or a spool cannot be written; a bundle that fails
// verification makes a report that says so.
func Build(ctx context.Context, r io.Reader, o Options) (*Report, error) {
	if err := CheckOptions(o); err != nil {
		return nil, err
	}
	spec, _ := parsePeriod(o.Month, o.From, o.To)
	dir, err := os.MkdirTemp(o.TmpDir, "countersign-report-")
	if err != nil {
		return nil, fmt.Errorf("failed to make a spool directory: %w", err)
	}
	rep := &Report{dir: dir}
	ok := false
	defer func() {
		if !ok {
			rep.Close()
		}
	}()
	if err := rep.makeSections(); err != nil {
		return nil, err
	}
	c := newCollector(rep, o, spec)
	sum := sha256.New()
	cr := &countReader{r: io.TeeReader(r, sum)}
	res, err := verifier.Verify(ctx, cr, o.Trust, verifier.Options{
		Checkpoint: o.Checkpoint, Observer: c, Timeline: c.run, Changes: c.change, Notices: c.notice})
	if err != nil {
		return nil, err
	}
	// Read what the verifier left unread (trailing bytes are findings), so
	// the digest is the whole file's.
	if _, err := io.Copy(io.Discard, cr); err != nil {
		return nil, fmt.Errorf("failed to read bundle: %w", err)
	}
	c.finish(res, sum, cr.n)
	for _, err := range []error{rep.Conflicts.done(), rep.Exceptions.done(), rep.Refusals.done(), rep.Gates.done(),
		rep.Signoffs.done(), rep.Register.done(), rep.Records.done()} {
		if err != nil {
			return nil, err
		}
	}
	ok = true
	return rep, nil
}

// Close removes the report's spooled sections.
func (r *Report) Close() {
	r.Conflicts.close()
	r.Exceptions.close()
	r.Refusals.close()
	r.Gates.close()
	r.Signoffs.close()
	r.Register.close()
	r.Records.close()
	if r.dir != "" {
		os.RemoveAll(r.dir)
	}
}

func (r *Report) makeSections() error {
	var err error
	mk := func(name string) string { return name }
	if r.Conflicts, err = newSection[ConflictRow](r.dir, mk("conflicts")); err != nil {
		return err
	}
	if r.Exceptions, err = newSection[ExceptionRow](r.dir, "exceptions"); err != nil {
		return err
	}
	if r.Refusals, err = newSection[RefusalRow](r.dir, "refusals"); err != nil {
		return err
	}
	if r.Gates, err = newSection[GateRow](r.dir, "gates"); err != nil {
		return err
	}
	if r.Signoffs, err = newSection[SignoffRow](r.dir, "signoffs"); err != nil {
		return err
	}
	if r.Register, err = newSection[RegisterRow](r.dir, "register"); err != nil {
		return err
	}
	r.Records, err = newSection[RecordRow](r.dir, "records")
	return err
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// maxHashes bounds the record hashes kept for finding rows; past it a
// finding's hash is looked up on the Records sheet by its sequence number.
const maxHashes = 100000

// collector follows the verifier's streams and fills the report.
type collector struct {
	rep    *Report
	o      Options
	spec   periodSpec
	p      *placer
	zone   string
	loc    *time.Location
	reg    *register
	hashes map[int64]string
	last   struct {
		seq  int64
		time string
	}
	zoneKnown bool
	early     []*verifier.Change // changes made before the zone was known
	al        *alerts
	conflicts map[conflictKey]*openConflict // register conflicts held now
	regChange *verifier.Change              // the applied register change of the record being read
	exc       *excTracker                   // exceptions and small-organisation exceptions
	backwards bool                          // a record's time was earlier than the one before
	prevTime  string
}

func newCollector(rep *Report, o Options, spec periodSpec) *collector {
	c := &collector{rep: rep, o: o, spec: spec, p: newPlacer(spec.whole), loc: time.UTC, reg: newRegister(), hashes: map[int64]string{},
		al: newAlerts(), conflicts: map[conflictKey]*openConflict{}, exc: newExcTracker()}
	c.last.seq = -1
	c.p.onFirst = func() { c.registerSnapshot("start") }
	c.p.onEnd = func() { c.registerSnapshot("end") }
	return c
}

// place decides a record's place in the period; at the genesis it learns
// the organisation's zone.
func (c *collector) place(seq int64, t string) {
	c.p.place(seq, t)
}

// Record is the per-record stream (verifier.Observer): the Records
// section, and the period's bounds.
func (c *collector) Record(ev *verifier.Event) {
	if c.o.Observer != nil {
		c.o.Observer.Record(ev)
	}
	if !c.zoneKnown {
		// The genesis names the zone; its changes reached the change log
		// before it reached here, and wait for it.
		tz := ""
		if ev.State != nil {
			tz = ev.State.Org.TZ
		}
		c.setZone(tz)
		c.place(ev.Seq, ev.Time)
		for _, ch := range c.early {
			c.change(ch)
		}
		c.early = nil
	}
	c.place(ev.Seq, ev.Time)
	if ev.Time != "" {
		if c.prevTime != "" && ev.Time < c.prevTime {
			c.backwards = true
		}
		c.prevTime = ev.Time
	}
	c.last.seq, c.last.time = ev.Seq, ev.Time
	c.conflictsAfter(ev)
	c.exceptionRecord(ev)
	hash := ""
	if !ev.Hash.IsZero() {
		hash = ev.Hash.String()
	}
	if len(ev.Findings) > 0 && len(c.hashes) < maxHashes {
		c.hashes[ev.Seq] = hash
	}
	if c.o.Run != "" || !c.p.in(ev.Seq) {
		return
	}
	c.rep.Records.add(&RecordRow{Seq: ev.Seq, Hash: hash, Time: ev.Time, Type: ev.Type, Actor: ev.Actor, Intact: ev.OK,
		Findings: int64(len(ev.Findings)), Rules: rulesOf(ev.Findings)})
}

func (c *collector) setZone(tz string) {
	c.zone, c.zoneKnown = tz, true
	if loc, err := time.LoadLocation(tz); err == nil {
		c.loc = loc
	}
	if !c.spec.whole {
		c.p.start, c.p.end = c.spec.bounds(c.loc)
	}
}

func rulesOf(fs []verifier.Finding) string {
	var rules []string
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			rules = append(rules, f.Rule)
		}
	}
	return strings.Join(rules, " ")
}

// conflictRules are the rules whose findings say someone held
// incompatible roles.
var conflictRules = map[string]string{
	verifier.RuleMakerChecker: "prepared or benefits from the run, and signed it off",
	verifier.RuleOneRole:      "acted in more than one role in the run",
}

// run is the run-timeline stream: conflicts, refusals, gates and sign-offs.
func (c *collector) run(tl *verifier.RunTimeline) {
	if c.o.Run != "" && tl.Run != c.o.Run {
		return
	}
	recs := tl.Records()
	for _, rs := range recs {
		c.place(rs.Seq, rs.Time)
	}
	if !tl.OK() {
		for _, rs := range recs {
			if len(c.hashes) < maxHashes {
				c.hashes[rs.Seq] = rs.Hash
			}
		}
	}
	if c.o.Run != "" {
		c.runRecords(tl)
	}
	c.excApprovers(tl)
	c.conflictRows(tl, recs)
	c.refusalRows(tl)
	c.gateRows(tl)
	c.signoffRows(tl)
}

// runRecords are the Records rows of an evidence pack of one run.
func (c *collector) runRecords(tl *verifier.RunTimeline) {
	type typed struct {
		rs  *verifier.RecordStatus
		typ string
	}
	var all []typed
	if p := tl.Proposal; p != nil {
		all = append(all, typed{&p.RecordStatus, format.TypeProposal})
		if p.Outcome != nil {
			all = append(all, typed{&p.Outcome.RecordStatus, format.TypeOutcome})
		}
	}
	for _, g := range tl.Gates {
		all = append(all, typed{&g.RecordStatus, format.TypeGate})
	}
	for _, a := range tl.Attempts {
		all = append(all, typed{&a.RecordStatus, format.TypeAttempt})
		if a.Outcome != nil {
			all = append(all, typed{&a.Outcome.RecordStatus, format.TypeOutcome})
		}
	}
	if tl.Execution != nil {
		all = append(all, typed{&tl.Execution.RecordStatus, format.TypeExecution})
	}
	for _, o := range tl.Others {
		all = append(all, typed{o, ""})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].rs.Seq < all[j].rs.Seq })
	for _, t := range all {
		rs := t.rs
		c.rep.Records.add(&RecordRow{Seq: rs.Seq, Hash: rs.Hash, Time: rs.Time, Type: t.typ, Actor: rs.Actor, Intact: rs.Intact,
			Findings: int64(len(rs.Findings)), Rules: rulesOf(rs.Findings)})
	}
}

// inScope reports whether a record of a run belongs in the report's rows.
func (c *collector) inScope(seq int64) bool {
	return c.o.Run != "" || c.p.in(seq)
}

// conflictRows are the conflicts the segregation rules found in a run:
// who held which incompatible roles, from their first record in the run
// to the act the finding is on. A finding is attached to every record it
// names; it makes one row, and findings of several rules on the same act
// share it.
func (c *collector) conflictRows(tl *verifier.RunTimeline, recs []*verifier.RecordStatus) {
	type key struct{ who, records string }
	var order []key
	byKey := map[key]*ConflictRow{}
	seen := map[string]bool{}
	for _, rs := range recs {
		for _, f := range rs.Findings {
			if _, ok := conflictRules[f.Rule]; !ok {
				continue
			}
			fk := f.Rule + "\x00" + fmt.Sprint(f.Records) + "\x00" + f.Message
			if seen[fk] {
				continue
			}
			seen[fk] = true
			// The act: the latest signed attempt the finding names.
			var act *verifier.AttemptStep
			for _, seq := range f.Records {
				if a := attemptAt(tl, seq); a != nil && a.Signer != nil && (act == nil || a.Seq > act.Seq) {
					act = a
				}
			}
			who, at, hash, seq := rs.Actor, rs.Time, rs.Hash, rs.Seq
			if act != nil {
				who, at, hash, seq = act.Signer.Principal, act.Time, act.Hash, act.Seq
			} else if p := tl.Proposal; p != nil && p.Signer != nil {
				who = p.Signer.Principal
			}
			if !c.inScope(seq) {
				continue
			}
			k := key{who, fmt.Sprint(f.Records)}
			if row := byKey[k]; row != nil {
				row.Rule += ", " + f.Rule
				row.Message += "; " + f.Message
				continue
			}
			from := at
			var roles []string
			if p := tl.Proposal; p != nil && (p.Actor == who || (p.Signer != nil && p.Signer.Principal == who)) {
				from = p.Time
				roles = append(roles, "proposer")
			}
			if p := tl.Proposal; p != nil && p.Beneficiary != "" && p.Beneficiary == who {
				roles = append(roles, "beneficiary")
			}
			for _, a := range tl.Attempts {
				if a.Signer != nil && a.Signer.Principal == who && a.Seq <= seq {
					if a.Time < from {
						from = a.Time
					}
					roles = append(roles, attemptRole(a))
				}
			}
			row := &ConflictRow{Rule: f.Rule, Source: "finding", Run: tl.Run, Principal: who, Roles: strings.Join(dedupe(roles), "; "),
				From: from, To: at, Seconds: seconds(from, at), Message: f.Message, Records: f.Records, Hash: hash}
			if e := c.reg.principals[who]; e != nil {
				row.Name, row.Team = e.name, e.team
			}
			byKey[k] = row
			order = append(order, k)
		}
	}
	for _, k := range order {
		c.rep.Conflicts.add(byKey[k])
	}
}

func attemptAt(tl *verifier.RunTimeline, seq int64) *verifier.AttemptStep {
	for _, a := range tl.Attempts {
		if a.Seq == seq {
			return a
		}
	}
	return nil
}

func attemptRole(a *verifier.AttemptStep) string {
	if a.Act == format.ActExecute {
		return "executor"
	}
	if a.Meaning != "" {
		return fmt.Sprintf("%s at stage %d", a.Meaning, a.Stage)
	}
	return a.Act
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// seconds is the time from a to b, both bundle times (0 when unreadable).
func seconds(a, b string) int64 {
	ta, err1 := format.ParseTime(a)
	tb, err2 := format.ParseTime(b)
	if err1 != nil || err2 != nil || tb.Before(ta) {
		return 0
	}
	return int64(tb.Sub(ta) / time.Second)
}

// refusalRows are the run's refused proposal and attempts.
func (c *collector) refusalRows(tl *verifier.RunTimeline) {
	if p := tl.Proposal; p != nil && p.Outcome != nil && p.Outcome.Result == format.ResultRefused && c.inScope(p.Seq) {
		row := &RefusalRow{Seq: p.Seq, Hash: p.Hash, Time: p.Time, Run: tl.Run, Principal: p.Actor, Act: "propose", Reason: p.Reason,
			Code: p.Outcome.Code, Detail: p.Outcome.Detail, Outcome: p.Outcome.Seq, OutHash: p.Outcome.Hash, OutTime: p.Outcome.Time,
			Intact: p.Intact && p.Outcome.Intact}
		if p.Signer != nil {
			row.Principal, row.Name, row.Kind = p.Signer.Principal, p.Signer.Name, p.Signer.Kind
		}
		c.refusal(row)
	}
	for _, a := range tl.Attempts {
		if a.Outcome == nil || a.Outcome.Result != format.ResultRefused || !c.inScope(a.Seq) {
			continue
		}
		row := &RefusalRow{Seq: a.Seq, Hash: a.Hash, Time: a.Time, Run: tl.Run, Principal: a.Actor, Act: a.Act, Meaning: a.Meaning,
			Stage: a.Stage, Reason: a.Reason, Code: a.Outcome.Code, Detail: a.Outcome.Detail, Outcome: a.Outcome.Seq,
			OutHash: a.Outcome.Hash, OutTime: a.Outcome.Time, Intact: a.Intact && a.Outcome.Intact}
		if a.Signer != nil {
			row.Principal, row.Name, row.Kind = a.Signer.Principal, a.Signer.Name, a.Signer.Kind
		}
		c.refusal(row)
	}
}

// gateRows are the run's gates.
func (c *collector) gateRows(tl *verifier.RunTimeline) {
	for _, g := range tl.Gates {
		if !c.inScope(g.Seq) {
			continue
		}
		row := &GateRow{Run: tl.Run, Gate: g.Gate, Policy: g.Policy, Seq: g.Seq, Hash: g.Hash, Time: g.Time, Quorum: quorumText(g.Stages),
			State: tl.State, Executed: -1}
		if p := tl.Proposal; p != nil {
			row.Class, row.Requester = p.Class, p.Actor
			if p.Signer != nil {
				row.Requester, row.RequesterName = p.Signer.Principal, p.Signer.Name
			}
		}
		for _, a := range tl.Attempts {
			if a.Act != format.ActSignoff || a.Gate != g.Gate || a.Outcome == nil {
				continue
			}
			switch a.Outcome.Result {
			case format.ResultAccepted:
				row.Accepted++
			case format.ResultRefused:
				row.Refused++
			}
		}
		if e := tl.Execution; e != nil {
			row.Executed, row.ExecutedTime = e.Seq, e.Time
		}
		var fs []verifier.Finding
		for _, rs := range tl.Records() {
			fs = append(fs, rs.Findings...)
		}
		row.Findings, row.Rules = int64(len(fs)), rulesOf(fs)
		c.rep.Gates.add(row)
	}
}

// quorumText is a gate's stages: "stage 1: 1 of agent.reviewer (review);
// stage 2: 2 of risk.ana, risk.ben, risk.chen (approval, humans only)".
func quorumText(stages []format.Stage) string {
	var parts []string
	for _, s := range stages {
		h := ""
		if s.Human {
			h = ", humans only"
		}
		parts = append(parts, fmt.Sprintf("stage %d: %d of %s (%s%s)", s.Stage, s.N, strings.Join(s.Pool, ", "), s.Meaning, h))
	}
	return strings.Join(parts, "; ")
}

// signoffRows are the run's sign-off attempts, accepted or not.
func (c *collector) signoffRows(tl *verifier.RunTimeline) {
	for _, a := range tl.Attempts {
		if a.Act != format.ActSignoff || !c.inScope(a.Seq) {
			continue
		}
		row := &SignoffRow{Run: tl.Run, Gate: a.Gate, Stage: a.Stage, Seq: a.Seq, Hash: a.Hash, Time: a.Time, Principal: a.Actor,
			Meaning: a.Meaning, Reason: a.Reason, Outcome: "none", OutSeq: -1, Intact: a.Intact, Findings: int64(len(a.Findings)),
			Rules: rulesOf(a.Findings)}
		if a.Signer != nil {
			row.Principal, row.Name, row.Kind, row.SignedAt = a.Signer.Principal, a.Signer.Name, a.Signer.Kind, a.Signer.Time
		}
		if o := a.Outcome; o != nil {
			row.Outcome, row.Code, row.OutSeq = o.Result, o.Code, o.Seq
		}
		c.rep.Signoffs.add(row)
	}
}

// finish fills the summary and the findings once the bundle is read.
func (c *collector) finish(res *verifier.Result, sum hash.Hash, n int64) {
	if c.p.endSeq < 0 {
		c.registerSnapshot("end")
	}
	c.endAlerts()
	c.endConflicts()
	// The bundle ends at its final seal, or its last record.
	end := c.last.time
	if t, err := format.ParseTrailer([]byte(res.Bundle.FinalSeal)); res.Bundle.FinalSeal != "" && err == nil && t.Seal != nil && t.Seal.Time > end {
		end = t.Seal.Time
	}
	c.endExceptions(end)
	rep := c.rep
	rep.Result = res
	s := &rep.Summary
	s.Kind = c.o.Kind
	s.Title = "Segregation-of-duties conflict report"
	if c.o.Kind == KindEvidence {
		s.Title = "Evidence pack"
	}
	b := res.Bundle
	s.Organisation, s.BundleID, s.Fingerprint, s.Head = b.Organisation, b.ID, b.Genesis, b.Head
	s.Trust = c.o.TrustMode
	s.Pinned = c.o.TrustMode == TrustPinned
	s.File = c.o.File
	s.FileSHA256 = hex.EncodeToString(sum.Sum(nil))
	s.FileBytes = n
	s.FirstRecord, s.LastRecord = 0, res.Counts.Records-1
	s.Verdict, s.Authenticity = res.Verdict, res.Authenticity
	s.Spec, s.Tool = res.Spec, "countersign "+res.Verifier
	s.Run = c.o.Run
	s.FinalSeal = b.FinalSeal
	s.Notes = []string{}

	integrity := 0
	for _, f := range res.Findings {
		if strings.HasPrefix(f.Rule, "INT-") {
			integrity++
		}
	}
	s.Integrity = "intact: no integrity finding"
	if integrity > 0 {
		s.Integrity = fmt.Sprintf("NOT INTACT: %d integrity findings", integrity)
	}

	// The date: the final seal's, else SOURCE_DATE_EPOCH, else the last
	// record's claimed time. Never the clock.
	if t, err := format.ParseTrailer([]byte(b.FinalSeal)); b.FinalSeal != "" && err == nil && t.Seal != nil {
		s.Date, s.DateSource, s.FinalSealTime = t.Seal.Time, "the bundle's final seal", t.Seal.Time
	} else if sec, err := strconv.ParseInt(strings.TrimSpace(c.o.SourceDateEpoch), 10, 64); err == nil && c.o.SourceDateEpoch != "" {
		s.Date, s.DateSource = format.FormatTime(time.Unix(sec, 0)), "SOURCE_DATE_EPOCH"
	} else {
		s.Date, s.DateSource = c.last.time, "the last record's claimed time (the bundle has no valid final seal)"
	}

	// The period.
	pd := &s.Period
	pd.Label, pd.Zone = c.spec.label, c.zone
	if pd.Zone == "" {
		pd.Zone = "UTC"
	}
	if !c.spec.whole {
		pd.Start, pd.End = c.p.start.Format(time.RFC3339), c.p.end.Format(time.RFC3339)
	}
	pd.FirstSeq, pd.LastSeq = c.p.first, c.p.last
	if c.p.first >= 0 {
		pd.Records = c.p.last - c.p.first + 1
	} else {
		pd.LastSeq = -1
	}
	pd.BundleEnds = c.last.time
	if !c.spec.whole && c.p.endSeq < 0 {
		pd.Incomplete = true
		s.Notes = append(s.Notes, fmt.Sprintf("Period incomplete: the bundle ends at %s, before the period's end (%s).", c.last.time, pd.End))
	}
	if !c.spec.whole && c.p.first < 0 {
		s.Notes = append(s.Notes, "The period holds no record of this bundle.")
	}
	if c.backwards {
		s.Notes = append(s.Notes, "Some record's claimed time is earlier than the one before it (an INT-TIME finding): the period's range follows sequence numbers from its first record to the first record past its end.")
	}

	// Findings, integrity first (the verifier's order).
	refs := references()
	for _, f := range res.Findings {
		row := FindingRow{Rule: f.Rule, Class: "rule", References: refs[f.Rule], Message: f.Message, Records: f.Records, Where: c.p.where(f.Records)}
		if strings.HasPrefix(f.Rule, "INT-") {
			row.Class = "integrity"
		}
		if row.References == nil {
			row.References = []string{}
		}
		if row.Records == nil {
			row.Records = []int64{}
		}
		row.Hashes = make([]string, len(f.Records))
		for i, seq := range f.Records {
			row.Hashes[i] = c.hashes[seq]
		}
		switch row.Where {
		case WhereInPeriod:
			s.FindingsInPeriod++
		case WhereBefore:
			s.FindingsBefore++
		case WhereAfter:
			s.FindingsAfter++
		default:
			s.FindingsBundle++
		}
		rep.Findings = append(rep.Findings, row)
	}
	if rep.Findings == nil {
		rep.Findings = []FindingRow{}
	}
	s.FindingsOmitted = res.FindingsOmitted

	if cp := c.o.Checkpoint; cp != nil && cp.Seal != nil {
		k := &Checkpoint{Count: cp.Seal.Count, Head: cp.Seal.Head, Time: cp.Seal.Time, Bundle: cp.Seal.Bundle}
		switch {
		case cp.Seal.Bundle != b.Genesis:
			k.Outcome = "wrong checkpoint: it seals another bundle; nothing was compared"
		case hasRule(res.Findings, verifier.RuleCheckpoint):
			k.Outcome = "NOT extended: see the " + verifier.RuleCheckpoint + " finding"
		default:
			k.Extended = true
			k.Outcome = fmt.Sprintf("extended: this bundle holds the %d records the checkpoint sealed at %s, head %s, unchanged", cp.Seal.Count, cp.Seal.Time, cp.Seal.Head)
		}
		s.Checkpoint = k
	}

	s.Reverify = c.reverify()
	s.Rows = Rows{Findings: int64(len(rep.Findings)), Conflicts: rep.Conflicts.Len(), Exceptions: rep.Exceptions.Len(), Refusals: rep.Refusals.Len(),
		Gates: rep.Gates.Len(), Signoffs: rep.Signoffs.Len(), Register: rep.Register.Len(), Records: rep.Records.Len()}
	rep.Glossary = glossary
}

func (c *collector) reverify() string {
	var b strings.Builder
	b.WriteString("countersign verify ")
	if c.o.TrustMode == TrustPinned {
		b.WriteString("--trust " + c.rep.Result.Bundle.Genesis)
	} else {
		b.WriteString("--trust FINGERPRINT")
	}
	if c.o.CheckpointFile != "" {
		b.WriteString(" --checkpoint " + shellWord(c.o.CheckpointFile))
	}
	b.WriteString(" " + shellWord(filepath.Base(c.o.File)))
	return b.String()
}

// shellWord quotes s for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+=:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func hasRule(fs []verifier.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// references are each rule's references: the verifier's catalogue for the
// segregation rules, and for integrity, what the design cites.
func references() map[string][]string {
	m := map[string][]string{}
	for _, r := range verifier.Rules() {
		m[r.ID] = append([]string{}, r.References...)
	}
	for _, id := range []string{verifier.RuleContainer, verifier.RuleParse, verifier.RuleVersion, verifier.RuleSequence, verifier.RuleChain,
		verifier.RuleEnvelope, verifier.RuleStatement, verifier.RuleSeal, verifier.RuleFinalSeal, verifier.RuleTime, verifier.RuleTrust,
		verifier.RuleCheckpoint} {
		m[id] = []string{"21 CFR 11.10(e)", "21 CFR 11.70", "SPEC.md §8.1"}
	}
	return m
}
