package verifier

import (
	"sort"

	"github.com/countersign/countersign/format"
)

// Rule is one segregation-of-duties rule: a stable ID, a one-line
// statement, the references it answers to, and the check itself, which
// sees every record whose integrity checks passed, in order, before the
// record changes the state.
type Rule struct {
	ID         string
	Statement  string
	References []string
	check      func(j *judgement)
	end        func(s *State, off map[string]bool, emit func(Finding))
}

// Rules returns the rule catalogue the verifier applies, in ID order.
func Rules() []Rule {
	rs := []Rule{
		ruleKeyEnrolment, ruleGatePolicy, ruleMakerChecker, ruleQuorum, ruleHumanSigner,
		ruleSignatureMeaning, ruleOneRole, ruleGrant, ruleAttemptOutcome, rulePrintedName,
		ruleControlRoles, ruleAccessAlignment, ruleRoleChangeLog, rulePolicyChange,
		ruleAlert60s, ruleAuditIndependence, ruleRegisterTimely, ruleException, ruleSmallOrg,
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
}

// judgement is one record under the rules.
type judgement struct {
	rec   *format.Record
	body  any
	stmts []*format.Statement
	st    *State
	out   *[]Finding
	off   map[string]bool
	lim   *limits
	// for outcome records: the attempt decided, and its run
	att *pending
	run *RunState
}

// on reports whether condition id is checked (tests turn conditions off).
func (j *judgement) on(id string) bool { return !j.off[id] }

func (j *judgement) emit(rule, msg string, records ...int64) {
	if records == nil {
		records = []int64{j.rec.Seq}
	}
	*j.out = append(*j.out, Finding{Rule: rule, Message: msg, Records: records})
}

// emitf records a finding whose message is formatted only if it is kept
// (SPEC.md §8.4).
func (j *judgement) emitf(rule string, records []int64, format string, args ...any) {
	if records == nil {
		records = []int64{j.rec.Seq}
	}
	*j.out = append(*j.out, Finding{Rule: rule, Records: records, msgf: format, args: args})
}

// judge applies the rules to one intact record, then moves the state on.
func (v *verification) judge(it *item) {
	s := v.state
	j := &judgement{rec: it.rec, body: it.body, stmts: it.stmts, st: s, out: &it.findings, off: v.opts.off, lim: &v.lim}
	if o, ok := it.body.(*format.Outcome); ok {
		j.att = s.pending[o.Attempt]
		if j.att != nil && !j.att.dead {
			j.run = s.Runs[j.att.run]
		}
	}
	if r := runOf(it.body); r != "" && j.run == nil && j.att == nil {
		j.run = s.Runs[r]
	}
	for _, r := range v.rules {
		if r.check != nil {
			r.check(j)
		}
	}
	track(j)
}

func runOf(body any) string {
	switch b := body.(type) {
	case *format.Gate:
		return b.Run
	case *format.Attempt:
		return b.Run
	case *format.Execution:
		return b.Run
	}
	return ""
}

// runKey is the digest a run ID is remembered by (SPEC.md §10).
func runKey(id string) digest { return digestOf("countersign/v1 run\x00", []byte(id)) }

// track moves the run and policy state on after the rules have seen a
// record.
func track(j *judgement) {
	s, rec := j.st, j.rec
	switch b := j.body.(type) {
	case *format.AuditFinding:
		// Past the register's bound the finding is not kept, so no change
		// can downgrade or withdraw it (SPEC.md §10).
		if j.roomInRegister(1) {
			s.auditFindings()[rec.Seq] = &auditFinding{control: b.Control, severity: b.Severity, withdrawn: -1}
		}
	case *format.Proposal:
		p := &pending{seq: rec.Seq, typ: rec.Type, actor: rec.Actor, time: rec.Time}
		key := runKey(b.Run)
		if _, used := s.runIDs.lookup(key); used && j.on("SOD-ATTEMPT-OUTCOME.1") {
			p.dead = true // reported by the rule; opens no run
		} else {
			if !used {
				s.runIDs.add(key, rec.Seq)
			}
			if r := openRun(j, b); r != nil {
				p.run = r.ID
			} else {
				p.dead = true
			}
		}
		if st := first(j.stmts); st != nil {
			p.stmt = &stmtInfo{time: st.Time, principal: st.Principal}
		}
		if j.roomFor(len(s.pending)) {
			s.pending[rec.Seq] = p
		}
	case *format.Gate:
		if r := j.run; r != nil && r.Gate == nil {
			want := r.Required
			if want != nil && b.Policy == r.Policy && b.Gate == want.Gate && sameStages(b.Stages, want.Stages) {
				r.Gate = &format.Gate{Run: r.ID, Proposal: r.ProposalHash.String(), Policy: r.Policy, Gate: want.Gate, Stages: want.Stages}
			} else {
				r.Gate = b
				j.keep(r, int64(len(rec.Body)))
			}
			r.GateSeq = rec.Seq
		}
	case *format.Attempt:
		p := &pending{seq: rec.Seq, typ: rec.Type, actor: rec.Actor, time: rec.Time}
		switch b.Act {
		case format.ActSignoff, format.ActExecute, format.ActExercise:
			p.act = b.Act
		default:
			p.act = clip(b.Act)
		}
		if r := j.run; r != nil {
			p.run = r.ID
		} else if b.Run != "" {
			p.run, p.dead = clip(b.Run), true
		}
		if st := first(j.stmts); st != nil {
			p.stmt = newStmtInfo(st, j.run)
			if p.act == format.ActExercise {
				p.stmtKey = digestOf("", st.Raw)
			}
		}
		if j.roomFor(len(s.pending)) {
			s.pending[rec.Seq] = p
		}
	case *format.Outcome:
		a := j.att
		if a == nil {
			return
		}
		delete(s.pending, a.seq)
		accepted := b.Result == format.ResultAccepted
		if accepted && a.act == format.ActExercise && a.stmt != nil {
			if _, seen := s.acted.lookup(a.stmtKey); !seen {
				s.acted.add(a.stmtKey, a.seq)
			}
		}
		r := j.run
		if r == nil {
			return
		}
		switch {
		case a.typ == format.TypeProposal && accepted:
			r.Accepted = true
		case a.typ == format.TypeProposal:
			closeRun(s, r)
		case a.act == format.ActSignoff && accepted && a.stmt != nil:
			if !j.keep(r, 64) {
				return // past the bound: not counted (reported once)
			}
			si := a.stmt
			r.Signoffs = append(r.Signoffs, Signoff{Attempt: a.seq, Outcome: rec.Seq, Principal: a.actor, Stage: si.stage,
				Meaning: si.meaning, Reasoned: si.reasoned,
				Bound: si.proposal && si.action && r.Gate != nil && !si.gateLong && si.gate == r.Gate.Gate})
			if _, ok := r.Roles[a.actor]; !ok {
				r.Roles[a.actor] = "checker"
			}
		case a.act == format.ActExecute && accepted:
			if _, ok := r.Roles[a.actor]; !ok {
				r.Roles[a.actor] = "maker"
			}
			if a.stmt != nil && (a.stmt.proposal && a.stmt.action || !j.on("INT-STATEMENT.8")) && j.roomFor(len(s.executes)) {
				s.executes[a.seq] = a
			}
		}
	case *format.Personnel:
		s.lastChange = &appliedChange{seq: rec.Seq, change: b, applied: applyPersonnel(j, b)}
		if s.lastChange.applied {
			headcount(j, []int64{rec.Seq})
		}
	case *format.Execution:
		delete(s.executes, b.Attempt)
		r := j.run
		if r == nil {
			return
		}
		if r.Action != nil && format.IsChangeClass(r.Class) {
			applyChange(j, r)
		} else if !format.IsChangeClass(r.Class) {
			s.addDaily(j, r)
		}
		closeRun(s, r)
	}
}

// openRun makes the run a proposal opens, keeping of its action only what
// the rules need (SPEC.md §10). It returns nil when no run can be kept.
func openRun(j *judgement, b *format.Proposal) *RunState {
	s, rec := j.st, j.rec
	if _, dup := s.Runs[b.Run]; dup || !j.roomFor(len(s.Runs)) {
		return nil
	}
	r := &RunState{ID: b.Run, ProposalSeq: rec.Seq, ProposalHash: rec.Hash, ProposalTime: rec.Time, Proposer: rec.Actor, Class: b.Class,
		Digest: b.Digest, BeneficiaryOK: true, Roles: map[string]string{rec.Actor: "maker"}}
	r.declared = clip(b.Beneficiary)
	if len(b.Beneficiary) <= 64 {
		r.Beneficiary = b.Beneficiary
	}
	if len(b.Digest) > 64 {
		r.Digest = clip(b.Digest)
	}
	a, err := format.ParseAction([]byte(b.Action))
	if err == nil {
		amt, isText := a.Text("amount")
		_, total := a.Members["total"]
		nested := a.NestedMember("amount", "total")
		if isText && format.ValidAmount(amt) && (!nested && !total || !j.on("SOD-GRANT.4")) {
			r.Amount, r.AmountOK = amt, true
		}
		if c, _ := a.Text("currency"); format.ValidCurrency(c) {
			r.Currency = c
		}
		if s.Policy != nil && j.on("SOD-MAKER-CHECKER.3") {
			if m, ok := s.Policy.Beneficiaries[b.Class]; ok {
				derived := ""
				v, isText := a.Text(m)
				if isText && s.Principals[v] != nil {
					derived = v
				}
				r.BeneficiaryOK = isText && derived == b.Beneficiary
				r.Beneficiary = derived
			}
		}
		if format.IsChangeClass(b.Class) {
			r.Action = a
		}
	}
	r.Limited = s.limited(b.Class)
	r.Required, r.Policy = s.RequiredGate(b.Class)
	if err == nil {
		s.runControls(r, a)
	}
	cost := int64(len(b.Run) + len(b.Class) + len(r.Control))
	switch {
	case r.Audit != nil:
		r.Required, r.Policy = s.controlsGate(b.Class, []Affected{{Control: r.Audit.Control, Approvers: r.Audit.Approvers}}, false)
		cost += int64(stagesLen(r.Required.Stages))
	case len(r.Affected) > 0:
		r.Required, r.Policy = s.controlsGate(b.Class, r.Affected, r.Unowned)
		cost += int64(stagesLen(r.Required.Stages))
	case b.Class == format.ClassException && r.Action != nil:
		if ch, err := format.DecodeChange(r.Action, modeOf(s.Lax)); err == nil {
			r.Required = s.exceptionGate(ch.(*format.ExceptionAction))
			r.Policy = 0
			if s.Policy != nil {
				r.Policy = s.Policy.Version
			}
			cost += int64(stagesLen(r.Required.Stages))
		}
	default:
		if g := s.resolvePools(r.Required); g != r.Required {
			r.Required = g
			cost += int64(stagesLen(g.Stages))
		}
	}
	if r.Action != nil {
		cost += int64(len(r.Action.Raw))
	}
	if !j.keep(r, cost) {
		r.Action = nil
	}
	s.Runs[b.Run] = r
	return r
}

// closeRun removes a run from the state and releases what it kept.
func closeRun(s *State, r *RunState) {
	s.retained -= r.cost
	delete(s.Runs, r.ID)
}

func sortStrings(s []string) { sort.Strings(s) }

// roomFor reports whether one more may be tracked where n are (open runs,
// attempts awaiting outcomes, accepted executes awaiting executions); past
// the limit (SPEC.md §10) it reports a finding, once.
func (j *judgement) roomFor(n int) bool {
	if n < j.lim.open || !j.on("SOD-ATTEMPT-OUTCOME.8") {
		return true
	}
	if !j.st.overflow {
		j.st.overflow = true
		j.emitf(RuleAttemptOutcome, nil, "more than %d runs or attempts are open at once at record %d; later ones are not tracked", j.lim.open, j.rec.Seq)
	}
	return false
}

// keep counts n more bytes kept for run r against the retained bound
// (SPEC.md §10); past it, it reports a finding, once, and returns false.
func (j *judgement) keep(r *RunState, n int64) bool {
	if j.st.retained+n > j.lim.retained && j.on("SOD-ATTEMPT-OUTCOME.8") {
		if !j.st.overkept {
			j.st.overkept = true
			j.emitf(RuleAttemptOutcome, nil, "open runs need more than %d bytes of state at record %d; the verifier keeps no more", j.lim.retained, j.rec.Seq)
		}
		return false
	}
	j.st.retained += n
	r.cost += n
	return true
}

func first(sts []*format.Statement) *format.Statement {
	if len(sts) == 0 {
		return nil
	}
	return sts[0]
}

// applyChange puts an executed change into the state, and notes what it
// was for the change log.
func applyChange(j *judgement, r *RunState) {
	s, seq := j.st, j.rec.Seq
	ch, err := format.DecodeChange(r.Action, modeOf(s.Lax))
	if err != nil {
		return
	}
	switch c := ch.(type) {
	case *format.ControlAction, *format.TeamAction, *format.RoleAction:
		s.lastChange = &appliedChange{seq: seq, run: r.ID, change: ch, applied: applyRegister(j, r, ch)}
		if s.lastChange.applied {
			headcount(j, []int64{r.ProposalSeq, seq})
		}
	case *format.AuditFindingChangeAction:
		applyAuditChange(j, r, c)
	case *format.HolidayAction:
		applyHoliday(j, c)
	case *format.ReportingLineAction:
		ok := s.lineProblem(c) == "" || !j.on("SOD-EXCEPTION.1")
		x := s.Reg.ext()
		if ok && x.lines[c.Principal] == nil {
			ok = j.roomInRegister(1)
		}
		if ok {
			x.lines[c.Principal] = &line{manager: c.Manager, seq: seq, time: j.rec.Time, proposer: r.Proposer}
		}
		s.lastChange = &appliedChange{seq: seq, run: r.ID, change: ch, applied: ok}
	case *format.ExceptionAction:
		s.lastChange = &appliedChange{seq: seq, run: r.ID, change: ch, applied: applyException(j, r, c)}
		if s.lastChange.applied {
			e := s.Reg.x.excepts[len(s.Reg.x.excepts)-1]
			s.lastChange.cumulative, s.lastChange.chain = e.cumulative(), e.chain.String()
		}
	case *format.SmallOrgAction, *format.SmallOrgReviewAction:
		s.lastChange = &appliedChange{seq: seq, run: r.ID, change: ch, applied: applySmallOrg(j, ch)}
	case *format.PolicyAction:
		if policyRefused(j, c) {
			return
		}
		p := &Policy{Version: c.Version, Seq: seq, Control: c.Control, Grants: c.Grants, Gates: map[string]format.GateDef{}, Beneficiaries: map[string]string{}}
		for _, g := range c.Gates {
			if _, dup := p.Gates[g.Class]; !dup {
				p.Gates[g.Class] = g
			}
		}
		for _, b := range c.Beneficiaries {
			if _, dup := p.Beneficiaries[b.Class]; !dup {
				p.Beneficiaries[b.Class] = b.Member
			}
		}
		s.Policy = p
	}
}

// endRules runs the rules' end-of-bundle checks.
func (v *verification) endRules() []Finding {
	var out []Finding
	if t := v.trailer; t != nil && t.Seal != nil {
		v.state.endTime = t.Seal.Time
	}
	for _, r := range v.rules {
		if r.end != nil {
			r.end(v.state, v.opts.off, func(f Finding) { out = append(out, f) })
		}
	}
	return out
}
