// Package strictjson validates JSON of the strict subset of SPEC.md §3.1
// and walks JSON it has accepted.
//
// Records, statements and actions are checked byte for byte against the
// subset before encoding/json ever sees them, so that every reader of a
// bundle, in any language, interprets every value identically. The scanner
// below makes one pass over the input, keeps its state on an explicit stack
// (no recursion), and takes its scratch space from a pool, so a valid record
// is checked without allocating.
package strictjson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Limits bounds what Validate accepts.
type Limits struct {
	MaxDepth int // nesting of objects and arrays; 0 means 32
}

// defaultJSONDepth is the nesting limit of section 3.1 rule 7.
const defaultJSONDepth = 32

// maxJSONInt is 2^53-1, the largest magnitude of an integer in the subset.
const maxJSONInt = 1<<53 - 1

// linearKeyLimit is the number of member names an object may have before
// duplicate detection switches from pairwise comparison to a map.
const linearKeyLimit = 16

// Error reports why a text is outside the subset and where.
type Error struct {
	Offset int    // byte offset of the problem in the input
	Kind   error  // one of the Err* sentinels below
	Detail string // short lowercase detail, e.g. `duplicate key "amount"`
}

// Error formats the error as "json: DETAIL at byte OFFSET".
func (e *Error) Error() string {
	d := e.Detail
	if d == "" && e.Kind != nil {
		d = e.Kind.Error()
	}
	return "json: " + d + " at byte " + strconv.Itoa(e.Offset)
}

// Unwrap returns Kind, so errors.Is(err, ErrDuplicateKey) works.
func (e *Error) Unwrap() error { return e.Kind }

// The kinds of Error.
var (
	ErrSyntax       = errors.New("malformed json")
	ErrWhitespace   = errors.New("whitespace outside strings")
	ErrNumber       = errors.New("number outside the integer subset")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrUTF8         = errors.New("ill-formed utf-8")
	ErrDepth        = errors.New("nesting too deep")
	ErrNull         = errors.New("null is not used")
)

// Validate reports whether b is exactly one JSON value in the subset.
// It returns nil or a *Error whose Kind is one of the Err* sentinels.
// A MaxDepth of zero or less means the default of 32.
func Validate(b []byte, lim Limits) error {
	s := getScanner(b, lim)
	err := s.run()
	putScanner(s)
	return err
}

// ValidateObject is Validate plus: the value is an object.
func ValidateObject(b []byte, lim Limits) error {
	if err := Validate(b, lim); err != nil {
		return err
	}
	if b[0] != '{' {
		return jsonErr(0, ErrSyntax, "value is not an object")
	}
	return nil
}

func jsonErr(off int, kind error, detail string) error {
	return &Error{Offset: off, Kind: kind, Detail: detail}
}

// jsonFrame is one open object or array.
type jsonFrame struct {
	object    bool
	keyBase   int                 // first entry of s.keys owned by this object
	arenaBase int                 // first byte of s.arena owned by this object
	nkeys     int                 // member names seen so far
	set       map[string]struct{} // decoded names, once nkeys exceeds linearKeyLimit
}

// keyRef locates the decoded form of a member name: a slice of the input
// when the name has no escapes, otherwise a slice of the scratch arena.
// tag holds the name's first eight bytes so that most comparisons need not
// look at the bytes at all.
type keyRef struct {
	start, end int
	tag        uint64
	inArena    bool
}

// nameTag packs up to the first eight bytes of name into a word.
func nameTag(name []byte) uint64 {
	if len(name) >= 8 {
		return binary.LittleEndian.Uint64(name)
	}
	var t uint64
	for i, c := range name {
		t |= uint64(c) << (8 * i)
	}
	return t
}

type jsonScanner struct {
	b        []byte
	maxDepth int
	frames   []jsonFrame
	keys     []keyRef
	arena    []byte
}

var scannerPool = sync.Pool{
	New: func() any {
		return &jsonScanner{
			frames: make([]jsonFrame, 0, defaultJSONDepth),
			keys:   make([]keyRef, 0, 64),
			arena:  make([]byte, 0, 256),
		}
	},
}

func getScanner(b []byte, lim Limits) *jsonScanner {
	s := scannerPool.Get().(*jsonScanner)
	s.b = b
	s.maxDepth = lim.MaxDepth
	if s.maxDepth <= 0 {
		s.maxDepth = defaultJSONDepth
	}
	return s
}

