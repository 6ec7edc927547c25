package strictjson

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// The walkers below read JSON that Validate has already accepted: they
// do not re-check syntax, and must not be called on unvalidated bytes.

// skipValue returns the index just past the value that starts at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return len(b)
	default:
		for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' {
			i++
		}
		return i
	}
}

func skipString(b []byte, i int) int {
	n := len(b)
	for i++; i < n; i++ {
		// Eight bytes at a time up to the next quote or backslash.
		for i+8 <= n {
			m := quoteMask(binary.LittleEndian.Uint64(b[i:]))
			if m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= n {
			break
		}
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return n
}

// quoteMask flags, in the high bit of each byte lane, the bytes of x that
// are '"' or '\\'; the lowest flagged lane is exact (see specialMask).
func quoteMask(x uint64) uint64 {
	q := x ^ ('"' * swarOnes)
	bs := x ^ ('\\' * swarOnes)
	return ((q-swarOnes)&^q | (bs-swarOnes)&^bs) & swarHighs
}

// EachMember calls fn with the raw key token (quotes included) and the raw
// value of each member of the object b, in order, until fn returns false.
func EachMember(b []byte, fn func(key, val []byte) bool) {
	if len(b) < 2 || b[0] != '{' {
		return
	}
	i := 1
	for i < len(b) && b[i] != '}' {
		ke := skipString(b, i)
		key := b[i:ke]
		vs := ke + 1
		ve := skipValue(b, vs)
		if !fn(key, b[vs:ve]) {
			return
		}
		i = ve
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
}

// EachElement calls fn with each raw element of the array b.
func EachElement(b []byte, fn func(val []byte) bool) {
	if len(b) < 2 || b[0] != '[' {
		return
	}
	i := 1
	for i < len(b) && b[i] != ']' {
		e := skipValue(b, i)
		if !fn(b[i:e]) {
			return
		}
		i = e
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
}

// Unquote decodes a string token.
func Unquote(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	if !validString(tok) {
		return "", false
	}
	return string(appendUnescaped(make([]byte, 0, len(inner)), inner)), true
}

// UnquoteBytes decodes a string token into bytes of its own.
func UnquoteBytes(tok []byte) ([]byte, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return nil, false
	}
	inner := tok[1 : len(tok)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return append(make([]byte, 0, len(inner)), inner...), true
	}
	if !validString(tok) {
		return nil, false
	}
	return appendUnescaped(make([]byte, 0, len(inner)), inner), true
}

// validString reports whether tok is exactly one string token of the
// subset: the tokens Validate accepts, which is what the walkers hand out.
// It is checked again here so that an unescaped value never comes from
// text that was not accepted.
func validString(tok []byte) bool {
	n := len(tok)
	if n < 2 || tok[0] != '"' || tok[n-1] != '"' {
		return false
	}
	for i := 1; i < n-1; {
		switch c := tok[i]; {
		case c == '"' || c < 0x20:
			return false
		case c == '\\':
			end, err := scanEscape(tok[:n-1], i)
			if err != nil {
				return false
			}
			i = end
		case c >= 0x80:
			r, size := utf8.DecodeRune(tok[i : n-1])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			i += size
		default:
			i++
		}
	}
	return true
}

// ParseInt reads an integer token accepted by Validate.
func ParseInt(tok []byte) (int64, bool) {
	if len(tok) == 0 || tok[0] == '"' || tok[0] == 't' || tok[0] == 'f' || tok[0] == '{' || tok[0] == '[' {
		return 0, false
	}
	v, err := strconv.ParseInt(string(tok), 10, 64)
	return v, err == nil
}

// AppendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, everything else (UTF-8 included) as it is.
func AppendString(dst []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
