package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// sheetNames are the workbook's sheets, in order.
var sheetNames = []string{"Summary", "Findings", "Conflicts", "Exceptions", "Refusals", "Gates", "Sign-offs", "Register", "Records"}

// tool returns the path of a command the test needs; a missing tool fails
// the test (CI installs every one in .ci/tools).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed to read the document as other programs do (.ci/tools installs it): %v", name, err)
	}
	return p
}

func writeX(t *testing.T, rep *Report, maxRows int) string {
	t.Helper()
	var b bytes.Buffer
	if err := rep.writeXLSX(&b, maxRows); err != nil {
		t.Fatalf("WriteXLSX: %v", err)
	}
	p := filepath.Join(t.TempDir(), "report.xlsx")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// openpyxl reads the workbook with /usr/bin/python3's openpyxl: every
// sheet's rows counted by iterating (streamed sheets declare a dimension
// of A1), each cell's type and value.
type sheetRead struct {
	Rows   int        `json:"rows"`
	Types  [][]string `json:"types"`
	Values [][]any    `json:"values"`
	Frozen string     `json:"frozen"`
	Tables []string   `json:"tables"`
}

const openpyxlScript = `
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": wb.sheetnames, "props": {"created": wb.properties.created.isoformat(), "title": wb.properties.title, "creator": wb.properties.creator}, "read": {}}
for ws in wb.worksheets:
    types, values, n = [], [], 0
    for row in ws.iter_rows():
        n += 1
        types.append([c.data_type + ("date" if c.is_date else "") for c in row])
        values.append([c.value.isoformat() if hasattr(c.value, "isoformat") else c.value for c in row])
    out["read"][ws.title] = {"rows": n, "types": types, "values": values, "frozen": ws.freeze_panes, "tables": list(ws.tables.keys())}
print(json.dumps(out))
`

type workbookRead struct {
	Sheets []string             `json:"sheets"`
	Props  map[string]string    `json:"props"`
	Read   map[string]sheetRead `json:"read"`
}

func openpyxl(t *testing.T, path string) workbookRead {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("/usr/bin/python3 with openpyxl is needed (.ci/tools installs python3-openpyxl): %v", err)
	}
	out, err := exec.Command(py, "-c", openpyxlScript, path).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("openpyxl cannot read the workbook: %v\n%s", err, msg)
	}
	var wb workbookRead
	if err := json.Unmarshal(out, &wb); err != nil {
		t.Fatal(err)
	}
	return wb
}

func TestXLSXReadByOpenpyxl(t *testing.T) {
	bundle, _ := twoMonths()
	rep := build(t, bundle, Options{Month: "2026-11"})
	wb := openpyxl(t, writeX(t, rep, maxSheetRows))
	if strings.Join(wb.Sheets, ",") != strings.Join(sheetNames, ",") {
		t.Fatalf("sheets %v", wb.Sheets)
	}
	r := rep.Summary.Rows
	want := map[string]int64{"Findings": r.Findings, "Conflicts": r.Conflicts, "Exceptions": r.Exceptions, "Refusals": r.Refusals,
		"Gates": r.Gates, "Sign-offs": r.Signoffs, "Register": r.Register, "Records": r.Records}
	for name, n := range want {
		got := wb.Read[name]
		if int64(got.Rows) != n+1 {
			t.Errorf("%s: %d rows read, want %d and the header", name, got.Rows, n)
		}
		if got.Frozen != "A2" || len(got.Tables) != 1 {
			t.Errorf("%s: frozen at %q, tables %v", name, got.Frozen, got.Tables)
		}
	}
	if r.Conflicts != 1 || r.Signoffs != 4 || r.Records < 20 || r.Findings == 0 {
		t.Fatalf("the fixture's rows changed: %+v", r)
	}
	// Cell types: numbers, dates, booleans, text where they belong.
	for name, types := range map[string]string{
		"Records":   "n ddate s s s b n s s",
		"Sign-offs": "s s n n ddate s s s ddate s s s s n b n s s",
		"Conflicts": "s s s s s s s s ddate ddate n s s s",
	} {
		got := strings.Join(wb.Read[name].Types[1], " ")
		if got != types {
			t.Errorf("%s: cell types %s, want %s", name, got, types)
		}
	}
	// An attacker's reason that looks like a formula is text.
	found := false
	for _, row := range wb.Read["Sign-offs"].Values {
		for i, v := range row {
			if s, ok := v.(string); ok && strings.HasPrefix(s, "=HYPERLINK") {
				found = true
				if wb.Read["Sign-offs"].Types[1][i] != "s" {
					t.Errorf("formula-like reason has type %s", wb.Read["Sign-offs"].Types[1][i])
				}
			}
		}
	}
	if !found {
		t.Error("the formula-like reason is not on the Sign-offs sheet as text")
	}
	date, _ := format.ParseTime(rep.Summary.Date)
	if rep.Summary.DateSource != "the bundle's final seal" || wb.Props["created"] != date.Format("2006-01-02T15:04:05") || wb.Props["creator"] != "countersign" {
		t.Errorf("document properties %v", wb.Props)
	}
	sum := map[string]any{}
	for _, row := range wb.Read["Summary"].Values[1:] {
		sum[row[0].(string)] = row[1]
	}
	if sum["verdict"] != "FAIL" || sum["Conflicts rows"] != float64(1) || sum["cells cut to 32,767 characters"] != float64(0) || sum["sheets split"] != "none" {
		t.Errorf("summary %v", sum)
	}
}