func putScanner(s *jsonScanner) {
	// Frames left open by an error may still hold maps.
	for i := range s.frames {
		s.frames[i].set = nil
	}
	s.b = nil
	// Do not let one hostile input pin large buffers in the pool.
	if cap(s.frames) > 1024 || cap(s.keys) > 4096 || cap(s.arena) > 1<<16 {
		return
	}
	s.frames = s.frames[:0]
	s.keys = s.keys[:0]
	s.arena = s.arena[:0]
	scannerPool.Put(s)
}

func isJSONSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

// unexpected builds the error for byte c at off where something else was
// required; whitespace gets its own kind.
func unexpected(b []byte, off int, want string) error {
	if off >= len(b) {
		return jsonErr(len(b), ErrSyntax, "unexpected end of input, "+want)
	}
	c := b[off]
	if isJSONSpace(c) {
		return jsonErr(off, ErrWhitespace, "whitespace outside strings")
	}
	return jsonErr(off, ErrSyntax, "unexpected "+describeByte(c)+", "+want)
}

func describeByte(c byte) string {
	if c >= 0x21 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	const hexDigits = "0123456789abcdef"
	return "byte 0x" + string([]byte{hexDigits[c>>4], hexDigits[c&15]})
}

// run validates s.b. The three labels are the states of a pushdown
// automaton: a value is expected, a value has just ended, or a member name
// is expected.
func (s *jsonScanner) run() error {
	b := s.b
	n := len(b)
	if n == 0 {
		return jsonErr(0, ErrSyntax, "empty input")
	}
	i := 0

value:
	if i >= n {
		return unexpected(b, i, "expected a value")
	}
	switch c := b[i]; c {
	case '{':
		if len(s.frames) >= s.maxDepth {
			return jsonErr(i, ErrDepth, "nesting deeper than "+strconv.Itoa(s.maxDepth))
		}
		s.frames = append(s.frames, jsonFrame{object: true, keyBase: len(s.keys), arenaBase: len(s.arena)})
		i++
		if i < n && b[i] == '}' {
			s.pop()
			i++
			goto after
		}
		goto key
	case '[':
		if len(s.frames) >= s.maxDepth {
			return jsonErr(i, ErrDepth, "nesting deeper than "+strconv.Itoa(s.maxDepth))
		}
		s.frames = append(s.frames, jsonFrame{})
		i++
		if i < n && b[i] == ']' {
			s.pop()
			i++
			goto after
		}
		goto value
	case '"':
		end, _, err := s.scanString(i)
		if err != nil {
			return err
		}
		i = end
		goto after
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		end, err := scanInteger(b, i)
		if err != nil {
			return err
		}
		i = end
		goto after
	case 't':
		if n-i >= 4 && string(b[i:i+4]) == "true" {
			i += 4
			goto after
		}
		return jsonErr(i, ErrSyntax, "invalid literal")
	case 'f':
		if n-i >= 5 && string(b[i:i+5]) == "false" {
			i += 5
			goto after
		}
		return jsonErr(i, ErrSyntax, "invalid literal")
	case 'n':
		if n-i >= 4 && string(b[i:i+4]) == "null" {
			return jsonErr(i, ErrNull, "null is not used")
		}
		return jsonErr(i, ErrSyntax, "invalid literal")
	default:
		return unexpected(b, i, "expected a value")
	}

after:
	if len(s.frames) == 0 {
		if i == n {
			return nil
		}
		return unexpected(b, i, "expected end of input")
	}
	if i >= n {
		return unexpected(b, i, "expected ',' or a closing bracket")
	}
	{
		top := &s.frames[len(s.frames)-1]
		c := b[i]
		if c == ',' {
			i++
			if top.object {
				goto key
			}
			goto value
		}
		if top.object {
			if c == '}' {
				s.pop()
				i++
				goto after
			}
			return unexpected(b, i, "expected ',' or '}'")
		}
		if c == ']' {
			s.pop()
			i++
			goto after
		}
		return unexpected(b, i, "expected ',' or ']'")
	}

key:
	if i >= n || b[i] != '"' {
		return unexpected(b, i, "expected a member name")
	}
	{
		end, escaped, err := s.scanString(i)
		if err != nil {
			return err
		}
		if err := s.addKey(i, end, escaped); err != nil {
			return err
		}
		i = end
	}
	if i >= n || b[i] != ':' {
		return unexpected(b, i, "expected ':'")
	}
	i++
	goto value
}

