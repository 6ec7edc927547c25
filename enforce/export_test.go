package enforce

import (
	"crypto"
	"os"

	"github.com/countersign/countersign/format"
)

// SignHead signs a journal head, for tests that stage journals and heads.
func SignHead(genesis format.Hash, seq int64, hash format.Hash, key crypto.Signer) ([]byte, error) {
	return signHead(genesis, seq, hash, key)
}

// SetTornHeadWrite makes every FileHeadStore write go through fn first.
func SetTornHeadWrite(fn func(f *os.File, off int64, slot []byte)) { tornHeadWrite = fn }
