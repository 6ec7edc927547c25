package reports

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Section is the rows of one section, in the order they were added,
// spooled to a temporary file as JSON lines so that memory does not grow
// with them. Renderers read them back with Each, as often as they need.
type Section[T any] struct {
	Name string
	n    int64
	f    *os.File
	w    *bufio.Writer
	err  error
}

func newSection[T any](dir, name string) (*Section[T], error) {
	f, err := os.CreateTemp(dir, name+"-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("failed to make the %s spool: %w", name, err)
	}
	return &Section[T]{Name: name, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// Len is the number of rows.
func (s *Section[T]) Len() int64 { return s.n }

// add appends a row.
func (s *Section[T]) add(row *T) {
	if s.err != nil {
		return
	}
	b, err := json.Marshal(row)
	if err != nil {
		s.err = err
		return
	}
	b = append(b, '\n')
	if _, err := s.w.Write(b); err != nil {
		s.err = fmt.Errorf("failed to spool the %s rows: %w", s.Name, err)
		return
	}
	s.n++
}

// done flushes what add wrote.
func (s *Section[T]) done() error {
	if s.err != nil {
		return s.err
	}
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("failed to spool the %s rows: %w", s.Name, err)
	}
	return nil
}

// Each calls fn with every row in order; it stops at fn's first error.
func (s *Section[T]) Each(fn func(*T) error) error {
	if s.err != nil {
		return s.err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	rd := bufio.NewReaderSize(s.f, 1<<16)
	for {
		line, err := rd.ReadBytes('\n')
		if len(line) > 0 {
			var row T
			if err := json.Unmarshal(line, &row); err != nil {
				return fmt.Errorf("failed to read back the %s rows: %w", s.Name, err)
			}
			if err := fn(&row); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("failed to read back the %s rows: %w", s.Name, err)
		}
	}
}

func (s *Section[T]) close() {
	if s != nil && s.f != nil {
		s.f.Close()
		os.Remove(s.f.Name())
	}
}
