package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

func build(t *testing.T, bundle []byte, o Options) *Report {
	t.Helper()
	if o.Kind == "" {
		o.Kind = KindMonthly
	}
	if o.TrustMode == "" {
		o.Trust, o.TrustMode = verifier.UnsafeNoTrust(), TrustUnsafe
	}
	if o.File == "" {
		o.File = "evidence.csb"
	}
	o.TmpDir = t.TempDir()
	rep, err := Build(context.Background(), bytes.NewReader(bundle), o)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	t.Cleanup(rep.Close)
	return rep
}

func pinned(t *testing.T, g format.Hash) (verifier.Trust, string) {
	t.Helper()
	tr, err := verifier.PinGenesis(g.String())
	if err != nil {
		t.Fatal(err)
	}
	return tr, TrustPinned
}

func rows[T any](t *testing.T, s *Section[T]) []T {
	t.Helper()
	var out []T
	if err := s.Each(func(r *T) error { out = append(out, *r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDemoMonth(t *testing.T) {
	bundle, _, g, _ := fixtures.Demo()
	tr, mode := pinned(t, g)
	rep := build(t, bundle, Options{Month: "2026-11", Trust: tr, TrustMode: mode})
	s := rep.Summary
	if s.Verdict != verifier.VerdictPass || s.Authenticity != verifier.AuthEstablished || !s.Pinned {
		t.Fatalf("verdict %s, authenticity %s, pinned %v", s.Verdict, s.Authenticity, s.Pinned)
	}
	if s.Period.Zone != "Europe/London" || s.Period.FirstSeq != 0 || s.Period.LastSeq != s.LastRecord || !s.Period.Incomplete {
		t.Errorf("period %+v, last record %d", s.Period, s.LastRecord)
	}
	if s.DateSource != "the bundle's final seal" || s.Date != s.FinalSealTime || s.FinalSeal == "" {
		t.Errorf("date %q from %q, final seal %q", s.Date, s.DateSource, s.FinalSeal)
	}
	var codes []string
	for _, r := range rows(t, rep.Refusals) {
		codes = append(codes, r.Code)
		if r.Hash == "" || r.OutHash == "" || r.Outcome <= r.Seq {
			t.Errorf("refusal not traceable: %+v", r)
		}
	}
	if got := strings.Join(codes, ","); got != "self-approval,human-required,quorum-not-met" {
		t.Errorf("refusal codes %s", got)
	}
	gates := rows(t, rep.Gates)
	if len(gates) != 2 || gates[0].Gate != "governance" || gates[1].Gate != "payment-release" || gates[1].Accepted != 3 || gates[1].Refused != 2 ||
		gates[1].RequesterName != "Payments Agent" || gates[1].Executed < 0 {
		t.Errorf("gates %+v", gates)
	}
	var reasons []string
	for _, r := range rows(t, rep.Signoffs) {
		reasons = append(reasons, r.Name+": "+r.Reason)
	}
	for _, want := range []string{"Ana Ribeiro: supplier verified against the vendor master; amount within budget",
		"Ben Adeyemi: four-eyes check done: invoice and purchase order agree", "Payments Agent: amount matches the invoice"} {
		if !strings.Contains(strings.Join(reasons, "\n"), want) {
			t.Errorf("sign-offs lack %q: %q", want, reasons)
		}
	}
	if len(reasons) != 7 {
		t.Errorf("%d sign-offs, want 7", len(reasons))
	}
	if n := rep.Records.Len(); n != s.LastRecord+1 {
		t.Errorf("%d record rows, want %d", n, s.LastRecord+1)
	}
	// The register: no start (the period begins at genesis), every
	// enrolment as a change, and the end.
	parts := map[string]int{}
	for _, r := range rows(t, rep.Register) {
		parts[r.Part]++
	}
	if parts["start"] != 0 || parts["change"] < 9 || parts["end"] != parts["change"] {
		t.Errorf("register parts %v", parts)
	}
	if rep.Conflicts.Len() != 0 || rep.Exceptions.Len() != 0 || len(rep.Findings) != 0 {
		t.Errorf("conflicts %d, exceptions %d, findings %d on the honest demo", rep.Conflicts.Len(), rep.Exceptions.Len(), len(rep.Findings))
	}
}

func TestTamperedDemoFails(t *testing.T) {
	_, tampered, g, altered := fixtures.Demo()
	tr, mode := pinned(t, g)
	rep := build(t, tampered, Options{Month: "2026-11", Trust: tr, TrustMode: mode})
	s := rep.Summary
	if s.Verdict != verifier.VerdictFail || !strings.HasPrefix(s.Integrity, "NOT INTACT") {
		t.Fatalf("verdict %s, integrity %s", s.Verdict, s.Integrity)
	}
	if s.FindingsInPeriod == 0 || s.FindingsInPeriod != len(rep.Findings) {
		t.Errorf("%d findings in period of %d", s.FindingsInPeriod, len(rep.Findings))
	}
	if rep.Findings[0].Class != "integrity" || len(rep.Findings[0].References) == 0 {
		t.Errorf("first finding %+v", rep.Findings[0])
	}
	found := false
	for _, f := range rep.Findings {
		for i, r := range f.Records {
			if r == altered && f.Hashes[i] != "" {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no finding names the altered record %d with its hash: %+v", altered, rep.Findings)
	}
}

// twoMonths is a bundle whose first run, in November, has its maker sign
// its own approval (a SOD-MAKER-CHECKER finding), and whose second run, in
// December, is clean.
func twoMonths() ([]byte, format.Hash) {
	b := fixtures.New(fixtures.Options{BundleID: "two-months", TZ: "America/New_York"})
	b.Person("agent.pay", format.KindAgent, "payments")
	b.Person("risk.ana", format.KindHuman, "risk")
	b.Person("risk.ben", format.KindHuman, "risk")
	b.Person("ops.dana", format.KindHuman, "operations")
	stages := []format.Stage{{Stage: 1, N: 2, Pool: []string{"agent.pay", "risk.ana", "risk.ben"}, Meaning: format.MeaningApproval}}
	pol := format.PolicyAction{Class: format.ClassPolicy, Version: 1, Control: "payments",
		Gates: []format.GateDef{{Class: "payment", Gate: "pay", Stages: stages}}}
	for _, p := range []string{"agent.pay", "risk.ana", "risk.ben"} {
		pol.Grants = append(pol.Grants, format.Grant{Principal: p, Role: format.GrantChecker, Classes: []string{"payment"}})
	}
	pol.Grants[0].Role = format.GrantMaker
	b.ApprovePolicy("ops.dana", &pol)
	pay := func(id string, self bool) {
		act := []byte(`{"class":"payment","amount":"10.00","currency":"EUR","reference":"` + id + `"}`)
		r := &fixtures.Run{B: b, ID: id, Maker: "agent.pay", Action: act}
		r.Propose()
		r.Gate(1, "pay", stages)
		if self {
			r.Signoff("agent.pay", 1, format.MeaningApproval, "=HYPERLINK(\"http://x\")", true, "ok")
		} else {
			r.Signoff("risk.ben", 1, format.MeaningApproval, "second look", true, "ok")
		}
		r.Signoff("risk.ana", 1, format.MeaningApproval, "looks right", true, "ok")
		r.Execute("agent.pay", true, "ok")
	}
	pay("pay-nov", true)
	b.Step = 24 * time.Hour
	for i := 0; i < 40; i++ {
		b.Append(format.TypeNote, "", &format.Note{Code: "tick", Text: "a day"})
	}
	b.Step = time.Second
	pay("pay-dec", false)
	return b.Bundle(), b.Genesis()
}

func TestPeriodSemantics(t *testing.T) {
	bundle, _ := twoMonths()
	nov := build(t, bundle, Options{Month: "2026-11"})
	dec := build(t, bundle, Options{Month: "2026-12"})
	jan := build(t, bundle, Options{Month: "2027-01"})
	oct := build(t, bundle, Options{Month: "2026-10"})
	if nov.Summary.Verdict != verifier.VerdictFail {
		t.Fatalf("verdict %s, want fail (the maker signed its own run)", nov.Summary.Verdict)
	}
	n, d := nov.Summary, dec.Summary
	if n.Period.Zone != "America/New_York" || n.Period.Start != "2026-11-01T00:00:00-04:00" || n.Period.End != "2026-12-01T00:00:00-05:00" {
		t.Errorf("november %+v", n.Period)
	}
	if n.FindingsInPeriod == 0 || n.FindingsBefore != 0 || n.Period.Incomplete {
		t.Errorf("november: %d in, %d before, incomplete %v", n.FindingsInPeriod, n.FindingsBefore, n.Period.Incomplete)
	}
	if d.FindingsInPeriod != 0 || d.FindingsBefore != n.FindingsInPeriod || !d.Period.Incomplete {
		t.Errorf("december: %d in, %d before, incomplete %v", d.FindingsInPeriod, d.FindingsBefore, d.Period.Incomplete)
	}
	if n.Period.LastSeq+1 != d.Period.FirstSeq {
		t.Errorf("november ends at %d, december begins at %d: not contiguous", n.Period.LastSeq, d.Period.FirstSeq)
	}
	if nov.Records.Len()+dec.Records.Len() != n.LastRecord+1 {
		t.Errorf("records %d + %d, bundle %d", nov.Records.Len(), dec.Records.Len(), n.LastRecord+1)
	}
	cs := rows(t, nov.Conflicts)
	if len(cs) != 1 || cs[0].Principal != "agent.pay" || cs[0].Run != "pay-nov" || cs[0].Team != "payments" ||
		cs[0].Rule != "SOD-MAKER-CHECKER, SOD-ONE-ROLE" ||
		!strings.Contains(cs[0].Roles, "proposer") || !strings.Contains(cs[0].Roles, "approval at stage 1") || cs[0].Seconds <= 0 || cs[0].Hash == "" {
		t.Errorf("november conflicts %+v", cs)
	}
	if dec.Conflicts.Len() != 0 {
		t.Errorf("december has %d conflicts", dec.Conflicts.Len())
	}
	gd := rows(t, dec.Gates)
	if len(gd) != 1 || gd[0].Run != "pay-dec" {
		t.Errorf("december gates %+v", gd)
	}
	// December's register starts with what November ended with.
	var start, end int
	for _, r := range rows(t, dec.Register) {
		switch r.Part {
		case "start":
			start++
		case "end":
			end++
		case "change":
			t.Errorf("december register change %+v", r)
		}
	}
	if start == 0 || start != end {
		t.Errorf("december register: %d start rows, %d end rows", start, end)
	}
	if jan.Summary.Period.FirstSeq != -1 || jan.Records.Len() != 0 || jan.Summary.FindingsBefore != n.FindingsInPeriod {
		t.Errorf("january %+v", jan.Summary.Period)
	}
	if oct.Summary.Period.FirstSeq != -1 || oct.Summary.FindingsAfter != n.FindingsInPeriod || oct.Summary.Period.Incomplete {
		t.Errorf("october %+v, %d after", oct.Summary.Period, oct.Summary.FindingsAfter)
	}
	days := build(t, bundle, Options{From: "2026-11-02", To: "2026-11-02"})
	if days.Summary.Period.FirstSeq != 0 || days.Summary.Period.LastSeq >= n.Period.LastSeq || days.Summary.Period.Label != "2026-11-02 to 2026-11-02" {
		t.Errorf("one day %+v", days.Summary.Period)
	}
}

func TestEvidenceRun(t *testing.T) {
	bundle, _, g, _ := fixtures.Demo()
	tr, mode := pinned(t, g)
	rep := build(t, bundle, Options{Kind: KindEvidence, Run: "pay-0001", Trust: tr, TrustMode: mode})
	if rep.Summary.Run != "pay-0001" || rep.Summary.Period.Label != "the whole bundle" {
		t.Errorf("summary %+v", rep.Summary)
	}
	for _, g := range rows(t, rep.Gates) {
		if g.Run != "pay-0001" {
			t.Errorf("gate of run %s", g.Run)
		}
	}
	recs := rows(t, rep.Records)
	if len(recs) != 18 || recs[0].Type != format.TypeProposal || recs[len(recs)-1].Type != format.TypeExecution {
		t.Errorf("%d records of the run: %+v", len(recs), recs)
	}
	if rep.Signoffs.Len() != 5 || rep.Register.Len() != 0 {
		t.Errorf("%d sign-offs, %d register rows", rep.Signoffs.Len(), rep.Register.Len())
	}
	whole := build(t, bundle, Options{Kind: KindEvidence, Trust: tr, TrustMode: mode})
	if whole.Records.Len() != whole.Summary.LastRecord+1 || whole.Signoffs.Len() != 7 {
		t.Errorf("whole bundle: %d records, %d sign-offs", whole.Records.Len(), whole.Signoffs.Len())
	}
}

func TestJSONDeterministicAndVersioned(t *testing.T) {
	bundle, _ := twoMonths()
	var out [2]bytes.Buffer
	for i := range out {
		rep := build(t, bundle, Options{Month: "2026-11"})
		if err := rep.WriteJSON(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0].Bytes(), out[1].Bytes()) {
		t.Fatal("two runs wrote different JSON")
	}
	var doc struct {
		Format    string          `json:"format"`
		Version   int             `json:"version"`
		Summary   Summary         `json:"summary"`
		Conflicts []ConflictRow   `json:"conflicts"`
		Records   []RecordRow     `json:"records"`
		Glossary  []Term          `json:"glossary"`
		Result    verifier.Result `json:"result"`
	}
	if err := json.Unmarshal(out[0].Bytes(), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.Format != Format || doc.Version != Version || doc.Summary.Kind != KindMonthly || len(doc.Conflicts) != 1 ||
		int64(len(doc.Records)) != doc.Summary.Period.Records || len(doc.Glossary) == 0 || doc.Result.Format != verifier.ResultFormat {
		t.Errorf("document: format %q v%d, %d conflicts, %d records of %d, result %q", doc.Format, doc.Version, len(doc.Conflicts),
			len(doc.Records), doc.Summary.Period.Records, doc.Result.Format)
	}
	if doc.Conflicts[0].Hash == "" || len(doc.Conflicts[0].Records) == 0 {
		t.Errorf("conflict not traceable: %+v", doc.Conflicts[0])
	}
}

func TestDateNeverTheClock(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	b.Append(format.TypeNote, "", &format.Note{Code: "x", Text: "y"})
	lines := b.Lines // no final seal
	bundle := fixtures.Pack(lines, nil)
	rep := build(t, bundle, Options{Kind: KindEvidence})
	if rep.Summary.Date != b.Now() && !strings.HasPrefix(rep.Summary.DateSource, "the last record") {
		t.Errorf("date %q from %q", rep.Summary.Date, rep.Summary.DateSource)
	}
	rep = build(t, bundle, Options{Kind: KindEvidence, SourceDateEpoch: "1790000000"})
	if rep.Summary.Date != "2026-09-21T14:13:20.000Z" || rep.Summary.DateSource != "SOURCE_DATE_EPOCH" {
		t.Errorf("date %q from %q", rep.Summary.Date, rep.Summary.DateSource)
	}
}

func TestOptionsRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"no period", Options{Kind: KindMonthly}},
		{"bad month", Options{Kind: KindMonthly, Month: "2026-13"}},
		{"month and days", Options{Kind: KindMonthly, Month: "2026-11", From: "2026-11-01", To: "2026-11-02"}},
		{"from alone", Options{Kind: KindMonthly, From: "2026-11-01"}},
		{"to before from", Options{Kind: KindMonthly, From: "2026-11-02", To: "2026-11-01"}},
		{"evidence with a period", Options{Kind: KindEvidence, Month: "2026-11"}},
		{"monthly with a run", Options{Kind: KindMonthly, Month: "2026-11", Run: "pay-1"}},
	} {
		if err := CheckOptions(c.o); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
	if _, err := Build(context.Background(), strings.NewReader("not a bundle"), Options{Kind: KindEvidence, Trust: verifier.UnsafeNoTrust(), TmpDir: t.TempDir()}); !errors.Is(err, verifier.ErrNotBundle) {
		t.Errorf("not a bundle: %v", err)
	}
}
