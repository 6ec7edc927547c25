package enforce

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/internal/names"
)

// checkPoP checks an enrol-self statement: made with key for p.
func checkPoP(p format.Principal, pub ed25519.PublicKey, registrar bool, bundle format.Hash, s format.Signed) error {
	if err := format.CheckPublicKey(pub); err != nil {
		return err
	}
	if s.Key != format.KeyIDOf(pub) || !format.Verify(pub, format.PrefixStatement, s.Stmt, s.Sig) {
		return errors.New("proof of possession is not signed by the key being enrolled")
	}
	st, err := format.ParseStatement(s.Stmt, format.Strict)
	if err != nil {
		return err
	}
	if st.Purpose != format.PurposeEnrolSelf || st.Bundle != bundle.String() || st.Principal != p.ID || st.Name != p.Name ||
		st.Kind != p.Kind || st.Team != p.Team || st.Key != format.HexKey(pub) || st.Registrar == nil || *st.Registrar != registrar {
		return errors.New("proof of possession does not state this enrolment")
	}
	return nil
}

// attribute checks that s is a valid statement of the given purpose by an
// enrolled principal with a key in force, for this bundle. Failures are
// unattributable: nobody can be named as the one who attempted.
func (c *Core) attribute(s format.Signed, purpose string) (*format.Statement, *principal, error) {
	st, err := format.ParseStatement(s.Stmt, format.Strict)
	if err != nil {
		return nil, nil, c.unattributable(fmt.Sprintf("malformed statement: %v", err))
	}
	if st.Purpose != purpose {
		return nil, nil, c.unattributable(fmt.Sprintf("statement of purpose %q where %q was expected", st.Purpose, purpose))
	}
	if st.Bundle != c.st.genesis.String() {
		return nil, nil, c.unattributable("statement made for another bundle")
	}
	k := c.st.keys[s.Key]
	p := c.st.principals[st.Principal]
	switch {
	case k == nil || p == nil || k.principal != st.Principal:
		return nil, nil, c.unattributable(fmt.Sprintf("key %.16s is not enrolled for %q", s.Key.String(), st.Principal))
	case k.revoked:
		return nil, nil, c.unattributable(fmt.Sprintf("key %.16s of %s is revoked", s.Key.String(), st.Principal))
	case !format.Verify(k.pub, format.PrefixStatement, s.Stmt, s.Sig):
		return nil, nil, c.unattributable(fmt.Sprintf("signature claimed for %s does not verify", st.Principal))
	case st.Name != p.Name:
		return nil, nil, c.unattributable(fmt.Sprintf("printed name %q is not %s's enrolled name", st.Name, st.Principal))
	}
	if err := c.fresh(s, st); err != nil {
		return nil, nil, err
	}
	return st, p, nil
}

// fresh refuses, recording a note, a statement already recorded or one
// claiming a time too far ahead of the core's clock. Neither is written as
// an attempt: the statement would then appear in the bundle twice, or
// outside the skew a verifier allows.
func (c *Core) fresh(s format.Signed, st *format.Statement) error {
	if c.on(CodeReplayedStatement) && c.st.seen(s.Stmt) {
		_, err := c.refuseNote(CodeReplayedStatement, fmt.Sprintf("%s's %s statement was already recorded: a statement counts once", st.Principal, st.Purpose), ErrReplayed)
		return err
	}
	return c.checkTime(st)
}

// unattributable notes a submission that cannot be pinned on anyone.
func (c *Core) unattributable(why string) error {
	_, _ = c.write(entry{typ: format.TypeNote, body: &format.Note{Code: "unattributable-submission", Text: why}})
	return fmt.Errorf("%w: %s", ErrUnattributable, why)
}

