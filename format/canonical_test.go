package format

import (
	"crypto/sha256"
	"testing"

	"filippo.io/edwards25519"
)

// reencodes is the plain test of canonicity: decode, encode again, compare.
func reencodes(b []byte) bool {
	p, err := new(edwards25519.Point).SetBytes(b)
	return err == nil && string(p.Bytes()) == string(b)
}

// The byte-level canonicity test agrees with decoding and encoding again
// on every encoding near 0, 1, p − 1 and p (both signs), and on many
// others.
func TestDecodeCanonicalAgreesWithReencoding(t *testing.T) {
	var cases [][]byte
	for d := 0; d < 64; d++ {
		for _, sign := range []byte{0, 0x80} {
			lo := make([]byte, 32) // y = d
			lo[0] = byte(d)
			lo[31] |= sign
			hi := make([]byte, 32) // y = 2^255 − 1 − d
			for i := range hi {
				hi[i] = 0xff
			}
			hi[0] = 0xff - byte(d)
			hi[31] = 0x7f | sign
			cases = append(cases, lo, hi)
		}
	}
	seed := sha256.Sum256([]byte("canonical"))
	for i := 0; i < 20000; i++ {
		seed = sha256.Sum256(seed[:])
		b := append([]byte{}, seed[:]...)
		cases = append(cases, b)
		// And the same point's canonical encoding, with the sign flipped.
		if p, err := new(edwards25519.Point).SetBytes(b); err == nil {
			e := p.Bytes()
			cases = append(cases, e)
			f := append([]byte{}, e...)
			f[31] ^= 0x80
			cases = append(cases, f)
		}
	}
	canon := 0
	for _, b := range cases {
		_, got := decodeCanonical(b)
		if want := reencodes(b); got != want {
			t.Fatalf("%x: byte test says %v, re-encoding %v", b, got, want)
		}
		if got {
			canon++
		}
	}
	if canon < 1000 || canon == len(cases) {
		t.Fatalf("%d of %d cases canonical: the cases do not cover both answers", canon, len(cases))
	}
}
