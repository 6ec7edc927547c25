package main

import (
	"encoding/csv"
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// govRun puts a change through the governance gate of a fixture bundle.
func govRun(b *fixtures.Builder, id string, action any) {
	raw, err := json.Marshal(action)
	if err != nil {
		panic(err)
	}
	r := &fixtures.Run{B: b, ID: id, Maker: "ops.dana", Action: raw}
	r.Propose()
	r.Gate(0, "governance", []format.Stage{{Stage: 1, N: 2, Pool: []string{"reg.alex", "reg.bea"}, Meaning: format.MeaningApproval, Human: true}})
	r.Signoff("reg.alex", 1, format.MeaningApproval, "reviewed", true, "ok")
	r.Signoff("reg.bea", 1, format.MeaningApproval, "approved", true, "ok")
	r.Execute("ops.dana", true, "ok")
}

// TestRegister pins the register of the control vector with a complete
// register, as of its end and as of a record before a role change, as
// text, JSON and CSV, and the command's errors; and that names that are
// formulas or terminal controls reach neither a spreadsheet nor the
// terminal as such.
func TestRegister(t *testing.T) {
	dir := t.TempDir()
	raw, err := fs.ReadFile(fixtures.Vectors(), "controls-register-complete.csb")
	if err != nil {
		t.Fatal(err)
	}
	bundle := write(t, dir, "controls.csb", raw)
	var exp fixtures.Expect
	ej, _ := fs.ReadFile(fixtures.Vectors(), "controls-register-complete.expect.json")
	if err := json.Unmarshal(ej, &exp); err != nil {
		t.Fatal(err)
	}
	fp := exp.Trust
	broken := write(t, dir, "invalid.csb", vectorFile(t, "ctl-role-change-invalid.csb"))

	b := fixtures.New(fixtures.Options{})
	b.Person("ops.dana", format.KindHuman, "operations")
	b.Enrol(format.Principal{ID: "eng.x", Kind: format.KindHuman, Name: "=cmd|' /C calc'!A0", Team: "engineering"}, false, nil, "reg.alex", "reg.bea")
	govRun(b, "ctl", &format.ControlAction{Class: format.ClassControl, Control: "c1", Name: "=HYPERLINK(\"http://x\")\x1b[2J\u202e", Material: false})
	govRun(b, "role", &format.RoleAction{Class: format.ClassRole, Control: "c1", Role: "build", Principal: "eng.x", Op: "assign", Justification: "@SUM(1+1)"})
	hostile := write(t, dir, "hostile.csb", b.Bundle())

	runCases(t, []cliCase{
		{name: "at the end", args: []string{"register", "--trust", fp, bundle}, code: exitOK,
			out:    []string{"control risk-limit \"Trading risk limit\", material", "audit       team audit-team \"Internal audit\", accountable aud.ada", "verification  PASS"},
			notOut: []string{"audit       aud.ada \"Principal aud.ada\" (human), since 2026-11-02T09:01:20.000Z"}},
		{name: "before the role change", args: []string{"register", "--seq", "140", "--trust", fp, bundle}, code: exitOK,
			out:    []string{"as of record 140", "audit       aud.ada \"Principal aud.ada\" (human), since 2026-11-02T09:01:20.000Z, record 80, run role-5"},
			notOut: []string{"audit-team"}},
		{name: "at a time", args: []string{"register", "--at", "2026-11-02T09:00:45.000Z", "--trust", fp, bundle}, code: exitOK,
			out: []string{"as of 2026-11-02T09:00:45.000Z", "build       eng.sam", "operate     NO HOLDER"}},
		{name: "json", args: []string{"register", "--json", "--trust", fp, bundle}, code: exitOK, outJSON: true,
			out: []string{`"format":"countersign-register"`, `"team":"audit-team"`, `"verdict":"pass"`}},
		{name: "csv", args: []string{"register", "--csv", "--trust", fp, bundle}, code: exitOK,
			out: []string{"control,control_name,material,role,holder_type", "risk-limit,Trading risk limit,true,audit,team,audit-team,Internal audit,,aud.ada,Principal aud.ada,160,"}},
		{name: "invalid change not applied", args: []string{"register", "--trust", mustTrust(t, "ctl-role-change-invalid"), broken}, code: exitOK,
			out: []string{"audit       aud.ada", "verification  FAIL, 1 finding"}},
		{name: "hostile", args: []string{"register", "--unsafe-no-trust", hostile}, code: exitOK,
			out: []string{`\x1b[2J\u202e`, "UNAUTHENTICATED"}, notOut: []string{"\x1b", "\u202e"}},
		{name: "hostile csv", args: []string{"register", "--csv", "--unsafe-no-trust", hostile}, code: exitOK,
			out: []string{`'=HYPERLINK`, `'@SUM(1+1)`, `'=cmd|`}, notOut: []string{"\x1b", "\u202e", ",=", ",@"}},
		{name: "no trust", args: []string{"register", bundle}, code: exitUsage, errOut: []string{"register needs --trust FP"}},
		{name: "at and seq", args: []string{"register", "--at", "2026-11-02T09:00:45.000Z", "--seq", "3", "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"exclude each other"}},
		{name: "bad time", args: []string{"register", "--at", "yesterday", "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"--at needs a time"}},
		{name: "bad seq", args: []string{"register", "--seq", "-1", "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"--seq needs a record sequence number"}},
		{name: "seq past the end", args: []string{"register", "--seq", "99999", "--unsafe-no-trust", bundle}, code: exitFail, errOut: []string{"has no record 99999"}},
		{name: "json and csv", args: []string{"register", "--json", "--csv", "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"exclude each other"}},
	})

	// Every CSV row has the header's cells, and no cell starts a formula.
	_, out, _ := cli(t, nil, nil, "register", "--csv", "--unsafe-no-trust", hostile)
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 6 {
		t.Fatalf("CSV of the hostile register: %d rows, %v", len(rows), err)
	}
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("CSV cell %q would run as a formula", cell)
			}
		}
	}
}

func vectorFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(fixtures.Vectors(), name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustTrust(t *testing.T, vector string) string {
	t.Helper()
	var e fixtures.Expect
	if err := json.Unmarshal(vectorFile(t, vector+".expect.json"), &e); err != nil {
		t.Fatal(err)
	}
	return e.Trust
}