// Enrol enrols a principal's public key. sigs must hold the principal's
// enrol-self statement made with that key, then enrol-witness statements
// of at least two registrars other than the principal.
func (c *Core) Enrol(p format.Principal, pub ed25519.PublicKey, registrar bool, sigs []format.Signed) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(sigs) < 3 {
		return 0, errors.New("enrolment needs the enrolee's proof of possession and two registrars' statements")
	}
	if err := checkPoP(p, pub, registrar, c.st.genesis, sigs[0]); err != nil {
		return 0, err
	}
	if self, err := format.ParseStatement(sigs[0].Stmt, format.Strict); err == nil {
		if err := c.fresh(sigs[0], self); err != nil {
			return 0, err
		}
	}
	kid := format.KeyIDOf(pub)
	if _, dup := c.st.keys[kid]; dup {
		return 0, fmt.Errorf("key %.16s is %w: a key belongs to one principal, ever", kid.String(), ErrAlreadyEnrolled)
	}
	if old := c.st.principals[p.ID]; old != nil && old.Principal != p {
		return 0, fmt.Errorf("%s is %w with another kind, name or team", p.ID, ErrAlreadyEnrolled)
	}
	seen := map[string]bool{}
	var attested [][]string
	for _, s := range sigs[1:] {
		st, reg, err := c.attribute(s, format.PurposeEnrolWitness)
		if err != nil {
			return 0, err
		}
		if !reg.registrar || st.Principal == p.ID || seen[st.Principal] {
			return 0, fmt.Errorf("%s cannot witness this enrolment", st.Principal)
		}
		if st.Subject != p.ID || st.SubjectName != p.Name || st.Kind != p.Kind || st.Team != p.Team || st.Key != format.HexKey(pub) || st.Registrar == nil || *st.Registrar != registrar {
			return 0, fmt.Errorf("registrar %s's statement does not state this enrolment", st.Principal)
		}
		if err := c.checkSamePerson(p, st.SamePerson); err != nil {
			return 0, fmt.Errorf("registrar %s's statement: %w", st.Principal, err)
		}
		seen[st.Principal] = true
		attested = append(attested, st.SamePerson)
	}
	if len(seen) < 2 {
		return 0, errors.New("two distinct registrars must witness an enrolment")
	}
	if old := c.st.principals[p.ID]; old == nil && c.on(CodeSamePersonUnattest) {
		sk := names.Skeleton(p.Name)
		for _, id := range c.st.sortedPrincipals() {
			q := c.st.principals[id]
			if names.Skeleton(q.Name) != sk {
				continue
			}
			for _, list := range attested {
				if !slices.Contains(list, id) {
					_, err := c.refuseNote(CodeSamePersonUnattest, fmt.Sprintf("the printed name of %s, %q, reads as %s's, %q, and not every registrar attests they are one human",
						p.ID, p.Name, id, q.Name), ErrSamePerson)
					return 0, err
				}
			}
		}
	}
	seqs, err := c.write(entry{typ: format.TypeEnrolment, actor: p.ID, body: &format.Enrolment{Principal: p, Key: format.HexKey(pub), Registrar: registrar}, sigs: sigs})
	if err != nil {
		return 0, err
	}
	return seqs[0], nil
}

// checkSamePerson checks a witness's same_person list: only for a human
// enrolee; distinct principals, each enrolled as human, none the enrolee.
func (c *Core) checkSamePerson(enrolee format.Principal, ids []string) error {
	if len(ids) > 0 && enrolee.Kind != format.KindHuman {
		return fmt.Errorf("same_person is attested for %s, an agent: only a human is a person", enrolee.ID)
	}
	for i, id := range ids {
		q := c.st.principals[id]
		switch {
		case id == enrolee.ID:
			return fmt.Errorf("same_person names the enrolee %s itself", id)
		case q == nil || q.Kind != format.KindHuman:
			return fmt.Errorf("same_person names %s, which is not a principal enrolled as human", id)
		case slices.Contains(ids[:i], id):
			return fmt.Errorf("same_person names %s twice", id)
		}
	}
	return nil
}

