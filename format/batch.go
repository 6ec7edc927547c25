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
// one; with VerifyKeys, one per distinct key). Every member that the single check accepts satisfies its own
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
	sums    []edwards25519.Scalar // Σ z_i k_i per distinct key
	// keyIndex numbers the distinct keys of a batch.
	keyIndex map[[32]byte]int
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
	return b.verify(func(int) *PublicKey { return k }, entries)
}

// VerifyKeys is Verify with entries[i] under keys[i]: the key terms are
// folded per distinct key, so n entries under m keys are one equation of
// n+m+1 points.
func (b *Batch) VerifyKeys(keys []*PublicKey, entries []Entry) bool {
	if len(keys) != len(entries) {
		panic("format: VerifyKeys with as many keys as entries")
	}
	return b.verify(func(i int) *PublicKey { return keys[i] }, entries)
}

func (b *Batch) verify(keyOf func(int) *PublicKey, entries []Entry) bool {
	n := len(entries)
	if n == 0 {
		return true
	}
	if cap(b.zs) < n {
		b.zs = make([]edwards25519.Scalar, n)
		b.rs = make([]edwards25519.Point, n)
		b.random = make([]byte, 16*n)
		b.sums = make([]edwards25519.Scalar, n)
		b.scalars = make([]*edwards25519.Scalar, 0, 2*n+1)
		b.points = make([]*edwards25519.Point, 0, 2*n+1)
	}
	if b.keyIndex == nil {
		b.keyIndex = map[[32]byte]int{}
	}
	clear(b.keyIndex)
	zs, rs := b.zs[:n], b.rs[:n]
	random := b.random[:16*n]
	if _, err := rand.Read(random); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	scalars, points := b.scalars[:n], b.points[:n]
	var keyPoints []*edwards25519.Point // −A of each distinct key, in order
	sumS := edwards25519.NewScalar()    // Σ z_i S_i
	var s edwards25519.Scalar
	var zb [32]byte
	for i := range entries {
		e := &entries[i]
		k := keyOf(i)
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
		var raw [32]byte
		copy(raw[:], k.raw)
		ki, seen := b.keyIndex[raw]
		if !seen {
			ki = len(keyPoints)
			b.keyIndex[raw] = ki
			keyPoints = append(keyPoints, k.negA)
			b.sums[ki] = *edwards25519.NewScalar()
		}
		sumS.MultiplyAdd(&zs[i], &s, sumS)
		b.sums[ki].MultiplyAdd(&zs[i], kh, &b.sums[ki]) // Σ z_i k_i under this key
		zs[i].Negate(&zs[i])                            // the term is −[z_i]R_i
		scalars[i], points[i] = &zs[i], &rs[i]
	}
	// negA is −A, so [Σ z_i k_i](−A) is a key's term.
	for ki, negA := range keyPoints {
		scalars, points = append(scalars, &b.sums[ki]), append(points, negA)
	}
	scalars, points = append(scalars, sumS), append(points, basePoint)
	p := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	clear(b.scalars[:cap(b.scalars)])
	clear(b.points[:cap(b.points)])
	return p.MultByCofactor(p).Equal(identity) == 1
}
