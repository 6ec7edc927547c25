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
}

const journalName = "journal.csj"

func openJournal(dir string, create bool) (*journal, [][]byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("failed to create journal directory: %w", err)
	}
	path := filepath.Join(dir, journalName)
	flags := os.O_RDWR
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		if create && errors.Is(err, os.ErrExist) {
			return nil, nil, fmt.Errorf("a journal already exists at %s: open it instead of creating one", path)
		}
		return nil, nil, fmt.Errorf("failed to open journal: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil, fmt.Errorf("%w: %s", ErrLocked, path)
		}
		return nil, nil, fmt.Errorf("failed to lock journal: %w", err)
	}
	j := &journal{f: f, path: path}
	if create {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, nil, err
		}
		return j, nil, nil
	}
	lines, good, err := readJournal(f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if good != st.Size() {
		// Drop a torn tail: a record whose write did not finish was never
		// acknowledged.
		if err := f.Truncate(good); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("failed to drop torn journal tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	j.size = good
	if _, err := f.Seek(good, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, err
	}
	return j, lines, nil
}

// readJournal returns the complete lines and the offset just past the last
// one. A final line without its newline, or one that does not parse as a
// record, ends the journal there.
func readJournal(f *os.File) ([][]byte, int64, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	var lines [][]byte
	var off int64
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return lines, off, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("failed to read journal: %w", err)
		}
		body := bytes.TrimSuffix(line, []byte("\n"))
		if _, perr := format.ParseRecord(body); perr != nil {
			// Only a torn write can produce this, and only at the end.
			rest, _ := io.ReadAll(br)
			if len(bytes.TrimSpace(rest)) > 0 {
				return nil, 0, fmt.Errorf("journal is damaged at byte %d (not at its end): %v", off, perr)
			}
			return lines, off, nil
		}
		lines = append(lines, body)
		off += int64(len(line))
	}
}

// append writes lines and makes them durable before returning.
func (j *journal) append(lines ...[]byte) error {
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
		return fmt.Errorf("failed to sync journal: %w", err)
	}
	j.size += int64(n)
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
