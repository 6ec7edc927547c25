package format

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/countersign/countersign/internal/strictjson"
)

// bodyTypes lists the record types in a fixed order.
func bodyTypes() []string {
	var ts []string
	for t := range recordTypes {
		ts = append(ts, t)
	}
	sort.Strings(ts)
	return ts
}

// sample fills every field of a value of type t, so that its encoding
// names every member.
func sample(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if depth > 6 {
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString("x\"é\\" + t.Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(-42)
	case reflect.Pointer:
		v.Set(sample(t.Elem(), depth+1).Addr())
	case reflect.Slice:
		s := reflect.MakeSlice(t, 2, 2)
		s.Index(0).Set(sample(t.Elem(), depth+1))
		s.Index(1).Set(sample(t.Elem(), depth+1))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(t)
		m.SetMapIndex(reflect.ValueOf("k1").Convert(t.Key()), sample(t.Elem(), depth+1))
		m.SetMapIndex(reflect.ValueOf("k\u00e92").Convert(t.Key()), sample(t.Elem(), depth+1))
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				v.Field(i).Set(sample(t.Field(i).Type, depth+1))
			}
		}
	}
	return v
}

// FuzzDecodeJSON holds the walking decoder to encoding/json: for every
// record body type and any text that the subset accepts and whose shape
// fits the type, in both modes, the two give equal values.
func FuzzDecodeJSON(f *testing.F) {
	types := bodyTypes()
	for i, typ := range types {
		t := reflect.TypeOf(recordTypes[typ].newBody()).Elem()
		if !plain(t) {
			continue
		}
		b, err := MarshalJSON(sample(t, 0).Addr().Interface())
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), b)
		f.Add(uint8(i), []byte(`{}`))
	}
	f.Add(uint8(0), []byte(`{"\u0066ormat":"x","extra":{"a":[1,2]}}`))
	f.Fuzz(func(t *testing.T, which uint8, raw []byte) {
		typ := types[int(which)%len(types)]
		info := recordTypes[typ]
		rt := reflect.TypeOf(info.newBody()).Elem()
		if !plain(rt) || strictjson.Validate(raw, strictjson.Limits{}) != nil {
			return
		}
		for _, mode := range []Mode{Strict, Lax} {
			if checkShape(raw, rt, mode == Lax, "") != nil {
				continue
			}
			got, want := info.newBody(), info.newBody()
			err := decodeValue(raw, reflect.ValueOf(got).Elem())
			werr := json.Unmarshal(raw, want)
			if (err == nil) != (werr == nil) {
				t.Fatalf("%s mode %d: walking decoder says %v, encoding/json %v", typ, mode, err, werr)
			}
			if err == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%s mode %d:\n got  %#v\n want %#v", typ, mode, got, want)
			}
		}
	})
}

// Every record body type takes the walking decoder; a type that stopped
// being plain would fall back to encoding/json without a word.
func TestBodyTypesArePlain(t *testing.T) {
	for _, typ := range bodyTypes() {
		if rt := reflect.TypeOf(recordTypes[typ].newBody()).Elem(); !plain(rt) {
			t.Errorf("body type of %s (%s) is not plain", typ, rt)
		}
	}
}

// Each type's sample, which names every member, decodes through both
// decoders to the same value it was encoded from.
func TestSamplesDecodeAlike(t *testing.T) {
	for _, typ := range bodyTypes() {
		info := recordTypes[typ]
		rt := reflect.TypeOf(info.newBody()).Elem()
		in := sample(rt, 0).Addr().Interface()
		raw, err := MarshalJSON(in)
		if err != nil {
			t.Fatal(err)
		}
		got := info.newBody()
		if err := DecodeJSON(raw, got, Strict); err != nil {
			t.Fatalf("%s: %v\n%s", typ, err, raw)
		}
		want := info.newBody()
		if err := json.Unmarshal(raw, want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(got, in) {
			t.Fatalf("%s:\n got  %#v\n want %#v", typ, got, want)
		}
	}
}

// Decoding into a value already set does what encoding/json does: through
// pointers already set, into maps already made, over fields present only.
func TestDecodeIntoSetValues(t *testing.T) {
	type inner struct {
		A string `json:"a"`
		B int64  `json:"b,omitempty"`
	}
	type target struct {
		P *string           `json:"p"`
		M map[string]string `json:"m"`
		S []string          `json:"s"`
		I *inner            `json:"i"`
		K string            `json:"k,omitempty"`
	}
	raw := []byte(`{"p":"new","m":{"y":"2"},"s":["c"],"i":{"a":"x"}}`)
	prepare := func() (*target, *string) {
		old := "old"
		return &target{P: &old, M: map[string]string{"x": "1"}, S: []string{"a", "b"}, I: &inner{A: "keep", B: 7}, K: "kept"}, &old
	}
	got, gotOld := prepare()
	if err := DecodeJSON(raw, got, Strict); err != nil {
		t.Fatal(err)
	}
	want, wantOld := prepare()
	if err := json.Unmarshal(raw, want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || *gotOld != *wantOld {
		t.Fatalf("got %+v (%q), want %+v (%q)", got, *gotOld, want, *wantOld)
	}
}