func TestXLSXDeterministic(t *testing.T) {
	bundle, _, _, _ := fixtures.Demo()
	var out [2][]byte
	for i := range out {
		rep := build(t, bundle, Options{Month: "2026-11"})
		var b bytes.Buffer
		if err := rep.WriteXLSX(&b); err != nil {
			t.Fatal(err)
		}
		out[i] = b.Bytes()
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Fatal("two runs wrote different workbooks")
	}
}

// A reason longer than a cell holds is cut visibly, and counted.
func TestXLSXCutsLongText(t *testing.T) {
	b := fixtures.New(fixtures.Options{})
	b.Person("agent.pay", format.KindAgent, "payments")
	b.Person("risk.ana", format.KindHuman, "risk")
	stages := []format.Stage{{Stage: 1, N: 1, Pool: []string{"risk.ana"}, Meaning: format.MeaningApproval}}
	pol := format.PolicyAction{Class: format.ClassPolicy, Version: 1, Control: "payments", Gates: []format.GateDef{{Class: "payment", Gate: "pay", Stages: stages}},
		Grants: []format.Grant{{Principal: "agent.pay", Role: format.GrantMaker, Classes: []string{"payment"}}, {Principal: "risk.ana", Role: format.GrantChecker, Classes: []string{"payment"}}}}
	b.ApprovePolicy("risk.ana", &pol)
	r := &fixtures.Run{B: b, ID: "pay-long", Maker: "agent.pay", Action: []byte(`{"class":"payment","amount":"1.00","currency":"EUR"}`)}
	r.Propose()
	r.Gate(1, "pay", stages)
	long := strings.Repeat("é", 40000)
	seq := r.Signoff("risk.ana", 1, format.MeaningApproval, long, true, "ok")
	r.Execute("agent.pay", true, "ok")
	rep := build(t, b.Bundle(), Options{Kind: KindEvidence})
	wb := openpyxl(t, writeX(t, rep, maxSheetRows))
	mark := "[cut; full text in the JSON, record " + itoa(seq) + "]"
	var cut string
	for _, row := range wb.Read["Sign-offs"].Values {
		for _, v := range row {
			if s, ok := v.(string); ok && strings.HasPrefix(s, "éééé") {
				cut = s
			}
		}
	}
	if !strings.HasSuffix(cut, mark) || len([]rune(cut)) > maxCellChars || len([]rune(cut)) < maxCellChars-100 {
		t.Errorf("cut cell: %d characters, ends %q", len([]rune(cut)), cut[max(0, len(cut)-60):])
	}
	for _, row := range wb.Read["Summary"].Values {
		if row[0] == "cells cut to 32,767 characters" && row[1] != float64(1) {
			t.Errorf("summary counts %v cuts, want 1", row[1])
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(js.String(), long) {
		t.Error("the JSON lacks the whole reason")
	}
}

// Past the row limit a sheet continues on another, and Summary says so.
func TestXLSXSplitsLongSheets(t *testing.T) {
	bundle, _, _, _ := fixtures.Demo()
	rep := build(t, bundle, Options{Month: "2026-11"})
	wb := openpyxl(t, writeX(t, rep, 10))
	total := 0
	var parts []string
	for _, name := range wb.Sheets {
		if name == "Records" || strings.HasPrefix(name, "Records (") {
			parts = append(parts, name)
			n := wb.Read[name].Rows
			if n > 10 {
				t.Errorf("%s has %d rows, over the limit of 10", name, n)
			}
			total += n - 1
		}
	}
	if int64(total) != rep.Records.Len() || len(parts) != 4 || parts[1] != "Records (2)" {
		t.Errorf("records split over %v: %d rows of %d", parts, total, rep.Records.Len())
	}
	for _, row := range wb.Read["Summary"].Values {
		if row[0] == "sheets split" && !strings.Contains(row[1].(string), "Records") {
			t.Errorf("summary says %v", row[1])
		}
	}
}

// LibreOffice converts every sheet, each to CSV, with a private profile in
// a fresh directory so that parallel runs do not wait on its lock.
func TestXLSXConvertedByLibreOffice(t *testing.T) {
	soffice := tool(t, "soffice")
	bundle, _ := twoMonths()
	rep := build(t, bundle, Options{Month: "2026-11"})
	src := writeX(t, rep, maxSheetRows)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless", "--norestore",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1", "--outdir", dir, src)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	counts := map[string]int64{"Summary": -1, "Findings": rep.Summary.Rows.Findings, "Conflicts": rep.Summary.Rows.Conflicts,
		"Exceptions": 0, "Refusals": rep.Summary.Rows.Refusals, "Gates": rep.Summary.Rows.Gates, "Sign-offs": rep.Summary.Rows.Signoffs,
		"Register": rep.Summary.Rows.Register, "Records": rep.Summary.Rows.Records}
	for _, name := range sheetNames {
		b, err := os.ReadFile(filepath.Join(dir, "report-"+name+".csv"))
		if err != nil {
			t.Errorf("LibreOffice wrote no CSV of sheet %s: %v", name, err)
			continue
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if n := counts[name]; n >= 0 && int64(len(recs)) != n+1 {
			t.Errorf("%s: %d CSV rows, want %d and the header", name, len(recs), n)
		}
		if name == "Sign-offs" && !strings.Contains(string(b), `=HYPERLINK(""http://x"")`) {
			t.Errorf("the formula-like reason is not literal text in LibreOffice's CSV:\n%s", b)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
