package reports

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/verifier"
)

func vector(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.Vectors(), name+".csb")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Refusals carry their alert: the alert record, the first delivery with
// status delivered and the delay from the refused act to it, failed
// deliveries counted; a refusal recorded as a note is a row too; an
// alertable refusal with no alert says so.
func TestRefusalAlerts(t *testing.T) {
	type want struct {
		seq                     int64
		act, code               string
		alert, delivered, delay int64
		delivery                string
	}
	for _, tt := range []struct {
		vector string
		want   []want
	}{
		{"alert-failed-retried", []want{
			{7, "propose", "role-not-assigned", 9, 12, 30000, "delivered via "},
			{13, "note", "role-not-assigned", 14, 15, 2000, "delivered via "},
		}},
		{"alert-failed-no-retry", []want{{7, "signoff", "not-in-pool", 9, -1, -1, "not delivered: 1 failed, the last: "}}},
		{"alert-missing", []want{{7, "signoff", "not-in-pool", -1, -1, -1, "none recorded"}}},
	} {
		t.Run(tt.vector, func(t *testing.T) {
			rep := build(t, vector(t, tt.vector), Options{Kind: KindEvidence})
			got := rows(t, rep.Refusals)
			if len(got) != len(tt.want) {
				t.Fatalf("%d refusal rows, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				r := got[i]
				if r.Seq != w.seq || r.Act != w.act || r.Code != w.code || r.Alert != w.alert || r.Delivered != w.delivered || r.AlertDelayMs != w.delay ||
					!strings.HasPrefix(r.Delivery, w.delivery) || r.Hash == "" {
					t.Errorf("row %d: %+v\nwant %+v", i, r, w)
				}
				if w.delivered >= 0 && r.DeliveredTime == "" {
					t.Errorf("row %d: no delivery time", i)
				}
			}
			if strings.Contains(tt.vector, "retried") && !strings.Contains(got[0].Delivery, "after 1 failed") {
				t.Errorf("the retried delivery does not count the failed one: %q", got[0].Delivery)
			}
		})
	}
}

// The register rows carry the control register's changes (kinds control,
// team and role) with what each says, and its state at the period's end.
func TestRegisterControlRows(t *testing.T) {
	rep := build(t, vector(t, "controls-register-complete"), Options{Kind: KindEvidence})
	var changes, end []string
	for _, r := range rows(t, rep.Register) {
		switch r.Kind {
		case verifier.ChangeControl, verifier.ChangeTeam, verifier.ChangeRole:
		default:
			continue
		}
		if r.Detail == "" || r.Seq <= 0 || !r.Applied {
			t.Errorf("register row without its change: %+v", r)
		}
		line := r.Kind + " " + r.Detail
		if r.Kind == verifier.ChangeRole && r.Reason == "" {
			t.Errorf("role row without its justification: %+v", r)
		}
		switch r.Part {
		case "change":
			if r.Hash == "" {
				t.Errorf("change row without its record hash: %+v", r)
			}
			changes = append(changes, line)
		case "end":
			end = append(end, line)
		}
	}
	all := strings.Join(changes, "\n")
	for _, w := range []string{"control \"", ", material, governs ", "team \"", "role assign build on ", "role unassign audit on "} {
		if !strings.Contains(all, w) {
			t.Errorf("register changes lack %q:\n%s", w, all)
		}
	}
	// At the end: every control, each role's holders as they stand (the
	// unassigned auditor gone), every team.
	fin := strings.Join(end, "\n")
	if strings.Contains(fin, "unassign") || !strings.Contains(fin, "role assign audit on ") || !strings.Contains(fin, "team \"") {
		t.Errorf("register at the end:\n%s", fin)
	}
	for _, r := range rows(t, rep.Register) {
		if r.Part == "end" && r.Kind == verifier.ChangeRole && strings.Contains(all, "role unassign audit on "+r.Control+" from "+r.Principal) && r.Principal != "" && r.Role == "audit" {
			t.Errorf("the unassigned auditor is still in the register at the end: %+v", r)
		}
	}
}

// A team holding two roles on one control is a conflict row of the
// register, from the change that started it, citing the
// SOD-CONTROL-ROLES finding, still held when the bundle ends.
func TestRegisterConflict(t *testing.T) {
	rep := build(t, vector(t, "ctl-team-members-two-roles"), Options{Kind: KindEvidence})
	got := rows(t, rep.Conflicts)
	if len(got) != 1 {
		t.Fatalf("%d conflict rows, want 1: %+v", len(got), got)
	}
	c := got[0]
	if c.Source != "register" || c.Rule != verifier.RuleControlRoles || c.Control != "risk-limit" || c.Team != "quant" || c.Principal != "" ||
		c.Roles != "build, approve" || c.To != "" || c.From == "" || len(c.Records) != 2 || c.Records[0] != 151 || c.Records[1] != 160 ||
		!strings.Contains(c.Message, "leaves team quant holding roles") || c.Hash == "" || c.Run != "role-abe" {
		t.Errorf("conflict %+v", c)
	}
	// A month that ends before the conflict began has no row.
	if n := build(t, vector(t, "ctl-team-members-two-roles"), Options{Month: "2026-10"}).Conflicts.Len(); n != 0 {
		t.Errorf("%d conflict rows in a month before the conflict", n)
	}
}

// The control register's rows reach every renderer: the alert columns and
// register changes in the XLSX (read by openpyxl) and the PDF (read by
// pdftotext), the register conflict in both; each written twice is the
// same bytes.
func TestControlRowsRendered(t *testing.T) {
	alerted := build(t, vector(t, "alert-failed-retried"), Options{Kind: KindEvidence})
	wb := openpyxl(t, writeX(t, alerted, maxSheetRows))
	ref := wb.Read["Refusals"]
	col := func(s sheetRead, name string) int {
		for i, v := range s.Values[0] {
			if v == name {
				return i
			}
		}
		t.Fatalf("no column %q in %v", name, s.Values[0])
		return -1
	}
	if ref.Rows != 3 {
		t.Fatalf("Refusals: %d rows, want the header and 2", ref.Rows)
	}
	first := ref.Values[1]
	if first[col(ref, "alert record")] != "9" || first[col(ref, "alert delivered at record")] != "12" || first[col(ref, "alert delay (ms)")] != "30000" ||
		!strings.Contains(first[col(ref, "alert delivery")].(string), "after 1 failed") {
		t.Errorf("Refusals row: %v", first)
	}
	if note := ref.Values[2]; note[col(ref, "act")] != "note" || note[col(ref, "alert delay (ms)")] != "2000" {
		t.Errorf("the note's row: %v", note)
	}
	p, _ := writeP(t, alerted)
	text := pdfText(t, p)
	for _, w := range []string{"record 9, delivered at record 12, 30.000 s after the attempt", "record 14, delivered at record 15, 2.000 s after the attempt"} {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}

	conflict := build(t, vector(t, "ctl-team-members-two-roles"), Options{Kind: KindEvidence})
	wb = openpyxl(t, writeX(t, conflict, maxSheetRows))
	cs := wb.Read["Conflicts"]
	if cs.Rows != 2 || cs.Values[1][col(cs, "source")] != "register" || cs.Values[1][col(cs, "roles held")] != "build, approve" || cs.Values[1][col(cs, "team")] != "quant" {
		t.Errorf("Conflicts sheet: %v", cs.Values)
	}
	reg := wb.Read["Register"]
	found := false
	for _, row := range reg.Values[1:] {
		if row[col(reg, "change kind")] == "role" && row[col(reg, "op")] == "assign" && row[col(reg, "role")] == "approve" && row[col(reg, "control")] == "risk-limit" {
			found = true
		}
	}
	if !found {
		t.Errorf("the Register sheet lacks the approver's assignment on risk-limit")
	}
	p, b1 := writeP(t, conflict)
	text = pdfText(t, p)
	for _, w := range []string{"team quant", "build, approve", "still held at the period's end", "leaves team quant holding roles [build approve] on control risk-limit",
		"assign approve on risk-limit to"} {
		if !strings.Contains(text, w) {
			t.Errorf("the PDF lacks %q", w)
		}
	}
	_, b2 := writeP(t, build(t, vector(t, "ctl-team-members-two-roles"), Options{Kind: KindEvidence}))
	if !bytes.Equal(b1, b2) {
		t.Error("two PDFs of the same bundle differ")
	}
	var x [2]bytes.Buffer
	for i := range x {
		if err := build(t, vector(t, "alert-failed-retried"), Options{Kind: KindEvidence}).WriteXLSX(&x[i]); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(x[0].Bytes(), x[1].Bytes()) {
		t.Error("two workbooks of the same bundle differ")
	}
}