// Propose opens run with action (the exact bytes that will execute).
// summary holds members of the action shown to approvers; beneficiary is
// the principal the action benefits, or "". stmt is the proposer's
// propose statement. The proposal is refused (and recorded) if the
// proposer's grants do not cover it; otherwise the run parks at the gate
// the policy in force defines for its class, and the Decision carries one
// sign request per stage.
func (c *Core) Propose(runID string, action []byte, summary map[string]string, beneficiary string, stmt format.Signed) (*Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.begin()()
	if !format.ValidID(runID) {
		return nil, fmt.Errorf("run ID %q is not an identifier", runID)
	}
	a, err := format.ParseAction(action)
	if err != nil {
		return nil, err
	}
	for k, v := range summary {
		if got, ok := a.Text(k); !ok || got != v {
			return nil, fmt.Errorf("summary member %s = %q is not what the action says", k, v)
		}
	}
	if c.on(CodeRunExists) && c.st.usedRun(runID) {
		return c.refuseNote(CodeRunExists, fmt.Sprintf("run %s was already proposed: a run ID is used once, and a changed action is a new run", runID), ErrRunExists)
	}
	if beneficiary != "" && c.st.principals[beneficiary] == nil {
		return nil, fmt.Errorf("beneficiary %s is not an enrolled principal", beneficiary)
	}
	st, p, err := c.attribute(stmt, format.PurposePropose)
	if err != nil {
		return asDecision(err)
	}
	digest := format.ActionDigest(action).String()
	if st.Run != runID || st.Class != a.Class || st.Action != digest {
		return nil, c.unattributable(fmt.Sprintf("%s's propose statement is for run %s, class %s, digest %.16s, not this proposal", p.ID, st.Run, st.Class, st.Action))
	}
	if summary == nil {
		summary = map[string]string{}
	}
	if c.on(CodeEmptyReason) && names.Blank(st.Reason) {
		// Refused without recording the proposal: a verifier judges every
		// proposal's reason, refused or not.
		return c.refuseNote(CodeEmptyReason, fmt.Sprintf("%s's proposal of run %s has no reason", p.ID, runID), nil)
	}
	if a.Class == format.ClassPolicy && c.on(CodeInvalidPolicy) {
		// A policy that does not parse or has the wrong version is refused
		// without recording the proposal: a verifier judges every policy
		// proposal's version and shape, refused or not.
		if why := c.policyHeader(a); why != "" {
			return c.refuseNote(CodeInvalidPolicy, fmt.Sprintf("%s's run %s: %s", p.ID, runID, why), nil)
		}
	}
	if format.IsChangeClass(a.Class) && a.Class != format.ClassPolicy && c.on(CodeInvalidPolicy) {
		// A change action without its class's members is refused without
		// recording the proposal: a verifier judges every proposal's action.
		if _, err := format.DecodeChange(a, format.Strict); err != nil {
			return c.refuseNote(CodeInvalidPolicy, fmt.Sprintf("%s's run %s: the %s action does not have its class's members: %v", p.ID, runID, a.Class, err), nil)
		}
	}
	prop := &format.Proposal{Run: runID, Class: a.Class, Action: string(action), Digest: digest, Summary: summary, Beneficiary: beneficiary}
	sh := shapeOf(a)
	code, detail := "", ""
	derived, derivable, _ := c.derivedBeneficiary(a, beneficiary)
	switch {
	case c.on(CodeInvalidPolicy) && a.Class == format.ClassPolicy && c.checkPolicy(a) != "":
		code, detail = CodeInvalidPolicy, c.checkPolicy(a)
	case c.on(CodeBeneficiaryMismatch) && !derivable:
		code, detail = CodeBeneficiaryMismatch, fmt.Sprintf("the policy names the beneficiary of class %s by member %s, which the action lacks or does not give as a string", a.Class, c.st.policy.beneficiaries[a.Class])
	case c.on(CodeBeneficiaryMismatch) && derived != beneficiary:
		code, detail = CodeBeneficiaryMismatch, fmt.Sprintf("the proposal declares beneficiary %q; the action names %q", beneficiary, derived)
	default:
		if code, detail = c.judgeRoles(a, p.ID); code != "" {
			break
		}
		if code = c.st.grant(p.ID, format.GrantMaker, a.Class, sh, ""); code != "" && c.on(code) {
			detail = fmt.Sprintf("%s holds no maker grant covering %s %s %s", p.ID, a.Class, sh.amount, sh.currency)
		} else {
			code = ""
		}
	}
	gdef, pv := c.st.requiredGate(a.Class)
	if code == "" && a.Class == format.ClassException {
		if e, ok := decodeChangeAction(action).(*format.ExceptionAction); ok {
			pv = 0
			if c.st.policy != nil {
				pv = c.st.policy.version
			}
			gdef = c.st.exceptionGate(e, a.Class, pv)
		}
	}
	if code == "" {
		if g, v, why := c.changeGate(a); why != "" {
			code, detail = CodeRoleNotAssigned, why
		} else if g != nil {
			gdef, pv = g, v
		}
	}
	entries := []entry{{typ: format.TypeProposal, actor: p.ID, body: prop, sigs: []format.Signed{stmt}}}
	outcome := func(w written) any {
		if code != "" {
			return &format.Outcome{Attempt: w.seqs[0], Result: format.ResultRefused, Code: code, Detail: detail}
		}
		return &format.Outcome{Attempt: w.seqs[0], Result: format.ResultAccepted, Code: "ok", Detail: "proposal recorded"}
	}
	entries = append(entries, entry{typ: format.TypeOutcome, build: outcome})
	var gate *format.Gate
	if code == "" && gdef != nil {
		gate = &format.Gate{Run: runID, Policy: pv, Gate: gdef.Gate, Stages: gdef.Stages}
		entries = append(entries, entry{typ: format.TypeGate, build: func(w written) any {
			gate.Proposal = w.hashes[0].String()
			return gate
		}})
	}
	seqs, err := c.write(entries...)
	if err != nil {
		return nil, err
	}
	d := &Decision{Accepted: code == "", Code: code, Detail: detail, Attempt: seqs[0], Outcome: seqs[1]}
	if code != "" {
		return d, &Refusal{Code: code, Detail: detail, Attempt: seqs[0], Outcome: seqs[1]}
	}
	d.Code = "ok"
	if gate != nil {
		for _, s := range gate.Stages {
			d.Requests = append(d.Requests, c.request(c.st.runs[runID], s))
		}
	}
	return d, nil
}

