package format

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
)

// Domain-separation prefixes (SPEC.md §4.2). Every hash and signature in a
// bundle begins with exactly one of these, so bytes signed for one purpose
// can never be presented as bytes signed for another.
const (
	PrefixRecord    = "countersign/v1 record\x00"
	PrefixEnvelope  = "countersign/v1 envelope\x00"
	PrefixStatement = "countersign/v1 statement\x00"
	PrefixAction    = "countersign/v1 action\x00"
	PrefixSeal      = "countersign/v1 seal\x00"
	PrefixKey       = "countersign/v1 key\x00"
)

// Hash is a SHA-256 digest: a record hash, an action digest or a key ID.
type Hash [32]byte

// String returns the lowercase hex form used throughout the format.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Is reports whether s is h written as the format writes it (lowercase
// hex), without making the text of h.
func (h Hash) Is(s string) bool {
	const hexd = "0123456789abcdef"
	if len(s) != 2*len(h) {
		return false
	}
	for i, c := range h {
		if s[2*i] != hexd[c>>4] || s[2*i+1] != hexd[c&15] {
			return false
		}
	}
	return true
}

// IsZero reports whether h is all zeros (the genesis record's prev).
func (h Hash) IsZero() bool { return h == Hash{} }

// ParseHash reads exactly 64 lowercase hex characters.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if err := parseHex(h[:], s); err != nil {
		return Hash{}, err
	}
	return h, nil
}

// ErrHex reports a hex field that is not lowercase hex of the stated length.
var ErrHex = errors.New("not lowercase hex of the required length")

func parseHex(dst []byte, s string) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%w: want %d characters, got %d", ErrHex, 2*len(dst), len(s))
	}
	for i := range dst {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		if hi|lo == 0xff {
			if hi == 0xff {
				return fmt.Errorf("%w: byte %d is %q", ErrHex, 2*i, s[2*i])
			}
			return fmt.Errorf("%w: byte %d is %q", ErrHex, 2*i+1, s[2*i+1])
		}
		dst[i] = hi<<4 | lo
	}
	return nil
}

// parseHexBytes is parseHex of a byte slice.
func parseHexBytes(dst, s []byte) error {
	if len(s) != 2*len(dst) {
		return fmt.Errorf("%w: want %d characters, got %d", ErrHex, 2*len(dst), len(s))
	}
	for i := range dst {
		hi, lo := hexValue[s[2*i]], hexValue[s[2*i+1]]
		if hi|lo == 0xff {
			return parseHex(dst, string(s)) // for the error
		}
		dst[i] = hi<<4 | lo
	}
	return nil
}

// hexValue is the value of each lowercase hex digit, 0xff for every other
// byte.
var hexValue = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
	}
	return t
}()

