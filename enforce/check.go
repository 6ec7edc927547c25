package enforce

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/countersign/countersign/format"
)

// ErrJournalTampered is wrapped by every *JournalError: the journal is not
// the one the core wrote and kept the head of, and Open refused it without
// changing anything on disk.
var ErrJournalTampered = errors.New("journal is not what the core wrote")

// JournalError names the first record of the journal that Open refused.
type JournalError struct {
	// Seq is the sequence number (the position) of the record refused, or
	// of the first record missing.
	Seq int64
	// Offset is the byte offset in the journal at which that record
	// starts, or would start.
	Offset int64
	Reason string
}

func (e *JournalError) Error() string {
	return fmt.Sprintf("%s: record %d at byte %d: %s", ErrJournalTampered, e.Seq, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrJournalTampered) true.
func (e *JournalError) Unwrap() error { return ErrJournalTampered }

// checked is what a check of the journal found.
type checked struct {
	hashes  []format.Hash // record hash of each whole record, by position
	good    int64         // offset just past the last whole record
	size    int64         // size of the file as read
	last    []byte        // the last whole record
	genesis format.Hash
}

// checkJournal reads the whole journal and checks it before anything is
// replayed. Every record must parse, have its position as sequence number,
// link to the one before it and be of a known type with a body of that
// type. The chain must reach kept exactly; records after kept (or every
// record, when kept is nil) must have their envelope signed by the log key
// in force and every statement checked as a verifier checks it (SPEC.md
// §5.1). Log-key rotations are checked wherever they are, so that the key
// that signed the head is known to hand on to the key in force. Only bytes
// after the last newline (a torn write) are left out; the caller drops
// them.
func checkJournal(f *os.File, kept *head) (*checked, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	ck := &keyCheck{keys: map[format.Hash]*ckKey{}, names: map[string]string{}, registrar: map[string]bool{}, used: map[format.Hash]bool{}}
	out := &checked{}
	lr := &lineReader{br: bufio.NewReaderSize(f, 64<<10)}
	var (
		off      int64
		pos      int64
		prevHash format.Hash
		prevTime string
		prevRec  *format.Record
		prevPub  ed25519.PublicKey
		prevOff  int64
	)
	bad := func(seq, at int64, format string, args ...any) error {
		return &JournalError{Seq: seq, Offset: at, Reason: fmt.Sprintf(format, args...)}
	}
	for {
		line, err := lr.next()
		if errors.Is(err, errLineTooLong) {
			return nil, bad(pos, off, "line longer than %d bytes", format.MaxLine)
		}
		if errors.Is(err, io.EOF) {
			// A torn tail, or nothing, after the last newline.
			out.size = off + lr.tail
			break
		}
		if err != nil {
			return nil, fmt.Errorf("failed to read journal: %w", err)
		}
		body := line[:len(line)-1]
		rec, perr := format.ParseRecord(body)
		if perr != nil {
			return nil, bad(pos, off, "does not parse: %v", perr)
		}
		if rec.Seq != pos {
			return nil, bad(pos, off, "has sequence number %d at position %d: records were removed, inserted or reordered", rec.Seq, pos)
		}
		if pos == 0 && !rec.Prev.IsZero() {
			return nil, bad(pos, off, "genesis record's prev is not zero")
		}
		if pos > 0 && rec.Prev != prevHash {
			// Either the previous record or this one's prev was changed:
			// the previous record's envelope signature tells which.
			if !format.Verify(prevPub, format.PrefixEnvelope, prevRec.Unsigned(), prevRec.LSig) {
				return nil, bad(pos-1, prevOff, "was changed: its envelope signature no longer verifies and the next record does not link to it")
			}
			return nil, bad(pos, off, "does not link to record %d", pos-1)
		}
		if rec.Time < prevTime {
			return nil, bad(pos, off, "time %s is earlier than the previous record's %s", rec.Time, prevTime)
		}
		verify := kept == nil || pos > kept.seq || rec.Type == format.TypeLogKeyRotation
		if reason := ck.record(rec, pos, prevHash, verify); reason != "" {
			return nil, bad(pos, off, "%s", reason)
		}
		if pos == 0 {
			out.genesis = rec.Hash
			if kept != nil && kept.bundle != rec.Hash {
				return nil, bad(0, 0, "the genesis record hashes to %.16s but the kept head is of log %.16s: it was changed, or the journal is another log's", rec.Hash.String(), kept.bundle.String())
			}
		}
		rec.Line = bytes.Clone(body)
		prevRec, prevPub, prevOff = rec, ck.logPub, off
		ck.apply(rec)
		if kept != nil && pos == kept.seq {
			if rec.Hash != kept.hash {
				return nil, bad(pos, off, "hashes to %.16s but the kept head says %.16s: the journal was changed at or before this record", rec.Hash.String(), kept.hash.String())
			}
			// The head is signed by the log key that signed the record, or,
			// for a rotation, by the key it hands the log to.
			pub := prevPub
			if kept.lkey == ck.logID {
				pub = ck.logPub
			}
			if format.KeyIDOf(pub) != kept.lkey || !format.Verify(pub, headPrefix, kept.signed(), kept.sig) {
				return nil, fmt.Errorf("%w: its signature does not verify under the log key in force at record %d", ErrHeadInvalid, pos)
			}
		}
		out.hashes = append(out.hashes, rec.Hash)
		out.last = rec.Line
		prevHash, prevTime = rec.Hash, rec.Time
		off += int64(len(line))
		pos++
	}
	out.good = off
	if pos == 0 {
		if kept != nil {
			return nil, bad(0, 0, "the journal holds no whole record, but the kept head is record %d", kept.seq)
		}
		return nil, errors.New("journal has no genesis record")
	}
	if kept != nil && pos <= kept.seq {
		if !ck.signedHead(kept) {
			return nil, fmt.Errorf("%w: record %d, past the journal's end, and not signed by any log key of the journal", ErrHeadInvalid, kept.seq)
		}
		return nil, bad(pos, off, "the journal ends at record %d but the kept head is record %d: records were removed from its end", pos-1, kept.seq)
	}
	return out, nil
}

var errLineTooLong = errors.New("line too long")

// lineReader reads newline-terminated lines of at most format.MaxLine
// bytes (newline excluded) without a buffer that size.
type lineReader struct {
	br   *bufio.Reader
	long []byte
	tail int64 // bytes after the last newline, at io.EOF
}

// next returns the next line with its newline. At the end it returns
// io.EOF, with tail set to the count of bytes left without a newline; a
// torn tail of any length is not an error. A complete line longer than
// format.MaxLine is errLineTooLong.
func (r *lineReader) next() ([]byte, error) {
	r.long = r.long[:0]
	var n int64
	tooLong := false
	for {
		b, err := r.br.ReadSlice('\n')
		n += int64(len(b))
		if n > format.MaxLine+1 {
			tooLong = true
		}
		switch {
		case err == nil && len(r.long) == 0 && !tooLong:
			return b, nil
		case err == nil && tooLong:
			return nil, errLineTooLong
		case err == nil:
			return append(r.long, b...), nil
		case errors.Is(err, bufio.ErrBufferFull):
			if !tooLong {
				r.long = append(r.long, b...)
			}
		case errors.Is(err, io.EOF):
			r.tail = n
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

// keyCheck follows the keys of a journal: the log key in force, and each
// principal's enrolled keys and printed name, as a verifier does.
type keyCheck struct {
	genesis   format.Hash
	logPub    ed25519.PublicKey
	logID     format.Hash
	keys      map[format.Hash]*ckKey
	names     map[string]string
	registrar map[string]bool
	used      map[format.Hash]bool // every key ever enrolled or used as log key
	logKeys   []ed25519.PublicKey  // every log key, in order
}

// signedHead reports whether some log key of the journal signed h.
func (k *keyCheck) signedHead(h *head) bool {
	for _, pub := range k.logKeys {
		if format.KeyIDOf(pub) == h.lkey && format.Verify(pub, headPrefix, h.signed(), h.sig) {
			return true
		}
	}
	return false
}

type ckKey struct {
	pub       ed25519.PublicKey
	principal string
	revoked   bool
}

// keyTypes are the record types that change keys.
var keyTypes = map[string]bool{format.TypeGenesis: true, format.TypeEnrolment: true, format.TypeKeyRevocation: true, format.TypeLogKeyRotation: true}

// record checks one record's type, body and envelope, and, when verify is
// set, its signatures and statements. It returns why it is refused, or "".
func (k *keyCheck) record(rec *format.Record, pos int64, prev format.Hash, verify bool) string {
	info, known := format.LookupType(rec.Type)
	if !known {
		return fmt.Sprintf("has unknown type %q", rec.Type)
	}
	// Bodies the kept head covers are decoded by the replay; here only
	// those that change keys are, and those to be checked.
	var body any
	if verify || pos == 0 || keyTypes[rec.Type] {
		var err error
		if body, err = format.DecodeBody(rec.Type, rec.Body, format.Strict); err != nil {
			return fmt.Sprintf("%s body: %v", rec.Type, err)
		}
	}
	switch {
	case info.Producer() && rec.Actor != "":
		return fmt.Sprintf("%s is the producer's but names actor %q", rec.Type, rec.Actor)
	case !info.Producer() && rec.Actor == "":
		return fmt.Sprintf("%s names no actor", rec.Type)
	case info.Signed() && len(rec.Sigs) == 0:
		return fmt.Sprintf("%s carries no statements", rec.Type)
	case !info.Signed() && len(rec.Sigs) > 0:
		return fmt.Sprintf("%s carries statements", rec.Type)
	case pos == 0 && rec.Type != format.TypeGenesis:
		return "record 0 is not a genesis record"
	case pos > 0 && rec.Type == format.TypeGenesis:
		return "is a second genesis record"
	}
	if pos == 0 {
		return k.genesisRecord(rec, body.(*format.Genesis), verify)
	}
	if rec.LKey != k.logID {
		return fmt.Sprintf("is signed by key %.16s, not by the log key in force %.16s", rec.LKey.String(), k.logID.String())
	}
	if !verify {
		return ""
	}
	if !format.Verify(k.logPub, format.PrefixEnvelope, rec.Unsigned(), rec.LSig) {
		return "envelope signature does not verify under the log key in force"
	}
	stmts := make([]*format.Statement, len(rec.Sigs))
	for i, sg := range rec.Sigs {
		st, why := k.statement(sg, info, rec.Seq)
		if why != "" {
			return fmt.Sprintf("statement %d: %s", i+1, why)
		}
		stmts[i] = st
	}
	if why := k.binding(rec, body, stmts); why != "" {
		return why
	}
	if b, ok := body.(*format.SealBody); ok {
		return k.seal(rec, b, prev)
	}
	return ""
}

func (k *keyCheck) genesisRecord(rec *format.Record, g *format.Genesis, verify bool) string {
	k.genesis = rec.Hash
	pub, err := format.ParsePublicKey(g.LogKey)
	if err != nil {
		return fmt.Sprintf("genesis log key: %v", err)
	}
	k.logPub, k.logID = pub, format.KeyIDOf(pub)
	k.used[k.logID] = true
	k.logKeys = append(k.logKeys, pub)
	if rec.LKey != k.logID {
		return "genesis envelope is not signed by the log key it names"
	}
	if len(rec.Sigs) != len(g.Registrars) {
		return fmt.Sprintf("genesis carries %d statements for %d registrars", len(rec.Sigs), len(g.Registrars))
	}
	if verify && !format.Verify(pub, format.PrefixEnvelope, rec.Unsigned(), rec.LSig) {
		return "envelope signature does not verify under the genesis log key"
	}
	for i, r := range g.Registrars {
		rpub, err := format.ParsePublicKey(r.Key)
		if err != nil {
			return fmt.Sprintf("genesis registrar %s key: %v", r.ID, err)
		}
		kid := format.KeyIDOf(rpub)
		if k.used[kid] || k.names[r.ID] != "" {
			return fmt.Sprintf("genesis registrar %s repeats an ID or a key", r.ID)
		}
		if verify {
			sg := rec.Sigs[i]
			st, err := format.ParseStatement(sg.Stmt, format.Strict)
			if err != nil {
				return fmt.Sprintf("genesis statement %d: %v", i+1, err)
			}
			if st.Purpose != format.PurposeEnrolSelf || st.Bundle != (format.Hash{}).String() || st.Principal != r.ID || st.Name != r.Name ||
				st.Kind != r.Kind || st.Team != r.Team || st.Key != r.Key || st.Registrar == nil || !*st.Registrar || sg.Key != kid ||
				!format.Verify(rpub, format.PrefixStatement, sg.Stmt, sg.Sig) {
				return fmt.Sprintf("genesis statement %d is not %s's proof of possession", i+1, r.ID)
			}
		}
		k.used[kid] = true
		k.keys[kid] = &ckKey{pub: rpub, principal: r.ID}
		k.names[r.ID] = r.Name
		k.registrar[r.ID] = true
	}
	return ""
}

// statement checks one element of sigs under §5.1.
func (k *keyCheck) statement(sg format.Signed, info format.TypeInfo, seq int64) (*format.Statement, string) {
	st, err := format.ParseStatement(sg.Stmt, format.Strict)
	if err != nil {
		return nil, err.Error()
	}
	allowed := info.AllowsPurpose(st.Purpose)
	if !allowed {
		return nil, fmt.Sprintf("purpose %q does not belong in this record", st.Purpose)
	}
	if st.Bundle != k.genesis.String() {
		return nil, "made for another bundle"
	}
	var pub ed25519.PublicKey
	switch st.Purpose {
	case format.PurposeEnrolSelf, format.PurposeLogKey:
		if pub, err = format.ParsePublicKey(st.Key); err != nil {
			return nil, fmt.Sprintf("key refused: %v", err)
		}
		if format.KeyIDOf(pub) != sg.Key {
			return nil, "key ID is not the ID of the key it states"
		}
	default:
		key := k.keys[sg.Key]
		switch {
		case key == nil || key.principal != st.Principal:
			return nil, fmt.Sprintf("key %.16s is not enrolled for %q", sg.Key.String(), st.Principal)
		case key.revoked:
			return nil, fmt.Sprintf("key %.16s of %s is revoked", sg.Key.String(), st.Principal)
		case k.names[st.Principal] != st.Name:
			return nil, fmt.Sprintf("printed name %q is not %s's enrolled name", st.Name, st.Principal)
		}
		pub = key.pub
	}
	if !format.Verify(pub, format.PrefixStatement, sg.Stmt, sg.Sig) {
		return nil, fmt.Sprintf("signature by %q does not verify", st.Principal)
	}
	return st, ""
}

// binding checks that the statements state this record (§5.1, §6.2).
func (k *keyCheck) binding(rec *format.Record, body any, stmts []*format.Statement) string {
	one := func() string {
		if len(stmts) != 1 || stmts[0].Principal != rec.Actor {
			return "must carry exactly one statement, by its actor"
		}
		return ""
	}
	switch b := body.(type) {
	case *format.Proposal:
		if why := one(); why != "" {
			return why
		}
		if st := stmts[0]; st.Run != b.Run || st.Class != b.Class || st.Action != b.Digest {
			return "propose statement is for another run, class or action"
		}
	case *format.Attempt:
		if why := one(); why != "" {
			return why
		}
		if st := stmts[0]; st.Purpose != b.Act || st.Run != b.Run {
			return "statement is for another act or run"
		}
	case *format.AuditFinding:
		if why := one(); why != "" {
			return why
		}
		if st := stmts[0]; st.Control != b.Control || st.Finding != b.Finding || st.Severity != b.Severity {
			return "audit-finding statement does not state this finding"
		}
	case *format.Validation:
		if why := one(); why != "" {
			return why
		}
		if st := stmts[0]; st.Control != b.Control || st.Subject != b.Subject || st.Result != b.Result || st.Notes != b.Notes {
			return "validate statement does not state this validation"
		}
	case *format.Personnel:
		if why := one(); why != "" {
			return why
		}
		if st := stmts[0]; st.Subject != b.Principal || st.Event != b.Event || st.Effective != b.Effective || st.Team != b.Team {
			return "personnel statement does not state this event"
		}
	case *format.KeyRevocation:
		for _, st := range stmts {
			if st.Subject != b.Principal || st.Key != b.Key || st.Reason != b.Reason {
				return "revoke statement does not state this revocation"
			}
		}
		if stmts[0].Principal != rec.Actor {
			return "first revoke statement is not by the actor"
		}
	case *format.LogKeyRotation:
		if len(stmts) != 1 || stmts[0].Key != b.Key {
			return "must carry exactly one log-key statement, for the key it names"
		}
		pub, _ := format.ParsePublicKey(b.Key)
		if k.used[format.KeyIDOf(pub)] {
			return "hands the log to a key already used"
		}
	case *format.Enrolment:
		return k.enrolment(rec, b, stmts)
	}
	return ""
}

func (k *keyCheck) enrolment(rec *format.Record, b *format.Enrolment, stmts []*format.Statement) string {
	p := b.Principal
	self := stmts[0]
	if rec.Actor != p.ID || self.Purpose != format.PurposeEnrolSelf || self.Principal != p.ID || self.Name != p.Name || self.Kind != p.Kind ||
		self.Team != p.Team || self.Key != b.Key || self.Registrar == nil || *self.Registrar != b.Registrar {
		return "first statement is not the enrolee's proof of possession of this key"
	}
	pub, err := format.ParsePublicKey(b.Key)
	if err != nil {
		return fmt.Sprintf("enrolled key refused: %v", err)
	}
	if k.used[format.KeyIDOf(pub)] {
		return "enrols a key that was already enrolled or used as log key"
	}
	if name, ok := k.names[p.ID]; ok && name != p.Name {
		return fmt.Sprintf("enrols %s under another printed name", p.ID)
	}
	seen := map[string]bool{}
	for _, st := range stmts[1:] {
		if st.Purpose != format.PurposeEnrolWitness || !k.registrar[st.Principal] || st.Principal == p.ID || seen[st.Principal] ||
			st.Subject != p.ID || st.SubjectName != p.Name || st.Kind != p.Kind || st.Team != p.Team || st.Key != b.Key ||
			st.Registrar == nil || *st.Registrar != b.Registrar {
			return fmt.Sprintf("witness statement by %s does not witness this enrolment", st.Principal)
		}
		seen[st.Principal] = true
	}
	if len(seen) < 2 {
		return "enrolment is not witnessed by two registrars"
	}
	return ""
}

// seal checks a periodic seal record (§7.1).
func (k *keyCheck) seal(rec *format.Record, b *format.SealBody, prev format.Hash) string {
	s, err := format.ParseSeal([]byte(b.Seal))
	if err != nil {
		return err.Error()
	}
	if s.Kind != format.SealPeriodic || s.Bundle != k.genesis.String() || s.Count != rec.Seq || s.Head != prev.String() {
		return "periodic seal does not seal the records before it"
	}
	sig, err := format.ParseSignature(b.Sig)
	if err != nil || !format.Verify(k.logPub, format.PrefixSeal, s.Raw, sig) {
		return "periodic seal signature does not verify under the log key in force"
	}
	return ""
}

// apply follows a record's effect on keys. Only records the caller checked
// (or the kept head covers) reach it.
func (k *keyCheck) apply(rec *format.Record) {
	switch rec.Type {
	case format.TypeEnrolment, format.TypeKeyRevocation, format.TypeLogKeyRotation:
	default:
		return
	}
	body, err := format.DecodeBody(rec.Type, rec.Body, format.Strict)
	if err != nil {
		return
	}
	switch b := body.(type) {
	case *format.Enrolment:
		pub, err := format.ParsePublicKey(b.Key)
		if err != nil {
			return
		}
		kid := format.KeyIDOf(pub)
		k.used[kid] = true
		k.keys[kid] = &ckKey{pub: pub, principal: b.Principal.ID}
		if _, ok := k.names[b.Principal.ID]; !ok {
			k.names[b.Principal.ID] = b.Principal.Name
		}
		k.registrar[b.Principal.ID] = k.registrar[b.Principal.ID] || b.Registrar
	case *format.KeyRevocation:
		if kid, err := format.ParseHash(b.Key); err == nil && k.keys[kid] != nil {
			k.keys[kid].revoked = true
		}
	case *format.LogKeyRotation:
		if pub, err := format.ParsePublicKey(b.Key); err == nil {
			k.logPub, k.logID = pub, format.KeyIDOf(pub)
			k.used[k.logID] = true
			k.logKeys = append(k.logKeys, pub)
		}
	}
}