// pop closes the innermost container and releases its member names.
func (s *jsonScanner) pop() {
	f := &s.frames[len(s.frames)-1]
	if f.object {
		s.keys = s.keys[:f.keyBase]
		s.arena = s.arena[:f.arenaBase]
		f.set = nil
	}
	s.frames = s.frames[:len(s.frames)-1]
}

func (s *jsonScanner) keyBytes(k keyRef) []byte {
	if k.inArena {
		return s.arena[k.start:k.end]
	}
	return s.b[k.start:k.end]
}

// addKey records the member name b[start:end] (quotes included) in the
// innermost object, refusing it if the object already has a member whose
// decoded name is the same.
func (s *jsonScanner) addKey(start, end int, escaped bool) error {
	top := &s.frames[len(s.frames)-1]
	ref := keyRef{start: start + 1, end: end - 1}
	if escaped {
		a := len(s.arena)
		s.arena = appendUnescaped(s.arena, s.b[start+1:end-1])
		ref = keyRef{start: a, end: len(s.arena), inArena: true}
	}
	name := s.keyBytes(ref)

	if top.set == nil && top.nkeys < linearKeyLimit {
		ref.tag = nameTag(name)
		size := len(name)
		for _, k := range s.keys[top.keyBase:] {
			if k.tag != ref.tag || k.end-k.start != size {
				continue
			}
			if size <= 8 || bytes.Equal(s.keyBytes(k), name) {
				return duplicateKey(start, name)
			}
		}
		s.keys = append(s.keys, ref)
		top.nkeys++
		return nil
	}

	if top.set == nil {
		// Too many names for pairwise comparison: move them into a map,
		// which owns copies, and give back their scratch space.
		top.set = make(map[string]struct{}, 2*linearKeyLimit)
		for _, k := range s.keys[top.keyBase:] {
			top.set[string(s.keyBytes(k))] = struct{}{}
		}
		s.keys = s.keys[:top.keyBase]
	}
	if _, dup := top.set[string(name)]; dup {
		return duplicateKey(start, name)
	}
	top.set[string(name)] = struct{}{}
	top.nkeys++
	// The map holds its own copy; the decoded bytes are no longer needed.
	s.arena = s.arena[:top.arenaBase]
	return nil
}

func duplicateKey(off int, name []byte) error {
	const maxShown = 64
	if len(name) > maxShown {
		cut := maxShown
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		return jsonErr(off, ErrDuplicateKey, "duplicate key "+strconv.Quote(string(name[:cut]))+"...")
	}
	return jsonErr(off, ErrDuplicateKey, "duplicate key "+strconv.Quote(string(name)))
}

// SWAR constants for testing eight string bytes at once.
const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// specialMask flags, in the high bit of each byte lane, the bytes of x
// that need attention inside a string: control characters, '"', '\\' and
// non-ASCII bytes. It is zero when there are none. Lanes above the lowest
// flagged one may be flagged spuriously; the lowest one is always right.
func specialMask(x uint64) uint64 {
	ctl := (x - 0x20*swarOnes) &^ x        // high bit where a byte is < 0x20
	q := x ^ ('"' * swarOnes)              // zero byte where x has '"'
	bs := x ^ ('\\' * swarOnes)            // zero byte where x has '\\'
	zq := (q - swarOnes) &^ q              // high bit where q has a zero byte
	zb := (bs - swarOnes) &^ bs            // high bit where bs has a zero byte
	return (ctl | zq | zb | x) & swarHighs // x's own high bits flag non-ASCII
}