func sum(prefix string, data []byte) Hash {
	h := sha256.New()
	h.Write([]byte(prefix))
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

// RecordHash is the hash of one record line, without its newline (§3.3).
func RecordHash(line []byte) Hash { return sum(PrefixRecord, line) }

// ActionDigest is the digest of an action's exact bytes (§6.6).
func ActionDigest(action []byte) Hash { return sum(PrefixAction, action) }

// KeyIDOf is the key ID of an Ed25519 public key (§4.3).
func KeyIDOf(pub ed25519.PublicKey) Hash { return sum(PrefixKey, pub) }

// Message returns prefix || data, the exact bytes that are signed.
func Message(prefix string, data []byte) []byte {
	m := make([]byte, 0, len(prefix)+len(data))
	m = append(m, prefix...)
	return append(m, data...)
}

// Sign signs data for the purpose named by prefix.
func Sign(priv ed25519.PrivateKey, prefix string, data []byte) []byte {
	return ed25519.Sign(priv, Message(prefix, data))
}

// Errors for refused public keys (§4.1).
var (
	ErrKeyEncoding   = errors.New("public key is not a canonical point encoding")
	ErrKeySmallOrder = errors.New("public key has small order")
	ErrKeyTorsion    = errors.New("public key has a torsion component (not in the prime-order subgroup)")
)

var identity = edwards25519.NewIdentityPoint()

// lMinusOne is L - 1, the largest canonical scalar. [L-1]A + A is [L]A,
// which is the identity exactly when A lies in the prime-order subgroup.
var lMinusOne = func() *edwards25519.Scalar {
	one := make([]byte, 32)
	one[0] = 1
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(one)
	if err != nil {
		panic(err)
	}
	return new(edwards25519.Scalar).Negate(s)
}()

// decodeCanonical decodes a point and refuses any encoding other than the
// canonical one (the decoder alone accepts a y coordinate of p or more, and
// x = 0 with the sign bit set).
func decodeCanonical(b []byte) (*edwards25519.Point, bool) {
	p := new(edwards25519.Point)
	if !decodeCanonicalInto(p, b) {
		return nil, false
	}
	return p, true
}

// decodeCanonicalInto is decodeCanonical into p. It tests canonicity on
// the bytes, so that no point is encoded again (an encoding costs a field
// inversion, as much as the decoding).
func decodeCanonicalInto(p *edwards25519.Point, b []byte) bool {
	if len(b) != 32 || !canonicalY(b) {
		return false
	}
	if _, err := p.SetBytes(b); err != nil {
		return false
	}
	// x is zero exactly when y is 1 or p − 1; its encoding then has the
	// sign bit clear.
	if b[31]&0x80 != 0 && (isOne(b) || isPMinusOne(b)) {
		return false
	}
	return true
}

// canonicalY reports whether the y coordinate in b (bits 0 to 254, little
// endian) is less than p = 2^255 − 19.
func canonicalY(b []byte) bool {
	if b[31]&0x7f != 0x7f {
		return true
	}
	for i := 30; i >= 1; i-- {
		if b[i] != 0xff {
			return true
		}
	}
	return b[0] < 0xed
}

// isOne reports whether y is 1 (the sign bit ignored).
func isOne(b []byte) bool {
	if b[0] != 1 || b[31]&0x7f != 0 {
		return false
	}
	for i := 1; i < 31; i++ {
		if b[i] != 0 {
			return false
		}
	}
	return true
}

// isPMinusOne reports whether y is p − 1 (the sign bit ignored).
func isPMinusOne(b []byte) bool {
	if b[0] != 0xec || b[31]&0x7f != 0x7f {
		return false
	}
	for i := 1; i < 31; i++ {
		if b[i] != 0xff {
			return false
		}
	}
	return true
}

// CheckPublicKey applies the acceptance rules of SPEC.md §4.1 to a public key:
// 32 bytes, the canonical encoding of a curve point, not of small order, and
// with no torsion component.
func CheckPublicKey(pub []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: %d bytes", ErrKeyEncoding, len(pub))
	}
	p, ok := decodeCanonical(pub)
	if !ok {
		return ErrKeyEncoding
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(identity) == 1 {
		return ErrKeySmallOrder
	}
	l := new(edwards25519.Point).ScalarMult(lMinusOne, p)
	if l.Add(l, p).Equal(identity) != 1 {
		return ErrKeyTorsion
	}
	return nil
}

// ParsePublicKey reads a public key written as 64 lowercase hex characters
// and applies CheckPublicKey.
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	pub := make([]byte, ed25519.PublicKeySize)
	if err := parseHex(pub, s); err != nil {
		return nil, err
	}
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}

// ParseSignature reads a signature written as 128 lowercase hex characters.
func ParseSignature(s string) ([]byte, error) {
	sig := make([]byte, ed25519.SignatureSize)
	if err := parseHex(sig, s); err != nil {
		return nil, err
	}
	return sig, nil
}

// Verify checks sig over prefix || data under pub with the rules of §4.1
// (the cofactored equation, canonical encodings). The caller must have
// accepted pub with CheckPublicKey; a key that does not decode is refused.
func Verify(pub ed25519.PublicKey, prefix string, data, sig []byte) bool {
	a, ok := decodeCanonical(pub)
	if !ok {
		return false
	}
	k := &PublicKey{raw: pub, negA: new(edwards25519.Point).Negate(a)}
	return k.Verify(prefix, data, sig)
}

// HexKey writes a public key as the format does.
func HexKey(pub ed25519.PublicKey) string { return string(appendHex(nil, pub)) }