func (c *Core) request(r *run, s format.Stage) *signreq.Request {
	return &signreq.Request{Format: signreq.RequestFormat, Version: 1, Purpose: format.PurposeSignoff, Bundle: c.st.genesis.String(),
		Run: r.id, Proposal: r.proposal.String(), Gate: r.gate.Gate, Stage: s.Stage, Digest: r.digest, Meaning: s.Meaning, Action: string(r.action)}
}

// SignRequests returns the sign requests of an open, gated run, one per
// stage, for the runtime to hand to approvers.
func (c *Core) SignRequests(runID string) ([]*signreq.Request, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.st.runs[runID]
	if r == nil || !r.open || r.gate == nil {
		return nil, fmt.Errorf("run %s is %w", runID, ErrNotParked)
	}
	var out []*signreq.Request
	for _, s := range r.gate.Stages {
		out = append(out, c.request(r, s))
	}
	return out, nil
}

// ExecuteRequest returns the request an executor signs to execute a run.
func (c *Core) ExecuteRequest(runID string) (*signreq.Request, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.st.runs[runID]
	if r == nil || !r.open {
		return nil, fmt.Errorf("run %s is %w", runID, ErrNotOpen)
	}
	return &signreq.Request{Format: signreq.RequestFormat, Version: 1, Purpose: format.PurposeExecute, Bundle: c.st.genesis.String(),
		Run: r.id, Proposal: r.proposal.String(), Digest: r.digest, Action: string(r.action)}, nil
}

// SignOff takes a sign-off statement and decides it: accepted and counted
// toward its stage's quorum, or refused with a reason code. Either way the
// attempt and its outcome are recorded. A refusal returns a *Refusal.
func (c *Core) SignOff(stmt format.Signed) (*Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.begin()()
	st, p, err := c.attribute(stmt, format.PurposeSignoff)
	if err != nil {
		return asDecision(err)
	}
	if err := c.checkBehind(st, c.st.runs[st.Run]); err != nil {
		return asDecision(err)
	}
	code, detail := c.judgeSignoff(st, p)
	return c.decide(format.ActSignoff, st, stmt, code, detail, nil)
}

// openRun returns the open run a statement names, or the refusal for a
// run that is closed or does not exist.
func (c *Core) openRun(id string) (*run, string, string) {
	r := c.st.runs[id]
	switch {
	case c.on(CodeRunClosed) && (r == nil && c.st.usedRun(id) || r != nil && !r.open):
		return nil, CodeRunClosed, fmt.Sprintf("run %s is closed", id)
	case r == nil:
		return nil, CodeWrongBinding, fmt.Sprintf("run %s does not exist", id)
	}
	return r, "", ""
}

