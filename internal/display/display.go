// Package display makes text that came from a bundle, a request or a key
// file safe to show on a terminal.
//
// Printed names, reasons, messages and file names are data, not terminal
// instructions: an ESC byte could recolour or rewrite what a reviewer sees,
// and a right-to-left override could make "approve" read as something else.
// Escape turns every such character into a visible escape sequence, so the
// text a person reads is the text that was signed, character for character.
package display

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Escape returns s with every character that could change how a terminal
// shows the text replaced by a visible escape:
//
//   - a backslash becomes `\\`, so the output can be read back unambiguously;
//   - tab, newline and carriage return become `\t`, `\n` and `\r`;
//   - other C0 controls, ESC and DEL become `\xHH` (for example `\x1b`);
//   - C1 controls (U+0080 to U+009F), Unicode format characters (among them
//     the bidirectional controls U+061C, U+200E, U+200F, U+202A to U+202E
//     and U+2066 to U+2069, and the zero-width characters U+200B to U+200D,
//     U+2060 and U+FEFF) and the line and paragraph separators U+2028 and
//     U+2029 become `\uHHHH` (or `\UHHHHHHHH` beyond U+FFFF);
//   - each byte that is not part of valid UTF-8 becomes `\xHH`.
//
// Everything else, letters of any script included, is left as it is.
func Escape(s string) string {
	i := firstUnsafe(s)
	if i < 0 {
		return s
	}
	out := make([]byte, 0, len(s)+16)
	out = append(out, s[:i]...)
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			out = appendByteEscape(out, s[i])
			i++
			continue
		}
		out = appendRune(out, r, s[i:i+size])
		i += size
	}
	return string(out)
}

// firstUnsafe returns the offset of the first byte of s that needs
// escaping, or -1 if there is none.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f || c == '\\' {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unsafeRune(r) {
			return i
		}
		i += size
	}
	return -1
}

// unsafeRune reports whether a non-ASCII rune must be escaped.
func unsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls
		return true
	case r == '\u2028' || r == '\u2029': // line and paragraph separators
		return true
	}
	// Format characters: bidirectional controls, zero-width characters,
	// the byte order mark, soft hyphen, invisible tags and the like.
	return unicode.Is(unicode.Cf, r)
}

func appendRune(out []byte, r rune, raw string) []byte {
	switch {
	case r == '\\':
		return append(out, '\\', '\\')
	case r == '\t':
		return append(out, '\\', 't')
	case r == '\n':
		return append(out, '\\', 'n')
	case r == '\r':
		return append(out, '\\', 'r')
	case r < 0x20 || r == 0x7f:
		return appendByteEscape(out, byte(r))
	case r < utf8.RuneSelf || !unsafeRune(r):
		return append(out, raw...)
	case r <= 0xffff:
		return appendHex(append(out, '\\', 'u'), uint32(r), 4)
	default:
		return appendHex(append(out, '\\', 'U'), uint32(r), 8)
	}
}

func appendByteEscape(out []byte, c byte) []byte {
	return appendHex(append(out, '\\', 'x'), uint32(c), 2)
}

const hexDigits = "0123456789abcdef"

// appendHex appends v as exactly n lowercase hex digits.
func appendHex(out []byte, v uint32, n int) []byte {
	for shift := 4 * (n - 1); shift >= 0; shift -= 4 {
		out = append(out, hexDigits[(v>>uint(shift))&0xf])
	}
	return out
}

// Quote returns Escape(s) between double quotes, for names and reasons
// shown inline in a sentence. A double quote inside s is shown as `\"`, so
// where the value ends is never in doubt.
func Quote(s string) string {
	e := Escape(s)
	out := make([]byte, 0, len(e)+2)
	out = append(out, '"')
	for i := 0; i < len(e); i++ {
		if e[i] == '"' {
			out = append(out, '\\')
		}
		out = append(out, e[i])
	}
	return string(append(out, '"'))
}

// JSON rewrites a JSON text for a terminal: every character that Escape
// would escape is written as a JSON \uXXXX escape instead (a surrogate pair
// beyond U+FFFF), and any byte that is not valid UTF-8 as \ufffd. Line
// breaks, tabs and spaces that indent the text are kept. Because JSON
// already escapes quotes, backslashes and control characters inside its
// strings, the result is still JSON with the same values for every
// well-formed input: a program reading it gets exactly the same strings,
// while a terminal showing it gets nothing it could act on.
func JSON(b []byte) []byte {
	out := make([]byte, 0, len(b)+len(b)/16)
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != 0x7f || c == '\n' || c == '\t' {
				out = append(out, c)
			} else {
				out = appendHex(append(out, '\\', 'u'), uint32(c), 4)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			out = append(out, `\ufffd`...)
		case !unsafeRune(r):
			out = append(out, b[i:i+size]...)
		case r > 0xffff:
			v := uint32(r - 0x10000)
			out = appendHex(append(out, '\\', 'u'), 0xd800+(v>>10), 4)
			out = appendHex(append(out, '\\', 'u'), 0xdc00+(v&0x3ff), 4)
		default:
			out = appendHex(append(out, '\\', 'u'), uint32(r), 4)
		}
		i += size
	}
	return out
}

// Count formats n with a noun, adding "s" unless n is 1: Count(2, "key")
// is "2 keys".
func Count(n int64, noun string) string {
	s := strconv.FormatInt(n, 10) + " " + noun
	if n != 1 {
		s += "s"
	}
	return s
}
