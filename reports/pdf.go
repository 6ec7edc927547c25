package reports

// The PDF renderer: a document a regulator prints and files. A cover with
// the verdict as large as the title, then one named function per section,
// each a table that breaks across pages with its header repeated.
//
// Bounded: the rows are read back from their spools one at a time, but
// fpdf holds every page in memory until it writes the document. The PDF
// lists every finding (the verifier keeps at most 1,000), every conflict,
// exception and refusal, and every gate with a finding. Other long
// sections stop at pdfListCap rows: in the evidence pack, the gates
// without a finding, the sign-offs, the register and the records of one
// run; the monthly report counts gates without a finding, sign-offs and
// records. Each says how many rows it omits and that the XLSX and the
// report's JSON list them all.
//
// Page budget (A4 portrait, 7.5 pt tables), measured by
// BenchmarkPDFRefusals on 10,000 refusals with their alerts: about 10
// rows a page, so 1,000 pages and 6.5 MB a 10,000 rows; laying them out
// holds about 20 KB of heap a listed row (some 200 MB at 10,000 rows).
// Conflict and exception rows are shorter than refusal rows.

// Text: DejaVu Sans and Sans Mono are embedded (go:embed; see
// fonts/LICENSE), never read from the machine. They cover Latin, Greek
// and Cyrillic, not CJK; fpdf does no Arabic shaping and no bidirectional
// reordering. A character the font has no glyph for prints as U+XXXX;
// control and bidirectional characters print escaped, as on the command
// line; the exact text is always in the attached JSON.
//
// Machine-readable inside: the verification result (the document verify
// --json prints), the report's JSON and the final seal are attached.
//
// Reproducible: fixed creation and modification dates (the report's
// date), sorted catalogs, and a document /ID derived from the content.
// No PDF/A claim is made: no pdfaid metadata is written.

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
)

var (
	//go:embed fonts/DejaVuSans.ttf
	fontSans []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontSansBold []byte
	//go:embed fonts/DejaVuSansMono.ttf
	fontMono []byte
)

// pdfListCap is how many rows a section the PDF does not list in full
// prints (a variable so that tests can lower it).
var pdfListCap int64 = 2500

// Limits of the PDF.
const (
	// pdfCellChars is how much of one text a table cell prints.
	pdfCellChars = 1200
	// attachMax bounds the report JSON attached whole; past it the
	// attachment leaves out the sections the PDF only counts.
	attachMax = 16 << 20
)

var (
	glyphsOnce          sync.Once
	sansGlyphs, monoGly *glyphs
)

func loadGlyphs() {
	glyphsOnce.Do(func() {
		var err error
		if sansGlyphs, err = readGlyphs(fontSans); err != nil {
			panic("embedded font: " + err.Error())
		}
		if monoGly, err = readGlyphs(fontMono); err != nil {
			panic("embedded font: " + err.Error())
		}
	})
}

// printable is s as the PDF prints it: control and bidirectional
// characters escaped, characters the font lacks as U+XXXX.
func printable(s string, g *glyphs) string {
	s = display.Escape(s)
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || g.has(r) {
			b.WriteRune(r)
			continue
		}
		fmt.Fprintf(&b, "U+%04X", r)
	}
	return b.String()
}

type pdfDoc struct {
	f    *fpdf.Fpdf
	rep  *Report
	loc  *time.Location
	left float64
	w    float64 // usable width
	// attachCut is set when the attached report.json leaves out the
	// sections the PDF only counts (past attachMax).
	attachCut bool
}

// WritePDF writes the report as a PDF document.
func (r *Report) WritePDF(w io.Writer) error {
	loadGlyphs()
	d := &pdfDoc{rep: r, loc: time.UTC}
	if loc, err := time.LoadLocation(r.Summary.Period.Zone); err == nil {
		d.loc = loc
	}
	f := fpdf.New("P", "mm", "A4", "")
	d.f = f
	f.SetMargins(15, 20, 15)
	f.SetAutoPageBreak(true, 16)
	d.left, d.w = 15, 180
	// fpdf edits the font bytes it is given while it subsets them: each
	// document gets copies, so the next one starts from the same fonts.
	f.AddUTF8FontFromBytes("sans", "", bytes.Clone(fontSans))
	f.AddUTF8FontFromBytes("sans", "B", bytes.Clone(fontSansBold))
	f.AddUTF8FontFromBytes("mono", "", bytes.Clone(fontMono))
	s := r.Summary
	date := time.Unix(0, 0).UTC()
	if t, err := format.ParseTime(s.Date); err == nil {
		date = t.UTC()
	}
	f.SetCreationDate(date)
	f.SetModificationDate(date)
	f.SetCatalogSort(true)
	f.SetProducer("countersign", true)
	f.SetCreator(s.Tool, true)
	f.SetAuthor(printable(s.Organisation, sansGlyphs), true)
	f.SetTitle(s.Title+": "+printable(s.Organisation, sansGlyphs), true)
	f.SetSubject(fmt.Sprintf("Bundle %s, %s; verdict %s", printable(s.BundleID, sansGlyphs), s.Period.Label, strings.ToUpper(s.Verdict)), true)
	f.SetKeywords("countersign "+s.Kind+" "+s.Fingerprint, true)
	f.AliasNbPages("{nb}")
	f.SetHeaderFunc(d.header)
	f.SetFooterFunc(d.footer)

	atts, err := d.attachments()
	if err != nil {
		return err
	}
	f.SetAttachments(atts)

	for _, section := range []func() error{d.cover, d.findingsSection, d.conflictsSection, d.exceptionsSection, d.refusalsSection,
		d.gatesSection, d.signoffsSection, d.registerSection, d.recordsSection, d.glossarySection, d.reverifySection} {
		if err := section(); err != nil {
			return err
		}
		if f.Err() {
			return fmt.Errorf("failed to lay out the PDF: %w", f.Error())
		}
	}
	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return fmt.Errorf("failed to write the PDF: %w", err)
	}
	_, err = w.Write(withID(buf.Bytes()))
	return err
}