func (c *Core) judgeSignoff(st *format.Statement, p *principal) (string, string) {
	r, code, detail := c.openRun(st.Run)
	switch {
	case r == nil:
		return code, detail
	case r.gate == nil:
		return CodeWrongBinding, fmt.Sprintf("run %s has no gate to sign", st.Run)
	case c.on(CodeWrongBinding) && (st.Proposal != r.proposal.String() || st.Action != r.digest || st.Gate != r.gate.Gate):
		return CodeWrongBinding, fmt.Sprintf("the statement is for another proposal, action or gate than run %s's", r.id)
	}
	var stage *format.Stage
	for i := range r.gate.Stages {
		if r.gate.Stages[i].Stage == st.Stage {
			stage = &r.gate.Stages[i]
		}
	}
	switch {
	case stage == nil:
		return CodeWrongBinding, fmt.Sprintf("gate %s has no stage %d", r.gate.Gate, st.Stage)
	case c.on(CodeSelfApproval) && c.st.samePerson(p.ID, r.proposer):
		return CodeSelfApproval, fmt.Sprintf("%s prepared run %s (or is the same person as its maker %s) and cannot approve it", p.ID, r.id, r.proposer)
	case c.on(CodeBeneficiary) && r.beneficiary != "" && c.st.samePerson(p.ID, r.beneficiary):
		return CodeBeneficiary, fmt.Sprintf("%s benefits from run %s and cannot approve it", p.ID, r.id)
	case c.on(CodeSelfApproval) && r.class == format.ClassException && c.st.exceptionSelf(r, p.ID) != "":
		return CodeSelfApproval, c.st.exceptionSelf(r, p.ID)
	case c.on(CodeHumanRequired) && stage.Human && p.Kind != format.KindHuman:
		return CodeHumanRequired, fmt.Sprintf("stage %d of gate %s requires a named human; %s is an agent", stage.Stage, r.gate.Gate, p.ID)
	case c.on(CodeRoleNotAssigned) && stage.PoolRole != nil && !c.st.holds(c.st.reg, p.ID, stage.PoolRole.Control, stage.PoolRole.Role):
		return CodeRoleNotAssigned, fmt.Sprintf("%s does not hold %s on control %s, whose holders stage %d of gate %s asks for", p.ID, stage.PoolRole.Role, stage.PoolRole.Control, stage.Stage, r.gate.Gate)
	case c.on(CodeNotInPool) && !slices.Contains(stage.Pool, p.ID):
		return CodeNotInPool, fmt.Sprintf("%s is not in the pool of stage %d of gate %s", p.ID, stage.Stage, r.gate.Gate)
	}
	if prev, ok := r.signoffs[p.ID]; ok && c.on(CodeDuplicateSigner) {
		return CodeDuplicateSigner, fmt.Sprintf("%s already signed run %s (stage %d); one principal, one sign-off", p.ID, r.id, prev)
	}
	// One person, one sign-off in a run, whatever the stage (SPEC
	// SOD-ONE-ROLE): a human's second principal is no second pair of eyes.
	for _, other := range slices.Sorted(maps.Keys(r.signoffs)) {
		if other != p.ID && c.st.samePerson(other, p.ID) && c.on(CodeDuplicateSigner) {
			return CodeDuplicateSigner, fmt.Sprintf("%s and %s are one person, who already signed stage %d of run %s", p.ID, other, r.signoffs[other], r.id)
		}
	}
	switch {
	case c.on(CodeWrongMeaning) && st.Meaning != stage.Meaning:
		return CodeWrongMeaning, fmt.Sprintf("stage %d requires meaning %q, the statement says %q", stage.Stage, stage.Meaning, st.Meaning)
	case c.on(CodeEmptyReason) && names.Blank(st.Reason):
		return CodeEmptyReason, "a sign-off needs a reason"
	}
	if code := c.st.grant(p.ID, format.GrantChecker, r.class, r.amounts, ""); code != "" && c.on(code) {
		return code, fmt.Sprintf("%s holds no checker grant covering %s %s %s", p.ID, r.class, r.amounts.amount, r.amounts.currency)
	}
	return c.judgeSignoffRoles(r, p.ID)
}

