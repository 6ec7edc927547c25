package verifier

// This file is the run timeline and the change log: what the records of a
// bundle say, run by run and change by change, handed to the caller as
// Verify reads, each record marked with what verification found on it.
//
// The timeline decides nothing: it groups records by the run they name and
// the changes by the record that makes them, exactly as the records say,
// and carries the verifier's findings beside them. Whether a sign-off
// counted is for the rules to say, and they say it in the findings.
//
// Consumers:
//
//   - the runs view (countersign inspect --runs) prints each run as it
//     closes, so its memory is that of the runs open at once;
//   - a register as of a record or a time reads the change log up to that
//     point, without rereading the bundle for every query;
//   - reports and the browser keep what they need where they choose (a
//     file, a database, an index by run ID): the verifier keeps nothing
//     past a run's close.
//
// A run's timeline is handed over when the run closes: at the execution
// record that names it, or at the outcome that refuses its proposal. Runs
// still open at the end of the bundle are handed over then, in order of
// their first record, with State RunOpen. Records of a run that arrive
// after it closed (an attacker's or a faulty producer's) make a timeline
// of their own, without a proposal.
//
// Memory: details are kept per open run only when Options.Timeline is set,
// within the bounds of SPEC.md §10 on open runs (MaxOpen timelines at
// once) and on retained bytes (MaxRetained bytes of details over all open
// timelines, counted apart from what the rules keep). Past a bound, the
// records that do not fit are handed over at once in a timeline of their
// own marked Partial, and the timeline they belong to is marked Partial
// too: nothing is lost, and nothing more is kept.
//
// Findings: each record carries the findings made while it was checked
// and, for a timeline still open, later findings that name it (a rule
// judged at an outcome or an execution names the attempt it rests on).
// Findings of the end-of-bundle checks (an attempt without an outcome, the
// final seal) are attached only to the timelines handed over at the end;
// a timeline handed over earlier can have more findings in the Result.
// The Result is the verdict; the timeline is what the verdict is about.

import (
	"sort"

	"github.com/countersign/countersign/format"
)

// Timeline states: how a run stood when its timeline was handed over.
const (
	// RunExecuted: an execution record names the run.
	RunExecuted = "executed"
	// RunRefused: an outcome refuses the run's proposal.
	RunRefused = "refused"
	// RunOpen: the bundle ended with the run neither executed nor refused,
	// or the timeline is a Partial piece of a run.
	RunOpen = "open"
)

// RecordStatus is a record as the timeline shows it: where it is, and what
// verification found on it.
type RecordStatus struct {
	Seq   int64  `json:"seq"`
	Hash  string `json:"hash"`  // record hash, lowercase hex
	Time  string `json:"time"`  // the record's claimed time
	Actor string `json:"actor"` // the record's actor ("" for the producer's records)
	// Intact is set when the record passed every integrity check (SPEC.md
	// §8.1), so the rules judged it. A record that is not intact says what
	// it says only as far as someone could have written it.
	Intact bool `json:"intact"`
	// Findings are the findings on the record (see the file comment for
	// which); never nil. A record is OK when it is intact and has none.
	Findings []Finding `json:"findings"`
}

// OK reports whether the record is intact and has no findings.
func (r *RecordStatus) OK() bool { return r.Intact && len(r.Findings) == 0 }

// Signer is who signed a statement, as the statement says, with the kind
// of principal the bundle's enrolments give the signer ("" when not
// enrolled).
type Signer struct {
	Principal string `json:"principal"`
	Name      string `json:"name"` // the printed name, as signed
	Kind      string `json:"kind"` // human or agent, from the enrolment
	Time      string `json:"time"` // the claimed time of signing
}

// ProposalStep is the proposal that opens a run, and its outcome.
type ProposalStep struct {
	RecordStatus
	Class       string            `json:"class"`
	Action      string            `json:"action"` // the action's exact text
	Digest      string            `json:"digest"`
	Summary     map[string]string `json:"summary"`
	Beneficiary string            `json:"beneficiary"`
	// Signer and Reason are the proposer's statement's; Signer is nil when
	// the statement could not be read.
	Signer  *Signer      `json:"signer"`
	Reason  string       `json:"reason"`
	Outcome *OutcomeStep `json:"outcome"`
}

