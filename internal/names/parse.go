package names

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrData is the class of errors in a printed-name data file.
var ErrData = errors.New("malformed printed-name data")

// Tables are the parsed printed-name data.
type Tables struct {
	Unicode  string
	lower    map[rune]rune
	skeleton spans // value: the replacement text, "" to drop
	script   spans // value: the script class
	control  spans
	format   spans
	space    spans
}

type span struct {
	lo, hi rune
	val    string
}

// spans are sorted, non-overlapping ranges.
type spans []span

func (s spans) get(r rune) (string, bool) {
	i, found := slices.BinarySearchFunc(s, r, func(e span, r rune) int {
		switch {
		case e.hi < r:
			return -1
		case e.lo > r:
			return 1
		}
		return 0
	})
	if !found {
		return "", false
	}
	return s[i].val, true
}

func (s spans) has(r rune) bool { _, ok := s.get(r); return ok }

// Parse reads a printed-name data file (SPEC.md §8.3).
func Parse(b []byte) (*Tables, error) { return parse(b) }

func parse(b []byte) (*Tables, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: not UTF-8", ErrData)
	}
	t := &Tables{lower: map[rune]rune{}}
	fields := map[string]*spans{"skeleton": &t.skeleton, "script": &t.script, "control": &t.control, "format": &t.format, "space": &t.space}
	var lower spans
	if len(b) > 0 && b[len(b)-1] != '\n' {
		return nil, fmt.Errorf("%w: the last line has no line end", ErrData)
	}
	for n, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%w: line %d: %s", ErrData, n+1, fmt.Sprintf(format, args...))
		}
		l := string(line)
		if strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.Split(l, "\t")
		if parts[0] == "unicode" {
			if len(parts) != 2 || parts[1] == "" || t.Unicode != "" {
				return nil, fail("want one unicode line with a version")
			}
			t.Unicode = parts[1]
			continue
		}
		valued := parts[0] == "lower" || parts[0] == "skeleton" || parts[0] == "script"
		want := 2
		if valued {
			want = 3
		}
		if len(parts) != want {
			return nil, fail("%q: want %d fields, have %d", parts[0], want, len(parts))
		}
		lo, hi, err := codeRange(parts[1])
		if err != nil {
			return nil, fail("%v", err)
		}
		s := span{lo: lo, hi: hi}
		switch parts[0] {
		case "lower":
			v, err := codePoints(parts[2])
			if err != nil || utf8.RuneCountInString(v) != 1 || lo != hi {
				return nil, fail("a lower line maps one code point to one code point")
			}
			s.val = v
			lower = append(lower, s)
			continue
		case "skeleton":
			v, err := codePoints(parts[2])
			if err != nil {
				return nil, fail("%v", err)
			}
			if v != "" && lo != hi {
				return nil, fail("only a skeleton line that drops may name a range")
			}
			s.val = v
		case "script":
			if parts[2] == "" {
				return nil, fail("a script line needs a class")
			}
			s.val = parts[2]
		}
		p, ok := fields[parts[0]]
		if !ok {
			return nil, fail("unknown field %q", parts[0])
		}
		*p = append(*p, s)
	}
	if t.Unicode == "" {
		return nil, fmt.Errorf("%w: no unicode line", ErrData)
	}
	for name, p := range fields {
		if err := order(*p); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrData, name, err)
		}
	}
	if err := order(lower); err != nil {
		return nil, fmt.Errorf("%w: lower: %v", ErrData, err)
	}
	for _, s := range lower {
		t.lower[s.lo] = []rune(s.val)[0]
	}
	return t, nil
}

// order sorts s and refuses overlapping ranges.
func order(s spans) error {
	slices.SortFunc(s, func(a, b span) int { return int(a.lo) - int(b.lo) })
	for i := 1; i < len(s); i++ {
		if s[i].lo <= s[i-1].hi {
			return fmt.Errorf("%04X overlaps %04X..%04X", s[i].lo, s[i-1].lo, s[i-1].hi)
		}
	}
	return nil
}

// codeRange reads FIRST or FIRST..LAST.
func codeRange(s string) (lo, hi rune, err error) {
	a, b, isRange := strings.Cut(s, "..")
	if lo, err = codePoint(a); err != nil {
		return 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = codePoint(b); err != nil {
			return 0, 0, err
		}
		if hi <= lo {
			return 0, 0, fmt.Errorf("range %s is empty or backwards", s)
		}
	}
	return lo, hi, nil
}

// codePoint reads one code point: uppercase hex, four to six digits.
func codePoint(s string) (rune, error) {
	if len(s) < 4 || len(s) > 6 || strings.ToUpper(s) != s {
		return 0, fmt.Errorf("code point %q is not 4 to 6 uppercase hex digits", s)
	}
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
		return 0, fmt.Errorf("code point %q is not a Unicode scalar value", s)
	}
	return rune(v), nil
}

// codePoints reads zero or more code points separated by single spaces.
func codePoints(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	var b strings.Builder
	for _, f := range strings.Split(s, " ") {
		r, err := codePoint(f)
		if err != nil {
			return "", err
		}
		b.WriteRune(r)
	}
	return b.String(), nil
}