// Execute takes the maker's execute statement and decides it: refused
// unless every stage of the run's gate has its quorum; when accepted, the
// execution is recorded and, for a change run, the change takes effect.
func (c *Core) Execute(stmt format.Signed) (*Decision, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, p, err := c.attribute(stmt, format.PurposeExecute)
	if err != nil {
		return asDecision(err)
	}
	if err := c.checkBehind(st, c.st.runs[st.Run]); err != nil {
		return asDecision(err)
	}
	// The records carry the clock read here (held at the last record's
	// time if it stepped back): the daily aggregate is judged for the local
	// day the execution will be dated.
	defer c.begin()()
	at := c.decisionTime()
	code, detail := c.judgeExecute(st, p, max(at, c.chain.LastTime()))
	var exec func(w written) any
	if code == "" {
		r := c.st.runs[st.Run]
		exec = func(w written) any {
			return &format.Execution{Run: r.id, Proposal: r.proposal.String(), Digest: r.digest, Attempt: w.seqs[0]}
		}
	}
	return c.decideAt(at, format.ActExecute, st, stmt, code, detail, exec)
}

func (c *Core) judgeExecute(st *format.Statement, p *principal, at string) (string, string) {
	r, code, detail := c.openRun(st.Run)
	switch {
	case r == nil:
		return code, detail
	case c.on(CodeWrongBinding) && (st.Proposal != r.proposal.String() || st.Action != r.digest):
		return CodeWrongBinding, fmt.Sprintf("the statement is for another proposal or action than run %s's: a changed action needs a new run and new sign-offs", r.id)
	case p.ID != r.proposer:
		if _, signed := r.signoffs[p.ID]; signed && c.on(CodeConflictingRole) {
			return CodeConflictingRole, fmt.Sprintf("%s signed off run %s and cannot also execute it", p.ID, r.id)
		}
		if c.on(CodeNotMaker) {
			return CodeNotMaker, fmt.Sprintf("only the maker of run %s, %s, executes it", r.id, r.proposer)
		}
	}
	if r.gate != nil && c.on(CodeQuorumNotMet) {
		for _, s := range r.gate.Stages {
			if got := r.count[s.Stage]; int64(got) < s.N {
				return CodeQuorumNotMet, fmt.Sprintf("stage %d of gate %s has %d of %d sign-offs", s.Stage, r.gate.Gate, got, s.N)
			}
		}
	} else if g, _ := c.st.requiredGate(r.class); g != nil && c.on(CodeQuorumNotMet) {
		return CodeQuorumNotMet, fmt.Sprintf("class %s is gated but run %s has no gate", r.class, r.id)
	}
	if r.class == format.ClassPolicy && c.on(CodeInvalidPolicy) {
		if a, err := format.ParseAction(r.action); err == nil {
			if why := c.checkPolicy(a); why != "" {
				return CodeInvalidPolicy, why
			}
			if why := c.samePolicyControls(a, r); why != "" {
				return CodeInvalidPolicy, why
			}
		}
	}
	if code, detail := c.judgeExecuteRoles(r); code != "" {
		return code, detail
	}
	if code := c.st.grant(p.ID, format.GrantMaker, r.class, r.amounts, at); code != "" && c.on(code) {
		return code, fmt.Sprintf("%s holds no maker grant covering %s %s %s (the day's executed total counted)", p.ID, r.class, r.amounts.amount, r.amounts.currency)
	}
	return "", ""
}

// decide records an attempt, its outcome and, when accepted, its effect.
func (c *Core) decide(act string, st *format.Statement, stmt format.Signed, code, detail string, effect func(w written) any) (*Decision, error) {
	return c.decideAt(c.decisionTime(), act, st, stmt, code, detail, effect)
}

// decideAt is decide with the records' time given: the time the decision
// was judged at.
func (c *Core) decideAt(at, act string, st *format.Statement, stmt format.Signed, code, detail string, effect func(w written) any) (*Decision, error) {
	entries := []entry{
		{typ: format.TypeAttempt, actor: st.Principal, body: &format.Attempt{Act: act, Run: st.Run}, sigs: []format.Signed{stmt}},
		{typ: format.TypeOutcome, build: func(w written) any {
			if code != "" {
				return &format.Outcome{Attempt: w.seqs[0], Result: format.ResultRefused, Code: code, Detail: detail}
			}
			return &format.Outcome{Attempt: w.seqs[0], Result: format.ResultAccepted, Code: "ok", Detail: act + " accepted"}
		}},
	}
	if code == "" && effect != nil {
		entries = append(entries, entry{typ: format.TypeExecution, build: effect})
	}
	seqs, err := c.writeAt(at, entries...)
	if err != nil {
		return nil, err
	}
	d := &Decision{Accepted: code == "", Code: code, Detail: detail, Attempt: seqs[0], Outcome: seqs[1]}
	if len(seqs) > 2 {
		d.Execution = seqs[2]
	}
	if code != "" {
		return d, &Refusal{Code: code, Detail: detail, Attempt: seqs[0], Outcome: seqs[1]}
	}
	d.Code = "ok"
	return d, nil
}

