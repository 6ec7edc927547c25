package strictjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/bits"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// nest wraps inner in depth levels of alternating arrays and objects.
func nest(depth int, inner string) string {
	var open, close strings.Builder
	for i := 0; i < depth; i++ {
		if i%2 == 0 {
			open.WriteString("[")
		} else {
			open.WriteString(`{"k":`)
		}
	}
	for i := depth - 1; i >= 0; i-- {
		if i%2 == 0 {
			close.WriteString("]")
		} else {
			close.WriteString("}")
		}
	}
	return open.String() + inner + close.String()
}

// manyKeys builds an object with n distinct keys "k0".."k(n-1)" followed by
// the raw members in extra.
func manyKeys(n int, extra string) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"k` + strconv.Itoa(i) + `":` + strconv.Itoa(i))
	}
	sb.WriteString(extra)
	sb.WriteByte('}')
	return sb.String()
}

var strictJSONCases = []struct {
	name    string
	in      string
	wantErr error
}{
	// Rule 1: exactly one value spanning the input.
	{"empty", "", ErrSyntax},
	{"object", `{"a":1,"b":"x","c":true,"d":false,"e":[1,2],"f":{}}`, nil},
	{"empty object", `{}`, nil},
	{"empty array", `[]`, nil},
	{"scalar string", `"x"`, nil},
	{"scalar int", `7`, nil},
	{"scalar true", `true`, nil},
	{"two values", `{}{}`, ErrSyntax},
	{"trailing garbage", `{"a":1}x`, ErrSyntax},
	{"leading garbage", `x{}`, ErrSyntax},
	{"unclosed object", `{"a":1`, ErrSyntax},
	{"unclosed array", `[1,2`, ErrSyntax},
	{"missing value", `{"a":}`, ErrSyntax},
	{"missing colon", `{"a"1}`, ErrSyntax},
	{"trailing comma object", `{"a":1,}`, ErrSyntax},
	{"trailing comma array", `[1,]`, ErrSyntax},
	{"leading comma array", `[,1]`, ErrSyntax},
	{"mismatched brackets", `[1}`, ErrSyntax},
	{"mismatched braces", `{"a":1]`, ErrSyntax},
	{"stray close", `]`, ErrSyntax},
	{"non-string key", `{1:2}`, ErrSyntax},
	{"single-quoted", `{'a':1}`, ErrSyntax},
	{"unterminated string", `"abc`, ErrSyntax},
	{"bad literal", `tru`, ErrSyntax},
	{"literal with suffix", `truex`, ErrSyntax},
	{"capital literal", `True`, ErrSyntax},
	{"bom", "\xef\xbb\xbf{}", ErrSyntax},
	{"nul byte outside", "{}\x00", ErrSyntax},

	// Rule 2: no whitespace outside strings.
	{"space after brace", `{ "a":1}`, ErrWhitespace},
	{"space after colon", `{"a": 1}`, ErrWhitespace},
	{"space before comma", `[1 ,2]`, ErrWhitespace},
	{"tab", "[1,\t2]", ErrWhitespace},
	{"cr", "{\r}", ErrWhitespace},
	{"trailing newline", "{}\n", ErrWhitespace},
	{"leading space", ` {}`, ErrWhitespace},
	{"only space", ` `, ErrWhitespace},
	{"escaped tab in string ok", `{"a b":" c\td "}`, nil},
	{"raw tab in string", "\"a\tb\"", ErrSyntax}, // a control character, not whitespace
	{"spaces inside string ok", `{"a b":" c d "}`, nil},
	{"form feed outside", "[\f]", ErrSyntax},

	// Rule 3: literals.
	{"true false", `[true,false]`, nil},
	{"null top", `null`, ErrNull},
	{"null member", `{"a":null}`, ErrNull},
	{"null in array", `[1,null]`, ErrNull},
	{"nul truncated", `nul`, ErrSyntax},

	// Rule 4: integers only.
	{"zero", `0`, nil},
	{"negative", `-12`, nil},
	{"max safe", `9007199254740991`, nil},
	{"min safe", `-9007199254740991`, nil},
	{"max safe in object", `{"n":9007199254740991,"m":-9007199254740991}`, nil},
	{"above max", `9007199254740992`, ErrNumber},
	{"below min", `-9007199254740992`, ErrNumber},
	{"far above max", `123456789012345678901234567890`, ErrNumber},
	{"seventeen digits", `10000000000000000`, ErrNumber},
	{"fraction", `1.5`, ErrNumber},
	{"zero fraction", `0.0`, ErrNumber},
	{"trailing dot", `1.`, ErrNumber},
	{"exponent", `1e3`, ErrNumber},
	{"capital exponent", `1E3`, ErrNumber},
	{"zero exponent", `0e0`, ErrNumber},
	{"leading zero", `01`, ErrNumber},
	{"double zero", `00`, ErrNumber},
	{"negative leading zero", `-01`, ErrNumber},
	{"negative zero", `-0`, ErrNumber},
	{"negative zero in array", `[-0]`, ErrNumber},
	{"fraction in array", `[1,2.0]`, ErrNumber},
	{"plus sign", `+1`, ErrSyntax},
	{"lone minus", `-`, ErrSyntax},
	{"minus letter", `-a`, ErrSyntax},
	{"hex", `0x10`, ErrSyntax},
	{"number then minus", `[1-2]`, ErrSyntax},

	// Rule 5: duplicate member names, compared decoded.
	{"duplicate", `{"a":1,"a":2}`, ErrDuplicateKey},
	{"duplicate later", `{"a":1,"b":2,"c":3,"b":4}`, ErrDuplicateKey},
	{"duplicate escaped", `{"a":1,"\u0061":2}`, ErrDuplicateKey},
	{"duplicate escaped first", `{"\u0061":1,"a":2}`, ErrDuplicateKey},
	{"duplicate both escaped", `{"\u0061":1,"\u0041":2,"\u0061":3}`, ErrDuplicateKey},
	{"duplicate hex case", `{"\u00e9":1,"\u00E9":2}`, ErrDuplicateKey},
	{"duplicate raw vs escaped utf8", "{\"\u00e9\":1,\"\\u00e9\":2}", ErrDuplicateKey},
	{"duplicate surrogate pair", "{\"\U0001F600\":1,\"\\ud83d\\ude00\":2}", ErrDuplicateKey},
	{"duplicate solidus", `{"a/b":1,"a\/b":2}`, ErrDuplicateKey},
	{"duplicate quote escape", `{"\"":1,"\u0022":2}`, ErrDuplicateKey},
	{"duplicate empty", `{"":1,"":2}`, ErrDuplicateKey},
	{"case differs ok", `{"a":1,"A":2}`, nil},
	{"prefix ok", `{"ab":1,"a":2,"abc":3}`, nil},
	{"escaped distinct ok", `{"a":1,"\u0062":2,"\n":3,"\\n":4}`, nil},
	{"same key nested objects ok", `{"a":{"a":{"a":1}},"b":{"a":2}}`, nil},
	{"same key sibling objects ok", `[{"a":1,"b":2},{"a":1,"b":2}]`, nil},
	{"duplicate after nested", `{"a":{"b":1,"c":2},"a":3}`, ErrDuplicateKey},
	{"duplicate in nested", `{"a":{"b":1,"b":2}}`, ErrDuplicateKey},
	{"duplicate in second sibling", `[{"a":1},{"b":1,"b":2}]`, ErrDuplicateKey},
	{"nested key not outer dup", `{"x":{"y":1},"y":2}`, nil},
	{"many keys ok", manyKeys(40, ""), nil},
	{"sixteen keys dup", manyKeys(15, `,"k3":0`), ErrDuplicateKey},
	{"seventeen keys dup", manyKeys(16, `,"k0":0`), ErrDuplicateKey},
	{"many keys dup", manyKeys(40, `,"k39":0`), ErrDuplicateKey},
	{"many keys escaped dup", manyKeys(40, `,"\u006b7":0`), ErrDuplicateKey},
	{"many keys nested ok", manyKeys(20, `,"inner":`+manyKeys(20, "")+`,"k20":1`), nil},
	{"many keys dup after nested", manyKeys(20, `,"inner":`+manyKeys(20, "")+`,"k5":1`), ErrDuplicateKey},
	{"many keys nested dup", manyKeys(20, `,"inner":`+manyKeys(20, `,"k19":1`)), ErrDuplicateKey},

	// Rule 6: strings.
	{"utf8 two byte", `"é"`, nil},
	{"utf8 three byte", `"€"`, nil},
	{"utf8 four byte", "\"\U0001F600\"", nil},
	{"utf8 max", "\"\U0010FFFF\"", nil},
	{"utf8 replacement char", "\"\uFFFD\"", nil},
	{"utf8 last before surrogates", "\"\xed\x9f\xbf\"", nil},
	{"utf8 first after surrogates", "\"\xee\x80\x80\"", nil},
	{"overlong slash", "\"\xc0\xaf\"", ErrUTF8},
	{"overlong c1", "\"\xc1\xbf\"", ErrUTF8},
	{"overlong three byte", "\"\xe0\x80\xaf\"", ErrUTF8},
	{"overlong four byte", "\"\xf0\x80\x80\xaf\"", ErrUTF8},
	{"surrogate encoded", "\"\xed\xa0\x80\"", ErrUTF8},
	{"low surrogate encoded", "\"\xed\xbf\xbf\"", ErrUTF8},
	{"above max code point", "\"\xf4\x90\x80\x80\"", ErrUTF8},
	{"f5 lead", "\"\xf5\x80\x80\x80\"", ErrUTF8},
	{"ff byte", "\"\xff\"", ErrUTF8},
	{"lone continuation", "\"\x80\"", ErrUTF8},
	{"truncated two byte", "\"\xc3\"", ErrUTF8},
	{"truncated three byte", "\"\xe2\x82\"", ErrUTF8},
	{"truncated four byte", "\"\xf0\x9f\x98\"", ErrUTF8},
	{"truncated at end of input", "\"\xe2\x82", ErrUTF8},
	{"bad utf8 in key", "{\"\xc0\xaf\":1}", ErrUTF8},
	{"bad utf8 outside string", "[\xc3\xa9]", ErrSyntax},
	{"bad utf8 in long string", `"` + strings.Repeat("a", 30) + "\xed\xa0\x80" + `"`, ErrUTF8},
	{"raw newline", "\"a\nb\"", ErrSyntax},
	{"raw nul", "\"a\x00b\"", ErrSyntax},
	{"raw 0x1f", "\"\x1f\"", ErrSyntax},
	{"raw del ok", "\"\x7f\"", nil},
	{"control in long string", `"` + strings.Repeat("a", 20) + "\x01" + `"`, ErrSyntax},
	{"all simple escapes", `"\"\\\/\b\f\n\r\t"`, nil},
	{"unicode escapes", `"\u0000\u001f\u00e9\u20AC\uffff"`, nil},
	{"surrogate pair", `"\ud83d\ude00"`, nil},
	{"surrogate pair upper", `"\uD83D\uDE00"`, nil},
	{"bad escape letter", `"\a"`, ErrSyntax},
	{"escaped apostrophe", `"\'"`, ErrSyntax},
	{"escaped x", `"\x41"`, ErrSyntax},
	{"short unicode escape", `"\u12"`, ErrSyntax},
	{"non-hex unicode escape", `"\u12g4"`, ErrSyntax},
	{"backslash at end", `"\`, ErrSyntax},
	{"lone high surrogate", `"\ud800"`, ErrUTF8},
	{"lone high then text", `"\ud800abc"`, ErrUTF8},
	{"lone low surrogate", `"\udc00"`, ErrUTF8},
	{"low then high", `"\udc00\ud800"`, ErrUTF8},
	{"high then high", `"\ud800\ud800"`, ErrUTF8},
	{"high then bmp", `"\ud800\u0041"`, ErrUTF8},
	{"high then other escape", `"\ud800\n"`, ErrUTF8},
	{"high then bad hex", `"\ud800\uzzzz"`, ErrSyntax},
	{"lone surrogate in key", `{"\udfff":1}`, ErrUTF8},
	{"escaped backslash then u", `"\\ud800"`, nil},

	// Rule 7: depth.
	{"depth 1", `[1]`, nil},
	{"depth 32 arrays", strings.Repeat("[", 32) + strings.Repeat("]", 32), nil},
	{"depth 33 arrays", strings.Repeat("[", 33) + strings.Repeat("]", 33), ErrDepth},
	{"depth 32 mixed", nest(32, "1"), nil},
	{"depth 33 mixed", nest(33, "1"), ErrDepth},
	{"depth 32 objects", strings.Repeat(`{"a":`, 32) + "1" + strings.Repeat("}", 32), nil},
	{"depth 33 objects", strings.Repeat(`{"a":`, 33) + "1" + strings.Repeat("}", 33), ErrDepth},
	{"depth 33 empty", strings.Repeat("[", 32) + "{}" + strings.Repeat("]", 32), ErrDepth},
	{"depth hostile", strings.Repeat("[", 1<<20), ErrDepth},
	{"depth wide ok", "[" + strings.Repeat("[[[]]],", 1000) + "[]]", nil},
}

func TestValidateJSON(t *testing.T) {
	for _, tc := range strictJSONCases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate([]byte(tc.in), Limits{})
			checkJSONErr(t, tc.in, err, tc.wantErr)
		})
	}
}

func checkJSONErr(t *testing.T, in string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("Validate(%.80q) = %v, want nil", in, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("Validate(%.80q) = %v, want %v", in, err, want)
	}
	var je *Error
	if !errors.As(err, &je) {
		t.Fatalf("error %T is not a *Error", err)
	}
	if je.Offset < 0 || je.Offset > len(in) {
		t.Fatalf("offset %d outside input of %d bytes", je.Offset, len(in))
	}
	// Details are lowercase apart from quoted input.
	if je.Detail == "" || je.Detail[0] != strings.ToLower(je.Detail[:1])[0] {
		t.Fatalf("detail %q is empty or not lowercase", je.Detail)
	}
}

// TestValidateJSONAgreesWithEncodingJSON checks that every accepted table
// input is also valid for encoding/json.
func TestValidateJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, tc := range strictJSONCases {
		if tc.wantErr == nil && !json.Valid([]byte(tc.in)) {
			t.Errorf("%s: accepted input is invalid for encoding/json", tc.name)
		}
	}
}

func TestValidateJSONOffset(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		wantErr error
		offset  int
		detail  string
	}{
		{"duplicate", `{"amount":"1","currency":"EUR","amount":"2"}`, ErrDuplicateKey, 31, `duplicate key "amount"`},
		{"escaped duplicate", `{"ab":1,"\u0061b":2}`, ErrDuplicateKey, 8, `duplicate key "ab"`},
		{"whitespace", `{"a":1, "b":2}`, ErrWhitespace, 7, ""},
		{"null", `{"a":[1,null]}`, ErrNull, 8, ""},
		{"number", `{"a":[1,1.5]}`, ErrNumber, 8, "fraction"},
		{"range", `[9007199254740992]`, ErrNumber, 1, "integer out of range"},
		{"utf8", "{\"a\":\"x\xed\xa0\x80\"}", ErrUTF8, 7, ""},
		{"lone surrogate", `["ab\udc00"]`, ErrUTF8, 4, ""},
		{"control", "[\"ab\x01\"]", ErrSyntax, 4, ""},
		{"depth", strings.Repeat("[", 33), ErrDepth, 32, ""},
		{"eof", `{"a":`, ErrSyntax, 5, ""},
		{"trailing", `{}}`, ErrSyntax, 2, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate([]byte(tc.in), Limits{})
			var je *Error
			if !errors.As(err, &je) || !errors.Is(err, tc.wantErr) {
				t.Fatalf("got %v, want %v", err, tc.wantErr)
			}
			if je.Offset != tc.offset {
				t.Errorf("offset %d, want %d (%v)", je.Offset, tc.offset, err)
			}
			if tc.detail != "" && je.Detail != tc.detail {
				t.Errorf("detail %q, want %q", je.Detail, tc.detail)
			}
		})
	}
}

func TestJSONErrorText(t *testing.T) {
	err := Validate([]byte(`{"amount":"1","currency":"EUR","amount":"2"}`), Limits{})
	if got, want := err.Error(), `json: duplicate key "amount" at byte 31`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	e := &Error{Offset: 3, Kind: ErrNull}
	if got, want := e.Error(), "json: null is not used at byte 3"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(e, ErrNull) || errors.Is(e, ErrNumber) {
		t.Error("Unwrap does not return Kind")
	}
	// A long duplicate name is shortened in the detail.
	long := strings.Repeat("é", 100)
	err = Validate([]byte(`{"`+long+`":1,"`+long+`":2}`), Limits{})
	var je *Error
	if !errors.As(err, &je) || !errors.Is(err, ErrDuplicateKey) || len(je.Detail) > 100 || !utf8.ValidString(je.Detail) {
		t.Errorf("long duplicate: %v", err)
	}
}

func TestValidateJSONMaxDepth(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		max     int
		wantErr error
	}{
		{"default 32", nest(32, "1"), 0, nil},
		{"negative means default", nest(32, "1"), -5, nil},
		{"limit 1 ok", `[]`, 1, nil},
		{"limit 1 nested", `[[]]`, 1, ErrDepth},
		{"limit 1 object in array", `[{}]`, 1, ErrDepth},
		{"limit 2 ok", `{"a":[1]}`, 2, nil},
		{"limit 100 ok", nest(100, `"x"`), 100, nil},
		{"limit 100 exceeded", nest(101, `"x"`), 100, ErrDepth},
		{"scalar needs no depth", `5`, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate([]byte(tc.in), Limits{MaxDepth: tc.max})
			checkJSONErr(t, tc.in, err, tc.wantErr)
		})
	}
}

func TestValidateJSONObject(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"object", `{"a":1}`, nil},
		{"empty object", `{}`, nil},
		{"array", `[{"a":1}]`, ErrSyntax},
		{"string", `"{}"`, ErrSyntax},
		{"number", `1`, ErrSyntax},
		{"true", `true`, ErrSyntax},
		{"empty", ``, ErrSyntax},
		{"leading space", ` {}`, ErrWhitespace},
		{"null", `null`, ErrNull},
		{"bad object", `{"a":1,"a":2}`, ErrDuplicateKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateObject([]byte(tc.in), Limits{})
			checkJSONErr(t, tc.in, err, tc.wantErr)
		})
	}
}

// TestValidateJSONDoesNotModify checks that the input is left untouched,
// in particular by the decoding of escaped member names.
func TestValidateJSONDoesNotModify(t *testing.T) {
	in := []byte(`{"\u0061":1,"\n":{"\ud83d\ude00":2},"b":[true]}`)
	orig := bytes.Clone(in)
	if err := Validate(in, Limits{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, orig) {
		t.Fatal("input modified")
	}
}

// TestValidateJSONReuse interleaves inputs so that scratch state left over
// from one call (open frames after an error, decoded names) cannot leak
// into the next.
func TestValidateJSONReuse(t *testing.T) {
	bad := []byte(manyKeys(30, `,"x":{"\u0061":1,"a":2}`))
	good := []byte(`{"a":{"a":1},"x":{"\u0061":2}}`)
	for i := 0; i < 100; i++ {
		if err := Validate(bad, Limits{}); !errors.Is(err, ErrDuplicateKey) {
			t.Fatalf("bad: %v", err)
		}
		if err := Validate(good, Limits{}); err != nil {
			t.Fatalf("good: %v", err)
		}
	}
}

// TestStrictJSONSpecialMask checks the word-at-a-time string scan against the
// byte table: the lowest flagged lane must be the first byte that needs
// attention, and a zero mask must mean there is none.
func TestStrictJSONSpecialMask(t *testing.T) {
	interesting := []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0x9f, 0xa0, 0xc3, 0xdc, 0xe2, 0xff}
	rng := uint64(0x9e3779b97f4a7c15)
	var w [8]byte
	for iter := 0; iter < 200000; iter++ {
		for j := range w {
			rng ^= rng << 13
			rng ^= rng >> 7
			rng ^= rng << 17
			if rng%4 == 0 {
				w[j] = interesting[(rng>>8)%uint64(len(interesting))]
			} else {
				w[j] = 'a' + byte((rng>>8)%26)
			}
		}
		want := 8
		for j, c := range w {
			if !plainByte[c] {
				want = j
				break
			}
		}
		m := specialMask(binary.LittleEndian.Uint64(w[:]))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != want {
			t.Fatalf("%q: first special lane %d, want %d", w, got, want)
		}
	}
}

// refStrictJSON is a slow reference for the subset built on encoding/json.
// It does not look for lone surrogate escapes (encoding/json silently
// replaces them), so callers only trust its acceptance for inputs without
// a \u escape.
func refStrictJSON(b []byte) bool {
	if !json.Valid(b) || !utf8.Valid(b) {
		return false
	}
	var compact bytes.Buffer
	if json.Compact(&compact, b) != nil || !bytes.Equal(compact.Bytes(), b) {
		return false // insignificant whitespace
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct {
		keys    map[string]bool // nil for arrays
		wantKey bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		isKey := len(stack) > 0 && stack[len(stack)-1].keys != nil && stack[len(stack)-1].wantKey
		if isKey {
			// Inside an object a string token in key position is a name.
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				goto next
			}
			name := tok.(string)
			top := &stack[len(stack)-1]
			if top.keys[name] {
				return false
			}
			top.keys[name] = true
			top.wantKey = false
			continue
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, frame{keys: map[string]bool{}, wantKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
			}
			if len(stack) > defaultJSONDepth {
				return false
			}
			if v == '{' || v == '[' {
				continue // a new container is not a completed value
			}
		case nil:
			return false
		case json.Number:
			s := string(v)
			if s == "-0" || strings.ContainsAny(s, ".eE") {
				return false
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n > maxJSONInt || n < -maxJSONInt {
				return false
			}
		}
	next:
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].wantKey = true
		}
	}
}

func FuzzValidateJSON(f *testing.F) {
	seeds := []string{
		string(benchRecord()),
		`{"a":1,"b":[true,false,{"c":"d"}],"e":-9007199254740991}`,
		`{"a":1,"\u0061":2}`,
		`{"k":"\ud83d\ude00 \u00e9 \" \\ \/ \b\f\n\r\t"}`,
		`{"a": 1}`,
		`[1.5,1e3,-0,01,9007199254740992]`,
		`{"a":null}`,
		"\"\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\"",
		`"\ud800\udc00\udc00"`,
		nest(33, "1"),
		manyKeys(20, `,"k7":{"x":[]}`),
		``,
		`[]`,
		`{"a":{"b":{"a":{}}},"b":"é"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		orig := bytes.Clone(b)
		err := Validate(b, Limits{})
		if !bytes.Equal(b, orig) {
			t.Fatal("input modified")
		}
		objErr := ValidateObject(b, Limits{})
		if err != nil {
			var je *Error
			if !errors.As(err, &je) {
				t.Fatalf("error %T is not a *Error", err)
			}
			if je.Offset < 0 || je.Offset > len(b) {
				t.Fatalf("offset %d outside input of %d bytes", je.Offset, len(b))
			}
			switch je.Kind {
			case ErrSyntax, ErrWhitespace, ErrNumber, ErrDuplicateKey, ErrUTF8, ErrDepth, ErrNull:
			default:
				t.Fatalf("unknown kind %v", je.Kind)
			}
			if objErr == nil {
				t.Fatal("ValidateObject accepts what Validate refuses")
			}
			if refStrictJSON(b) && !bytes.Contains(b, []byte(`\u`)) {
				t.Fatalf("refused %q (%v) but the reference accepts it", b, err)
			}
			return
		}
		if (objErr == nil) != (b[0] == '{') {
			t.Fatalf("ValidateObject = %v for %q", objErr, b)
		}
		if !json.Valid(b) {
			t.Fatalf("accepted %q but encoding/json finds it invalid", b)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("accepted %q but json.Unmarshal fails: %v", b, err)
		}
		if !refStrictJSON(b) {
			t.Fatalf("accepted %q but the reference refuses it", b)
		}
	})
}

// benchRecord returns a realistic record line (about 600 bytes).
func benchRecord() []byte {
	hex := func(n int) string {
		const digits = "0123456789abcdef"
		var sb strings.Builder
		for i := 0; i < n; i++ {
			sb.WriteByte(digits[(i*7+3)%16])
		}
		return sb.String()
	}
	return []byte(`{"seq":12,"time":"2026-11-02T09:14:03.120Z","type":"attempt","actor":"risk.ana",` +
		`"prev":"` + hex(64) + `","body":{"act":"signoff","run":"run-0001"},` +
		`"sigs":[{"key":"` + hex(64) + `","stmt":"{\"purpose\":\"signoff\",\"bundle\":\"` + hex(64) +
		`\",\"reason\":\"checked invoice\"}","sig":"` + hex(128) + `"}],` +
		`"lkey":"` + hex(64) + `","lsig":"` + hex(128) + `"}`)
}

func BenchmarkValidateJSON(b *testing.B) {
	rec := benchRecord()
	if err := Validate(rec, Limits{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(rec)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(rec, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
