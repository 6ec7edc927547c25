package format

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/countersign/countersign/internal/strictjson"
)

// ErrMalformed marks a record, statement, seal or action outside the format
// (rule INT-PARSE).
var ErrMalformed = errors.New("malformed")

// ErrUnknownType marks a record whose type this reader does not know; it
// fails closed (SPEC.md §9).
var ErrUnknownType = errors.New("unknown record type")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Signed is one element of a record's sigs: a statement and its signature.
type Signed struct {
	Key  Hash   // key ID of the signing key
	Stmt []byte // the exact statement bytes
	Sig  []byte // 64-byte Ed25519 signature
}

// Record is a parsed chain record (SPEC.md §3.2).
type Record struct {
	Seq   int64
	Time  string
	Type  string
	Actor string
	Prev  Hash
	Body  []byte // raw JSON of the body, validated
	Sigs  []Signed
	LKey  Hash
	LSig  []byte
	Line  []byte // the exact line, without newline
	Hash  Hash   // RecordHash(Line)

	accepted bool // ParseRecord made it: Body lies in a line the subset accepted
}

// DecodeBody is DecodeBody of the record's type and body. For a record
// ParseRecord made, the body is not checked against the subset a second
// time: it is part of the line, which was.
func (r *Record) DecodeBody(mode Mode) (any, error) {
	if !r.accepted {
		return DecodeBody(r.Type, r.Body, mode)
	}
	info, ok := recordTypes[r.Type]
	if !ok {
		return nil, ErrUnknownType
	}
	v := info.newBody()
	if err := decodeAccepted(r.Body, v, mode); err != nil {
		return nil, err
	}
	return v, nil
}

// Unsigned returns the bytes the envelope signature covers (§3.3).
func (r *Record) Unsigned() []byte { return unsignedOf(r.Line) }

// EnvelopeEntry is the envelope signature as an Entry to check under the
// log key: the unsigned bytes as a slice of the line and a closing brace,
// without a copy.
func (r *Record) EnvelopeEntry() Entry {
	return Entry{Prefix: PrefixEnvelope, Data: r.Line[:len(r.Line)-lsigSuffixLen], Tail: "}", Sig: r.LSig}
}

const lsigSuffixLen = len(`,"lsig":"`) + 128 + len(`"}`)

func unsignedOf(line []byte) []byte {
	u := make([]byte, 0, len(line)-lsigSuffixLen+1)
	u = append(u, line[:len(line)-lsigSuffixLen]...)
	return append(u, '}')
}

var envelopeKeys = []string{`"seq"`, `"time"`, `"type"`, `"actor"`, `"prev"`, `"body"`, `"sigs"`, `"lkey"`, `"lsig"`}

// MaxSigs is the most statements one record may carry (§10).
const MaxSigs = 16

// ParseRecord parses one line under §3.1 and §3.2. It checks the envelope's
// shape, not its signatures or its body (see DecodeBody).
func ParseRecord(line []byte) (*Record, error) {
	if len(line) > MaxLine {
		return nil, malformed("line of %d bytes exceeds %d", len(line), MaxLine)
	}
	if err := strictjson.ValidateObject(line, strictjson.Limits{}); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	r := &Record{Line: line, Hash: RecordHash(line)}
	var perr error
	k := 0
	strictjson.EachMember(line, func(key, val []byte) bool {
		if k < len(envelopeKeys) && envelopeKeys[k] == `"sigs"` && string(key) != `"sigs"` {
			k++ // sigs is absent
		}
		if k >= len(envelopeKeys) || string(key) != envelopeKeys[k] {
			perr = malformed("envelope member %s out of place", key)
			return false
		}
		k++
		perr = r.setEnvelope(string(key), val)
		return perr == nil
	})
	if perr != nil {
		return nil, perr
	}
	if k != len(envelopeKeys) {
		return nil, malformed("envelope lacks members (has %d of %d)", k, len(envelopeKeys))
	}
	if len(line) < lsigSuffixLen || !bytes.HasPrefix(line[len(line)-lsigSuffixLen:], []byte(`,"lsig":"`)) {
		return nil, malformed("envelope does not end with the lsig member")
	}
	r.accepted = true
	return r, nil
}

