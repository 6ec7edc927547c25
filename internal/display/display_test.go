package display

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", "", ""},
		{"plain ASCII", "Ana Ribeiro", "Ana Ribeiro"},
		{"other scripts kept", "Chen Wei 陈伟 Zoë Ødegård", "Chen Wei 陈伟 Zoë Ødegård"},
		{"emoji kept", "ok 👍", "ok 👍"},
		{"backslash doubled", `a\b`, `a\\b`},
		{"escape sequence", "Eve\x1b[31m red", `Eve\x1b[31m red`},
		{"NUL", "a\x00b", `a\x00b`},
		{"bell and backspace", "\a\b", `\x07\x08`},
		{"tab newline return", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 CSI", "a\u009b31m", `a\u009b31m`},
		{"C1 NEL", "a\u0085b", `a\u0085b`},
		{"right-to-left override", "Eve\u202eevil", `Eve\u202eevil`},
		{"all embeddings and overrides", "\u202a\u202b\u202c\u202d\u202e", `\u202a\u202b\u202c\u202d\u202e`},
		{"isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"zero width", "a\u200bb\u200cc\u200dd\u2060e\ufefff", `a\u200bb\u200cc\u200dd\u2060e\ufefff`},
		{"separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"tag character beyond the BMP", "x\U000E0041", `x\U000e0041`},
		{"invalid byte", "a\xffb", `a\xffb`},
		{"truncated sequence", "a\xe2\x80", `a\xe2\x80`},
		{"encoded surrogate", "\xed\xa0\x80", `\xed\xa0\x80`},
		{"overlong slash", "\xc0\xaf", `\xc0\xaf`},
		{"escape that looks like an escape", `\x1b`, `\\x1b`},
		{"mixed", "\\\x1b\u202e\xff", `\\\x1b\u202e\xff`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Escape(tt.in)
			if got != tt.want {
				t.Fatalf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("Escape(%q) is not valid UTF-8", tt.in)
			}
			for _, r := range got {
				if r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || unsafeRune(r) {
					t.Fatalf("Escape(%q) still holds %U", tt.in, r)
				}
			}
		})
	}
}

func TestEscapeDistinct(t *testing.T) {
	// Distinct inputs must never look the same once escaped.
	pairs := [][2]string{
		{"\x1b", `\x1b`},
		{"\u202e", `\u202e`},
		{"\xff", `\xff`},
		{"\n", `\n`},
	}
	for _, p := range pairs {
		if Escape(p[0]) == Escape(p[1]) {
			t.Errorf("%q and %q escape to the same text %q", p[0], p[1], Escape(p[0]))
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ana", `"Ana"`},
		{`say "hi"`, `"say \"hi\""`},
		{"a\x1bb", `"a\x1bb"`},
	}
	for _, tt := range tests {
		if got := Quote(tt.in); got != tt.want {
			t.Errorf("Quote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	tests := []struct {
		in      string
		escaped string // what the value must look like in the output
	}{
		{"plain", `"plain"`},
		{"Zoë 陈伟 👍", `"Zoë 陈伟 👍"`},
		{"Eve\u202eevil", `"Eve\u202eevil"`},
		{"tag \U000E0041", `"tag \udb40\udc41"`},
		{"del \x7f here", `"del \u007f here"`},
		{"esc \x1b and sep \u2028", `"esc \u001b and sep \u2028"`},
		{"zero\u200bwidth", `"zero\u200bwidth"`},
		{`back\slash "quoted"`, `"back\\slash \"quoted\""`},
	}
	for _, tt := range tests {
		b, err := json.MarshalIndent(map[string]string{"name": tt.in}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		out := string(JSON(b))
		if !strings.Contains(out, tt.escaped) {
			t.Errorf("%q: output %s does not hold %s", tt.in, out, tt.escaped)
		}
		for _, r := range out {
			if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || unsafeRune(r) {
				t.Fatalf("%q: output still holds %U", tt.in, r)
			}
		}
		var back map[string]string
		if err := json.Unmarshal([]byte(out), &back); err != nil {
			t.Fatalf("%q: output is not JSON: %v\n%s", tt.in, err, out)
		}
		if back["name"] != tt.in {
			t.Fatalf("%q: read back %q", tt.in, back["name"])
		}
	}
	if got := string(JSON([]byte("\"a\xffb\""))); got != `"a\ufffdb"` {
		t.Errorf("invalid byte: got %s", got)
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0 keys"}, {1, "1 key"}, {2, "2 keys"}} {
		if got := Count(tt.n, "key"); got != tt.want {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