// Principal returns an enrolled principal.
func (c *Core) Principal(id string) (format.Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.st.principals[id]
	if !ok {
		return format.Principal{}, false
	}
	return p.Principal, true
}

// Revoke revokes a principal's key from the next record on. sigs hold
// revoke statements (subject the principal, key the key ID, reason the
// reason): one made with the key itself, or two by registrars other than
// the principal.
func (c *Core) Revoke(principalID string, kid format.Hash, reason string, sigs []format.Signed) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.st.keys[kid]
	if k == nil || k.principal != principalID || k.revoked {
		return 0, fmt.Errorf("key %.16s of %s is %w", kid.String(), principalID, ErrKeyNotInForce)
	}
	if names.Blank(reason) {
		return 0, errors.New("a revocation needs a reason")
	}
	if len(sigs) == 0 {
		return 0, errors.New("a revocation needs the key's own statement or two registrars'")
	}
	self, regs := false, map[string]bool{}
	actor := ""
	for _, s := range sigs {
		st, p, err := c.attribute(s, format.PurposeRevoke)
		if err != nil {
			return 0, err
		}
		if st.Subject != principalID || st.Key != kid.String() || st.Reason != reason {
			return 0, fmt.Errorf("%s's statement does not state this revocation", st.Principal)
		}
		if actor == "" {
			actor = st.Principal
		}
		switch {
		case st.Principal == principalID && s.Key == kid:
			self = true
		case p.registrar && st.Principal != principalID:
			regs[st.Principal] = true
		default:
			return 0, fmt.Errorf("%s may not sign this revocation", st.Principal)
		}
	}
	if !self && len(regs) < 2 {
		return 0, errors.New("a revocation needs the key's own statement or two registrars other than its holder")
	}
	seqs, err := c.write(entry{typ: format.TypeKeyRevocation, actor: actor, body: &format.KeyRevocation{Principal: principalID, Key: kid.String(), Reason: reason}, sigs: sigs})
	if err != nil {
		return 0, err
	}
	return seqs[0], nil
}

// RotateLogKey hands the log to next: the rotation record is signed by the
// current log key and carries next's proof of possession; every later
// record is signed by next. Reopen the journal with next afterwards.
func (c *Core) RotateLogKey(next crypto.Signer) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pub, ok := next.Public().(ed25519.PublicKey)
	if !ok {
		return 0, errors.New("the new log key must be an Ed25519 key")
	}
	if _, dup := c.st.keys[format.KeyIDOf(pub)]; dup || format.KeyIDOf(pub) == format.KeyIDOf(c.cfg.LogKey.Public().(ed25519.PublicKey)) {
		return 0, errors.New("the new log key was already used")
	}
	st := &format.Statement{Purpose: format.PurposeLogKey, Bundle: c.st.genesis.String(), Time: c.now(), Key: format.HexKey(pub)}
	raw, err := st.Encode()
	if err != nil {
		return 0, err
	}
	sig, err := next.Sign(nil, format.Message(format.PrefixStatement, raw), crypto.Hash(0))
	if err != nil {
		return 0, err
	}
	if c.closed {
		return 0, ErrClosed
	}
	at := c.now()
	if at < c.chain.LastTime() {
		at = c.chain.LastTime()
	}
	line, err := c.chain.RotateLogKey(at, next, format.Signed{Key: format.KeyIDOf(pub), Stmt: raw, Sig: sig})
	if err != nil {
		return 0, err
	}
	if err := c.j.append(line); err != nil {
		return 0, err
	}
	c.cfg.LogKey = next
	return c.chain.Next() - 1, c.st.replay(line)
}
