package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// refusalsBundle is a bundle of n refused payment proposals by
// agent.payments (role-not-assigned), each alerted and its alert delivered:
// four records a refusal, one second apart, from 2 November 2026.
func refusalsBundle(n int) *fixtures.Builder {
	b := fixtures.New(fixtures.Options{BundleID: "refusals"})
	b.Person("ops.dana", format.KindHuman, "operations")
	b.Person("agent.payments", format.KindAgent, "payments")
	for i := range n {
		refusedPayment(b, fmt.Sprintf("pay-%05d", i), fmt.Sprintf("INV-%05d", i))
	}
	return b
}

// refusedPayment appends a payment proposal by agent.payments refused
// role-not-assigned, its alert and the alert's delivery; it returns the
// proposal's, the alert's and the delivery's sequence numbers.
func refusedPayment(b *fixtures.Builder, run, ref string) (int64, int64, int64) {
	action := []byte(`{"class":"payment","amount":"10.00","currency":"EUR","beneficiary":"ACME Supplies Ltd","reference":"` + ref + `"}`)
	digest := format.ActionDigest(action).String()
	st := b.Sign("agent.payments", &format.Statement{Purpose: format.PurposePropose, Run: run, Class: "payment", Action: digest, Reason: "invoice " + ref + " due"})
	p := b.Append(format.TypeProposal, "agent.payments", &format.Proposal{Run: run, Class: "payment", Action: string(action), Digest: digest, Summary: map[string]string{}}, st)
	b.Append(format.TypeOutcome, "", &format.Outcome{Attempt: p, Result: format.ResultRefused, Code: "role-not-assigned", Detail: "agent.payments does not hold operate on control payments"})
	al := b.Append(format.TypeAlert, "", &format.Alert{Attempt: p, Principal: "agent.payments", Control: "payments", Role: "operate", Text: "agent.payments was refused a payment"})
	d := b.Append(format.TypeAlertDelivery, "", &format.AlertDelivery{Alert: al, Channel: "pager", Status: "delivered", Detail: "message " + ref})
	return p, al, d
}

// The PDF lists every refusal, past the 2,500 rows a listed section once
// stopped at: the last refusal is on the last page of the section, the
// table's header repeats on every page of it, and nothing says rows were
// omitted. Two runs write the same bytes.
func TestPDFListsEveryRefusal(t *testing.T) {
	const n = 2600
	b := refusalsBundle(n)
	tr, mode := pinned(t, b.Genesis())
	rep := build(t, b.Bundle(), Options{Month: "2026-11", Trust: tr, TrustMode: mode})
	if got := rep.Refusals.Len(); got != n {
		t.Fatalf("%d refusal rows, want %d", got, n)
	}
	path, raw := writeP(t, rep)
	_, again := writeP(t, rep)
	if !bytes.Equal(raw, again) {
		t.Error("two PDFs of the same report differ")
	}
	pages := strings.Split(run(t, "pdftotext", path, "-"), "\f")
	text := spaces.ReplaceAllString(strings.Join(pages, " "), " ")
	if strings.Contains(text, "omitted") || strings.Contains(text, "are listed here") {
		t.Errorf("the PDF says rows were omitted")
	}
	// Every refusal's run.
	for i := range n {
		ref := fmt.Sprintf("pay-%05d", i)
		if !strings.Contains(text, ref) {
			t.Fatalf("refusal of run %s is not in the PDF", ref)
		}
	}
	// Every page that lists refusals carries the table's header.
	first, last := 0, 0
	for i, pt := range pages {
		pt = spaces.ReplaceAllString(pt, " ")
		if strings.Contains(pt, "pay-") && strings.Contains(pt, "role-not-assigned") {
			if first == 0 {
				first = i + 1
			}
			last = i + 1
			if !strings.Contains(pt, "who (printed name, principal, kind)") {
				t.Errorf("page %d lists refusals without the table's header", i+1)
			}
		}
	}
	if n := pdfPages(t, path); first == 0 || last-first < 20 || last > n {
		t.Errorf("refusals on pages %d to %d of %d", first, last, n)
	}
	t.Logf("%d refusals on pages %d to %d of %d", n, first, last, len(pages))
}

