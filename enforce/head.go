package enforce

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/countersign/countersign/format"
)

// ErrNoHead is returned by a HeadStore that has never stored a head.
var ErrNoHead = errors.New("no head has been stored")

// ErrHeadInvalid is returned by Open when the kept head does not parse,
// names another log, or is not signed by the log key.
var ErrHeadInvalid = errors.New("kept head is not a head of this log signed by its log key")

// HeadStore keeps the journal's head, (sequence number, record hash) signed
// by the log key, somewhere the journal's writers cannot roll back with the
// journal: another volume, a database row, a monotonic counter behind a key
// service. The core writes the head after each write is durable in the
// journal and before the write is acknowledged; Open refuses a journal that
// does not reach the kept head exactly.
type HeadStore interface {
	// LoadHead returns the head last stored, or an error wrapping ErrNoHead
	// when none ever was.
	LoadHead() ([]byte, error)
	// StoreHead durably replaces the head: once it returns nil, LoadHead
	// returns head, even after a crash. seq is the head's sequence number;
	// it only grows, so a store may refuse a seq lower than the one it
	// holds.
	StoreHead(seq int64, head []byte) error
}

// headPrefix separates head signatures from every signature of the bundle
// format: no head can be taken for a record, statement or seal.
const headPrefix = "countersign/v1 journal head\x00"

// head is a signed journal head.
type head struct {
	bundle format.Hash // genesis hash
	seq    int64
	hash   format.Hash // record hash of record seq
	lkey   format.Hash // key ID of the log key that signed record seq's envelope
	sig    []byte
}

// signed returns the bytes the signature covers.
func (h *head) signed() []byte {
	b := []byte(`{"bundle":"`)
	b = append(b, h.bundle.String()...)
	b = append(b, `","seq":`...)
	b = strconv.AppendInt(b, h.seq, 10)
	b = append(b, `,"hash":"`...)
	b = append(b, h.hash.String()...)
	b = append(b, `","lkey":"`...)
	b = append(b, h.lkey.String()...)
	return append(b, `"}`...)
}

func (h *head) encode() []byte {
	b := h.signed()
	b = append(b[:len(b)-1], `,"sig":"`...)
	b = fmt.Appendf(b, "%x", h.sig)
	return append(b, `"}`...)
}

func signHead(bundle format.Hash, seq int64, hash format.Hash, key crypto.Signer) ([]byte, error) {
	pub, ok := key.Public().(ed25519.PublicKey)
	if !ok {
		return nil, errors.New("log key is not an Ed25519 key")
	}
	h := &head{bundle: bundle, seq: seq, hash: hash, lkey: format.KeyIDOf(pub)}
	sig, err := key.Sign(nil, format.Message(headPrefix, h.signed()), crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("failed to sign journal head: %w", err)
	}
	h.sig = sig
	return h.encode(), nil
}

// parseHead reads a stored head. It accepts only the exact bytes signHead
// writes; the signature is checked by the caller, once it knows the key.
func parseHead(b []byte) (*head, error) {
	var raw struct {
		Bundle string `json:"bundle"`
		Seq    int64  `json:"seq"`
		Hash   string `json:"hash"`
		LKey   string `json:"lkey"`
		Sig    string `json:"sig"`
	}
	if err := format.DecodeJSON(b, &raw, format.Strict); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeadInvalid, err)
	}
	h := &head{seq: raw.Seq}
	var err error
	if h.bundle, err = format.ParseHash(raw.Bundle); err == nil {
		if h.hash, err = format.ParseHash(raw.Hash); err == nil {
			if h.lkey, err = format.ParseHash(raw.LKey); err == nil {
				h.sig, err = format.ParseSignature(raw.Sig)
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeadInvalid, err)
	}
	if h.seq < 0 || !bytes.Equal(h.encode(), b) {
		return nil, fmt.Errorf("%w: not in the form the core writes", ErrHeadInvalid)
	}
	return h, nil
}

