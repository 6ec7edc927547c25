package reports

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/countersign/countersign/internal/display"
)

// WriteJSON writes the report as the versioned JSON document (format
// countersign-report): the summary, every section's rows, the glossary and
// the verification result (the same document as verify --json). Rows are
// one a line; characters that could act on a terminal are JSON escapes,
// the values unchanged.
func (r *Report) WriteJSON(w io.Writer) error { return r.writeJSON(w, nil) }

// writeJSON writes the document, leaving out the sections omit names
// (listed in the document's "sections_omitted").
func (r *Report) writeJSON(w io.Writer, omit map[string]bool) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	put := func(s string) { bw.WriteString(s) }
	val := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		bw.Write(display.JSON(b))
		return nil
	}
	put(`{"format":"` + Format + `","version":`)
	val(Version)
	if len(omit) > 0 {
		var names []string
		for _, n := range []string{"conflicts", "exceptions", "refusals", "gates", "signoffs", "register", "records"} {
			if omit[n] {
				names = append(names, n)
			}
		}
		put(`,"sections_omitted":`)
		val(names)
	}
	put(",\n\"summary\":")
	if err := val(&r.Summary); err != nil {
		return err
	}
	put(",\n\"findings\":[")
	for i := range r.Findings {
		if i > 0 {
			put(",")
		}
		put("\n")
		if err := val(&r.Findings[i]); err != nil {
			return err
		}
	}
	put("]")
	if err := jsonSection(bw, "conflicts", r.Conflicts, val, omit["conflicts"]); err != nil {
		return err
	}
	if err := jsonSection(bw, "exceptions", r.Exceptions, val, omit["exceptions"]); err != nil {
		return err
	}
	if err := jsonSection(bw, "refusals", r.Refusals, val, omit["refusals"]); err != nil {
		return err
	}
	if err := jsonSection(bw, "gates", r.Gates, val, omit["gates"]); err != nil {
		return err
	}
	if err := jsonSection(bw, "signoffs", r.Signoffs, val, omit["signoffs"]); err != nil {
		return err
	}
	if err := jsonSection(bw, "register", r.Register, val, omit["register"]); err != nil {
		return err
	}
	if err := jsonSection(bw, "records", r.Records, val, omit["records"]); err != nil {
		return err
	}
	put(",\n\"glossary\":")
	if err := val(r.Glossary); err != nil {
		return err
	}
	put(",\n\"result\":")
	if err := val(r.Result); err != nil {
		return err
	}
	put("}\n")
	return bw.Flush()
}

func jsonSection[T any](bw *bufio.Writer, name string, s *Section[T], val func(any) error, omit bool) error {
	if omit {
		return nil
	}
	bw.WriteString(",\n\"" + name + "\":[")
	first := true
	err := s.Each(func(row *T) error {
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n")
		return val(row)
	})
	bw.WriteString("]")
	return err
}

// VerifyJSON is the verification result exactly as countersign verify
// --json prints it, for attaching to documents.
func VerifyJSON(r *Report) ([]byte, error) {
	b, err := json.MarshalIndent(r.Result, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(display.JSON(b), '\n'), nil
}
