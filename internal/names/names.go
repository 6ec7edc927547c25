// Package names judges printed names: what makes one unfit to stand
// beside a signature, and the skeleton under which two names that look
// alike are equal (SPEC.md §8.3, SOD-PRINTED-NAME). The verifier and the
// enforcement core both use it, so that a name the core accepts is one the
// verifier accepts.
package names

import (
	"strings"
	"unicode"
)

// Problem says what is wrong with a printed name (SPEC.md §8.3,
// SOD-PRINTED-NAME), or "".
func Problem(name string) string {
	scripts := map[string]bool{}
	for _, r := range name {
		switch {
		case r == unicode.ReplacementChar:
			return "is not well-formed UTF-8"
		case unicode.IsControl(r):
			return "contains a control character"
		case unicode.Is(unicode.Bidi_Control, r), unicode.Is(unicode.Join_Control, r), r == '\u200b', r == '\u2060', r == '\ufeff':
			return "contains a bidirectional or invisible formatting character"
		}
		if s := scriptOf(r); s != "" {
			scripts[s] = true
		}
	}
	if len(scripts) > 1 {
		return "mixes scripts"
	}
	return ""
}

var scriptTables = []struct {
	name string
	tab  *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Cyrillic", unicode.Cyrillic}, {"Greek", unicode.Greek}, {"Armenian", unicode.Armenian},
	{"Hebrew", unicode.Hebrew}, {"Arabic", unicode.Arabic}, {"Han", unicode.Han}, {"Hiragana", unicode.Hiragana},
	{"Katakana", unicode.Katakana}, {"Hangul", unicode.Hangul}, {"Devanagari", unicode.Devanagari}, {"Thai", unicode.Thai},
	{"Georgian", unicode.Georgian}, {"Cherokee", unicode.Cherokee},
}

func scriptOf(r rune) string {
	for _, s := range scriptTables {
		if unicode.Is(s.tab, r) {
			switch s.name {
			case "Han", "Hiragana", "Katakana":
				return "Japanese/Chinese" // these mix legitimately
			}
			return s.name
		}
	}
	return ""
}

// confusables maps characters that look like Latin letters or digits to
// the letter they imitate.
var confusables = map[rune]rune{
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's',
	'ԁ': 'd', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w', 'к': 'k', 'м': 'm', 'н': 'h', 'т': 't', 'в': 'b', 'ӏ': 'l',
	'α': 'a', 'ο': 'o', 'ρ': 'p', 'ν': 'v', 'τ': 't', 'ι': 'i', 'κ': 'k', 'υ': 'u', 'χ': 'x', 'ε': 'e',
	'0': 'o', '1': 'l', 'ı': 'i', 'ɡ': 'g', 'ℓ': 'l',
}

// Skeleton reduces a name to a form in which names that look alike are
// equal: case folded, lookalike characters mapped, marks and spacing
// dropped, "rn" read as "m" and "vv" as "w".
func Skeleton(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if c, ok := confusables[r]; ok {
			r = c
		}
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsSpace(r), unicode.IsPunct(r), unicode.Is(unicode.Cf, r):
			continue
		case r == 'i' || r == 'l' || r == '|':
			r = 'l'
		}
		b.WriteRune(foldAccent(r))
	}
	s := strings.ReplaceAll(b.String(), "rn", "m")
	return strings.ReplaceAll(s, "vv", "w")
}

// foldAccent maps common precomposed Latin letters to their base letter.
func foldAccent(r rune) rune {
	const from = "àáâãäåèéêëìíîïòóôõöøùúûüýÿñçšžł"
	const to = "aaaaaaeeeelllloooooouuuuyyncszl"
	if i := strings.IndexRune(from, r); i >= 0 {
		return []rune(to)[len([]rune(from[:i]))]
	}
	return r
}