// FileHeadStore keeps the head in one file, at a path the embedder chooses:
// on another volume than the journal, or writable only by the core's
// account. The file holds two slots written in turn, each with its own
// checksum, so a crash in the middle of a write leaves the previous head
// readable.
type FileHeadStore struct {
	path string

	mu   sync.Mutex
	f    *os.File
	next int // slot the next StoreHead writes
	seq  int64
}

// NewFileHeadStore returns a store keeping the head in the file at path,
// created on first write. Its directory is created if missing.
func NewFileHeadStore(path string) *FileHeadStore { return &FileHeadStore{path: path} }

// Path returns the file the store writes.
func (s *FileHeadStore) Path() string { return s.path }

const (
	headSlot    = 512
	headSlotMax = headSlot - 8 - 2 - sha256.Size
)

// tornHeadWrite, when set (by tests), writes the slot in place of the
// store's own write: it is how a crash halfway through a head write is
// staged.
var tornHeadWrite func(f *os.File, off int64, slot []byte)

// LoadHead returns the head in the newest slot that is whole.
func (s *FileHeadStore) LoadHead() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist", ErrNoHead, s.path)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read head: %w", err)
	}
	head, _, _, err := pickSlot(b)
	if err != nil {
		return nil, fmt.Errorf("head file %s: %w", s.path, err)
	}
	return head, nil
}

// pickSlot returns the content of the whole slot with the higher sequence
// number, that number and the index of the other slot.
func pickSlot(b []byte) ([]byte, int64, int, error) {
	best, seq, slot := []byte(nil), int64(-1), -1
	for i := 0; i < 2; i++ {
		if len(b) < (i+1)*headSlot {
			break
		}
		if c, n, ok := readSlot(b[i*headSlot : (i+1)*headSlot]); ok && n > seq {
			best, seq, slot = c, n, i
		}
	}
	if slot < 0 {
		if len(b) == 0 {
			return nil, -1, 0, ErrNoHead
		}
		return nil, -1, 0, errors.New("neither slot holds a whole head")
	}
	return best, seq, 1 - slot, nil
}

func readSlot(b []byte) ([]byte, int64, bool) {
	n := int(binary.BigEndian.Uint16(b[8:10]))
	if n == 0 || n > headSlotMax {
		return nil, 0, false
	}
	sum := sha256.Sum256(b[:10+n])
	if !bytes.Equal(sum[:], b[10+n:10+n+sha256.Size]) {
		return nil, 0, false
	}
	return bytes.Clone(b[10 : 10+n]), int64(binary.BigEndian.Uint64(b[:8])), true
}

// StoreHead writes head to the older slot and syncs the file.
func (s *FileHeadStore) StoreHead(seq int64, head []byte) error {
	if len(head) == 0 || len(head) > headSlotMax {
		return fmt.Errorf("head of %d bytes does not fit a slot of %d", len(head), headSlotMax)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if seq < s.seq {
		return fmt.Errorf("head %d is older than the head kept, %d", seq, s.seq)
	}
	slot := make([]byte, headSlot)
	binary.BigEndian.PutUint64(slot[:8], uint64(seq))
	binary.BigEndian.PutUint16(slot[8:10], uint16(len(head)))
	copy(slot[10:], head)
	sum := sha256.Sum256(slot[:10+len(head)])
	copy(slot[10+len(head):], sum[:])
	off := int64(s.next * headSlot)
	if tornHeadWrite != nil {
		tornHeadWrite(s.f, off, slot)
	}
	if _, err := s.f.WriteAt(slot, off); err != nil {
		return fmt.Errorf("failed to write head: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("failed to sync head: %w", err)
	}
	s.next, s.seq = 1-s.next, seq
	return nil
}

func (s *FileHeadStore) open() error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to create head directory: %w", err)
	}
	_, statErr := os.Stat(s.path)
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("failed to open head file: %w", err)
	}
	b := make([]byte, 2*headSlot)
	n, _ := f.ReadAt(b, 0)
	if _, seq, next, err := pickSlot(b[:n]); err == nil {
		s.next, s.seq = next, seq
	} else {
		s.next, s.seq = 0, -1
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			f.Close()
			return err
		}
	}
	s.f = f
	return nil
}

// Close releases the file.
func (s *FileHeadStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
