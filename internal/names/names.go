// Package names judges printed names and reasons: what makes a name unfit
// to stand beside a signature, the skeleton under which two names that
// look alike are equal (SPEC.md §8.3, SOD-PRINTED-NAME), and which texts
// are blank. The verifier and the enforcement core both use it, so that a
// name or reason the core accepts is one the verifier accepts.
//
// Every property comes from the printed-name data file embedded here
// (printed-names.txt), never from the platform's Unicode tables, so that
// the verdicts do not change with the Go release.
package names

import (
	_ "embed"
	"strings"
	"unicode/utf8"
)

//go:embed printed-names.txt
var data []byte

// Data is the printed-name data file, byte for byte as SPEC.md names it.
func Data() []byte { return append([]byte(nil), data...) }

var tables = must(parse(data))

func must(t *Tables, err error) *Tables {
	if err != nil {
		panic("names: printed-names.txt: " + err.Error())
	}
	return t
}

// UnicodeVersion is the Unicode version the data file was taken from.
func UnicodeVersion() string { return tables.Unicode }

// Problem says what is wrong with a printed name (SPEC.md §8.3,
// SOD-PRINTED-NAME.1), or "".
func Problem(name string) string { return tables.Problem(name) }

// Skeleton reduces a name to the form in which names that look alike are
// equal (SPEC.md §8.3, SOD-PRINTED-NAME.2).
func Skeleton(name string) string { return tables.Skeleton(name) }

// Blank reports whether every code point of s is white space or an
// invisible formatting character; the empty text is blank.
func Blank(s string) bool { return tables.Blank(s) }

// Problem is the package-level Problem, under these tables.
func (t *Tables) Problem(name string) string {
	class := ""
	mixed := false
	for _, r := range name {
		switch {
		case r == utf8.RuneError:
			return "is not well-formed UTF-8"
		case t.control.has(r):
			return "contains a control character"
		case t.format.has(r):
			return "contains a bidirectional or invisible formatting character"
		}
		if c, ok := t.script.get(r); ok {
			if class != "" && c != class {
				mixed = true
			}
			class = c
		}
	}
	if mixed {
		return "mixes scripts"
	}
	return ""
}

// Skeleton is the package-level Skeleton, under these tables.
func (t *Tables) Skeleton(name string) string {
	var b strings.Builder
	for _, r := range name {
		if l, ok := t.lower[r]; ok {
			r = l
		}
		if s, ok := t.skeleton.get(r); ok {
			b.WriteString(s)
			continue
		}
		b.WriteRune(r)
	}
	s := strings.ReplaceAll(b.String(), "rn", "m")
	return strings.ReplaceAll(s, "vv", "w")
}

// Blank is the package-level Blank, under these tables.
func (t *Tables) Blank(s string) bool {
	for _, r := range s {
		if !t.space.has(r) && !t.format.has(r) {
			return false
		}
	}
	return true
}
