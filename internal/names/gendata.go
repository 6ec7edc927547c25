//go:build ignore

// Command gendata wrote printed-names.txt once, from the Unicode 15.0.0
// property tables of the Go release then current. The file, not this
// program, is the source of truth: it is kept for the record of how the
// data was derived and is not run by go generate.
//
//	go run gendata.go > printed-names.txt
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"unicode"
)

// classes are the script classes; Han, Hiragana and Katakana share one.
var classes = []struct {
	name string
	tabs []*unicode.RangeTable
}{
	{"Latn", []*unicode.RangeTable{unicode.Latin}},
	{"Cyrl", []*unicode.RangeTable{unicode.Cyrillic}},
	{"Grek", []*unicode.RangeTable{unicode.Greek}},
	{"Armn", []*unicode.RangeTable{unicode.Armenian}},
	{"Hebr", []*unicode.RangeTable{unicode.Hebrew}},
	{"Arab", []*unicode.RangeTable{unicode.Arabic}},
	{"Jpan", []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana}},
	{"Hang", []*unicode.RangeTable{unicode.Hangul}},
	{"Deva", []*unicode.RangeTable{unicode.Devanagari}},
	{"Thai", []*unicode.RangeTable{unicode.Thai}},
	{"Geor", []*unicode.RangeTable{unicode.Georgian}},
	{"Cher", []*unicode.RangeTable{unicode.Cherokee}},
}

// confusables map look-alikes of Latin letters and digits to the letter.
var confusables = map[rune]rune{
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's',
	'ԁ': 'd', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w', 'к': 'k', 'м': 'm', 'н': 'h', 'т': 't', 'в': 'b', 'ӏ': 'l',
	'α': 'a', 'ο': 'o', 'ρ': 'p', 'ν': 'v', 'τ': 't', 'ι': 'i', 'κ': 'k', 'υ': 'u', 'χ': 'x', 'ε': 'e',
	'0': 'o', '1': 'l', 'ı': 'i', 'ɡ': 'g', 'ℓ': 'l',
}

const accentFrom = "àáâãäåèéêëìíîïòóôõöøùúûüýÿñçšžł"
const accentTo = "aaaaaaeeeelllloooooouuuuyyncszl"

// blankLetters render as nothing although Unicode calls them letters.
var blankLetters = []rune{0x115F, 0x1160, 0x3164, 0xFFA0}

func isFormat(r rune) bool {
	if unicode.Is(unicode.Cf, r) {
		return true
	}
	for _, b := range blankLetters {
		if r == b {
			return true
		}
	}
	return false
}

// skeleton is the composed map of one code point that has already been
// lower-cased: nil means "drop", ok false means "unchanged".
func skeleton(r rune) (out []rune, ok bool) {
	x := r
	if x >= 0xFF01 && x <= 0xFF5E { // fullwidth forms read as ASCII
		x = unicode.ToLower(x - 0xFEE0)
	}
	if c, found := confusables[x]; found {
		x = c
	}
	switch {
	case unicode.Is(unicode.Mn, x), unicode.IsSpace(x), unicode.IsPunct(x), isFormat(x):
		return nil, true
	case x == 'i' || x == 'l' || x == '|':
		x = 'l'
	}
	if i := strings.IndexRune(accentFrom, x); i >= 0 {
		x = []rune(accentTo)[len([]rune(accentFrom[:i]))]
	}
	if x == r {
		return nil, false
	}
	return []rune{x}, true
}

// ranges prints FIELD FIRST..LAST [VALUE] for each maximal run of code
// points for which val gives the same ok value.
func ranges(w *bufio.Writer, field string, val func(rune) (string, bool)) {
	start, cur := rune(-1), ""
	flush := func(end rune) {
		if start < 0 {
			return
		}
		span := fmt.Sprintf("%04X", start)
		if end > start {
			span += fmt.Sprintf("..%04X", end)
		}
		if v, _, _ := strings.Cut(cur, "\x01"); cur == "\x00" {
			fmt.Fprintf(w, "%s\t%s\n", field, span)
		} else {
			fmt.Fprintf(w, "%s\t%s\t%s\n", field, span, v)
		}
		start = -1
	}
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		v, ok := "", false
		if r <= unicode.MaxRune {
			v, ok = val(r)
		}
		if start >= 0 && (!ok || v != cur) {
			flush(r - 1)
		}
		if ok && start < 0 {
			start, cur = r, v
		}
	}
}

func hexes(rs []rune) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%04X", r))
	}
	return strings.Join(parts, " ")
}

func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprint(w, `# countersign printed-name data, format 1. CC0 1.0: no rights reserved.
#
# UTF-8 text, LF line ends. A line starting with # is a comment. Every
# other line is FIELD, TAB, a code point or an inclusive range FIRST..LAST
# (uppercase hex, at least four digits) and, for lower, script and
# skeleton, TAB and a VALUE. Ranges of one field never overlap.
#
#   unicode   the Unicode version the data was taken from (one line)
#   lower     VALUE is the lowercase of the code point (one code point)
#   skeleton  VALUE is what the code point becomes in a skeleton, after
#             lower: zero or more code points separated by spaces; an
#             empty VALUE drops the code point
#   script    VALUE is the script class; a code point with no script
#             line has no class and never makes a name mixed-script
#   control   control characters
#   format    invisible formatting characters (every Cf code point and
#             the Hangul fillers)
#   space     white space
#
# SPEC.md section 8.3 (SOD-PRINTED-NAME, blank texts) says how they are used.
`)
	fmt.Fprintf(w, "unicode\t%s\n", unicode.Version)
	ranges(w, "lower", func(r rune) (string, bool) {
		l := unicode.ToLower(r)
		if l == r {
			return "", false
		}
		return fmt.Sprintf("%04X", l) + fmt.Sprintf("\x01%d", r), true // never merged
	})
	w.Flush()
	ranges(w, "skeleton", func(r rune) (string, bool) {
		out, ok := skeleton(r)
		if !ok {
			return "", false
		}
		if out == nil {
			return "", true
		}
		return hexes(out) + fmt.Sprintf("\x01%d", r), true // only drops merge
	})
	for _, c := range classes {
		c := c
		ranges(w, "script", func(r rune) (string, bool) {
			for _, t := range c.tabs {
				if unicode.Is(t, r) {
					return c.name, true
				}
			}
			return "", false
		})
	}
	ranges(w, "control", func(r rune) (string, bool) { return "\x00", unicode.IsControl(r) })
	ranges(w, "format", func(r rune) (string, bool) { return "\x00", isFormat(r) })
	ranges(w, "space", func(r rune) (string, bool) { return "\x00", unicode.IsSpace(r) })
}
