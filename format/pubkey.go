package format

import (
	"crypto/ed25519"
	"crypto/sha512"
	"crypto/subtle"

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
	a, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil, ErrKeyEncoding
	}
	return &PublicKey{raw: append(ed25519.PublicKey{}, pub...), negA: new(edwards25519.Point).Negate(a)}, nil
}

// Raw returns the 32-byte key.
func (k *PublicKey) Raw() ed25519.PublicKey { return k.raw }

// Verify checks sig over prefix || data with exactly the rules of
// crypto/ed25519.Verify (RFC 8032 §5.1.7, cofactorless, S < L, R compared
// byte for byte), which a test holds it to.
func (k *PublicKey) Verify(prefix string, data, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize {
		return false
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
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
	// R' = [S]B - [k]A
	r := new(edwards25519.Point).VarTimeDoubleScalarBaseMult(kh, k.negA, s)
	return subtle.ConstantTimeCompare(r.Bytes(), sig[:32]) == 1
}
