package format

import (
	"crypto/ed25519"
	"testing"
)

// FuzzPublicKeyVerify holds the decoded-key verifier to crypto/ed25519:
// for any key, message and signature both must agree.
func FuzzPublicKeyVerify(f *testing.F) {
	k := testKey("fuzz")
	msg := []byte("hello")
	sig := ed25519.Sign(k, Message(PrefixStatement, msg))
	f.Add([]byte(k.Public().(ed25519.PublicKey)), msg, sig)
	bad := append([]byte{}, sig...)
	bad[63] |= 0xf0 // S out of range
	f.Add([]byte(k.Public().(ed25519.PublicKey)), msg, bad)
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		pk, err := NewPublicKey(pub)
		if err != nil {
			return
		}
		want := ed25519.Verify(ed25519.PublicKey(pub), Message(PrefixStatement, msg), sig)
		if got := pk.Verify(PrefixStatement, msg, sig); got != want {
			t.Fatalf("decoded-key verify says %v, crypto/ed25519 says %v", got, want)
		}
	})
}

func TestPublicKeyVerifyAgrees(t *testing.T) {
	for i := 0; i < 200; i++ {
		k := testKey(string(rune('a'+i%26)) + string(rune('0'+i/26)))
		pk, err := NewPublicKey(k.Public().(ed25519.PublicKey))
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte{byte(i), 1, 2, 3}
		sig := ed25519.Sign(k, Message(PrefixEnvelope, msg))
		if !pk.Verify(PrefixEnvelope, msg, sig) {
			t.Fatalf("good signature %d refused", i)
		}
		for _, flip := range []int{0, 31, 32, 63} {
			bad := append([]byte{}, sig...)
			bad[flip] ^= 1
			if pk.Verify(PrefixEnvelope, msg, bad) != ed25519.Verify(k.Public().(ed25519.PublicKey), Message(PrefixEnvelope, msg), bad) {
				t.Fatalf("signature %d with byte %d flipped: disagreement", i, flip)
			}
		}
		if pk.Verify(PrefixStatement, msg, sig) {
			t.Fatalf("signature %d accepted under another purpose", i)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKey("bench")
	pub := k.Public().(ed25519.PublicKey)
	msg := make([]byte, 600)
	sig := ed25519.Sign(k, Message(PrefixEnvelope, msg))
	pk, _ := NewPublicKey(pub)
	b.Run("crypto-ed25519", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ed25519.Verify(pub, Message(PrefixEnvelope, msg), sig)
		}
	})
	b.Run("decoded-key", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			pk.Verify(PrefixEnvelope, msg, sig)
		}
	})
}
