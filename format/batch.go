package format

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"

	"filippo.io/edwards25519"
)

// Entry is one signature to check: sig over Prefix || Data || Tail. Tail
// lets a caller sign a slice of a line plus a closing byte (the envelope's
// unsigned bytes, §3.3) without copying the line.
type Entry struct {
	Prefix string
	Data   []byte
	Tail   string
	Sig    []byte
}

// Batch checks many signatures under one key at once (SPEC.md §4.1). With
// random 128-bit coefficients z_i it tests
//
//	[8]( [Σ z_i S_i]B − [Σ z_i k_i]A − Σ [z_i]R_i ) = identity,
//
// one multi-scalar multiplication of n+2 points (the key terms folded into
// one). Every member that the single check accepts satisfies its own
// cofactored equation, so the sum does too: a batch of valid signatures
// always passes. If a member fails its single check, the prime-order part
// of its error term is not zero and the batch passes only if the random
// coefficients cancel it, with probability at most 2^-128. A member whose
// R or S is not canonical fails the batch before any arithmetic. A batch
// that fails says only that some member fails: the caller decides each
// member with the single check, so findings never depend on grouping.
//
// A Batch holds scratch space; it is not safe for concurrent use.
type Batch struct {
	hs      hasher
	random  []byte
	scalars []*edwards25519.Scalar
	points  []*edwards25519.Point
	zs      []edwards25519.Scalar
	rs      []edwards25519.Point
}

// NewBatch returns an empty Batch.
func NewBatch() *Batch { return &Batch{hs: hasher{h: sha512.New()}} }

var basePoint = edwards25519.NewGeneratorPoint()

// challenge is k = SHA-512(R || A || prefix || data || tail) mod L.
func challenge(hs *hasher, r []byte, a ed25519.PublicKey, e *Entry) *edwards25519.Scalar {
	h := hs.h
	h.Reset()
	h.Write(r)
	h.Write(a)
	// The strings go through a scratch buffer: a conversion passed to
	// Write would allocate every time.
	hs.buf = append(hs.buf[:0], e.Prefix...)
	h.Write(hs.buf)
	h.Write(e.Data)
	hs.buf = append(hs.buf[:0], e.Tail...)
	h.Write(hs.buf)
	digest := &hs.digest
	k, err := new(edwards25519.Scalar).SetUniformBytes(h.Sum(digest[:0]))
	if err != nil {
		panic(err) // 64 bytes always reduce
	}
	return k
}

// Verify reports whether every entry verifies under k. It is false when
// one does not (or, with probability at most 2^-128 per call, never
// otherwise); an empty batch is true.
func (b *Batch) Verify(k *PublicKey, entries []Entry) bool {
	n := len(entries)
	if n == 0 {
		return true
	}
	if cap(b.zs) < n {
		b.zs = make([]edwards25519.Scalar, n)
		b.rs = make([]edwards25519.Point, n)
		b.random = make([]byte, 16*n)
		b.scalars = make([]*edwards25519.Scalar, n+2)
		b.points = make([]*edwards25519.Point, n+2)
	}
	zs, rs := b.zs[:n], b.rs[:n]
	random := b.random[:16*n]
	if _, err := rand.Read(random); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	scalars, points := b.scalars[:n+2], b.points[:n+2]
	sumS := edwards25519.NewScalar() // Σ z_i S_i
	sumK := edwards25519.NewScalar() // Σ z_i k_i
	var s edwards25519.Scalar
	var zb [32]byte
	for i := range entries {
		e := &entries[i]
		if len(e.Sig) != ed25519.SignatureSize {
			return false
		}
		if _, err := s.SetCanonicalBytes(e.Sig[32:]); err != nil {
			return false
		}
		if !decodeCanonicalInto(&rs[i], e.Sig[:32]) {
			return false
		}
		kh := challenge(&b.hs, e.Sig[:32], k.raw, e)
		copy(zb[:16], random[16*i:16*i+16])
		if _, err := zs[i].SetCanonicalBytes(zb[:]); err != nil {
			panic(err) // below 2^128, so below L
		}
		sumS.MultiplyAdd(&zs[i], &s, sumS)
		sumK.MultiplyAdd(&zs[i], kh, sumK)
		zs[i].Negate(&zs[i]) // the term is −[z_i]R_i
		scalars[i], points[i] = &zs[i], &rs[i]
	}
	// k.negA is −A, so [Σ z_i k_i](−A) is the key term.
	scalars[n], points[n] = sumK, k.negA
	scalars[n+1], points[n+1] = sumS, basePoint
	p := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	return p.MultByCofactor(p).Equal(identity) == 1
}
