package format_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/countersign/countersign/format"
)

func BenchmarkVerify(b *testing.B) {
	k := testKey("bench")
	pub := k.Public().(ed25519.PublicKey)
	msg := make([]byte, 600)
	sig := ed25519.Sign(k, format.Message(format.PrefixEnvelope, msg))
	pk, _ := format.NewPublicKey(pub)
	b.Run("crypto-ed25519", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ed25519.Verify(pub, format.Message(format.PrefixEnvelope, msg), sig)
		}
	})
	b.Run("decoded-key", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			pk.Verify(format.PrefixEnvelope, msg, sig)
		}
	})
}
