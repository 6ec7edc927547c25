package format

import (
	"encoding"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/countersign/countersign/internal/strictjson"
)

// The bodies of records are decoded by walking text the subset has
// accepted (SPEC.md §3.1) and whose shape checkShape has checked, instead
// of through encoding/json: one pass less, and no reflection on every
// member name. It gives exactly what encoding/json gives for such text
// (FuzzDecodeJSON holds the two to the same values), for the types it
// knows to be plain: structs whose exported fields all carry a json name,
// strings, integers, booleans, pointers, slices and maps with string
// keys, with no custom unmarshalling. Any other type goes through
// encoding/json.

var plainTypes sync.Map // reflect.Type -> bool

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// plain reports whether t can be decoded by decodeValue.
func plain(t reflect.Type) bool {
	if ok, known := plainTypes.Load(t); known {
		return ok.(bool)
	}
	plainTypes.Store(t, false) // a recursive type is not plain
	ok := isPlain(t)
	plainTypes.Store(t, ok)
	return ok
}

func isPlain(t reflect.Type) bool {
	if t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int64:
		return true
	case reflect.Pointer, reflect.Slice:
		return t.Elem().Kind() != reflect.Uint8 && plain(t.Elem())
	case reflect.Map:
		return t.Key().Kind() == reflect.String && t.Key() == reflect.TypeFor[string]() && plain(t.Elem())
	case reflect.Struct:
		names := map[string]bool{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.Anonymous {
				return false
			}
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" || name == "-" || (opts != "" && opts != "omitempty") || names[strings.ToLower(name)] {
				return false
			}
			names[strings.ToLower(name)] = true
			if !plain(f.Type) {
				return false
			}
		}
		return true
	}
	return false
}

// structFields maps a plain struct's member names (quoted, as they appear
// in text without escapes) to field indexes.
var structFields sync.Map // reflect.Type -> map[string]int

func fieldIndex(t reflect.Type) map[string]int {
	if m, ok := structFields.Load(t); ok {
		return m.(map[string]int)
	}
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		m[`"`+name+`"`] = i
	}
	structFields.Store(t, m)
	return m
}

// decodeValue sets v from raw, which the subset has accepted and
// checkShape has matched to v's type. Members checkShape let through that
// the type does not name (a newer minor version's, in Lax mode) are
// skipped, as encoding/json skips them.
func decodeValue(raw []byte, v reflect.Value) error {
	switch v.Kind() {
	case reflect.String:
		s, ok := strictjson.Unquote(raw)
		if !ok {
			return malformed("want a string")
		}
		v.SetString(s)
	case reflect.Bool:
		v.SetBool(raw[0] == 't')
	case reflect.Int, reflect.Int64:
		n, ok := strictjson.ParseInt(raw)
		if !ok || v.OverflowInt(n) {
			return malformed("want an integer")
		}
		v.SetInt(n)
	case reflect.Pointer:
		// As encoding/json does, a pointer already set is decoded through.
		if !v.IsNil() {
			return decodeValue(raw, v.Elem())
		}
		p := reflect.New(v.Type().Elem())
		if err := decodeValue(raw, p.Elem()); err != nil {
			return err
		}
		v.Set(p)
	case reflect.Slice:
		n := 0
		strictjson.EachElement(raw, func([]byte) bool { n++; return true })
		s := reflect.MakeSlice(v.Type(), n, n)
		i := 0
		var err error
		strictjson.EachElement(raw, func(el []byte) bool {
			err = decodeValue(el, s.Index(i))
			i++
			return err == nil
		})
		if err != nil {
			return err
		}
		v.Set(s)
	case reflect.Map:
		// As encoding/json does, a map already made takes the members.
		m := v
		if v.IsNil() {
			m = reflect.MakeMap(v.Type())
		}
		var err error
		strictjson.EachMember(raw, func(key, val []byte) bool {
			k, ok := strictjson.Unquote(key)
			if !ok {
				err = malformed("bad member name")
				return false
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err = decodeValue(val, e); err != nil {
				return false
			}
			m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), e)
			return true
		})
		if err != nil {
			return err
		}
		v.Set(m)
	case reflect.Struct:
		idx := fieldIndex(v.Type())
		var err error
		strictjson.EachMember(raw, func(key, val []byte) bool {
			i, ok := idx[string(key)]
			if !ok && strings.IndexByte(string(key), '\\') >= 0 {
				k, _ := strictjson.Unquote(key)
				i, ok = idx[`"`+k+`"`]
			}
			if !ok {
				return true
			}
			err = decodeValue(val, v.Field(i))
			return err == nil
		})
		return err
	default:
		return malformed("cannot decode into %s", v.Type())
	}
	return nil
}