// withID adds a document /ID derived from the content to the trailer
// (fpdf writes none). The trailer follows the cross-reference table, so
// no offset moves.
func withID(pdf []byte) []byte {
	sum := sha256.Sum256(pdf)
	id := hex.EncodeToString(sum[:16])
	i := bytes.LastIndex(pdf, []byte("trailer\n<<\n"))
	if i < 0 {
		return pdf
	}
	i += len("trailer\n<<\n")
	out := make([]byte, 0, len(pdf)+80)
	out = append(out, pdf[:i]...)
	out = append(out, "/ID [<"+id+"> <"+id+">]\n"...)
	return append(out, pdf[i:]...)
}

// attachments are the verification result, the report's JSON and the
// final seal, as files inside the PDF.
func (d *pdfDoc) attachments() ([]fpdf.Attachment, error) {
	r := d.rep
	vj, err := VerifyJSON(r)
	if err != nil {
		return nil, err
	}
	rj, err := d.reportJSON()
	if err != nil {
		return nil, err
	}
	atts := []fpdf.Attachment{
		{Content: vj, Filename: "verify-result.json", Description: "The verification result: the document countersign verify --json prints for this bundle"},
		{Content: rj, Filename: "report.json", Description: "This report as JSON (format " + Format + "), with every text exactly as recorded"},
	}
	if r.Summary.FinalSeal != "" {
		atts = append(atts, fpdf.Attachment{Content: []byte(r.Summary.FinalSeal + "\n"), Filename: "final-seal.checkpoint",
			Description: "The bundle's final seal: keep it, and check next month's bundle with countersign verify --checkpoint"})
	}
	return atts, nil
}