// GateStep is the gate record that parks a run.
type GateStep struct {
	RecordStatus
	Policy int64          `json:"policy"`
	Gate   string         `json:"gate"`
	Stages []format.Stage `json:"stages"`
}

// AttemptStep is one attempt in a run (a sign-off or an execute) and its
// outcome.
type AttemptStep struct {
	RecordStatus
	Act string `json:"act"`
	// Signer and what the statement says; Signer is nil when the
	// statement could not be read.
	Signer   *Signer      `json:"signer"`
	Meaning  string       `json:"meaning"`
	Reason   string       `json:"reason"` // verbatim
	Gate     string       `json:"gate"`
	Stage    int64        `json:"stage"`
	Proposal string       `json:"proposal"` // the proposal hash the statement names
	Digest   string       `json:"digest"`   // the action digest the statement names
	Outcome  *OutcomeStep `json:"outcome"`  // nil until an outcome decides it
}

// OutcomeStep is the outcome record deciding a proposal or an attempt.
type OutcomeStep struct {
	RecordStatus
	Result string `json:"result"` // accepted or refused
	Code   string `json:"code"`   // ok, or the refusal code
	Detail string `json:"detail"`
}

// ExecutionStep is the execution record that closes a run.
type ExecutionStep struct {
	RecordStatus
	Attempt  int64  `json:"attempt"`
	Proposal string `json:"proposal"`
	Digest   string `json:"digest"`
}

// RunTimeline is everything the records say about one run, in order.
type RunTimeline struct {
	Run   string `json:"run"`
	State string `json:"state"` // RunExecuted, RunRefused or RunOpen
	// Partial is set when the run's records are split over more than one
	// timeline because a bound of SPEC.md §10 was reached.
	Partial bool `json:"partial"`
	// Proposal is nil when the timeline begins with another record (a
	// Partial piece, or records of a run that was never proposed).
	Proposal  *ProposalStep  `json:"proposal"`
	Gates     []*GateStep    `json:"gates"`
	Attempts  []*AttemptStep `json:"attempts"`
	Execution *ExecutionStep `json:"execution"`
	// Others are records that name the run but are none of the above (a
	// second proposal of the same run ID), and, in a Partial piece, the
	// record that did not fit.
	Others []*RecordStatus `json:"others"`

	cost  int64
	first int64
	at    map[int64]*RecordStatus
}

// Records returns the status of every record of the timeline, in sequence
// order.
func (t *RunTimeline) Records() []*RecordStatus {
	var out []*RecordStatus
	if t.Proposal != nil {
		out = append(out, &t.Proposal.RecordStatus)
		if t.Proposal.Outcome != nil {
			out = append(out, &t.Proposal.Outcome.RecordStatus)
		}
	}
	for _, g := range t.Gates {
		out = append(out, &g.RecordStatus)
	}
	for _, a := range t.Attempts {
		out = append(out, &a.RecordStatus)
		if a.Outcome != nil {
			out = append(out, &a.Outcome.RecordStatus)
		}
	}
	if t.Execution != nil {
		out = append(out, &t.Execution.RecordStatus)
	}
	out = append(out, t.Others...)
	sortBySeq(out)
	return out
}

// OK reports whether every record of the timeline is intact and without
// findings.
func (t *RunTimeline) OK() bool {
	for _, r := range t.Records() {
		if !r.OK() {
			return false
		}
	}
	return true
}

// Change kinds. The change log is open to more kinds; a consumer skips the
// kinds it does not know.
const (
	// ChangeEnrolment: a principal and one of its keys are enrolled (the
	// genesis registrars, and every enrolment record).
	ChangeEnrolment = "enrolment"
	// ChangeRevocation: a principal's key is revoked.
	ChangeRevocation = "key-revocation"
	// ChangeLogKey: the log key is set (genesis) or rotated.
	ChangeLogKey = "log-key"
	// ChangePolicy: the execution of a change.policy run.
	ChangePolicy = "policy"
	// ChangeControl, ChangeTeam, ChangeRole: the execution of a
	// change.control, change.team or change.role run (SPEC.md §6.11).
	ChangeControl = "control"
	ChangeTeam    = "team"
	ChangeRole    = "role"
	// ChangeReportingLine, ChangeException, ChangeSmallOrg,
	// ChangeSmallOrgReview: the execution of a change.reporting_line,
	// change.exception, change.small_org or change.small_org_review run;
	// ChangePersonnel: a personnel record (SPEC.md §6.9, §6.11).
	ChangeReportingLine  = "reporting-line"
	ChangeException      = "exception"
	ChangeSmallOrg       = "small-org"
	ChangeSmallOrgReview = "small-org-review"
	ChangePersonnel      = "personnel"
)

