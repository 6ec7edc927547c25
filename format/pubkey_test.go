package format

import (
	"crypto/ed25519"
	"testing"
)

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
