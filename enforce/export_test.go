package enforce

import (
	"crypto"
	"os"

	"github.com/countersign/countersign/format"
)

// DisableCheck turns off the refusal check for code in c, so a test can
// show that some test notices its absence. It exists only in tests.
func (c *Core) DisableCheck(code string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.off[code] = true
}

// SignHead signs a journal head, for tests that stage journals and heads.
func SignHead(genesis format.Hash, seq int64, hash format.Hash, key crypto.Signer) ([]byte, error) {
	return signHead(genesis, seq, hash, key)
}

// SetTornHeadWrite makes every FileHeadStore write go through fn first.
func SetTornHeadWrite(fn func(f *os.File, off int64, slot []byte)) { tornHeadWrite = fn }
