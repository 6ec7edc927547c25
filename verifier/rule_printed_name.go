package verifier

import (
	"strings"
	"unicode"

	"github.com/countersign/countersign/format"
)

// RulePrintedName: printed names are plain, single-script and distinct.
const RulePrintedName = "SOD-PRINTED-NAME"

var rulePrintedName = Rule{
	ID:         RulePrintedName,
	Statement:  "printed names contain no control or bidirectional characters, do not mix scripts, and are not the same as or confusable with another principal's unless registrars attest that both are one person",
	References: []string{"21 CFR 11.50", "21 CFR 11.100"},
	check: func(j *judgement) {
		var names []format.Principal
		var attested func(other string) bool
		switch b := j.body.(type) {
		case *format.Genesis:
			for _, r := range b.Registrars {
				names = append(names, format.Principal{ID: r.ID, Name: r.Name})
			}
			attested = func(string) bool { return false }
		case *format.Enrolment:
			if _, known := j.st.Principals[b.Principal.ID]; known {
				return
			}
			names = append(names, b.Principal)
			attested = func(other string) bool { return attestedSame(j.stmts, other) }
		default:
			return
		}
		for i, p := range names {
			if why := NameProblem(p.Name); why != "" && j.on("SOD-PRINTED-NAME.1") {
				j.emitf(RulePrintedName, nil, "printed name of %s %s", p.ID, why)
			}
			if !j.on("SOD-PRINTED-NAME.2") {
				continue
			}
			sk := Skeleton(p.Name)
			for _, other := range j.st.PrincipalIDs() {
				o := j.st.Principals[other]
				if other != p.ID && Skeleton(o.Name) == sk && !attested(other) {
					j.emitf(RulePrintedName, []int64{o.EnrolledAt, j.rec.Seq}, "printed name of %s is the same as, or confusable with, %s's, and no registrar attests that they are one person", p.ID, other)
				}
			}
			for _, q := range names[:i] {
				if Skeleton(q.Name) == sk {
					j.emitf(RulePrintedName, nil, "printed name of %s is the same as, or confusable with, %s's", p.ID, q.ID)
				}
			}
		}
	},
}

// attestedSame reports whether every registrar witness statement of an
// enrolment (there must be one) lists other in same_person (SPEC.md §6.2).
func attestedSame(stmts []*format.Statement, other string) bool {
	n := 0
	for _, st := range stmts {
		if st == nil || st.Purpose != format.PurposeEnrolWitness {
			continue
		}
		n++
		found := false
		for _, id := range st.SamePerson {
			found = found || id == other
		}
		if !found {
			return false
		}
	}
	return n > 0
}

// NameProblem says what is wrong with a printed name, or "".
func NameProblem(name string) string {
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