// Change is one change to who the principals are, which keys are in force,
// or which policy governs, as the record making it says.
type Change struct {
	RecordStatus
	Kind string `json:"kind"`
	// Principal is the principal enrolled, or whose key is revoked.
	Principal *format.Principal `json:"principal,omitempty"`
	Registrar bool              `json:"registrar,omitempty"`
	// Key is the key ID (lowercase hex) enrolled, revoked or made the log
	// key.
	Key    string `json:"key,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Run and Policy, for a policy change: the run executed and the
	// version it puts in force (0 when the verifier could not read it).
	Run    string `json:"run,omitempty"`
	Policy int64  `json:"policy,omitempty"`
	// Control, Role, Holder, Team, Op and Justification, for a register
	// change: the control defined or whose role changes, the role, the
	// principal or the team assigned or unassigned (a team change names
	// its team), assign or unassign, and the justification, verbatim.
	Control       string `json:"control,omitempty"`
	Role          string `json:"role,omitempty"`
	Holder        string `json:"holder,omitempty"`
	Team          string `json:"team,omitempty"`
	Op            string `json:"op,omitempty"`
	Justification string `json:"justification,omitempty"`
	// ControlDef and TeamDef are the definitions a control or team change
	// puts in the register, as the action states them.
	ControlDef *format.ControlAction `json:"control_def,omitempty"`
	TeamDef    *format.TeamAction    `json:"team_def,omitempty"`
	// Manager, for a reporting-line change, is the manager set ("" for
	// none; Holder is the principal). Event and Effective, for a
	// personnel record, are its event and date (Holder the principal,
	// Team the team joined, "" for a leaver).
	Manager   string `json:"manager,omitempty"`
	Event     string `json:"event,omitempty"`
	Effective string `json:"effective,omitempty"`
	// Exception, Beneficiary, Roles, Starts and Expires, for an
	// exception (Holder its holder) or a small-organisation exception
	// (Expires its review date) or review (Expires the next review date,
	// Op its outcome), as the action states them; Cumulative, for an
	// exception that took effect, the days of its chain of renewals
	// inclusive, from ChainStarts.
	Exception   string   `json:"exception,omitempty"`
	Beneficiary string   `json:"beneficiary,omitempty"`
	Roles       []string `json:"roles,omitempty"`
	Starts      string   `json:"starts,omitempty"`
	Expires     string   `json:"expires,omitempty"`
	Cumulative  int      `json:"cumulative_days,omitempty"`
	ChainStarts string   `json:"chain_starts,omitempty"`
	// Applied is set when the verifier's state took the change: it is in
	// force from this record on. A change that is not applied is what a
	// record claims, refused by a check its findings name.
	Applied bool `json:"applied"`
}

// timeline follows the records for the timeline and change-log consumers.
type timeline struct {
	runs     func(*RunTimeline)
	changes  func(*Change)
	notices  func(*Notice)
	lim      limits
	open     map[string]*RunTimeline
	attempts map[int64]string // attempt or proposal seq -> run ID, while awaiting an outcome
	where    map[int64]string // seq -> run ID of every record kept in an open timeline
	retained int64
	policy   map[string]bool  // open change.policy runs (for the change log)
	policyAt map[int64]string // their proposals' seqs, until an outcome decides them
}

func newTimeline(opts Options, lim limits) *timeline {
	if opts.Timeline == nil && opts.Changes == nil && opts.Notices == nil {
		return nil
	}
	return &timeline{runs: opts.Timeline, changes: opts.Changes, notices: opts.Notices, lim: lim, open: map[string]*RunTimeline{},
		attempts: map[int64]string{}, where: map[int64]string{}, policy: map[string]bool{}, policyAt: map[int64]string{}}
}

// status makes the record's status from an item checked by finish.
func (t *timeline) status(it *item, ok bool) RecordStatus {
	rs := RecordStatus{Seq: it.pos, Hash: it.rec.Hash.String(), Time: it.rec.Time, Actor: it.rec.Actor, Intact: ok, Findings: []Finding{}}
	for i := range it.findings {
		f := it.findings[i]
		f.format()
		if namesRecord(f, it.pos) {
			rs.Findings = append(rs.Findings, f)
		}
	}
	return rs
}

func namesRecord(f Finding, seq int64) bool {
	for _, r := range f.Records {
		if r == seq {
			return true
		}
	}
	return len(f.Records) == 0
}

func signerOf(st *format.Statement, s *State) *Signer {
	if st == nil {
		return nil
	}
	sg := &Signer{Principal: st.Principal, Name: st.Name, Time: st.Time}
	if p := s.Principals[st.Principal]; p != nil {
		sg.Kind = p.Kind
	}
	return sg
}

// record takes one record checked by finish, after its effect on s.
func (t *timeline) record(it *item, ok bool, s *State) {
	if it.rec == nil || it.pos < 0 {
		return
	}
	if t.changes != nil {
		t.change(it, ok, s)
	}
	if t.notices != nil {
		t.notice(it, ok)
	}
	if t.runs == nil {
		return
	}
	// Later findings that name earlier records of an open run.
	for i := range it.findings {
		f := &it.findings[i]
		for _, seq := range f.Records {
			if seq == it.pos {
				continue
			}
			if run, ok := t.where[seq]; ok {
				t.late(run, seq, *f)
			}
		}
	}
	switch b := it.body.(type) {
	case *format.Proposal:
		p := &ProposalStep{RecordStatus: t.status(it, ok), Class: b.Class, Action: b.Action, Digest: b.Digest, Summary: b.Summary, Beneficiary: b.Beneficiary}
		if st := said(it); st != nil {
			p.Signer, p.Reason = signerOf(st, s), st.Reason
		}
		tl := t.open[b.Run]
		if tl != nil {
			// A second proposal of an open run ID.
			t.add(tl, &p.RecordStatus, cost(len(b.Run)+len(b.Action)+len(b.Digest)), func() { tl.Others = append(tl.Others, &p.RecordStatus) })
			return
		}
		tl = t.start(b.Run, it.pos)
		t.add(tl, &p.RecordStatus, cost(len(b.Run)+len(b.Class)+len(b.Action)+len(b.Digest)+len(b.Beneficiary)+summaryLen(b.Summary)+reasonLen(p)),
			func() { tl.Proposal = p })
		t.awaits(it.pos, b.Run)
	case *format.Gate:
		g := &GateStep{RecordStatus: t.status(it, ok), Policy: b.Policy, Gate: b.Gate, Stages: b.Stages}
		tl := t.find(b.Run, it.pos)
		t.add(tl, &g.RecordStatus, cost(len(b.Gate)+stagesLen(b.Stages)), func() { tl.Gates = append(tl.Gates, g) })
	case *format.Attempt:
		if b.Run == "" {
			return // an exercise outside runs
		}
		a := &AttemptStep{RecordStatus: t.status(it, ok), Act: b.Act}
		n := len(b.Act)
		if st := said(it); st != nil {
			a.Signer = signerOf(st, s)
			a.Meaning, a.Reason, a.Gate, a.Stage, a.Proposal, a.Digest = st.Meaning, st.Reason, st.Gate, st.Stage, st.Proposal, st.Action
			n += len(st.Principal) + len(st.Name) + len(st.Meaning) + len(st.Reason) + len(st.Gate) + len(st.Proposal) + len(st.Action)
		}
		tl := t.find(b.Run, it.pos)
		t.add(tl, &a.RecordStatus, cost(n), func() {
			tl.Attempts = append(tl.Attempts, a)
		})
		t.awaits(it.pos, b.Run)
	case *format.Outcome:
		run, known := t.attempts[b.Attempt]
		if !known {
			return // decides no attempt of a run kept here
		}
		delete(t.attempts, b.Attempt)
		o := &OutcomeStep{RecordStatus: t.status(it, ok), Result: b.Result, Code: b.Code, Detail: b.Detail}
		tl := t.open[run]
		if tl == nil {
			// The run's timeline was handed over in pieces.
			t.hand(t.piece(run, &o.RecordStatus))
			return
		}
		refusesProposal := false
		t.add(tl, &o.RecordStatus, cost(len(b.Result)+len(b.Code)+len(b.Detail)), func() {
			switch {
			case tl.Proposal != nil && tl.Proposal.Seq == b.Attempt:
				tl.Proposal.Outcome = o
				refusesProposal = b.Result == format.ResultRefused
			default:
				for _, a := range tl.Attempts {
					if a.Seq == b.Attempt {
						a.Outcome = o
						return
					}
				}
				tl.Others = append(tl.Others, &o.RecordStatus)
			}
		})
		if refusesProposal {
			t.close(tl, RunRefused)
		}
	case *format.Execution:
		e := &ExecutionStep{RecordStatus: t.status(it, ok), Attempt: b.Attempt, Proposal: b.Proposal, Digest: b.Digest}
		tl := t.find(b.Run, it.pos)
		// The execution closes the run, so it is always kept: it is
		// handed over at once.
		tl.Execution = e
		tl.index(&e.RecordStatus)
		t.close(tl, RunExecuted)
	}
}

// late attaches a finding made at a later record to record seq of run.
func (t *timeline) late(run string, seq int64, f Finding) {
	tl := t.open[run]
	if tl == nil {
		return
	}
	r := tl.at[seq]
	if r == nil {
		return
	}
	f.format()
	n := cost(len(f.Message) + len(f.Rule) + 8*len(f.Records))
	if t.retained+n > t.lim.retained {
		tl.Partial = true
		return
	}
	t.retained += n
	tl.cost += n
	r.Findings = append(r.Findings, f)
}

// cost is what a step of n bytes of text is counted for: its text and a
// fixed overhead for the step itself.
func cost(n int) int64 { return int64(n) + 256 }

func summaryLen(m map[string]string) int {
	n := 0
	for k, v := range m {
		n += len(k) + len(v) + 16
	}
	return n
}

func stagesLen(ss []format.Stage) int {
	n := 0
	for _, s := range ss {
		n += len(s.Meaning) + 48
		for _, p := range s.Pool {
			n += len(p) + 16
		}
	}
	return n
}

func reasonLen(p *ProposalStep) int {
	if p.Signer == nil {
		return 0
	}
	return len(p.Reason) + len(p.Signer.Principal) + len(p.Signer.Name)
}

// start opens a timeline for run, or returns a throwaway one past the
// bound on open runs.
func (t *timeline) start(run string, seq int64) *RunTimeline {
	tl := &RunTimeline{Run: run, State: RunOpen, first: seq, Gates: []*GateStep{}, Attempts: []*AttemptStep{}, Others: []*RecordStatus{},
		at: map[int64]*RecordStatus{}}
	if len(t.open) < t.lim.open {
		t.open[run] = tl
	} else {
		tl.Partial = true
	}
	return tl
}

// find returns the open timeline of run, opening one when there is none.
func (t *timeline) find(run string, seq int64) *RunTimeline {
	if tl := t.open[run]; tl != nil {
		return tl
	}
	return t.start(run, seq)
}

// add keeps a step in tl when it fits the retained bound; otherwise it
// hands the step over at once in a Partial timeline of its own. A
// timeline past the open-run bound is handed over at once too.
func (t *timeline) add(tl *RunTimeline, rs *RecordStatus, n int64, keep func()) {
	n += cost(0) * int64(len(rs.Findings))
	for _, f := range rs.Findings {
		n += int64(len(f.Message))
	}
	if t.open[tl.Run] != tl {
		keep()
		tl.index(rs)
		t.hand(tl)
		return
	}
	if t.retained+n > t.lim.retained {
		tl.Partial = true
		t.hand(t.piece(tl.Run, rs))
		return
	}
	t.retained += n
	tl.cost += n
	keep()
	tl.index(rs)
	t.where[rs.Seq] = tl.Run
}

// piece is a Partial timeline of one record that did not fit.
func (t *timeline) piece(run string, rs *RecordStatus) *RunTimeline {
	return &RunTimeline{Run: run, State: RunOpen, Partial: true, first: rs.Seq, Gates: []*GateStep{}, Attempts: []*AttemptStep{},
		Others: []*RecordStatus{rs}}
}

// awaits remembers that the proposal or attempt at seq, of run, awaits its
// outcome, within the bound on attempts awaiting outcomes (SPEC.md §10).
func (t *timeline) awaits(seq int64, run string) {
	if len(t.attempts) < t.lim.open {
		t.attempts[seq] = run
	}
}

func (tl *RunTimeline) index(rs *RecordStatus) { tl.at[rs.Seq] = rs }

// close hands over tl with state and releases what it kept.
func (t *timeline) close(tl *RunTimeline, state string) {
	tl.State = state
	if t.open[tl.Run] == tl {
		delete(t.open, tl.Run)
		t.retained -= tl.cost
		for seq := range tl.at {
			delete(t.attempts, seq)
			delete(t.where, seq)
		}
	}
	t.hand(tl)
}

func (t *timeline) hand(tl *RunTimeline) {
	tl.at = nil
	t.runs(tl)
}

// end hands over the runs still open at the end of the bundle, in order of
// their first record, with the end-of-bundle findings that name their
// records.
func (t *timeline) end(endFindings []Finding) {
	if t == nil || t.runs == nil {
		return
	}
	open := make([]*RunTimeline, 0, len(t.open))
	for _, tl := range t.open {
		open = append(open, tl)
	}
	sortTimelines(open)
	for _, tl := range open {
		for _, f := range endFindings {
			f.format()
			for _, seq := range f.Records {
				if r := tl.at[seq]; r != nil {
					r.Findings = append(r.Findings, f)
				}
			}
		}
		t.close(tl, RunOpen)
	}
}

// change reports the record's change to principals, keys or policy.
func (t *timeline) change(it *item, ok bool, s *State) {
	emit := func(c *Change) { t.changes(c) }
	switch b := it.body.(type) {
	case *format.Genesis:
		if s.LogKey == nil {
			return
		}
		emit(&Change{RecordStatus: t.status(it, ok), Kind: ChangeLogKey, Key: s.LogKey.ID.String(), Applied: true})
		for _, r := range b.Registrars {
			p := format.Principal{ID: r.ID, Kind: r.Kind, Name: r.Name, Team: r.Team}
			c := &Change{RecordStatus: t.status(it, ok), Kind: ChangeEnrolment, Principal: &p, Registrar: true}
			if pub, err := format.ParsePublicKey(r.Key); err == nil {
				c.Key = format.KeyIDOf(pub).String()
			}
			c.Applied = s.Principals[r.ID] != nil
			emit(c)
		}
	case *format.Enrolment:
		p := b.Principal
		c := &Change{RecordStatus: t.status(it, ok), Kind: ChangeEnrolment, Principal: &p, Registrar: b.Registrar}
		if pub, err := format.ParsePublicKey(b.Key); err == nil {
			kid := format.KeyIDOf(pub)
			c.Key = kid.String()
			k := s.Keys[kid]
			c.Applied = ok && it.effect != nil && k != nil && k.EnrolledAt == it.pos
		}
		emit(c)
	case *format.KeyRevocation:
		c := &Change{RecordStatus: t.status(it, ok), Kind: ChangeRevocation, Key: b.Key, Reason: b.Reason}
		if ps := s.Principals[b.Principal]; ps != nil {
			p := ps.Principal
			c.Principal = &p
		} else {
			c.Principal = &format.Principal{ID: b.Principal}
		}
		if kid, err := format.ParseHash(b.Key); err == nil {
			k := s.Keys[kid]
			c.Applied = ok && it.effect != nil && k != nil && k.RevokedAt == it.pos
		}
		emit(c)
	case *format.LogKeyRotation:
		c := &Change{RecordStatus: t.status(it, ok), Kind: ChangeLogKey}
		if pub, err := format.ParsePublicKey(b.Key); err == nil {
			c.Key = format.KeyIDOf(pub).String()
		}
		c.Applied = ok && it.effect != nil && s.LogKey != nil && s.LogKey.EnrolledAt == it.pos
		emit(c)
	case *format.Personnel:
		c := &Change{RecordStatus: t.status(it, ok), Kind: ChangePersonnel, Holder: b.Principal, Team: b.Team, Event: b.Event, Effective: b.Effective}
		if b.Event == "leaver" {
			c.Team = "" // a leaver joins no team; its team is not read (SPEC.md §6.9)
		}
		if lc := s.lastChange; lc != nil && lc.seq == it.pos {
			c.Applied = lc.applied
		}
		emit(c)
	case *format.Proposal:
		if b.Class == format.ClassPolicy && len(t.policy) < t.lim.open {
			t.policy[b.Run] = true
			t.policyAt[it.pos] = b.Run
		}
	case *format.Outcome:
		// A refused change.policy proposal changes nothing and closes its
		// run; an accepted one waits for its execution.
		if run, ok := t.policyAt[b.Attempt]; ok {
			delete(t.policyAt, b.Attempt)
			if b.Result == format.ResultRefused {
				delete(t.policy, run)
			}
		}
	case *format.Execution:
		if lc := s.lastChange; lc != nil && lc.seq == it.pos {
			c := &Change{RecordStatus: t.status(it, ok), Run: lc.run, Applied: lc.applied}
			switch d := lc.change.(type) {
			case *format.ControlAction:
				c.Kind, c.Control, c.ControlDef = ChangeControl, d.Control, d
			case *format.TeamAction:
				c.Kind, c.Team, c.TeamDef = ChangeTeam, d.Team, d
			case *format.RoleAction:
				c.Kind, c.Control, c.Role, c.Holder, c.Team, c.Op, c.Justification = ChangeRole, d.Control, d.Role, d.Principal, d.Team, d.Op, d.Justification
			case *format.ReportingLineAction:
				c.Kind, c.Holder, c.Manager = ChangeReportingLine, d.Principal, d.Manager
			case *format.ExceptionAction:
				c.Kind, c.Exception, c.Holder, c.Beneficiary, c.Control, c.Roles, c.Starts, c.Expires = ChangeException, d.Exception, d.Holder, d.Beneficiary, d.Control, d.Roles, d.Starts, d.Expires
				c.Cumulative, c.ChainStarts = lc.cumulative, lc.chain
			case *format.SmallOrgAction:
				c.Kind, c.Exception, c.Control, c.Roles, c.Expires = ChangeSmallOrg, d.Exception, d.Control, d.Roles, d.ReviewBy
			case *format.SmallOrgReviewAction:
				c.Kind, c.Exception, c.Op, c.Expires = ChangeSmallOrgReview, d.Exception, d.Outcome, d.NextReviewBy
			}
			emit(c)
			return
		}
		applied := s.Policy != nil && s.Policy.Seq == it.pos
		if t.policy[b.Run] || applied {
			delete(t.policy, b.Run)
			c := &Change{RecordStatus: t.status(it, ok), Kind: ChangePolicy, Run: b.Run, Applied: applied}
			if applied {
				c.Policy = s.Policy.Version
			}
			emit(c)
		}
	}
}

func sortBySeq(rs []*RecordStatus) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Seq < rs[j].Seq })
}

func sortTimelines(ts []*RunTimeline) {
	sort.Slice(ts, func(i, j int) bool { return ts[i].first < ts[j].first })
}

// said is the record's first statement as the record carries it: the
// verified one, or, when verification set it aside (a signature that does
// not verify counts for nothing, SPEC.md §5.1), the same bytes read as
// they stand, so the timeline shows what the altered record now says,
// marked as not intact. It decides nothing.
func said(it *item) *format.Statement {
	if st := first(it.stmts); st != nil {
		return st
	}
	if it.rec == nil || len(it.rec.Sigs) == 0 {
		return nil
	}
	st, err := format.ParseStatement(it.rec.Sigs[0].Stmt, format.Lax)
	if err != nil {
		return nil
	}
	return st
}
