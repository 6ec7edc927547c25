package format

import (
	"fmt"
	"strconv"

	"github.com/countersign/countersign/internal/strictjson"
)

// Seal kinds (SPEC.md §7.1).
const (
	SealPeriodic = "periodic"
	SealExport   = "export"
)

// Seal is a signed statement by the log key of how many records a bundle
// had and the hash of the last (§7.1).
type Seal struct {
	Kind   string `json:"kind"`
	Bundle string `json:"bundle"`
	Count  int64  `json:"count"`
	Head   string `json:"head"`
	Time   string `json:"time"`

	Raw []byte `json:"-"`
}

// Encode returns the seal's exact bytes.
func (s *Seal) Encode() []byte {
	b := []byte(`{"kind":`)
	b = strictjson.AppendString(b, s.Kind)
	b = append(b, `,"bundle":`...)
	b = strictjson.AppendString(b, s.Bundle)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, s.Count, 10)
	b = append(b, `,"head":`...)
	b = strictjson.AppendString(b, s.Head)
	b = append(b, `,"time":`...)
	b = strictjson.AppendString(b, s.Time)
	return append(b, '}')
}

// ParseSeal parses seal bytes strictly.
func ParseSeal(b []byte) (*Seal, error) {
	s := &Seal{}
	if err := DecodeJSON(b, s, Strict); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if s.Kind != SealPeriodic && s.Kind != SealExport {
		return nil, malformed("seal kind %q", s.Kind)
	}
	if _, err := ParseHash(s.Bundle); err != nil {
		return nil, malformed("seal bundle: %v", err)
	}
	if _, err := ParseHash(s.Head); err != nil {
		return nil, malformed("seal head: %v", err)
	}
	if s.Count < 1 {
		return nil, malformed("seal count %d", s.Count)
	}
	if !ValidTime(s.Time) {
		return nil, malformed("seal time %q", s.Time)
	}
	s.Raw = b
	return s, nil
}

// Trailer is the final seal line of an exported bundle, and the form in
// which a checkpoint is kept (§7.2, §7.3).
type Trailer struct {
	Seal *Seal
	LKey Hash
	Sig  []byte
	Line []byte
}

// ParseTrailer parses a trailer or checkpoint line strictly. It does not
// verify the signature.
func ParseTrailer(line []byte) (*Trailer, error) {
	var raw struct {
		Seal string `json:"seal"`
		LKey string `json:"lkey"`
		Sig  string `json:"sig"`
	}
	if len(line) > MaxLine {
		return nil, malformed("trailer too long")
	}
	if err := DecodeJSON(line, &raw, Strict); err != nil {
		return nil, fmt.Errorf("trailer: %w", err)
	}
	t := &Trailer{Line: line}
	var err error
	if t.Seal, err = ParseSeal([]byte(raw.Seal)); err != nil {
		return nil, err
	}
	if t.LKey, err = ParseHash(raw.LKey); err != nil {
		return nil, malformed("trailer lkey: %v", err)
	}
	if t.Sig, err = ParseSignature(raw.Sig); err != nil {
		return nil, malformed("trailer sig: %v", err)
	}
	return t, nil
}
