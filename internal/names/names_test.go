package names

import (
	"errors"
	"testing"
)

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
		{name: "common letter does not mix", in: "\u2113isa Grey", want: ""},
		{name: "inherited mark does not mix", in: "Jose\u0301", want: ""},
		{name: "fullwidth latin is latin", in: "\uff34om", want: ""},
		{name: "soft hyphen", in: "Ana\u00adRibeiro", want: "contains a bidirectional or invisible formatting character"},
		{name: "hangul filler", in: "Ana\u3164", want: "contains a bidirectional or invisible formatting character"},
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
		{name: "fullwidth capital", a: "\uff34om", b: "Tom", same: true},
		{name: "fullwidth digit", a: "Ana Ribeir\uff10", b: "Ana Ribeiro", same: true},
		{name: "script small l", a: "\u2113isa Grey", b: "Lisa Grey", same: true},
		{name: "dotted capital i", a: "\u0130da", b: "lda", same: true},
		{name: "zero width space dropped", a: "A\u200bda", b: "Ada", same: true},
		{name: "vv reads as w", a: "Vvill", b: "Will", same: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Skeleton(tc.a) == Skeleton(tc.b); got != tc.same {
				t.Errorf("Skeleton(%q) == Skeleton(%q) is %v, want %v", tc.a, tc.b, got, tc.same)
			}
		})
	}
}

func TestBlank(t *testing.T) {
	tests := []struct {
		name, in string
		want     bool
	}{
		{name: "empty", in: "", want: true},
		{name: "spaces and tabs", in: " \t\n", want: true},
		{name: "no-break space", in: "\u00a0", want: true},
		{name: "ideographic space", in: "\u3000", want: true},
		{name: "zero width space", in: "\u200b", want: true},
		{name: "word joiner", in: "\u2060", want: true},
		{name: "byte order mark", in: "\ufeff", want: true},
		{name: "bidi override and space", in: "\u202e \u2066", want: true},
		{name: "hangul filler", in: "\u3164", want: true},
		{name: "a letter", in: "\u200bok", want: false},
		{name: "a dot", in: ".", want: false},
		{name: "ill-formed utf-8", in: "\xff", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Blank(tc.in); got != tc.want {
				t.Errorf("Blank(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  bool
	}{
		{name: "minimal", in: "unicode\t15.0.0\n", wantErr: false},
		{name: "every field", in: "# c\nunicode\t15.0.0\nlower\t0041\t0061\nskeleton\t0030\t006F\nskeleton\t0300..036F\t\nscript\t0041..005A\tLatn\ncontrol\t0000..001F\nformat\t200B\nspace\t0020\n", wantErr: false},
		{name: "no unicode line", in: "space\t0020\n", wantErr: true},
		{name: "two unicode lines", in: "unicode\t1\nunicode\t2\n", wantErr: true},
		{name: "no final line end", in: "unicode\t15.0.0", wantErr: true},
		{name: "unknown field", in: "unicode\t15.0.0\nupper\t0041\n", wantErr: true},
		{name: "lowercase hex", in: "unicode\t15.0.0\nspace\t000a\n", wantErr: true},
		{name: "short hex", in: "unicode\t15.0.0\nspace\t20\n", wantErr: true},
		{name: "surrogate", in: "unicode\t15.0.0\nspace\tD800\n", wantErr: true},
		{name: "backwards range", in: "unicode\t15.0.0\nspace\t0020..0010\n", wantErr: true},
		{name: "overlap", in: "unicode\t15.0.0\nspace\t0010..0020\nspace\t0020\n", wantErr: true},
		{name: "ranged replacement", in: "unicode\t15.0.0\nskeleton\t0030..0031\t006F\n", wantErr: true},
		{name: "lower to two", in: "unicode\t15.0.0\nlower\t0041\t0061 0062\n", wantErr: true},
		{name: "script without class", in: "unicode\t15.0.0\nscript\t0041\t\n", wantErr: true},
		{name: "space with a value", in: "unicode\t15.0.0\nspace\t0020\tx\n", wantErr: true},
		{name: "not utf-8", in: "unicode\t15.0.0\n#\xff\n", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Parse: err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrData) {
				t.Errorf("Parse: err = %v, not ErrData", err)
			}
		})
	}
}

func TestEmbeddedData(t *testing.T) {
	if got := UnicodeVersion(); got != "15.0.0" {
		t.Errorf("UnicodeVersion() = %q, want 15.0.0", got)
	}
}
