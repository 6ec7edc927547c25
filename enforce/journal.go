package enforce

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/countersign/countersign/format"
)

// ErrLocked is returned when another process has the journal open.
var ErrLocked = errors.New("journal is in use by another process")

// journal is the durable, append-only record of every fact the core
// writes: one record line per line, fsynced before a call returns. A crash
// can leave at most a torn last line, which recovery drops: that record
// was never acknowledged.
type journal struct {
	f    *os.File
	size int64
	path string
	// synced, when set, runs after each append is durable and before it
	// returns: it keeps the head. When it fails the journal refuses every
	// later append, since its records are durable but not kept.
	synced func(last []byte) error
	broken error
}

const journalName = "journal.csj"

// openJournal opens and locks the journal; it reads nothing.
func openJournal(dir string, create bool) (*journal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create journal directory: %w", err)
	}
	path := filepath.Join(dir, journalName)
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if create && errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%w at %s: open it instead of creating one", ErrJournalExists, path)
		}
		return nil, fmt.Errorf("failed to open journal: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, fmt.Errorf("failed to lock journal: %w", err)
	}
	j := &journal{f: f, path: path}
	if create {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	return j, nil
}

// replay reads the checked records again and hands each to fn, after
// making sure it is the record that was checked: the file is read twice,
// and nothing read the second time is applied unless it hashes as it did
// the first. It then drops a torn tail and positions the journal for
// appending.
func (j *journal) replay(ck *checked, fn func(line []byte) error) error {
	if _, err := j.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	lr := &lineReader{br: bufio.NewReaderSize(io.LimitReader(j.f, ck.good), 64<<10)}
	var off int64
	for i := range ck.hashes {
		line, err := lr.next()
		if err != nil {
			return &JournalError{Seq: int64(i), Offset: off, Reason: fmt.Sprintf("changed while it was being opened: %v", err)}
		}
		body := line[:len(line)-1]
		if format.RecordHash(body) != ck.hashes[i] {
			return &JournalError{Seq: int64(i), Offset: off, Reason: "changed while it was being opened"}
		}
		if err := fn(body); err != nil {
			return fmt.Errorf("failed to replay journal record %d: %w", i, err)
		}
		off += int64(len(line))
	}
	st, err := j.f.Stat()
	if err != nil {
		return err
	}
	if st.Size() != ck.size {
		return &JournalError{Seq: int64(len(ck.hashes)), Offset: ck.good, Reason: "the journal's size changed while it was being opened"}
	}
	if ck.good != st.Size() {
		// Drop a torn tail: a record whose write did not finish was never
		// acknowledged.
		if err := j.f.Truncate(ck.good); err != nil {
			return fmt.Errorf("failed to drop torn journal tail: %w", err)
		}
		if err := j.f.Sync(); err != nil {
			return err
		}
	}
	j.size = ck.good
	_, err = j.f.Seek(ck.good, io.SeekStart)
	return err
}

// ErrHeadNotKept marks an append whose records are durable in the journal
// but whose head could not be kept: the write happened, unacknowledged. A
// runtime that retries after reopening finds the records there (a proposal
// retried is refused with ErrRunExists, a statement with ErrReplayed).
var ErrHeadNotKept = errors.New("records written to the journal but their head was not kept; reopen the journal")

// ErrJournalBroken is wrapped by every write after one whose outcome is
// unknown (a failed sync, or ErrHeadNotKept): the core refuses writes until
// the journal is reopened with Open.
var ErrJournalBroken = errors.New("journal refuses writes until it is reopened")

// ErrJournalExists is returned by Create when the directory already holds
// a journal: open it instead.
var ErrJournalExists = errors.New("a journal already exists")

// append writes lines and makes them durable, then keeps the head, before
// returning.
func (j *journal) append(lines ...[]byte) error {
	if j.broken != nil {
		return fmt.Errorf("%w: %w", ErrJournalBroken, j.broken)
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.Write(l)
		buf.WriteByte('\n')
	}
	n, err := j.f.Write(buf.Bytes())
	if err != nil {
		// Cut back whatever part was written, so the journal stays whole.
		_ = j.f.Truncate(j.size)
		_, _ = j.f.Seek(j.size, io.SeekStart)
		return fmt.Errorf("failed to write journal: %w", err)
	}
	if err := j.f.Sync(); err != nil {
		// Whether the bytes are durable is unknown: write nothing more.
		j.broken = fmt.Errorf("failed to sync journal: %w", err)
		return j.broken
	}
	j.size += int64(n)
	if j.synced != nil && len(lines) > 0 {
		if err := j.synced(lines[len(lines)-1]); err != nil {
			j.broken = fmt.Errorf("%w: %w", ErrHeadNotKept, err)
			return j.broken
		}
	}
	return nil
}

func (j *journal) close() error { return j.f.Close() }

// lines reads every durable line back, for export.
func (j *journal) each(fn func(line []byte) error) error {
	f, err := os.Open(j.path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(io.LimitReader(f, j.size), 1<<20)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(bytes.TrimSuffix(line, []byte("\n"))); err != nil {
			return err
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
