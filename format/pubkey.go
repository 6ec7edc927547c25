package format

import (
	"crypto/ed25519"
	"crypto/sha512"

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
	if len(sig) != ed25519.SignatureSize {
		return false
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	r, ok := decodeCanonical(sig[:32])
	if !ok {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(k.raw)
	h.Write([]byte(prefix))
	h.Write(data)
	var digest [64]byte
	kh, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	if err != nil {
		return false
	}
	// [S]B - [k]A - R, times the cofactor, must be the identity.
	p := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(kh, k.negA, s)
	p.Subtract(p, r)
	return p.MultByCofactor(p).Equal(identity) == 1
}
