package format

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
)

// TimeLayout is the layout of every time in a bundle (§1).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in the bundle's time form, in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a bundle time.
func ParseTime(s string) (time.Time, error) {
	if !ValidTime(s) {
		return time.Time{}, malformed("time %q", s)
	}
	return time.Parse(TimeLayout, s)
}

// Version is the format version this package writes and reads.
const (
	FormatName   = "countersign"
	Version      = "1.0"
	VersionMajor = 1
	VersionMinor = 0
)

// ErrTimeBackwards is returned by Chain.Append for a time earlier than the
// previous record's; the producer clamps its clock and notes it instead.
var ErrTimeBackwards = errors.New("record time earlier than the previous record's")

// Chain is a producer's position in its chain: the next sequence number,
// the previous record's hash and time, and the log key in force. It makes
// valid, signed records; it holds no policy.
type Chain struct {
	logKey  crypto.Signer
	genesis Hash
	next    int64
	prev    Hash
	last    string
}

// NewChain starts a chain with its genesis record. sigs are the
// registrars' enrol-self statements, in the order of g.Registrars.
func NewChain(g *Genesis, sigs []Signed, at string, logKey crypto.Signer) (*Chain, []byte, error) {
	body, err := MarshalJSON(g)
	if err != nil {
		return nil, nil, err
	}
	line, err := EncodeRecord(Fields{Seq: 0, Time: at, Type: TypeGenesis, Body: body, Sigs: sigs}, logKey)
	if err != nil {
		return nil, nil, err
	}
	h := RecordHash(line)
	return &Chain{logKey: logKey, genesis: h, next: 1, prev: h, last: at}, line, nil
}

// ResumeChain continues a chain whose last record is last (for example,
// after recovering a journal). logKey must be the log key in force.
func ResumeChain(genesis Hash, last []byte, logKey crypto.Signer) (*Chain, error) {
	r, err := ParseRecord(last)
	if err != nil {
		return nil, fmt.Errorf("failed to resume chain: %w", err)
	}
	pub, _ := logKey.Public().(ed25519.PublicKey)
	want := r.LKey
	if r.Type == TypeLogKeyRotation {
		// The last record handed the log to the key it names.
		var b LogKeyRotation
		if err := DecodeJSON(r.Body, &b, Strict); err != nil {
			return nil, fmt.Errorf("failed to resume chain: %w", err)
		}
		next, err := ParsePublicKey(b.Key)
		if err != nil {
			return nil, fmt.Errorf("failed to resume chain: %w", err)
		}
		want = KeyIDOf(next)
	}
	if KeyIDOf(pub) != want {
		return nil, errors.New("failed to resume chain: the log key given is not the one in force")
	}
	return &Chain{logKey: logKey, genesis: genesis, next: r.Seq + 1, prev: r.Hash, last: r.Time}, nil
}

// Genesis returns the genesis hash.
func (c *Chain) Genesis() Hash { return c.genesis }

// Next returns the sequence number the next record will get.
func (c *Chain) Next() int64 { return c.next }

// Head returns the hash of the last record.
func (c *Chain) Head() Hash { return c.prev }

// LastTime returns the time of the last record.
func (c *Chain) LastTime() string { return c.last }

// Append encodes and signs the next record. body is marshalled with
// MarshalJSON unless it is already []byte.
func (c *Chain) Append(at, typ, actor string, body any, sigs []Signed) ([]byte, error) {
	if at < c.last {
		return nil, ErrTimeBackwards
	}
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = MarshalJSON(body); err != nil {
			return nil, fmt.Errorf("failed to encode %s body: %w", typ, err)
		}
	}
	line, err := EncodeRecord(Fields{Seq: c.next, Time: at, Type: typ, Actor: actor, Prev: c.prev, Body: raw, Sigs: sigs}, c.logKey)
	if err != nil {
		return nil, err
	}
	c.next++
	c.prev = RecordHash(line)
	c.last = at
	return line, nil
}

// AppendSeal appends a periodic seal covering every record so far.
func (c *Chain) AppendSeal(at string) ([]byte, error) {
	if at < c.last {
		at = c.last
	}
	s := &Seal{Kind: SealPeriodic, Bundle: c.genesis.String(), Count: c.next, Head: c.prev.String(), Time: at}
	sig, err := SignSeal(s, c.logKey)
	if err != nil {
		return nil, err
	}
	return c.Append(at, TypeSeal, "", &SealBody{Seal: string(s.Encode()), Sig: sig}, nil)
}

// RotateLogKey appends a log_key_rotation signed by the current key and
// carrying the new key's log-key statement, then signs with the new key.
func (c *Chain) RotateLogKey(at string, next crypto.Signer, pop Signed) ([]byte, error) {
	pub, ok := next.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("log key is not an Ed25519 key")
	}
	line, err := c.Append(at, TypeLogKeyRotation, "", &LogKeyRotation{Key: string(appendHex(nil, pub))}, []Signed{pop})
	if err != nil {
		return nil, err
	}
	c.logKey = next
	return line, nil
}

// Trailer returns the export trailer for the records so far.
func (c *Chain) Trailer(at string) ([]byte, error) {
	if at < c.last {
		at = c.last
	}
	return EncodeTrailer(&Seal{Kind: SealExport, Bundle: c.genesis.String(), Count: c.next, Head: c.prev.String(), Time: at}, c.logKey)
}

// HexKey writes a public key as the format does.
func HexKey(pub ed25519.PublicKey) string { return string(appendHex(nil, pub)) }
