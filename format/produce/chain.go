// Package produce writes bundles: a producer's hash chain of signed records
// and the zstd container with its seek table (SPEC.md §2, §3). A verifier
// needs none of it; the enforcement core and the fixture generators use it.
package produce

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/countersign/countersign/format"
)

// ErrTimeBackwards is returned by Chain.Append for a time earlier than the
// previous record's; the producer clamps its clock and notes it instead.
var ErrTimeBackwards = errors.New("record time earlier than the previous record's")

// Chain is a producer's position in its chain: the next sequence number,
// the previous record's hash and time, and the log key in force. It makes
// valid, signed records; it holds no policy.
type Chain struct {
	logKey  crypto.Signer
	genesis format.Hash
	next    int64
	prev    format.Hash
	last    string
}

// NewChain starts a chain with its genesis record. sigs are the
// registrars' enrol-self statements, in the order of g.Registrars.
func NewChain(g *format.Genesis, sigs []format.Signed, at string, logKey crypto.Signer) (*Chain, []byte, error) {
	body, err := format.MarshalJSON(g)
	if err != nil {
		return nil, nil, err
	}
	line, err := EncodeRecord(Fields{Seq: 0, Time: at, Type: format.TypeGenesis, Body: body, Sigs: sigs}, logKey)
	if err != nil {
		return nil, nil, err
	}
	h := format.RecordHash(line)
	return &Chain{logKey: logKey, genesis: h, next: 1, prev: h, last: at}, line, nil
}

// ResumeChain continues a chain whose last record is last (for example,
// after recovering a journal). logKey must be the log key in force.
func ResumeChain(genesis format.Hash, last []byte, logKey crypto.Signer) (*Chain, error) {
	r, err := format.ParseRecord(last)
	if err != nil {
		return nil, fmt.Errorf("failed to resume chain: %w", err)
	}
	pub, _ := logKey.Public().(ed25519.PublicKey)
	want := r.LKey
	if r.Type == format.TypeLogKeyRotation {
		// The last record handed the log to the key it names.
		var b format.LogKeyRotation
		if err := format.DecodeJSON(r.Body, &b, format.Strict); err != nil {
			return nil, fmt.Errorf("failed to resume chain: %w", err)
		}
		next, err := format.ParsePublicKey(b.Key)
		if err != nil {
			return nil, fmt.Errorf("failed to resume chain: %w", err)
		}
		want = format.KeyIDOf(next)
	}
	if format.KeyIDOf(pub) != want {
		return nil, errors.New("failed to resume chain: the log key given is not the one in force")
	}
	return &Chain{logKey: logKey, genesis: genesis, next: r.Seq + 1, prev: r.Hash, last: r.Time}, nil
}

// Genesis returns the genesis hash.
func (c *Chain) Genesis() format.Hash { return c.genesis }

// Next returns the sequence number the next record will get.
func (c *Chain) Next() int64 { return c.next }

// Head returns the hash of the last record.
func (c *Chain) Head() format.Hash { return c.prev }

// LastTime returns the time of the last record.
func (c *Chain) LastTime() string { return c.last }

// Append encodes and signs the next record. body is marshalled with
// format.MarshalJSON unless it is already []byte.
func (c *Chain) Append(at, typ, actor string, body any, sigs []format.Signed) ([]byte, error) {
	if at < c.last {
		return nil, ErrTimeBackwards
	}
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = format.MarshalJSON(body); err != nil {
			return nil, fmt.Errorf("failed to encode %s body: %w", typ, err)
		}
	}
	line, err := EncodeRecord(Fields{Seq: c.next, Time: at, Type: typ, Actor: actor, Prev: c.prev, Body: raw, Sigs: sigs}, c.logKey)
	if err != nil {
		return nil, err
	}
	c.next++
	c.prev = format.RecordHash(line)
	c.last = at
	return line, nil
}

// AppendSeal appends a periodic seal covering every record so far.
func (c *Chain) AppendSeal(at string) ([]byte, error) {
	if at < c.last {
		at = c.last
	}
	s := &format.Seal{Kind: format.SealPeriodic, Bundle: c.genesis.String(), Count: c.next, Head: c.prev.String(), Time: at}
	sig, err := SignSeal(s, c.logKey)
	if err != nil {
		return nil, err
	}
	return c.Append(at, format.TypeSeal, "", &format.SealBody{Seal: string(s.Encode()), Sig: sig}, nil)
}

// RotateLogKey appends a log_key_rotation signed by the current key and
// carrying the new key's log-key statement, then signs with the new key.
func (c *Chain) RotateLogKey(at string, next crypto.Signer, pop format.Signed) ([]byte, error) {
	pub, ok := next.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("log key is not an Ed25519 key")
	}
	line, err := c.Append(at, format.TypeLogKeyRotation, "", &format.LogKeyRotation{Key: format.HexKey(pub)}, []format.Signed{pop})
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
	return EncodeTrailer(&format.Seal{Kind: format.SealExport, Bundle: c.genesis.String(), Count: c.next, Head: c.prev.String(), Time: at}, c.logKey)
}
