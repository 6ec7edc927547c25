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
