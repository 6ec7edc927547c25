package names

import "testing"

func TestProblem(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "Ada Lovelace", want: ""},
		{name: "single script other than Latin", in: "Пётр", want: ""},
		{name: "mixed scripts", in: "Аda", want: "mixes scripts"},
		{name: "control character", in: "Ada\x07", want: "contains a control character"},
		{name: "bidi override", in: "Ada\u202e", want: "contains a bidirectional or invisible formatting character"},
		{name: "zero width space", in: "A\u200bda", want: "contains a bidirectional or invisible formatting character"},
		{name: "ill-formed utf-8", in: "Ada\xff", want: "is not well-formed UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Problem(tc.in); got != tc.want {
				t.Errorf("Problem(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestSkeleton(t *testing.T) {
	tests := []struct {
		name, a, b string
		same       bool
	}{
		{name: "case and spacing", a: "Ada Lovelace", b: "adalovelace", same: true},
		{name: "cyrillic lookalike", a: "Ada", b: "Аda", same: true},
		{name: "rn reads as m", a: "Kim", b: "Kirn", same: true},
		{name: "accent folded", a: "José", b: "Jose", same: true},
		{name: "different names", a: "Ada", b: "Eve", same: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Skeleton(tc.a) == Skeleton(tc.b); got != tc.same {
				t.Errorf("Skeleton(%q) == Skeleton(%q) is %v, want %v", tc.a, tc.b, got, tc.same)
			}
		})
	}
}
