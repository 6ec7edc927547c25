package produce

import (
	"crypto"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/strictjson"
)

// Fields is what a producer decides for a record; EncodeRecord turns it into
// a signed line.
type Fields struct {
	Seq   int64
	Time  string
	Type  string
	Actor string
	Prev  format.Hash
	Body  []byte // compact JSON object
	Sigs  []format.Signed
}

// EncodeRecord writes f as a record line and signs its envelope with the
// log key (§3.2, §3.3). It does not judge f: a fixture may encode any
// record, valid or not.
func EncodeRecord(f Fields, logKey crypto.Signer) ([]byte, error) {
	pub, ok := logKey.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("log key is not an Ed25519 key")
	}
	b := make([]byte, 0, 256+len(f.Body)+len(f.Sigs)*400)
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, f.Seq, 10)
	b = append(b, `,"time":`...)
	b = strictjson.AppendString(b, f.Time)
	b = append(b, `,"type":`...)
	b = strictjson.AppendString(b, f.Type)
	b = append(b, `,"actor":`...)
	b = strictjson.AppendString(b, f.Actor)
	b = append(b, `,"prev":"`...)
	b = append(b, f.Prev.String()...)
	b = append(b, `","body":`...)
	b = append(b, f.Body...)
	if len(f.Sigs) > 0 {
		b = append(b, `,"sigs":[`...)
		for i, s := range f.Sigs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"key":"`...)
			b = append(b, s.Key.String()...)
			b = append(b, `","stmt":`...)
			b = strictjson.AppendString(b, string(s.Stmt))
			b = append(b, `,"sig":"`...)
			b = hex.AppendEncode(b, s.Sig)
			b = append(b, `"}`...)
		}
		b = append(b, ']')
	}
	b = append(b, `,"lkey":"`...)
	b = append(b, format.KeyIDOf(pub).String()...)
	b = append(b, '"', '}')
	sig, err := logKey.Sign(nil, format.Message(format.PrefixEnvelope, b), crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("failed to sign envelope: %w", err)
	}
	b = b[:len(b)-1]
	b = append(b, `,"lsig":"`...)
	b = hex.AppendEncode(b, sig)
	return append(b, '"', '}'), nil
}

// EncodeTrailer signs seal with the log key and returns the trailer line.
func EncodeTrailer(seal *format.Seal, logKey crypto.Signer) ([]byte, error) {
	pub, ok := logKey.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("log key is not an Ed25519 key")
	}
	raw := seal.Encode()
	sig, err := logKey.Sign(nil, format.Message(format.PrefixSeal, raw), crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("failed to sign seal: %w", err)
	}
	return EncodeCheckpoint(raw, format.KeyIDOf(pub), sig), nil
}

// EncodeCheckpoint writes a line in the trailer's form (SPEC.md §7.2, §7.3)
// from a seal's text, the key ID of the log key that signed it and its
// signature: a trailer, or a periodic seal kept as a checkpoint.
func EncodeCheckpoint(seal []byte, lkey format.Hash, sig []byte) []byte {
	b := []byte(`{"seal":`)
	b = strictjson.AppendString(b, string(seal))
	b = append(b, `,"lkey":"`...)
	b = append(b, lkey.String()...)
	b = append(b, `","sig":"`...)
	b = hex.AppendEncode(b, sig)
	return append(b, '"', '}')
}

// SignSeal returns the hex signature of a seal, for a periodic seal body.
func SignSeal(seal *format.Seal, logKey crypto.Signer) (string, error) {
	sig, err := logKey.Sign(nil, format.Message(format.PrefixSeal, seal.Encode()), crypto.Hash(0))
	if err != nil {
		return "", fmt.Errorf("failed to sign seal: %w", err)
	}
	return string(hex.AppendEncode(nil, sig)), nil
}
