package format_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"testing"

	"filippo.io/edwards25519"
	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// referenceVerify is SPEC.md §4.1 written out step by step, as slowly and
// plainly as possible, for the decoded-key verifier to be held to: key
// checks, canonical R, S < L, then [8]([S]B - [k]A - R) == identity.
func referenceVerify(pub, msg, sig []byte) bool {
	if len(pub) != 32 || len(sig) != 64 {
		return false
	}
	canonical := func(b []byte) (*edwards25519.Point, bool) {
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			return nil, false
		}
		return p, string(p.Bytes()) == string(b)
	}
	a, ok := canonical(pub)
	if !ok {
		return false
	}
	id := edwards25519.NewIdentityPoint()
	eight := new(edwards25519.Point).MultByCofactor(a)
	if eight.Equal(id) == 1 {
		return false // small order
	}
	// [L]A, computed as [L-1]A + A.
	var one [32]byte
	one[0] = 1
	s1, _ := new(edwards25519.Scalar).SetCanonicalBytes(one[:])
	lm1 := new(edwards25519.Scalar).Negate(s1)
	la := new(edwards25519.Point).ScalarMult(lm1, a)
	if la.Add(la, a).Equal(id) != 1 {
		return false // torsion component
	}
	r, ok := canonical(sig[:32])
	if !ok {
		return false
	}
	s, err := new(edwards25519.Scalar).SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(pub)
	h.Write(msg)
	k, _ := new(edwards25519.Scalar).SetUniformBytes(h.Sum(nil))
	sb := new(edwards25519.Point).ScalarBaseMult(s)
	ka := new(edwards25519.Point).ScalarMult(k, a)
	d := new(edwards25519.Point).Subtract(sb, ka)
	d.Subtract(d, r)
	return new(edwards25519.Point).MultByCofactor(d).Equal(id) == 1
}

func ours(pub, msg, sig []byte) bool {
	k, err := format.NewPublicKey(pub)
	if err != nil {
		return false
	}
	got := k.Verify("", msg, sig)
	if format.Verify(pub, "", msg, sig) != got {
		panic("format.Verify and PublicKey.Verify disagree")
	}
	return got
}

func seedKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("countersign ed25519 test " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// The edge classes of Ed25519 verification that implementations are known
// to disagree on, each built here and judged by §4.1: what it says, and
// what the cofactorless crypto/ed25519 says, for the record.
func TestEd25519EdgeClasses(t *testing.T) {
	msg := []byte("countersign edge class")
	t8 := fixtures.TorsionPoint(8)
	t4 := fixtures.TorsionPoint(4)
	honest := fixtures.NewCraftKey("honest", nil)
	mixed := fixtures.NewCraftKey("mixed", t8)
	identity := edwards25519.NewIdentityPoint()
	zero := edwards25519.NewScalar()
	std := seedKey("std")
	stdPub := []byte(std.Public().(ed25519.PublicKey))
	stdSig := ed25519.Sign(std, msg)

	tests := []struct {
		name         string
		pub, sig     []byte
		want         bool
		cofactorless bool // what crypto/ed25519.Verify says
		wantKeyErr   error
	}{
		{name: "valid", pub: stdPub, sig: stdSig, want: true, cofactorless: true},
		{name: "valid crafted", pub: honest.Pub, sig: honest.Sign(msg, nil), want: true, cofactorless: true},
		{name: "R with an order-8 component", pub: honest.Pub, sig: honest.Sign(msg, t8), want: true},
		{name: "R with an order-4 component", pub: honest.Pub, sig: honest.Sign(msg, t4), want: true},
		{name: "R of small order (identity), S = k*a", pub: honest.Pub, sig: honest.SignWithR(msg, identity.Bytes(), zero), want: true, cofactorless: true},
		{name: "R of small order (order 8)", pub: honest.Pub, sig: honest.SignWithR(msg, t8.Bytes(), zero), want: true},
		{name: "R non-canonical (identity, y = 1 + p)", pub: honest.Pub, sig: honest.SignWithR(msg, fixtures.NonCanonical(identity), zero)},
		{name: "R non-canonical (order 4, y = p)", pub: honest.Pub, sig: honest.SignWithR(msg, fixtures.NonCanonical(t4), zero)},
		{name: "R non-canonical, k over the canonical encoding", pub: honest.Pub, sig: reencodedR(honest, msg, identity), cofactorless: false},
		{name: "R not a point", pub: honest.Pub, sig: append(append([]byte{}, notAPoint()...), make([]byte, 32)...)},
		{name: "S = S + L", pub: stdPub, sig: fixtures.UnreducedS(stdSig)},
		{name: "S all ones", pub: stdPub, sig: append(append([]byte{}, stdSig[:32]...), allOnes()...)},
		{name: "signature one byte short", pub: stdPub, sig: stdSig[:63]},
		{name: "message changed", pub: stdPub, sig: ed25519.Sign(std, []byte("another message"))},
		{name: "A with an order-8 component", pub: mixed.Pub, sig: mixed.Sign(msg, nil), wantKeyErr: format.ErrKeyTorsion},
		{name: "A with an order-8 component, R too", pub: mixed.Pub, sig: mixed.Sign(msg, t8), wantKeyErr: format.ErrKeyTorsion},
		{name: "A the identity", pub: identity.Bytes(), sig: fixtures.SmallOrderKey(identity).SignWithR(msg, identity.Bytes(), zero), wantKeyErr: format.ErrKeySmallOrder, cofactorless: true},
		{name: "A of order 8", pub: t8.Bytes(), sig: fixtures.SmallOrderKey(t8).SignWithR(msg, identity.Bytes(), zero), wantKeyErr: format.ErrKeySmallOrder},
		{name: "A non-canonical (identity, y = 1 + p)", pub: fixtures.NonCanonical(identity), sig: stdSig, wantKeyErr: format.ErrKeyEncoding},
		{name: "A not a point", pub: notAPoint(), sig: stdSig, wantKeyErr: format.ErrKeyEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := format.CheckPublicKey(tt.pub)
			if !errors.Is(err, tt.wantKeyErr) || (tt.wantKeyErr == nil) != (err == nil) {
				t.Fatalf("CheckPublicKey = %v, want %v", err, tt.wantKeyErr)
			}
			if got := ours(tt.pub, msg, tt.sig); got != tt.want {
				t.Errorf("verify = %v, want %v", got, tt.want)
			}
			if got := referenceVerify(tt.pub, msg, tt.sig); got != tt.want {
				t.Errorf("reference verify = %v, want %v", got, tt.want)
			}
			if len(tt.pub) == 32 {
				if got := ed25519.Verify(tt.pub, msg, tt.sig); got != tt.cofactorless {
					t.Errorf("crypto/ed25519 = %v, this table says %v", got, tt.cofactorless)
				}
			}
		})
	}
}