var pagesLine = regexp.MustCompile(`(?m)^Pages:\s+(\d+)$`)

func pdfPages(t *testing.T, path string) int {
	m := pagesLine.FindStringSubmatch(run(t, "pdfinfo", path))
	if m == nil {
		t.Fatalf("pdfinfo names no page count")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// BenchmarkPDFRefusals measures the page budget of a listed section: a
// monthly report of COUNTERSIGN_PDF_ROWS refused proposals (default
// 10,000), each with its alert. Run with -benchtime=1x; it reports the
// pages, bytes, rows a page, pages per 10,000 rows and the heap in use
// after the PDF is laid out.
func BenchmarkPDFRefusals(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("COUNTERSIGN_PDF_ROWS")); err == nil && v > 0 {
		n = v
	}
	fb := refusalsBundle(n)
	bundle := fb.Bundle()
	for b.Loop() {
		rep, err := Build(b.Context(), bytes.NewReader(bundle), Options{Kind: KindMonthly, Month: "2026-11", Trust: mustPin(b, fb.Genesis()), TrustMode: TrustPinned,
			File: "refusals.csb", TmpDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		// The peak heap while the PDF is laid out, sampled.
		var peak uint64
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
				select {
				case <-stop:
					return
				case <-tick.C:
				}
			}
		}()
		var out bytes.Buffer
		start := time.Now()
		if err := rep.WritePDF(&out); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		close(stop)
		<-done
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(peak-min(peak, before.HeapInuse))/float64(n), "peak-heap-B/row")
		rep.Close()
		p := filepath.Join(b.TempDir(), "r.pdf")
		if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
		// The refusals' pages: the whole document less a report of none.
		pages := countPages(out.Bytes())
		b.ReportMetric(float64(pages), "pages")
		b.ReportMetric(float64(out.Len()), "bytes")
		b.ReportMetric(float64(n), "rows")
		b.ReportMetric(float64(pages)*10000/float64(n), "pages/10k-rows")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "alloc-B/row")
		b.ReportMetric(took.Seconds(), "pdf-s")
		b.Logf("%d refusals: %d pages, %d bytes, %.1f s to write; %s", n, pages, out.Len(), took.Seconds(), p)
		if dir := os.Getenv("COUNTERSIGN_PDF_KEEP"); dir != "" {
			os.WriteFile(filepath.Join(dir, "refusals.pdf"), out.Bytes(), 0o644)
		}
	}
}

var pageObj = regexp.MustCompile(`/Type /Page\b`)

// countPages counts the page objects of a PDF fpdf wrote.
func countPages(pdf []byte) int { return len(pageObj.FindAll(pdf, -1)) }

func mustPin(b *testing.B, g format.Hash) verifier.Trust {
	tr, err := verifier.PinGenesis(g.String())
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// A section the PDF does not list in full says how many rows it omits
// and where they all are: the evidence pack's sign-offs and gates without
// a finding, past the cap (lowered here).
func TestPDFSaysWhatItOmits(t *testing.T) {
	defer func(n int64) { pdfListCap = n }(pdfListCap)
	pdfListCap = 1
	bundle, _, g, _ := fixtures.Demo()
	tr, mode := pinned(t, g)
	rep := build(t, bundle, Options{Kind: KindEvidence, Trust: tr, TrustMode: mode})
	path, _ := writeP(t, rep)
	text := pdfText(t, path)
	for _, want := range []string{
		"1 of 7 sign-offs are listed here; the other 6 are omitted from this PDF. All 7 are listed in the XLSX (sheet Sign-offs) and the attached report.json.",
		"Every one of the 0 gates with a finding is listed here, and 1 of the 2 gates without one; the other 1 are omitted from this PDF. All 2 gates are listed in the XLSX (sheet Gates) and the attached report.json.",
		"1 of " + strconv.FormatInt(rep.Register.Len(), 10) + " register rows are listed here",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not say %q", want)
		}
	}
}
