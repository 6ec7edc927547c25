package verifier

import (
	"errors"
	"fmt"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// scan checks one line in sequence: everything but the signature checks,
// which it queues as jobs. It keeps its own state (v.ahead) because it runs
// ahead of the finish stage.
func (v *verification) scan(l format.Line, bytes int64) *item {
	it := &item{pos: v.pos, bytes: bytes}
	fail := func(rule, format string, args ...any) {
		it.findings = append(it.findings, Finding{Rule: rule, msgf: format, args: args, Records: []int64{it.pos}})
	}
	// Findings on the trailer, or on a line after it, cite the last record
	// read (SPEC.md §8.1 step 9).
	if v.trailer != nil || format.IsTrailer(l.Bytes) && !l.TooLong {
		it.pos = v.pos - 1
	}
	if v.trailer != nil {
		// Nothing may follow the trailer.
		if !v.afterTrl {
			v.afterTrl = true
			fail(RuleFinalSeal, "line %d follows the final seal", l.Index+1)
		}
		it.pos = noSeq
		return it
	}
	if format.IsTrailer(l.Bytes) && !l.TooLong {
		t, err := format.ParseTrailer(append([]byte(nil), l.Bytes...))
		if err != nil {
			fail(RuleFinalSeal, "final seal does not parse: %v", err)
			v.trailer = &format.Trailer{}
		} else {
			v.trailer = t
		}
		it.pos = noSeq
		return it
	}
	v.pos++
	if v.opts.stop.atSeq && it.pos >= v.opts.stop.seq {
		v.stopped = true
	}
	// A checkpoint's signature is judged under the log key in force after
	// its last record, that record's own effect included (§7.3).
	defer func() {
		if lk := v.ahead.LogKey; it.checkpoint && lk != nil {
			v.checkpointSig(it, lk)
		}
	}()

	var rec *format.Record
	var err error
	if l.TooLong {
		err = fmt.Errorf("line longer than %d bytes", format.MaxLine)
	} else {
		// The reader's bytes last until its next line; the record's
		// signatures are checked later, over its own copy.
		rec, err = format.ParseRecord(append([]byte(nil), l.Bytes...))
	}
	hash := l.Hash
	switch {
	case rec != nil:
		hash = rec.Hash
	case !l.TooLong:
		hash = format.RecordHash(l.Bytes)
	}
	if err != nil {
		if v.on("INT-PARSE.1") {
			fail(RuleParse, "record %d does not parse: %v", it.pos, err)
		}
		v.link(it, nil, hash)
		// §10: a run of unparseable lines is not read to its end.
		if v.badLines++; v.badLines >= v.lim.unparseable && v.on("INT-PARSE.5") {
			fail(RuleParse, "%d consecutive lines up to record %d do not parse: reading stops", v.badLines, it.pos)
			v.stopped = true
		}
		return it
	}
	v.badLines = 0
	if v.opts.stop.beforeTime != "" && rec.Time > v.opts.stop.beforeTime && it.pos > 0 {
		v.stopped = true
		v.pos--
		return nil
	}
	it.rec = rec
	v.link(it, rec, hash)

	info, known := format.LookupType(rec.Type)
	if !known {
		if !v.on("INT-PARSE.2") {
			return it
		}
		fail(RuleParse, "record %d has unknown type %q (an unknown type fails closed)", it.pos, rec.Type)
		return it
	}
	body, err := rec.DecodeBody(modeOf(v.ahead.Lax))
	if err != nil {
		if v.on("INT-PARSE.3") {
			fail(RuleParse, "record %d (%s) body: %v", it.pos, rec.Type, err)
		}
		return it
	}
	it.body = body
	parse4 := v.on("INT-PARSE.4")
	if info.Producer() && rec.Actor != "" && parse4 {
		fail(RuleParse, "record %d (%s) is the producer's and must have an empty actor", it.pos, rec.Type)
	}
	if !info.Producer() && rec.Actor == "" && parse4 {
		fail(RuleParse, "record %d (%s) must name its actor", it.pos, rec.Type)
	}
	if info.Signed() != (len(rec.Sigs) > 0) && parse4 {
		if info.Signed() {
			fail(RuleParse, "record %d (%s) must carry signed statements", it.pos, rec.Type)
		} else {
			fail(RuleParse, "record %d (%s) must not carry statements", it.pos, rec.Type)
		}
		return it
	}

	// Envelope signature (§3.3) under the log key in force.
	if rec.Type == format.TypeGenesis {
		if it.pos != 0 {
			fail(RuleParse, "record %d is a second genesis record", it.pos)
			return it
		}
		v.genesis(it, rec, body.(*format.Genesis))
	} else if rec.Type != format.TypeGenesis && it.pos == 0 {
		fail(RuleParse, "record 0 is not a genesis record")
	}
	if lk := v.ahead.LogKey; lk != nil {
		if rec.LKey != lk.ID {
			if v.on("INT-ENVELOPE.1") {
				fail(RuleEnvelope, "record %d is signed by key %s, but the log key in force is %s", it.pos, short(rec.LKey), short(lk.ID))
			}
		} else if v.on("INT-ENVELOPE.2") {
			e := rec.EnvelopeEntry()
			it.jobs = append(it.jobs, &job{pub: lk.key, prefix: e.Prefix, data: e.Data, tail: e.Tail, sig: e.Sig,
				rule: RuleEnvelope, msgOf: envelopeFailed})
		}
	}
	if rec.Type == format.TypeGenesis {
		// The genesis's effect is the trust root: its signatures are
		// checked one by one before it takes effect, as a key record's.
		v.resolve()
		for _, j := range it.jobs {
			j.ok, j.done = j.single(), true
		}
		return it
	}

	// Statements (§5.1).
	it.stmts = make([]*format.Statement, len(rec.Sigs))
	for i := range rec.Sigs {
		it.stmts[i] = v.statement(it, rec, info, i, fail)
	}
	v.reused(it, rec)
	keys := rec.Type == format.TypeEnrolment || rec.Type == format.TypeKeyRevocation || rec.Type == format.TypeLogKeyRotation
	envelopeOK := true
	if keys {
		// Records that change keys are rare: check their signatures now, so
		// that §8.2 judges them without a statement that fails (§5.1) and
		// one whose envelope fails changes nothing (§8.1). Every batch of
		// the records before it is resolved first.
		v.resolve()
		envelopeOK = v.verifyNow(it)
	}
	v.interpret(it, rec, body, fail)
	if !envelopeOK || excludes(it.findings) {
		// An excluded record is not judged under §8.2 and changes nothing;
		// its statements were still checked (§8.1).
		it.effect = nil
		kept := it.findings[:0]
		for _, f := range it.findings {
			if f.Rule != RuleKeyEnrolment {
				kept = append(kept, f)
			}
		}
		it.findings = kept
	} else if it.effect != nil {
		it.effect(v.ahead)
	}
	return it
}

// verifyNow checks an item's signatures in the scanning goroutine, drops
// the statements whose signature fails, and reports whether every other
// signature (the envelope's) verifies; the workers then skip them.
func (v *verification) verifyNow(it *item) bool {
	ok := true
	for _, j := range it.jobs {
		j.ok, j.done = j.single(), true
		if !j.ok && j.stmt > 0 {
			it.stmts[j.stmt-1] = nil
		} else if !j.ok {
			ok = false
		}
	}
	return ok
}

// link checks sequence, chain and time (§3.4) and moves the chain on.
func (v *verification) link(it *item, rec *format.Record, hash format.Hash) {
	if rec != nil {
		if rec.Seq != it.pos && v.on("INT-SEQUENCE.1") {
			msg := fmt.Sprintf("record at position %d has sequence number %d", it.pos, rec.Seq)
			if rec.Seq > it.pos {
				msg += ": records are missing before it"
			} else {
				msg += ": a record is repeated, inserted or out of order before it"
			}
			it.findings = append(it.findings, Finding{Rule: RuleSequence, Message: msg, Records: []int64{it.pos}})
		}
		if v.havePrev && rec.Prev != v.prevHash && v.on("INT-CHAIN.1") {
			it.findings = append(it.findings, Finding{Rule: RuleChain, Message: fmt.Sprintf("record %d does not link to the record before it (prev %s, previous record hashes to %s)", it.pos, short(rec.Prev), short(v.prevHash)), Records: []int64{it.pos}})
		}
		if !v.havePrev && !rec.Prev.IsZero() && v.on("INT-CHAIN.1") {
			it.findings = append(it.findings, Finding{Rule: RuleChain, Message: "genesis record's prev is not zero", Records: []int64{it.pos}})
		}
		if v.prevTime != "" && rec.Time < v.prevTime && v.on("INT-TIME.1") {
			it.findings = append(it.findings, Finding{Rule: RuleTime, Message: fmt.Sprintf("record %d claims time %s, earlier than the previous record's %s", it.pos, rec.Time, v.prevTime), Records: []int64{it.pos}})
		}
		v.prevTime = rec.Time
	} else {
		v.prevTime = "" // an unreadable record has no time to compare with
	}
	v.prevLine = v.prevHash
	v.prevHash = hash
	v.havePrev = true
	// A checkpoint for another bundle is one finding on record 0 and no
	// other checkpoint condition is judged (SPEC.md §8.1 step 12).
	bundle := v.ahead.Genesis
	if it.pos == 0 {
		bundle = hash
	}
	if cp := v.opts.Checkpoint; cp != nil && cp.Seal != nil && it.pos == cp.Seal.Count-1 && cp.Seal.Bundle == bundle.String() {
		v.cpChecked = true
		if cp.Seal.Head != hash.String() && v.on("INT-CHECKPOINT.1") {
			it.findings = append(it.findings, Finding{Rule: RuleCheckpoint, Message: fmt.Sprintf("fork: the checkpoint says record %d hashes to %s, this bundle's record %d hashes to %s", it.pos, cp.Seal.Head[:16], it.pos, short(hash)), Records: []int64{it.pos}})
		}
		it.checkpoint = true
	}
}

func (v *verification) checkpointSig(it *item, lk *KeyState) {
	cp := v.opts.Checkpoint
	if !v.on("INT-CHECKPOINT.2") {
		return
	}
	if cp.LKey != lk.ID {
		it.findings = append(it.findings, Finding{Rule: RuleCheckpoint, Message: fmt.Sprintf("checkpoint is signed by key %s, not by the log key in force at record %d", short(cp.LKey), it.pos), Records: []int64{it.pos}})
		return
	}
	it.jobs = append(it.jobs, &job{pub: lk.key, prefix: format.PrefixSeal, data: cp.Seal.Raw, sig: cp.Sig, rule: RuleCheckpoint, msg: "checkpoint signature does not verify under the bundle's log key"})
}

// genesis checks record 0 (§6.1) and the trust root.
func (v *verification) genesis(it *item, rec *format.Record, g *format.Genesis) {
	fail := func(rule, format string, args ...any) {
		it.findings = append(it.findings, Finding{Rule: rule, Message: fmt.Sprintf(format, args...), Records: []int64{0}})
	}
	enrol7 := v.on("SOD-KEY-ENROLMENT.7")
	gh := rec.Hash
	v.ahead.Genesis = gh
	v.bundle.FormatVersion = g.Version
	if g.Format != format.FormatName && v.on("INT-VERSION.1") {
		fail(RuleVersion, "genesis names format %q, not %q", g.Format, format.FormatName)
		v.stopped = true
		return
	}
	major, minor, ok := parseVersion(g.Version)
	if (!ok || major != format.VersionMajor) && v.on("INT-VERSION.1") {
		fail(RuleVersion, "bundle declares format version %q; this verifier reads major version %d only", g.Version, format.VersionMajor)
		v.stopped = true
		return
	}
	if minor > format.VersionMinor && v.on("INT-VERSION.1") {
		// A newer minor version adds rules this verifier does not know:
		// ignoring them could pass a bundle that breaks them (SPEC.md §9).
		fail(RuleVersion, "bundle declares format version %q; this verifier knows the rules of versions up to %d.%d only and refuses a newer minor version", g.Version, format.VersionMajor, format.VersionMinor)
		v.stopped = true
		return
	}
	lax := minor > format.VersionMinor
	if v.trust.pinned && gh != v.trust.genesis && v.on("INT-TRUST.1") {
		fail(RuleTrust, "genesis hash %s does not match the pinned trust root %s: this bundle was not made under the key you trust", gh, v.trust.genesis)
	}
	if v.opts.Checkpoint != nil && v.opts.Checkpoint.Seal != nil && v.opts.Checkpoint.Seal.Bundle != gh.String() && v.on("INT-CHECKPOINT.1") {
		fail(RuleCheckpoint, "checkpoint is for bundle %s, not this bundle %s", v.opts.Checkpoint.Seal.Bundle[:16], short(gh))
	}
	// The log key was accepted before reading began (wellFormedGenesis):
	// a genesis whose log key is refused is not a bundle.
	logPub, _ := format.ParsePublicKey(g.LogKey)
	loc, known := loadZone(g.Org.TZ)
	if !validTZ(g.Org.TZ) {
		fail(RuleParse, "genesis time zone %q is not an IANA zone name", g.Org.TZ)
	} else if !known {
		fail(RuleParse, "genesis time zone %q is not in the time-zone database (%s)", g.Org.TZ, TZData)
	}
	if !format.ValidID(g.BundleID) {
		fail(RuleParse, "genesis bundle_id %q is not an identifier", g.BundleID)
	}
	if g.Governance.N < 1 {
		fail(RuleParse, "genesis governance n must be at least 1")
	}
	logID := format.KeyIDOf(logPub)
	if len(g.Registrars) < 2 && enrol7 {
		fail(RuleKeyEnrolment, "genesis names %d registrars; at least two are required", len(g.Registrars))
	}
	if len(rec.Sigs) != len(g.Registrars) && enrol7 {
		fail(RuleKeyEnrolment, "genesis carries %d statements for %d registrars", len(rec.Sigs), len(g.Registrars))
	}
	type reg struct {
		p   format.Principal
		key *KeyState
	}
	var regs []reg
	seenID := map[string]bool{}
	seenKey := map[format.Hash]bool{logID: true}
	for i, r := range g.Registrars {
		p := format.Principal{ID: r.ID, Kind: r.Kind, Name: r.Name, Team: r.Team}
		if msg := checkPrincipal(p); msg != "" {
			fail(RuleParse, "genesis registrar %d: %s", i+1, msg)
			continue
		}
		pub, err := format.ParsePublicKey(r.Key)
		if err != nil {
			fail(RuleKeyEnrolment, "genesis registrar %s: key refused: %v", r.ID, err)
			continue
		}
		kid := format.KeyIDOf(pub)
		if (seenID[r.ID] || seenKey[kid]) && enrol7 {
			fail(RuleKeyEnrolment, "genesis registrar %s repeats an ID or a key", r.ID)
			continue
		}
		seenID[r.ID], seenKey[kid] = true, true
		ks := newKeyState(kid, pub, r.ID, 0)
		if i < len(rec.Sigs) {
			sg := rec.Sigs[i]
			st, err := format.ParseStatement(sg.Stmt, modeOf(lax))
			switch {
			case err != nil:
				fail(RuleStatement, "genesis statement %d: %v", i+1, err)
				continue
			case st.Purpose != format.PurposeEnrolSelf || st.Bundle != (format.Hash{}).String() || st.Principal != r.ID ||
				st.Name != r.Name || st.Kind != r.Kind || st.Team != r.Team || st.Key != r.Key || st.Registrar == nil || !*st.Registrar:
				fail(RuleKeyEnrolment, "genesis statement %d is not %s's proof of possession of the key named for them", i+1, r.ID)
				continue
			case sg.Key != kid:
				fail(RuleStatement, "genesis statement %d names key %s, not %s's", i+1, short(sg.Key), r.ID)
				continue
			}
			it.jobs = append(it.jobs, &job{pub: ks.key, prefix: format.PrefixStatement, data: sg.Stmt, sig: sg.Sig, rule: RuleStatement,
				msg: fmt.Sprintf("record 0: proof-of-possession signature of registrar %s does not verify", r.ID)})
		}
		regs = append(regs, reg{p, ks})
	}
	apply := func(s *State) {
		s.Genesis = gh
		s.Org = g.Org
		s.BundleID = g.BundleID
		s.Lax = lax
		s.loc = loc
		s.Governance = g.Governance.N
		s.LogKey = newKeyState(logID, logPub, "", 0)
		s.Keys[logID] = s.LogKey
		for _, r := range regs {
			k := *r.key
			s.Keys[k.ID] = &k
			s.Principals[r.p.ID] = &PrincipalState{Principal: r.p, Registrar: true, EnrolledAt: 0, Keys: []format.Hash{k.ID}}
		}
	}
	apply(v.ahead)
	it.effect = apply
	v.genesisOK = true
}

func parseVersion(s string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(s, ".")
	if !found {
		return 0, 0, false
	}
	var err1, err2 error
	major, err1 = atoiStrict(a)
	minor, err2 = atoiStrict(b)
	return major, minor, err1 == nil && err2 == nil
}

func atoiStrict(s string) (int, error) {
	if s == "" || len(s) > 6 || (len(s) > 1 && s[0] == '0') {
		return 0, errors.New("bad number")
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, errors.New("bad number")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// validTZ reports whether s is a time zone name as SPEC.md §6.1 defines
// it: UTC, or components of letters, digits, '_', '+' and '-' joined by
// '/', at least two, the first starting with a letter, at most 64 bytes.
// Whether the zone database knows it is loadZone's question.
func validTZ(s string) bool {
	if s == "UTC" {
		return true
	}
	if len(s) > 64 {
		return false
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for j, c := range p {
			letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if i == 0 && j == 0 && !letter {
				return false
			}
			if !(letter || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '+') {
				return false
			}
		}
	}
	return true
}

func checkPrincipal(p format.Principal) string {
	switch {
	case !format.ValidID(p.ID):
		return fmt.Sprintf("principal ID %q is not an identifier", p.ID)
	case p.Kind != format.KindHuman && p.Kind != format.KindAgent:
		return fmt.Sprintf("principal %s has kind %q, not human or agent", p.ID, p.Kind)
	case names.Blank(p.Name):
		return fmt.Sprintf("principal %s has no printed name", p.ID)
	case !format.ValidID(p.Team):
		return fmt.Sprintf("principal %s has team %q, not an identifier", p.ID, p.Team)
	}
	return ""
}

// statement checks one element of sigs (§5.1) and queues its signature.
func (v *verification) statement(it *item, rec *format.Record, info format.TypeInfo, i int, fail func(string, string, ...any)) *format.Statement {
	sg := rec.Sigs[i]
	st, err := format.ParseStatement(sg.Stmt, modeOf(v.ahead.Lax))
	if err != nil {
		if v.on("INT-STATEMENT.1") {
			fail(RuleStatement, "record %d statement %d: %v", it.pos, i+1, err)
		}
		return nil
	}
	allowed := info.AllowsPurpose(st.Purpose)
	if !allowed && v.on("INT-STATEMENT.2") {
		fail(RuleStatement, "record %d statement %d has purpose %q, which a %s record does not take", it.pos, i+1, st.Purpose, rec.Type)
		return nil
	}
	if !v.ahead.Genesis.Is(st.Bundle) && v.on("INT-STATEMENT.2") {
		fail(RuleStatement, "record %d statement %d was made for bundle %s, not this one (%s): replayed from another bundle", it.pos, i+1, st.Bundle[:min(16, len(st.Bundle))], short(v.ahead.Genesis))
		return nil
	}
	var pub *format.PublicKey
	switch st.Purpose {
	case format.PurposeEnrolSelf, format.PurposeLogKey:
		// Proof of possession: the key is in the statement itself.
		p, err := format.ParsePublicKey(st.Key)
		if err != nil {
			fail(RuleKeyEnrolment, "record %d statement %d: key refused: %v", it.pos, i+1, err)
			return nil
		}
		if format.KeyIDOf(p) != sg.Key {
			fail(RuleStatement, "record %d statement %d: key ID %s is not the ID of the key it states", it.pos, i+1, short(sg.Key))
			return nil
		}
		if pub, err = format.NewPublicKey(p); err != nil {
			fail(RuleKeyEnrolment, "record %d statement %d: key refused: %v", it.pos, i+1, err)
			return nil
		}
	default:
		k, why := v.ahead.keyFor(sg.Key, st.Principal, it.pos)
		if k == nil && !v.on("INT-STATEMENT.3") {
			if k = v.ahead.Keys[sg.Key]; k == nil || k.key == nil {
				return nil
			}
		}
		if k == nil {
			fail(RuleStatement, "record %d statement %d by %s: %s", it.pos, i+1, st.Principal, why)
			return nil
		}
		p := v.ahead.Principals[st.Principal]
		if (p == nil || p.Name != st.Name) && v.on("INT-STATEMENT.4") {
			fail(RuleStatement, "record %d statement %d: printed name %q is not %s's enrolled name", it.pos, i+1, st.Name, st.Principal)
			return nil
		}
		pub = k.key
	}
	if v.on("INT-STATEMENT.5") {
		it.jobs = append(it.jobs, &job{pub: pub, prefix: format.PrefixStatement, data: sg.Stmt, sig: sg.Sig, rule: RuleStatement, stmt: i + 1,
			msgOf: statementFailed, who: st.Principal})
	}
	return st
}

func envelopeFailed(_ *job, pos int64) string {
	return fmt.Sprintf("record %d: envelope signature does not verify under the log key", pos)
}

func statementFailed(j *job, pos int64) string {
	return fmt.Sprintf("record %d: statement %d signature by %s does not verify", pos, j.stmt, j.who)
}

// reused applies §5.1's last rule: a statement of a record that is neither
// a proposal nor an attempt (whose statements are bound to their run) may
// appear in one record only. A repeated one is excluded: it counts for
// nothing.
func (v *verification) reused(it *item, rec *format.Record) {
	if rec.Type == format.TypeProposal || rec.Type == format.TypeAttempt {
		return
	}
	for i, st := range it.stmts {
		if st == nil {
			continue
		}
		d := digestOf("", st.Raw)
		if seq, seen := v.stmtSet.lookup(d); seen {
			if v.on("INT-STATEMENT.7") {
				it.findings = append(it.findings, Finding{Rule: RuleStatement, Records: []int64{seq, it.pos},
					msgf: "record %d statement %d was already recorded in record %d: a signed statement counts once", args: []any{it.pos, i + 1, seq}})
				it.stmts[i] = nil
			}
			continue
		}
		v.stmtSet.add(d, it.pos)
	}
}

// modeOf is the decoding mode for a bundle whose minor version is newer
// than this reader's (lax) or not.
func modeOf(lax bool) format.Mode {
	if lax {
		return format.Lax
	}
	return format.Strict
}