// reencodedR signs with R = p written non-canonically, but computes k over
// p's canonical encoding, as a verifier that re-encodes R would.
func reencodedR(k fixtures.CraftKey, msg []byte, p *edwards25519.Point) []byte {
	sig := k.SignWithR(msg, p.Bytes(), edwards25519.NewScalar())
	return append(fixtures.NonCanonical(p), sig[32:]...)
}

// notAPoint is 32 bytes that decode to no curve point.
func notAPoint() []byte {
	for i := byte(2); ; i++ {
		b := make([]byte, 32)
		b[0] = i
		if _, err := new(edwards25519.Point).SetBytes(b); err != nil {
			return b
		}
	}
}

func allOnes() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = 0xff
	}
	return b
}

// FuzzPublicKeyVerify holds the decoded-key verifier to the plain
// reference of §4.1 on any key, message and signature, and checks that
// whatever the cofactorless crypto/ed25519 accepts under an acceptable key
// it accepts too (so an implementer with only a cofactorless library may
// accept what that library accepts and decide the rest cofactored).
func FuzzPublicKeyVerify(f *testing.F) {
	msg := []byte("hello")
	std := seedKey("fuzz")
	stdPub := []byte(std.Public().(ed25519.PublicKey))
	f.Add(stdPub, msg, ed25519.Sign(std, msg))
	f.Add(stdPub, msg, fixtures.UnreducedS(ed25519.Sign(std, msg)))
	honest := fixtures.NewCraftKey("fuzz", nil)
	t8 := fixtures.TorsionPoint(8)
	f.Add(honest.Pub, msg, honest.Sign(msg, t8))
	f.Add(honest.Pub, msg, honest.SignWithR(msg, fixtures.NonCanonical(edwards25519.NewIdentityPoint()), edwards25519.NewScalar()))
	mixed := fixtures.NewCraftKey("fuzz mixed", t8)
	f.Add(mixed.Pub, msg, mixed.Sign(msg, nil))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		got := ours(pub, msg, sig)
		if want := referenceVerify(pub, msg, sig); got != want {
			t.Fatalf("verify says %v, the reference of §4.1 says %v", got, want)
		}
		if len(pub) == 32 && format.CheckPublicKey(pub) == nil && ed25519.Verify(pub, msg, sig) && !got {
			t.Fatal("crypto/ed25519 accepts a signature that §4.1 refuses")
		}
	})
}

func TestVerifyAgreesOnHonestSignatures(t *testing.T) {
	for i := 0; i < 100; i++ {
		k := seedKey(string(rune('a' + i)))
		pub := []byte(k.Public().(ed25519.PublicKey))
		m := []byte{byte(i), 1, 2, 3}
		sig := ed25519.Sign(k, format.Message(format.PrefixEnvelope, m))
		if !format.Verify(pub, format.PrefixEnvelope, m, sig) {
			t.Fatalf("good signature %d refused", i)
		}
		if format.Verify(pub, format.PrefixStatement, m, sig) {
			t.Fatalf("signature %d accepted under another purpose", i)
		}
		for _, flip := range []int{0, 31, 32, 63} {
			bad := append([]byte{}, sig...)
			bad[flip] ^= 1
			if format.Verify(pub, format.PrefixEnvelope, m, bad) {
				t.Fatalf("signature %d with byte %d flipped accepted", i, flip)
			}
		}
	}
}
