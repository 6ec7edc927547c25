package format

import (
	"crypto/ed25519"
	"crypto/sha512"
	"hash"
	"sync"

	"filippo.io/edwards25519"
)

// PublicKey is an Ed25519 public key accepted under SPEC.md §4.1, decoded
// once. Verifying many signatures under one key skips decoding the point
// each time, which is most of what a verifier does.
type PublicKey struct {
	raw  ed25519.PublicKey
	negA *edwards25519.Point
}

// NewPublicKey decodes and checks pub (§4.1).
func NewPublicKey(pub ed25519.PublicKey) (*PublicKey, error) {
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	a, ok := decodeCanonical(pub)
	if !ok {
		return nil, ErrKeyEncoding
	}
	return &PublicKey{raw: append(ed25519.PublicKey{}, pub...), negA: new(edwards25519.Point).Negate(a)}, nil
}

// Raw returns the 32-byte key.
func (k *PublicKey) Raw() ed25519.PublicKey { return k.raw }

// Verify checks sig over prefix || data under the rules of SPEC.md §4.1:
// R and S canonical (R the canonical encoding of a point, S < L), and the
// cofactored equation [8]([S]B - [k]A - R) = identity with
// k = SHA-512(R || A || prefix || data) mod L. Whatever crypto/ed25519
// accepts (the cofactorless equation) this accepts too; it also accepts a
// signature whose R has a small-order component, which only the key's
// holder can make, and which a batch check cannot tell apart.
func (k *PublicKey) Verify(prefix string, data, sig []byte) bool {
	e := Entry{Prefix: prefix, Data: data, Sig: sig}
	return k.VerifyEntry(&e)
}

// hashers keeps SHA-512 states for single checks, which would otherwise
// allocate one per signature.
var hashers = sync.Pool{New: func() any { return new(hasher) }}

type hasher struct {
	h      hash.Hash
	digest [64]byte
	buf    []byte
}

// VerifyEntry is Verify of e.Sig over e.Prefix || e.Data || e.Tail.
func (k *PublicKey) VerifyEntry(e *Entry) bool {
	sig := e.Sig
	if len(sig) != ed25519.SignatureSize {
		return false
	}
	var s edwards25519.Scalar
	if _, err := s.SetCanonicalBytes(sig[32:]); err != nil {
		return false
	}
	var r edwards25519.Point
	if !decodeCanonicalInto(&r, sig[:32]) {
		return false
	}
	hs := hashers.Get().(*hasher)
	if hs.h == nil {
		hs.h = sha512.New()
	}
	kh := challenge(hs, sig[:32], k.raw, e)
	hashers.Put(hs)
	// [S]B - [k]A - R, times the cofactor, must be the identity.
	var p edwards25519.Point
	p.VarTimeDoubleScalarBaseMult(kh, k.negA, &s)
	p.Subtract(&p, &r)
	return p.MultByCofactor(&p).Equal(identity) == 1
}
