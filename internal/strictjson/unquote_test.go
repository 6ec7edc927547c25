package strictjson

import (
	"encoding/json"
	"testing"
)

// FuzzUnquote holds Unquote and UnquoteBytes to encoding/json on every
// string that Validate accepts, and to refusal on every string token it
// refuses.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"plain"`, `"a\"b\\c\/d"`, `"\b\f\n\r\t"`, `"\u0041\u00e9\u20ac"`, `"\ud83d\ude00 x"`,
		`"é ü 日本"`, `"{\"purpose\":\"sign\",\"name\":\"Ana\"}"`, `"\ud800"`, `"\udc00"`, `"\x"`, "\"\xff\"", "\"a\x01\"", `"a"b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, tok []byte) {
		got, ok := Unquote(tok)
		gotB, okB := UnquoteBytes(tok)
		if ok != okB || string(gotB) != got {
			t.Fatalf("Unquote %q %v, UnquoteBytes %q %v", got, ok, gotB, okB)
		}
		if len(tok) == 0 || tok[0] != '"' {
			if ok {
				t.Fatalf("%q is no string token, but Unquote gives %q", tok, got)
			}
			return
		}
		if Validate(tok, Limits{}) != nil {
			if ok && hasBackslash(tok) {
				t.Fatalf("%q is refused by Validate, but Unquote decodes it to %q", tok, got)
			}
			return
		}
		var want string
		if err := json.Unmarshal(tok, &want); err != nil {
			t.Fatalf("%q: Validate accepts what encoding/json refuses: %v", tok, err)
		}
		if !ok || got != want {
			t.Fatalf("%q: Unquote %q (%v), encoding/json %q", tok, got, ok, want)
		}
	})
}

func hasBackslash(b []byte) bool {
	for _, c := range b {
		if c == '\\' {
			return true
		}
	}
	return false
}

// skipString, eight bytes at a time, finds the same end as a byte-by-byte
// walk, wherever quotes and backslashes fall.
func TestSkipStringAgreesWithBytewise(t *testing.T) {
	bytewise := func(b []byte, i int) int {
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(b)
	}
	alphabet := []byte{'a', '"', '\\', 0xc3, 0xa9, 'z', 0x7f, 0x80, 0xff, 0}
	x := uint32(1)
	for n := 0; n < 20000; n++ {
		b := []byte{'"'}
		for k := 0; k < n%40; k++ {
			x = x*1664525 + 1013904223
			c := alphabet[int(x>>24)%len(alphabet)]
			if x&0x300 != 0 && c != '"' && c != '\\' {
				c = 'a' + byte(x>>10)%26
			}
			b = append(b, c)
		}
		if got, want := skipString(b, 0), bytewise(b, 0); got != want {
			t.Fatalf("%q: skipString %d, bytewise %d", b, got, want)
		}
	}
}