// reportJSON is the report's JSON, whole when it is small enough to hold;
// past attachMax, without the sections the PDF only counts.
func (d *pdfDoc) reportJSON() ([]byte, error) {
	tmp, err := os.CreateTemp(d.rep.dir, "report-*.json")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	cw := &capWriter{w: tmp, max: attachMax}
	if err := d.rep.writeJSON(cw, nil); err != nil && err != errTooLarge {
		return nil, err
	}
	if !cw.over {
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
		return io.ReadAll(tmp)
	}
	d.attachCut = true
	var b bytes.Buffer
	omit := map[string]bool{"gates": true, "signoffs": true, "register": true, "records": true}
	if err := d.rep.writeJSON(&b, omit); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var errTooLarge = fmt.Errorf("too large to attach")

type capWriter struct {
	w    io.Writer
	n    int64
	max  int64
	over bool
}

func (c *capWriter) Write(p []byte) (int, error) {
	if c.n+int64(len(p)) > c.max {
		c.over = true
		return 0, errTooLarge
	}
	c.n += int64(len(p))
	return c.w.Write(p)
}

// Fonts and colours.
func (d *pdfDoc) sans(size float64)  { d.f.SetFont("sans", "", size) }
func (d *pdfDoc) bold(size float64)  { d.f.SetFont("sans", "B", size) }
func (d *pdfDoc) mono(size float64)  { d.f.SetFont("mono", "", size) }
func (d *pdfDoc) ink()               { d.f.SetTextColor(0, 0, 0) }
func (d *pdfDoc) grey()              { d.f.SetTextColor(90, 90, 90) }
func (d *pdfDoc) st(s string) string { return printable(s, sansGlyphs) }
func (d *pdfDoc) mt(s string) string { return printable(s, monoGly) }

func (d *pdfDoc) verdictColour() (int, int, int) {
	switch d.rep.Summary.Verdict {
	case "pass":
		return 0, 110, 50
	case "fail":
		return 180, 0, 0
	}
	return 170, 95, 0
}

func (d *pdfDoc) header() {
	if d.f.PageNo() == 1 {
		return
	}
	s := d.rep.Summary
	d.sans(7.5)
	d.grey()
	d.f.SetXY(d.left, 8)
	d.f.CellFormat(d.w*0.8, 4, d.st(fmt.Sprintf("%s · %s · bundle %s · %s", s.Organisation, s.Title, s.BundleID, d.periodText())), "", 0, "L", false, 0, "")
	r, g, b := d.verdictColour()
	d.f.SetTextColor(r, g, b)
	d.bold(7.5)
	d.f.CellFormat(d.w*0.2, 4, strings.ToUpper(s.Verdict), "", 0, "R", false, 0, "")
	d.f.SetDrawColor(180, 180, 180)
	d.f.Line(d.left, 13, d.left+d.w, 13)
	d.f.SetXY(d.left, 20)
	d.ink()
}

func (d *pdfDoc) footer() {
	d.sans(7.5)
	d.grey()
	d.f.SetXY(d.left, -11)
	d.f.CellFormat(d.w/2, 4, d.st("Report date "+d.rep.Summary.Date+" ("+d.rep.Summary.DateSource+")"), "", 0, "L", false, 0, "")
	d.f.CellFormat(d.w/2, 4, fmt.Sprintf("Page %d of {nb}", d.f.PageNo()), "", 0, "R", false, 0, "")
	d.ink()
}

func (d *pdfDoc) periodText() string {
	s := d.rep.Summary
	if s.Run != "" {
		return "run " + s.Run
	}
	if s.Kind == KindEvidence {
		return "the whole bundle"
	}
	return "period " + s.Period.Label + " (" + s.Period.Zone + ")"
}

// localTime is a bundle time shown in the organisation's zone, with the
// time as recorded beside it when they differ.
func (d *pdfDoc) localTime(t string) string {
	tm, err := format.ParseTime(t)
	if err != nil {
		return t
	}
	return tm.In(d.loc).Format("2006-01-02 15:04:05 MST")
}

// para writes a paragraph of wrapped text.
func (d *pdfDoc) para(size float64, text string) {
	d.sans(size)
	d.f.MultiCell(d.w, size*0.5, d.st(text), "", "L", false)
}

func (d *pdfDoc) heading(text string) { d.headingNeeds(text, 30) }

// headingNeeds starts a section on a new page unless need millimetres
// remain on this one.
func (d *pdfDoc) headingNeeds(text string, need float64) {
	d.f.Ln(3)
	if d.f.GetY() > pageFoot-need {
		d.f.AddPage()
	}
	d.bold(13)
	d.ink()
	d.f.CellFormat(d.w, 8, d.st(text), "", 1, "L", false, 0, "")
	d.f.Ln(1)
}

// facts is a two-column list of labels and values.
func (d *pdfDoc) facts(rows [][2]string, monoValues map[string]bool) {
	lw := 52.0
	for _, r := range rows {
		d.bold(9)
		vw := d.w - lw
		var lines []string
		if monoValues[r[0]] {
			d.mono(8)
			lines = d.f.SplitText(d.mt(r[1]), vw)
		} else {
			d.sans(9)
			lines = d.f.SplitText(d.st(r[1]), vw)
		}
		h := 4.6 * float64(max(1, len(lines)))
		if d.f.GetY()+h > 281 {
			d.f.AddPage()
		}
		y := d.f.GetY()
		d.bold(9)
		d.f.SetXY(d.left, y)
		d.f.CellFormat(lw, 4.6, d.st(r[0]), "", 0, "L", false, 0, "")
		if monoValues[r[0]] {
			d.mono(8)
		} else {
			d.sans(9)
		}
		for i, l := range lines {
			d.f.SetXY(d.left+lw, y+4.6*float64(i))
			d.f.CellFormat(vw, 4.6, l, "", 0, "L", false, 0, "")
		}
		d.f.SetXY(d.left, y+h)
	}
}

func (d *pdfDoc) cover() error {
	f := d.f
	s := d.rep.Summary
	f.AddPage()
	d.bold(20)
	d.ink()
	f.MultiCell(d.w, 9, d.st(s.Title), "", "L", false)
	d.sans(12)
	f.MultiCell(d.w, 6, d.st(s.Organisation+" · "+d.periodText()), "", "L", false)
	f.Ln(3)
	r, g, b := d.verdictColour()
	f.SetFillColor(r, g, b)
	f.SetTextColor(255, 255, 255)
	d.bold(20)
	f.CellFormat(d.w, 13, "  "+strings.ToUpper(s.Verdict), "", 1, "L", true, 0, "")
	d.ink()
	f.Ln(2)
	d.para(10, verdictSentence(s))
	f.Ln(2)

	p := s.Period
	d.bold(11)
	f.CellFormat(d.w, 6, "What this report covers", "", 1, "L", false, 0, "")
	rows := [][2]string{
		{"Bundle integrity", s.Integrity},
		{"Authenticity", authenticitySentence(s)},
	}
	if s.Kind == KindMonthly {
		rows = append(rows,
			[2]string{"Period", fmt.Sprintf("%s, %s: from %s to %s (exclusive)", p.Label, p.Zone, p.Start, p.End)},
			[2]string{"Records of the period", periodRange(p)},
			[2]string{"Findings in the period", strconv.Itoa(s.FindingsInPeriod)},
			[2]string{"Findings before the period", fmt.Sprintf("%d (the bundle is cumulative from its genesis; these are not this period's)", s.FindingsBefore)},
			[2]string{"Findings after the period", strconv.Itoa(s.FindingsAfter)},
			[2]string{"Findings naming no record", strconv.Itoa(s.FindingsBundle)},
		)
		if p.Incomplete {
			rows = append(rows, [2]string{"Period incomplete", "the bundle ends at " + p.BundleEnds + ", before the period's end"})
		}
	} else {
		scope := "the whole bundle"
		if s.Run != "" {
			scope = "run " + s.Run + " (its records only)"
		}
		rows = append(rows, [2]string{"Scope", scope}, [2]string{"Findings", strconv.Itoa(len(d.rep.Findings) + s.FindingsOmitted)})
	}
	if s.FindingsOmitted > 0 {
		rows = append(rows, [2]string{"Findings not listed", fmt.Sprintf("%d past the verifier's cap; every finding is counted in the verdict", s.FindingsOmitted)})
	}
	if k := s.Checkpoint; k != nil {
		rows = append(rows, [2]string{"Checkpoint", k.Outcome})
	} else {
		rows = append(rows, [2]string{"Checkpoint", "none given (--checkpoint proves this bundle extends last month's seal)"})
	}
	if s.FinalSeal != "" {
		rows = append(rows, [2]string{"Final seal", "attached as final-seal.checkpoint (sealed " + s.FinalSealTime + "): keep it for next month's --checkpoint"})
	} else {
		rows = append(rows, [2]string{"Final seal", "missing or invalid (see the findings)"})
	}
	d.facts(rows, nil)
	f.Ln(3)
	d.bold(11)
	f.CellFormat(d.w, 6, "The bundle", "", 1, "L", false, 0, "")
	d.facts([][2]string{
		{"Organisation", s.Organisation},
		{"Bundle ID", s.BundleID},
		{"Fingerprint", s.Fingerprint},
		{"Pinned", map[bool]string{true: "yes: the reader pinned this fingerprint (--trust)", false: "no: the fingerprint was read from the bundle itself"}[s.Pinned]},
		{"File", s.File},
		{"SHA-256 of the file", s.FileSHA256},
		{"File size", fmt.Sprintf("%d bytes", s.FileBytes)},
		{"Records", fmt.Sprintf("%d to %d", s.FirstRecord, s.LastRecord)},
		{"Head hash", s.Head},
		{"Rules", "SPEC.md revision " + s.Spec + ", " + s.Tool},
		{"Report date", s.Date + " (" + s.DateSource + ")"},
		{"Re-verify", s.Reverify},
	}, map[string]bool{"Fingerprint": true, "SHA-256 of the file": true, "Head hash": true, "Re-verify": true})
	// The cover says already whether the period is incomplete.
	var notes []string
	for _, n := range s.Notes {
		if !strings.HasPrefix(n, "Period incomplete") {
			notes = append(notes, n)
		}
	}
	if len(notes) > 0 {
		f.Ln(3)
		d.bold(11)
		f.CellFormat(d.w, 6, "Notes", "", 1, "L", false, 0, "")
		for _, n := range notes {
			d.para(9, "• "+n)
		}
	}
	return nil
}

func verdictSentence(s Summary) string {
	switch s.Verdict {
	case "pass":
		return "The bundle verified: every record is intact, the genesis matches the trust root, and no segregation-of-duties rule is broken."
	case "fail":
		return "The bundle FAILED verification: the findings below say what is wrong and on which records. What a record that is not intact says is not evidence."
	case "unauthenticated":
		return "UNAUTHENTICATED: no trust root was given, so the bundle's origin is not established and nothing in it is evidence until it is verified with --trust."
	}
	return "Verdict: " + s.Verdict
}

func authenticitySentence(s Summary) string {
	switch s.Authenticity {
	case "established":
		return "established: the genesis matches the fingerprint pinned by the reader"
	case "failed":
		return "FAILED: the genesis does not match the fingerprint pinned by the reader"
	}
	if s.Trust == TrustUnsafe {
		return "not established: nothing was pinned (--unsafe-no-trust); integrity only"
	}
	if s.Trust == TrustNone {
		return "not established: no trust root was given (--trust)"
	}
	return "not established: the bundle is not intact"
}

// pcol is a table column: title, width (mm), and whether it prints in
// the monospaced font.
type pcol struct {
	title string
	w     float64
	mono  bool
}

// table draws rows with a repeated header, breaking across pages.
type table struct {
	d    *pdfDoc
	cols []pcol
	n    int
}

func (d *pdfDoc) newTable(cols ...pcol) *table {
	t := &table{d: d, cols: cols}
	t.head()
	return t
}

const (
	lineH    = 3.6
	pageFoot = 280.0
)

func (t *table) head() {
	d := t.d
	if d.f.GetY() > pageFoot-15 {
		d.f.AddPage()
	}
	d.bold(7.5)
	d.f.SetFillColor(217, 225, 242)
	x := d.left
	y := d.f.GetY()
	h := 0.0
	for _, c := range t.cols {
		h = max(h, lineH*float64(len(d.f.SplitText(c.title, c.w))))
	}
	h += 1.2
	for _, c := range t.cols {
		d.f.Rect(x, y, c.w, h, "FD")
		for i, l := range d.f.SplitText(c.title, c.w) {
			d.f.SetXY(x, y+0.6+lineH*float64(i))
			d.f.CellFormat(c.w, lineH, l, "", 0, "L", false, 0, "")
		}
		x += c.w
	}
	d.f.SetXY(d.left, y+h)
}

// cut keeps a cell's text within pdfCellChars, saying where the rest is.
func cut(s string, seq int64) string {
	if len([]rune(s)) <= pdfCellChars {
		return s
	}
	where := "the attached JSON"
	if seq >= 0 {
		where += ", record " + strconv.FormatInt(seq, 10)
	}
	return string([]rune(s)[:pdfCellChars]) + " [cut; full text in " + where + "]"
}

// row draws one row; cells follow the columns. A cell is a string, or
// a []string of lines; each text is made printable here (a newline in the
// bundle's text prints escaped) and cut to fit.
func (t *table) row(seq int64, cells ...any) {
	d := t.d
	lines := make([][]string, len(cells))
	h := 0.0
	for i, c := range cells {
		col := t.cols[i]
		var texts []string
		switch c := c.(type) {
		case string:
			texts = []string{c}
		case []string:
			texts = c
		}
		for _, text := range texts {
			if col.mono {
				d.mono(7)
				lines[i] = append(lines[i], d.f.SplitText(d.mt(cut(text, seq)), col.w)...)
			} else {
				d.sans(7.5)
				lines[i] = append(lines[i], d.f.SplitText(d.st(cut(text, seq)), col.w)...)
			}
		}
		h = max(h, lineH*float64(max(1, len(lines[i]))))
	}
	h += 1.2
	if d.f.GetY()+h > pageFoot {
		d.f.AddPage()
		t.head()
	}
	y := d.f.GetY()
	x := d.left
	d.f.SetDrawColor(170, 170, 170)
	for i, col := range t.cols {
		d.f.Rect(x, y, col.w, h, "D")
		if col.mono {
			d.mono(7)
		} else {
			d.sans(7.5)
		}
		for j, l := range lines[i] {
			d.f.SetXY(x, y+0.6+lineH*float64(j))
			d.f.CellFormat(col.w, lineH, l, "", 0, "L", false, 0, "")
		}
		x += col.w
	}
	d.f.SetXY(d.left, y+h)
	t.n++
}

// capped says how many rows of a section the PDF leaves out and where
// they are listed: the XLSX's sheet and the report's JSON.
func (d *pdfDoc) capped(listed, total int64, what, sheet string) {
	if total > listed {
		d.f.Ln(1)
		d.para(8.5, fmt.Sprintf("%d of %d %s are listed here; the other %d are omitted from this PDF. All %d are listed in the XLSX (sheet %s) and %s.",
			listed, total, what, total-listed, total, sheet, d.jsonWhere(what)))
	}
}

// jsonWhere says where the report's JSON lists a section's rows: the
// attached report.json, or, when that attachment leaves the section out
// (past attachMax), the JSON countersign report --json writes.
func (d *pdfDoc) jsonWhere(what string) string {
	if d.attachCut && (what == "gates" || what == "sign-offs" || what == "register rows" || what == "records") {
		return "the JSON written by countersign report --json (the attached report.json is too large to hold them)"
	}
	return "the attached report.json"
}

// listedAll checks that a section the PDF lists in full printed every
// row it holds.
func (d *pdfDoc) listedAll(listed, total int64, what string) error {
	if listed != total {
		return fmt.Errorf("the PDF listed %d of %d %s", listed, total, what)
	}
	return nil
}

func (d *pdfDoc) none(text string) { d.para(9, text) }

// quoted is a verbatim reason between quotation marks.
func quoted(reason string) string {
	if reason == "" {
		return "(no reason in the statement)"
	}
	return "\u201c" + reason + "\u201d"
}

// L is a table cell of several lines.
func L(lines ...string) []string { return lines }

func seqsList(seqs []int64) string {
	if len(seqs) == 0 {
		return "none"
	}
	return seqsText(seqs)
}

func (d *pdfDoc) findingsSection() error {
	d.f.AddPage()
	d.heading("Findings")
	fs := d.rep.Findings
	if len(fs) == 0 {
		d.none("No finding: every integrity check and every segregation-of-duties rule holds.")
		return nil
	}
	d.para(8.5, "Integrity findings come first: a rule finding on a record that failed integrity may be its consequence. Each names the records it rests on.")
	t := d.newTable(pcol{"rule", 32, false}, pcol{"where", 20, false}, pcol{"records", 22, false}, pcol{"message", 70, false}, pcol{"references", 36, false})
	for _, f := range fs {
		t.row(firstSeq(f.Records), f.Rule, f.Where, seqsList(f.Records), f.Message, strings.Join(f.References, "; "))
	}
	if d.rep.Summary.FindingsOmitted > 0 {
		d.para(8.5, fmt.Sprintf("A further %d findings were counted but not kept by the verifier.", d.rep.Summary.FindingsOmitted))
	}
	return nil
}

func (d *pdfDoc) conflictsSection() error {
	d.heading("Conflicts: who held incompatible roles")
	if d.rep.Conflicts.Len() == 0 {
		d.none("No individual or team held incompatible roles in the period, by the findings of the segregation rules and the control register.")
		return nil
	}
	t := d.newTable(pcol{"principal, printed name, team", 38, false}, pcol{"run", 22, false}, pcol{"roles held", 32, false},
		pcol{"held from, to, for", 36, false}, pcol{"rule and finding", 52, false})
	err := d.rep.Conflicts.Each(func(c *ConflictRow) error {
		to := " to " + d.localTime(c.To)
		if c.To == "" {
			to = ", still held at the period's end"
		}
		who := L(c.Principal, c.Name, "team "+c.Team)
		if c.Principal == "" {
			who = L("team "+c.Team, c.Name)
		}
		run := L(c.Run)
		if c.Control != "" {
			run = append(run, "control "+c.Control)
		}
		t.row(firstSeq(c.Records), who, run, c.Roles,
			"from "+d.localTime(c.From)+to+", "+durationText(c.Seconds)+inPeriod(c.Source), c.Rule+": "+c.Message+" (records "+seqsList(c.Records)+")")
		return nil
	})
	if err != nil {
		return err
	}
	return d.listedAll(int64(t.n), d.rep.Conflicts.Len(), "conflicts")
}

var errStop = fmt.Errorf("stop")

// inPeriod says that a register conflict's duration counts the period
// only.
func inPeriod(source string) string {
	if source == "register" {
		return " in the period"
	}
	return ""
}

// delayText is an alert's delay: milliseconds under a second, else
// seconds to the millisecond.
func delayText(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%d.%03d s", ms/1000, ms%1000)
}

func durationText(sec int64) string {
	return (time.Duration(sec) * time.Second).String()
}

func (d *pdfDoc) exceptionsSection() error {
	d.heading("Exceptions")
	if d.rep.Exceptions.Len() == 0 {
		d.none("No exception or small-organisation exception was opened, in force or expired in the period.")
		return nil
	}
	d.para(8.5, "Exceptions to role segregation and small-organisation exceptions in force at some time in the period, or opened in it; the state is as at the period's end. An exception is in force from the first instant of its start date to midnight at the end of its expiry date.")
	t := d.newTable(pcol{"exception, control, run", 28, false}, pcol{"holder, team, beneficiary", 30, false}, pcol{"roles", 20, false},
		pcol{"approver", 26, false}, pcol{"state, opened, in force", 42, false}, pcol{"days, reviews, how it ended", 34, false})
	err := d.rep.Exceptions.Each(func(e *ExceptionRow) error {
		what := L(e.Exception, "control "+e.Control, "run "+e.Run)
		who := L("any unit (small organisation)")
		if e.Kind == "exception" {
			who = L(e.Holder, e.Name, "team "+e.Team)
			if e.Beneficiary != "" && e.Beneficiary != e.Holder {
				who = append(who, "beneficiary "+e.Beneficiary)
			}
		}
		state := L(strings.ToUpper(e.State), "opened "+d.localTime(e.Opened)+map[bool]string{true: " (in the period)", false: ""}[e.OpenedInPeriod])
		var more []string
		switch {
		case e.State == "not applied":
		case e.Kind == "exception":
			state = append(state, "from "+d.localTime(e.From), "until "+d.localTime(e.Until))
			more = append(more, fmt.Sprintf("%s to %s: %d days", e.Starts, e.Expires, e.Days))
			if e.CumulativeDays > e.Days {
				more = append(more, fmt.Sprintf("renewals: %d days cumulative from %s", e.CumulativeDays, e.ChainStarts))
			}
		default:
			state = append(state, "from "+d.localTime(e.From))
			if e.Until != "" {
				state = append(state, "until "+d.localTime(e.Until))
			}
			more = append(more, "review by "+e.Expires)
			if e.Reviews != "" {
				more = append(more, "reviewed "+e.Reviews)
			}
		}
		if e.Reason != "" {
			more = append(more, e.Reason)
		}
		t.row(firstSeq(e.Records), what, who, e.Roles, e.Approver, state, more)
		return nil
	})
	if err != nil {
		return err
	}
	return d.listedAll(int64(t.n), d.rep.Exceptions.Len(), "exceptions")
}

func (d *pdfDoc) refusalsSection() error {
	d.heading("Refused attempts and their alerts")
	if d.rep.Refusals.Len() == 0 {
		d.none("No attempt was refused in the period.")
		return nil
	}
	t := d.newTable(pcol{"record, time", 21, false}, pcol{"run", 19, false}, pcol{"who (printed name, principal, kind)", 28, false},
		pcol{"attempted", 19, false}, pcol{"reason (verbatim)", 27, false}, pcol{"refusal", 35, false}, pcol{"alert", 31, false})
	err := d.rep.Refusals.Each(func(r *RefusalRow) error {
		alert := "none recorded"
		switch {
		case r.Delivered >= 0:
			alert = fmt.Sprintf("record %d, delivered at record %d, %s after the attempt; %s", r.Alert, r.Delivered, delayText(r.AlertDelayMs), r.Delivery)
		case r.Alert >= 0:
			alert = fmt.Sprintf("record %d, %s", r.Alert, r.Delivery)
		}
		what := L(r.Act)
		if r.Meaning != "" {
			what = append(what, r.Meaning+" at stage "+strconv.FormatInt(r.Stage, 10))
		}
		when := L(strconv.FormatInt(r.Seq, 10), d.localTime(r.Time))
		if !r.Intact {
			when = append(when, "NOT INTACT")
		}
		who, reason := L(r.Name, r.Principal+", "+r.Kind), quoted(r.Reason)
		if r.Act == "note" {
			who, reason = L("(the note names no actor: see the detail)"), "(recorded as a note, with no statement)"
		}
		t.row(r.Seq, when, r.Run, who, what,
			reason, r.Code+": "+r.Detail+fmt.Sprintf(" (outcome record %d)", r.Outcome), alert)
		return nil
	})
	if err != nil {
		return err
	}
	return d.listedAll(int64(t.n), d.rep.Refusals.Len(), "refusals")
}

func (d *pdfDoc) gatesSection() error {
	all := d.rep.Summary.Kind == KindEvidence
	d.heading("Gates")
	if all {
		d.para(8.5, "Every gate: who requested it, its quorum, how many signed, and when the run executed. The sign-offs follow.")
	} else {
		d.para(8.5, "Gates with a finding are listed; every gate of the period is in the XLSX and the attached JSON.")
	}
	var t *table
	var listed, withFinding, others, othersListed int64
	err := d.rep.Gates.Each(func(g *GateRow) error {
		if g.Findings > 0 {
			withFinding++
		} else {
			// A gate without a finding is listed in the evidence pack
			// only, up to pdfListCap of them.
			if !all {
				return nil
			}
			others++
			if othersListed >= pdfListCap {
				return nil
			}
			othersListed++
		}
		if t == nil {
			t = d.newTable(pcol{"run, gate, class", 32, false}, pcol{"record, time", 26, false}, pcol{"requester", 28, false},
				pcol{"quorum", 44, false}, pcol{"signed", 16, false}, pcol{"executed", 34, false})
		}
		exec := L("not executed (" + g.State + ")")
		if g.Executed >= 0 {
			exec = L(fmt.Sprintf("record %d", g.Executed), d.localTime(g.ExecutedTime))
		}
		if g.Findings > 0 {
			exec = append(exec, fmt.Sprintf("%d findings: %s", g.Findings, g.Rules))
		}
		t.row(g.Seq, L(g.Run, g.Gate, g.Class), L(strconv.FormatInt(g.Seq, 10), d.localTime(g.Time)), L(g.RequesterName, g.Requester),
			g.Quorum, L(fmt.Sprintf("%d accepted", g.Accepted), fmt.Sprintf("%d refused", g.Refused)), exec)
		listed++
		return nil
	})
	if err != nil {
		return err
	}
	if listed != withFinding+othersListed {
		return fmt.Errorf("the PDF listed %d of %d gates", listed, withFinding+othersListed)
	}
	total := d.rep.Gates.Len()
	switch {
	case t == nil && all:
		d.none("No gate.")
	case t == nil:
		d.none(fmt.Sprintf("None of the period's %d gates has a finding.", total))
	case all:
		if others > othersListed {
			d.f.Ln(1)
			d.para(8.5, fmt.Sprintf("Every one of the %d gates with a finding is listed here, and %d of the %d gates without one; the other %d are omitted from this PDF. All %d gates are listed in the XLSX (sheet Gates) and %s.",
				withFinding, othersListed, others, others-othersListed, total, d.jsonWhere("gates")))
		}
	default:
		d.para(8.5, fmt.Sprintf("%d gates in the period; %d with a finding, every one listed here.", total, withFinding))
	}
	return nil
}

func (d *pdfDoc) signoffsSection() error {
	d.heading("Sign-offs")
	total := d.rep.Signoffs.Len()
	if d.rep.Summary.Kind != KindEvidence {
		d.none(fmt.Sprintf("%d sign-off attempts in the period: each is listed with its signer's printed name, time, meaning and verbatim reason in the XLSX (sheet Sign-offs) and the attached JSON.", total))
		return nil
	}
	if total == 0 {
		d.none("No sign-off.")
		return nil
	}
	t := d.newTable(pcol{"run, gate, stage", 28, false}, pcol{"record, signed at", 28, false}, pcol{"signer (printed name, principal, kind)", 36, false},
		pcol{"meaning", 18, false}, pcol{"reason (verbatim)", 46, false}, pcol{"outcome", 24, false})
	err := d.rep.Signoffs.Each(func(o *SignoffRow) error {
		if int64(t.n) >= pdfListCap {
			return errStop
		}
		out := L(o.Outcome)
		if o.Code != "" && o.Code != "ok" {
			out[0] += ": " + o.Code
		}
		if o.OutSeq >= 0 {
			out = append(out, fmt.Sprintf("record %d", o.OutSeq))
		}
		if !o.Intact {
			out = append(out, "NOT INTACT")
		}
		if o.Findings > 0 {
			out = append(out, o.Rules)
		}
		t.row(o.Seq, L(o.Run, fmt.Sprintf("%s, stage %d", o.Gate, o.Stage)), L(strconv.FormatInt(o.Seq, 10), d.localTime(o.SignedAt)),
			L(o.Name, o.Principal+", "+o.Kind), o.Meaning, quoted(o.Reason), out)
		return nil
	})
	if err != nil && err != errStop {
		return err
	}
	d.capped(int64(t.n), total, "sign-offs", "Sign-offs")
	return nil
}

func (d *pdfDoc) registerSection() error {
	d.heading("Register")
	if d.rep.Register.Len() == 0 {
		d.none("No register rows (an evidence pack of one run lists that run only).")
		return nil
	}
	d.para(8.5, "The register at the start of the period, each change in it, and the register at its end: principals, their keys, the log key, the policy in force, and the control register's controls, teams and role holders.")
	t := d.newTable(pcol{"part", 12, false}, pcol{"kind", 20, false}, pcol{"record", 12, false}, pcol{"principal, printed name", 40, false},
		pcol{"kind, team", 26, false}, pcol{"key ID, policy, or what the change says", 50, true}, pcol{"state", 20, false})
	err := d.rep.Register.Each(func(g *RegisterRow) error {
		if int64(t.n) >= pdfListCap {
			return errStop
		}
		who := L(g.Principal)
		if g.Name != "" {
			who = append(who, g.Name)
		}
		if g.Registrar {
			who = append(who, "(registrar)")
		}
		var key any = g.Key
		kt := g.Type
		if g.Team != "" {
			kt += ", team " + g.Team
		}
		switch g.Kind {
		case "policy":
			key = fmt.Sprintf("version %d, run %s", g.Policy, g.Run)
		case "control", "team", "role":
			kt = strings.TrimPrefix(kt, ", ")
			switch g.Kind {
			case "control":
				who = L("control " + g.Control)
			case "team":
				who, kt = L("team "+g.Team), ""
			}
			lines := L(g.Detail)
			if g.Reason != "" {
				lines = append(lines, "justification "+quoted(g.Reason))
			}
			if g.Run != "" {
				lines = append(lines, "run "+g.Run)
			}
			key = lines
		}
		t.row(g.Seq, g.Part, g.Kind, strconv.FormatInt(g.Seq, 10), who, kt, key, g.State)
		return nil
	})
	if err != nil && err != errStop {
		return err
	}
	d.capped(int64(t.n), d.rep.Register.Len(), "register rows", "Register")
	return nil
}

func (d *pdfDoc) recordsSection() error {
	d.heading("Records")
	n := d.rep.Records.Len()
	if d.rep.Summary.Run == "" {
		d.none(fmt.Sprintf("%d records; each is listed with its time, type, actor, hash and findings in the XLSX (sheet Records) and the attached JSON.", n))
		return nil
	}
	t := d.newTable(pcol{"record", 14, false}, pcol{"time", 36, false}, pcol{"type", 20, false}, pcol{"actor", 26, false},
		pcol{"status", 20, false}, pcol{"record hash", 64, true})
	err := d.rep.Records.Each(func(r *RecordRow) error {
		if int64(t.n) >= pdfListCap {
			return errStop
		}
		status := "intact"
		if !r.Intact {
			status = "NOT INTACT"
		}
		st := L(status)
		if r.Findings > 0 {
			st = append(st, r.Rules)
		}
		t.row(r.Seq, strconv.FormatInt(r.Seq, 10), d.localTime(r.Time), r.Type, r.Actor, st, r.Hash)
		return nil
	})
	if err != nil && err != errStop {
		return err
	}
	d.capped(int64(t.n), n, "records", "Records")
	return nil
}

func (d *pdfDoc) glossarySection() error {
	d.heading("Glossary")
	t := d.newTable(pcol{"term", 36, false}, pcol{"meaning", 144, false})
	for _, g := range d.rep.Glossary {
		t.row(-1, g.Term, g.Meaning)
	}
	return nil
}

func (d *pdfDoc) reverifySection() error {
	s := d.rep.Summary
	d.headingNeeds("How to re-verify", 70)
	d.para(9, "On any machine, with countersign installed and the bundle file beside you, run:")
	d.f.Ln(1)
	d.mono(8.5)
	d.f.SetFillColor(240, 240, 240)
	d.f.MultiCell(d.w, 4.5, d.mt(s.Reverify), "", "L", true)
	d.f.Ln(1)
	fp := "the fingerprint in it is the one pinned for this report"
	if !s.Pinned {
		fp = "replace FINGERPRINT with the bundle's genesis hash obtained out of band, never one taken from the bundle; this bundle's is " + s.Fingerprint
	}
	d.para(9, "The command checks the bundle's every record, signature and seal and every rule again; "+fp+". The file's SHA-256 must be "+s.FileSHA256+".")
	d.f.Ln(2)
	d.para(9, "Attached to this PDF (pdfdetach -list): verify-result.json, the same document countersign verify --json prints; report.json, this report with every text exactly as recorded; and final-seal.checkpoint, the seal to keep for next month's --checkpoint.")
	return nil
}