// plainByte[c] is true for bytes that may appear in a string as they are
// and need no further look: printable ASCII other than '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanString checks the string whose opening quote is at b[i]. It returns
// the offset just past the closing quote and whether the string contains
// any escape.
func (s *jsonScanner) scanString(i int) (int, bool, error) {
	b := s.b
	n := len(b)
	i++
	escaped := false
	for {
		for i+8 <= n {
			m := specialMask(binary.LittleEndian.Uint64(b[i:]))
			if m != 0 {
				// The lowest flagged byte is exact: borrows only travel upward.
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < n && plainByte[b[i]] {
			i++
		}
	special:
		if i >= n {
			return 0, false, jsonErr(n, ErrSyntax, "unexpected end of input in string")
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			end, err := scanEscape(b, i)
			if err != nil {
				return 0, false, err
			}
			i = end
		case c < 0x20:
			return 0, false, jsonErr(i, ErrSyntax, "unescaped control character "+describeByte(c)+" in string")
		default: // c >= 0x80
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, jsonErr(i, ErrUTF8, "ill-formed utf-8 sequence in string")
			}
			i += size
		}
	}
}

// hex4 decodes four hex digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if len(b)-i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func isHighSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDBFF }
func isLowSurrogate(r rune) bool  { return r >= 0xDC00 && r <= 0xDFFF }

// scanEscape checks the escape whose backslash is at b[i] and returns the
// offset just past it. A high surrogate must be followed at once by an
// escaped low surrogate; the pair is consumed together.
func scanEscape(b []byte, i int) (int, error) {
	if i+1 >= len(b) {
		return 0, jsonErr(len(b), ErrSyntax, "unexpected end of input in string")
	}
	switch b[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2, nil
	case 'u':
	default:
		return 0, jsonErr(i, ErrSyntax, "invalid escape "+strconv.Quote(string(b[i:i+2])))
	}
	r, ok := hex4(b, i+2)
	if !ok {
		return 0, jsonErr(i, ErrSyntax, "invalid \\u escape")
	}
	switch {
	case isLowSurrogate(r):
		return 0, jsonErr(i, ErrUTF8, "lone low surrogate escape")
	case !isHighSurrogate(r):
		return i + 6, nil
	}
	j := i + 6
	if len(b)-j < 2 || b[j] != '\\' || b[j+1] != 'u' {
		return 0, jsonErr(i, ErrUTF8, "lone high surrogate escape")
	}
	r2, ok := hex4(b, j+2)
	if !ok {
		return 0, jsonErr(j, ErrSyntax, "invalid \\u escape")
	}
	if !isLowSurrogate(r2) {
		return 0, jsonErr(i, ErrUTF8, "lone high surrogate escape")
	}
	return j + 6, nil
}

// appendUnescaped appends the decoded value of the string body raw, which
// scanString has already accepted, to dst.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		k := bytes.IndexByte(raw[i:], '\\')
		if k < 0 {
			return append(dst, raw[i:]...)
		}
		dst = append(dst, raw[i:i+k]...)
		i += k
		if i+1 >= len(raw) {
			return dst // cannot happen for accepted input
		}
		switch c := raw[i+1]; c {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(raw, i+2)
			i += 6
			if isHighSurrogate(r) {
				lo, _ := hex4(raw, i+2)
				r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, c)
		}
		i += 2
	}
	return dst
}

// scanInteger checks the number starting at b[i] (a '-' or a digit) and
// returns the offset just past it. Errors about the number's form or size
// point at its first byte.
func scanInteger(b []byte, i int) (int, error) {
	start := i
	n := len(b)
	neg := false
	if b[i] == '-' {
		neg = true
		i++
		if i >= n || b[i] < '0' || b[i] > '9' {
			return 0, unexpected(b, i, "expected a digit after '-'")
		}
	}
	var v uint64
	digits := 0
	if b[i] == '0' {
		i++
		if i < n && b[i] >= '0' && b[i] <= '9' {
			return 0, jsonErr(start, ErrNumber, "leading zero")
		}
	} else {
		for i < n && b[i] >= '0' && b[i] <= '9' {
			if digits < 17 {
				v = v*10 + uint64(b[i]-'0')
			}
			digits++
			i++
		}
	}
	if i < n {
		switch b[i] {
		case '.':
			return 0, jsonErr(start, ErrNumber, "fraction")
		case 'e', 'E':
			return 0, jsonErr(start, ErrNumber, "exponent")
		}
	}
	if digits > 16 || v > maxJSONInt {
		return 0, jsonErr(start, ErrNumber, "integer out of range")
	}
	if neg && v == 0 {
		return 0, jsonErr(start, ErrNumber, "negative zero")
	}
	return i, nil
}
