package verifier

import (
	"fmt"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// interpret checks what a record says against the state before it, for the
// records the integrity layer owns (keys, seals, the log key) and the
// binding of each statement to its record, and sets the record's effect.
func (v *verification) interpret(it *item, rec *format.Record, body any, fail func(string, string, ...any)) {
	bind := fail
	if !v.on("INT-STATEMENT.6") {
		bind = func(string, string, ...any) {}
	}
	switch b := body.(type) {
	case *format.Enrolment:
		v.enrolment(it, rec, b, fail)
	case *format.KeyRevocation:
		v.revocation(it, rec, b, fail)
	case *format.LogKeyRotation:
		v.logKeyRotation(it, rec, b, fail)
	case *format.SealBody:
		v.periodicSeal(it, rec, b, fail)
	case *format.Proposal:
		if st := it.stmts[0]; st != nil {
			bindActor(it, rec, st, bind)
			if st.Run != b.Run || st.Class != b.Class || st.Action != b.Digest {
				bind(RuleStatement, "record %d: the proposer's statement is for run %s, class %s, digest %.16s, not this proposal's", it.pos, st.Run, st.Class, st.Action)
			}
		}
		onlyOne(it, bind)
	case *format.Attempt:
		if st := it.stmts[0]; st != nil {
			bindActor(it, rec, st, bind)
			if st.Purpose != b.Act {
				bind(RuleStatement, "record %d: an attempt to %s carries a %s statement", it.pos, b.Act, st.Purpose)
			}
			if st.Run != b.Run {
				bind(RuleStatement, "record %d: the statement was signed for run %q, but the attempt is in run %q (a statement replayed into another run)", it.pos, st.Run, b.Run)
			}
		}
		onlyOne(it, bind)
	case *format.AuditFinding:
		if st := it.stmts[0]; st != nil {
			bindActor(it, rec, st, bind)
			if st.Control != b.Control || st.Finding != b.Finding || st.Severity != b.Severity {
				bind(RuleStatement, "record %d: the auditor's statement does not match the finding recorded", it.pos)
			}
		}
		onlyOne(it, bind)
	case *format.Validation:
		if st := it.stmts[0]; st != nil {
			bindActor(it, rec, st, bind)
			if st.Control != b.Control || st.Subject != b.Subject || st.Result != b.Result || st.Notes != b.Notes {
				bind(RuleStatement, "record %d: the validator's statement does not match the validation recorded", it.pos)
			}
		}
		onlyOne(it, bind)
	case *format.Personnel:
		if st := it.stmts[0]; st != nil {
			bindActor(it, rec, st, bind)
			if st.Subject != b.Principal || st.Event != b.Event || st.Effective != b.Effective || st.Team != b.Team {
				bind(RuleStatement, "record %d: the personnel statement does not match the event recorded", it.pos)
			}
		}
		onlyOne(it, bind)
	}
}

func onlyOne(it *item, fail func(string, string, ...any)) {
	if len(it.stmts) != 1 {
		fail(RuleStatement, "record %d carries %d statements; its type takes exactly one", it.pos, len(it.stmts))
	}
}

func bindActor(it *item, rec *format.Record, st *format.Statement, fail func(string, string, ...any)) {
	if st.Principal != rec.Actor {
		fail(RuleStatement, "record %d: actor %s carries a statement signed by %s", it.pos, rec.Actor, st.Principal)
	}
}

// enrolment applies SPEC.md §6.2 and §8.2.
func (v *verification) enrolment(it *item, rec *format.Record, b *format.Enrolment, fail func(string, string, ...any)) {
	cond := ""
	bad := func(format string, args ...any) {
		if v.on(cond) {
			fail(RuleKeyEnrolment, "record %d: "+format, append([]any{it.pos}, args...)...)
		}
	}
	// refuse reports under condition c and says whether the enrolment
	// fails (it does not when the condition is turned off).
	refuse := func(c, format string, args ...any) bool {
		cond = c
		bad(format, args...)
		return v.on(c)
	}
	p := b.Principal
	if msg := checkPrincipal(p); msg != "" {
		cond = "SOD-KEY-ENROLMENT.1"
		bad("%s", msg)
		return
	}
	ok := true
	if rec.Actor != p.ID {
		ok = !refuse("SOD-KEY-ENROLMENT.1", "actor %s enrols %s; the enrolee is the actor", rec.Actor, p.ID) && ok
	}
	pub, err := format.ParsePublicKey(b.Key)
	if err != nil {
		bad("key refused: %v", err)
		return
	}
	kid := format.KeyIDOf(pub)
	if prev, dup := v.ahead.Keys[kid]; dup {
		owner := prev.Principal
		if owner == "" {
			owner = "the log"
		}
		ok = !refuse("SOD-KEY-ENROLMENT.3", "key %s was already enrolled for %s at record %d; a key belongs to one principal, ever", short(kid), owner, prev.EnrolledAt) && ok
	}
	if old := v.ahead.Principals[p.ID]; old != nil && (old.Kind != p.Kind || old.Name != p.Name || old.Team != p.Team) {
		ok = !refuse("SOD-KEY-ENROLMENT.4", "%s is already enrolled as %s %q of team %s; an enrolment cannot change who they are", p.ID, old.Kind, old.Name, old.Team) && ok
	}
	self := false
	witnesses := map[string]bool{}
	var same []string
	for i, st := range it.stmts {
		if st == nil {
			ok = false
			continue
		}
		cond = "SOD-KEY-ENROLMENT.1"
		if st.Purpose == format.PurposeEnrolWitness {
			cond = "SOD-KEY-ENROLMENT.2"
		}
		switch st.Purpose {
		case format.PurposeEnrolSelf:
			if self || i != 0 {
				ok = !refuse(cond, "the enrolee's own statement must come first, once") && ok
			}
			self = true
			if st.Principal != p.ID || st.Name != p.Name || st.Kind != p.Kind || st.Team != p.Team || st.Key != b.Key || st.Registrar == nil || *st.Registrar != b.Registrar {
				ok = !refuse(cond, "the proof of possession does not state this enrolment") && ok
			}
		case format.PurposeEnrolWitness:
			reg := v.ahead.Principals[st.Principal]
			switch {
			case reg == nil || !reg.Registrar:
				ok = !refuse(cond, "%s witnessed the enrolment but is not a registrar", st.Principal) && ok
			case st.Principal == p.ID:
				ok = !refuse(cond, "%s witnessed their own enrolment", st.Principal) && ok
			case st.Subject != p.ID || st.SubjectName != p.Name || st.Kind != p.Kind || st.Team != p.Team || st.Key != b.Key || st.Registrar == nil || *st.Registrar != b.Registrar:
				ok = !refuse(cond, "registrar %s's statement does not state this enrolment", st.Principal) && ok
			case witnesses[st.Principal]:
				ok = !refuse(cond, "registrar %s witnessed twice", st.Principal) && ok
			default:
				witnesses[st.Principal] = true
				if !v.sameValid(st, p, refuse) {
					ok = false
				}
				same = append(same, st.SamePerson...)
			}
		}
	}
	if !self {
		ok = !refuse("SOD-KEY-ENROLMENT.1", "no proof of possession by the new key") && ok
	}
	if len(witnesses) < 2 {
		ok = !refuse("SOD-KEY-ENROLMENT.2", "enrolled with %d registrar signatures; two registrars other than the enrolee are required", len(witnesses)) && ok
	}
	if !ok {
		return
	}
	seq := it.pos
	apply := func(s *State) {
		s.Keys[kid] = newKeyState(kid, pub, p.ID, seq)
		ps := s.Principals[p.ID]
		if ps == nil {
			ps = &PrincipalState{Principal: p, EnrolledAt: seq}
			s.Principals[p.ID] = ps
		}
		ps.Registrar = ps.Registrar || b.Registrar
		ps.Keys = append(ps.Keys, kid)
		for _, id := range same {
			s.samePerson(p.ID, id)
		}
	}
	it.effect = apply
}

// revocation applies SPEC.md §6.3.
func (v *verification) revocation(it *item, rec *format.Record, b *format.KeyRevocation, fail func(string, string, ...any)) {
	kid, err := format.ParseHash(b.Key)
	if err != nil {
		fail(RuleParse, "record %d: revoked key: %v", it.pos, err)
		return
	}
	k := v.ahead.Keys[kid]
	if k == nil || k.Principal != b.Principal {
		fail(RuleKeyEnrolment, "record %d revokes key %s, which is not a key of %s", it.pos, short(kid), b.Principal)
		return
	}
	if names.Blank(b.Reason) && v.on("SOD-KEY-ENROLMENT.6") {
		fail(RuleKeyEnrolment, "record %d revokes a key without a reason", it.pos)
	}
	bySelf := false
	regs := map[string]bool{}
	for _, st := range it.stmts {
		if st == nil {
			return
		}
		if st.Subject != b.Principal || st.Key != b.Key || st.Reason != b.Reason {
			fail(RuleStatement, "record %d: %s's statement does not state this revocation", it.pos, st.Principal)
			return
		}
		switch ps := v.ahead.Principals[st.Principal]; {
		case st.Principal == b.Principal && rec.Sigs[0].Key == kid:
			bySelf = true
		case ps != nil && ps.Registrar && st.Principal != b.Principal:
			regs[st.Principal] = true
		}
	}
	if len(it.stmts) > 0 && it.stmts[0] != nil && it.stmts[0].Principal != rec.Actor {
		fail(RuleStatement, "record %d: actor %s is not the first signer", it.pos, rec.Actor)
	}
	if !bySelf && len(regs) < 2 && v.on("SOD-KEY-ENROLMENT.6") {
		fail(RuleKeyEnrolment, "record %d revokes key %s without the key's own signature or two registrars other than its holder", it.pos, short(kid))
		return
	}
	seq := it.pos
	apply := func(s *State) {
		if k := s.Keys[kid]; k != nil && k.RevokedAt < 0 {
			k.RevokedAt = seq
		}
	}
	it.effect = apply
}

// logKeyRotation applies SPEC.md §6.4.
func (v *verification) logKeyRotation(it *item, rec *format.Record, b *format.LogKeyRotation, fail func(string, string, ...any)) {
	st := it.stmts[0]
	if st == nil {
		return
	}
	if len(it.stmts) != 1 || st.Key != b.Key || st.Principal != "" || st.Name != "" {
		// A log-key statement is the control plane's: it names no
		// principal and no printed name (SPEC.md §5).
		fail(RuleStatement, "record %d: the new log key's statement does not state this rotation", it.pos)
		return
	}
	pub, err := format.ParsePublicKey(b.Key)
	if err != nil {
		fail(RuleKeyEnrolment, "record %d: new log key refused: %v", it.pos, err)
		return
	}
	kid := format.KeyIDOf(pub)
	if prev, dup := v.ahead.Keys[kid]; dup && v.on("SOD-KEY-ENROLMENT.3") {
		fail(RuleKeyEnrolment, "record %d: new log key was already enrolled at record %d", it.pos, prev.EnrolledAt)
		return
	}
	seq := it.pos
	apply := func(s *State) {
		if s.LogKey != nil {
			s.LogKey.RevokedAt = seq
		}
		s.LogKey = newKeyState(kid, pub, "", seq)
		s.Keys[kid] = s.LogKey
	}
	it.effect = apply
}

// periodicSeal checks a seal record (§7.1, step 8).
func (v *verification) periodicSeal(it *item, rec *format.Record, b *format.SealBody, fail func(string, string, ...any)) {
	if !v.on("INT-SEAL.1") {
		fail = func(string, string, ...any) {}
	}
	s, err := format.ParseSeal([]byte(b.Seal))
	if err != nil {
		fail(RuleSeal, "record %d: %v", it.pos, err)
		return
	}
	sig, err := format.ParseSignature(b.Sig)
	if err != nil {
		fail(RuleSeal, "record %d: seal signature: %v", it.pos, err)
		return
	}
	switch {
	case s.Kind != format.SealPeriodic:
		fail(RuleSeal, "record %d: a seal record of kind %q; only the trailer is an export seal", it.pos, s.Kind)
	case s.Bundle != v.ahead.Genesis.String():
		fail(RuleSeal, "record %d: the seal is for another bundle", it.pos)
	case s.Count != it.pos:
		fail(RuleSeal, "record %d: the seal counts %d records, but %d precede it", it.pos, s.Count, it.pos)
	case s.Head != v.prevLine.String():
		// §7.1: the hash of the line before, as read, whatever prev says.
		fail(RuleSeal, "record %d: the seal's head is not the hash of the record before it", it.pos)
	case !v.on("INT-SEAL.2"):
	default:
		lk := v.ahead.LogKey
		it.jobs = append(it.jobs, &job{pub: lk.key, prefix: format.PrefixSeal, data: s.Raw, sig: sig, rule: RuleSeal,
			msg: fmt.Sprintf("record %d: seal signature does not verify under the log key", it.pos)})
	}
}

// end checks what can only be checked once every line is read: the final
// seal (step 9) and a checkpoint beyond the end (step 12).
func (v *verification) end(bytes int64) *item {
	it := &item{pos: noSeq, bytes: bytes}
	last := v.pos - 1
	fail := func(rule, format string, args ...any) {
		it.findings = append(it.findings, Finding{Rule: rule, Message: fmt.Sprintf(format, args...), Records: []int64{last}})
	}
	t := v.trailer
	if !v.on("INT-FINAL-SEAL.1") {
		fail = func(string, string, ...any) {}
	}
	switch {
	case t == nil:
		fail(RuleFinalSeal, "the bundle has no final seal after record %d: it was cut short, or its last line removed", last)
	case t.Seal == nil:
		// already reported as unparseable
	case t.Seal.Kind != format.SealExport:
		fail(RuleFinalSeal, "the final seal has kind %q, not export", t.Seal.Kind)
	case t.Seal.Bundle != v.ahead.Genesis.String():
		fail(RuleFinalSeal, "the final seal is for another bundle")
	case t.Seal.Count != v.pos:
		fail(RuleFinalSeal, "the final seal covers %d records, but the bundle has %d: records were removed or added", t.Seal.Count, v.pos)
	case t.Seal.Head != v.prevHash.String():
		fail(RuleFinalSeal, "the final seal's head is not the hash of the last record %d", last)
	case v.ahead.LogKey == nil || t.LKey != v.ahead.LogKey.ID:
		fail(RuleFinalSeal, "the final seal is not signed by the log key in force")
	case !v.on("INT-FINAL-SEAL.2"):
	default:
		v.bundle.FinalSeal = string(t.Line)
		it.jobs = append(it.jobs, &job{pub: v.ahead.LogKey.key, prefix: format.PrefixSeal, data: t.Seal.Raw, sig: t.Sig, rule: RuleFinalSeal,
			msg: "the final seal's signature does not verify under the log key", recs: []int64{last}})
	}
	if cp := v.opts.Checkpoint; cp != nil && cp.Seal != nil && !v.cpChecked && cp.Seal.Bundle == v.ahead.Genesis.String() && v.on("INT-CHECKPOINT.1") {
		fail(RuleCheckpoint, "the checkpoint covers %d records but the bundle has only %d: sealed records are withheld", cp.Seal.Count, v.pos)
	}
	return it
}

// sameValid checks a witness statement's same_person list (SPEC.md §6.2):
// distinct principals, each already enrolled as human, none the enrolee,
// and only for a human enrolee.
func (v *verification) sameValid(st *format.Statement, p format.Principal, refuse func(c, format string, args ...any) bool) bool {
	seen := map[string]bool{}
	for _, id := range st.SamePerson {
		q := v.ahead.Principals[id]
		switch {
		case p.Kind != format.KindHuman:
			return !refuse("SOD-KEY-ENROLMENT.5", "registrar %s attests that agent %s is a person already enrolled", st.Principal, p.ID)
		case seen[id] || id == p.ID:
			return !refuse("SOD-KEY-ENROLMENT.5", "registrar %s names %s twice, or the enrolee itself, in same_person", st.Principal, clip(id))
		case q == nil || q.Kind != format.KindHuman:
			return !refuse("SOD-KEY-ENROLMENT.5", "registrar %s names %s in same_person, which is not a principal enrolled as human", st.Principal, clip(id))
		}
		seen[id] = true
	}
	return true
}