func (r *Record) setEnvelope(key string, val []byte) error {
	var ok bool
	var err error
	switch key {
	case `"seq"`:
		r.Seq, ok = strictjson.ParseInt(val)
		if !ok || r.Seq < 0 {
			return malformed("seq is not a non-negative integer")
		}
	case `"time"`:
		if r.Time, ok = strictjson.Unquote(val); !ok || !ValidTime(r.Time) {
			return malformed("time %s is not YYYY-MM-DDTHH:MM:SS.mmmZ", val)
		}
	case `"type"`:
		if r.Type, ok = strictjson.Unquote(val); !ok {
			return malformed("type is not a string")
		}
	case `"actor"`:
		if r.Actor, ok = strictjson.Unquote(val); !ok || (r.Actor != "" && !ValidID(r.Actor)) {
			return malformed("actor %s is not an identifier", val)
		}
	case `"prev"`:
		if r.Prev, err = hashField(val); err != nil {
			return malformed("prev: %v", err)
		}
	case `"body"`:
		if len(val) == 0 || val[0] != '{' {
			return malformed("body is not an object")
		}
		r.Body = val
	case `"sigs"`:
		return r.setSigs(val)
	case `"lkey"`:
		if r.LKey, err = hashField(val); err != nil {
			return malformed("lkey: %v", err)
		}
	case `"lsig"`:
		if len(val) == 0 || val[0] != '"' {
			return malformed("lsig is not a string")
		}
		if r.LSig, err = sigField(val); err != nil {
			return malformed("lsig: %v", err)
		}
	}
	return nil
}

func hashField(val []byte) (Hash, error) {
	var h Hash
	if err := hexField(h[:], val); err != nil {
		return Hash{}, err
	}
	return h, nil
}

// hexField reads a string token of lowercase hex into dst. A token
// without escapes is read in place; one with escapes is unquoted first.
func hexField(dst, val []byte) error {
	if n := len(val); n >= 2 && val[0] == '"' && val[n-1] == '"' && bytes.IndexByte(val, '\\') < 0 {
		return parseHexBytes(dst, val[1:n-1])
	}
	s, ok := strictjson.Unquote(val)
	if !ok {
		return errors.New("not a string")
	}
	return parseHex(dst, s)
}

// sigField reads a string token holding a signature (hex(128)).
func sigField(val []byte) ([]byte, error) {
	sig := make([]byte, 64)
	if err := hexField(sig, val); err != nil {
		return nil, err
	}
	return sig, nil
}

func (r *Record) setSigs(val []byte) error {
	if len(val) == 0 || val[0] != '[' {
		return malformed("sigs is not an array")
	}
	var perr error
	strictjson.EachElement(val, func(el []byte) bool {
		if len(r.Sigs) == MaxSigs {
			perr = malformed("more than %d statements", MaxSigs)
			return false
		}
		var s Signed
		want := []string{`"key"`, `"stmt"`, `"sig"`}
		i := 0
		if len(el) == 0 || el[0] != '{' {
			perr = malformed("sigs element is not an object")
			return false
		}
		strictjson.EachMember(el, func(key, v []byte) bool {
			if i >= len(want) || string(key) != want[i] {
				perr = malformed("sigs element member %s out of place", key)
				return false
			}
			i++
			var err error
			var ok bool
			switch string(key) {
			case `"key"`:
				s.Key, err = hashField(v)
			case `"stmt"`:
				if s.Stmt, ok = strictjson.UnquoteBytes(v); !ok {
					err = errors.New("not a string")
				}
			case `"sig"`:
				s.Sig, err = sigField(v)
			}
			if err != nil {
				perr = malformed("sigs %s: %v", key, err)
				return false
			}
			return true
		})
		if perr == nil && i != len(want) {
			perr = malformed("sigs element lacks members")
		}
		r.Sigs = append(r.Sigs, s)
		return perr == nil
	})
	if perr == nil && len(r.Sigs) == 0 {
		perr = malformed("sigs is empty")
	}
	return perr
}

// ValidTime reports whether s has the exact form YYYY-MM-DDTHH:MM:SS.mmmZ
// and names a real instant (§1).
func ValidTime(s string) bool {
	if len(s) != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if !ValidDate(s[:10]) {
		return false
	}
	hh, _ := strconv.Atoi(s[11:13])
	mm, _ := strconv.Atoi(s[14:16])
	ss, _ := strconv.Atoi(s[17:19])
	return hh < 24 && mm < 60 && ss < 60
}

// ValidDate reports whether s is a real calendar date written YYYY-MM-DD.
func ValidDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	y, _ := strconv.Atoi(s[0:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:10])
	if m < 1 || m > 12 || d < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && y%100 != 0 || y%400 == 0) {
		days = 29
	}
	return d <= days
}

// ValidID reports whether s is an identifier: [a-z0-9][a-z0-9._-]{0,63}.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '.' || c == '_' || c == '-')
		if !ok {
			return false
		}
	}
	return true
}

func appendHex(dst, src []byte) []byte {
	const hexd = "0123456789abcdef"
	for _, c := range src {
		dst = append(dst, hexd[c>>4], hexd[c&15])
	}
	return dst
}

// MarshalJSON encodes v compactly without HTML escaping, for bodies,
// statements and actions.
func MarshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
