package tui

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// updating reports whether -update was given: the flag is the one the
// golden-file package behind teatest defines, shared by this package's
// golden screens.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// changeRun puts a change run through the governance gate: proposed by
// maker, approved by the two default registrars, executed.
func changeRun(b *fixtures.Builder, id, maker string, action any) {
	r := &fixtures.Run{B: b, ID: id, Maker: maker, Action: mustJSON(action)}
	r.Propose()
	r.Gate(0, "governance", []format.Stage{{Stage: 1, N: 2, Pool: []string{"reg.alex", "reg.bea"}, Meaning: format.MeaningApproval, Human: true}})
	r.Signoff("reg.alex", 1, format.MeaningApproval, "reviewed", true, "ok")
	r.Signoff("reg.bea", 1, format.MeaningApproval, "approved", true, "ok")
	r.Execute(maker, true, "ok")
}

func mustJSON(v any) []byte {
	b, err := format.MarshalJSON(v)
	if err != nil {
		panic(err)
	}
	return b
}

// sampleBundle is a small bundle with something on every screen: people,
// a policy, a register of controls (built, then changed, with a conflict
// and an exception), a payment run approved by its own maker (a rule
// finding) and a clean one.
func sampleBundle() ([]byte, string) {
	b := fixtures.New(fixtures.Options{BundleID: "browse-sample"})
	b.Person("risk.ana", format.KindHuman, "risk")
	b.Person("risk.ben", format.KindHuman, "risk")
	b.Person("agent.payments", format.KindAgent, "payments")
	b.Person("ops.dana", format.KindHuman, "operations")
	b.Person("audit.eli", format.KindHuman, "audit")
	pol := format.PolicyAction{Class: format.ClassPolicy, Version: 1, Control: "pay-release",
		Grants: []format.Grant{
			{Principal: "agent.payments", Role: format.GrantMaker, Classes: []string{"payment"}, MaxAmount: "1000.00", Currency: "EUR"},
			{Principal: "risk.ana", Role: format.GrantChecker, Classes: []string{"payment"}},
			{Principal: "agent.payments", Role: format.GrantChecker, Classes: []string{"payment"}},
		},
		Gates: []format.GateDef{{Class: "payment", Gate: "pay", Stages: []format.Stage{{Stage: 1, N: 1, Pool: []string{"agent.payments", "risk.ana"}, Meaning: format.MeaningApproval}}}}}
	b.ApprovePolicy("ops.dana", &pol)
	changeRun(b, "ctl-1", "ops.dana", &format.ControlAction{Class: format.ClassControl, Control: "pay-release", Name: "Payment release", Material: true})
	for i, a := range [][2]string{{"build", "ops.dana"}, {"operate", "agent.payments"}, {"approve", "risk.ana"}, {"validate", "risk.ben"}, {"audit", "audit.eli"}} {
		changeRun(b, fmt.Sprintf("role-%d", i), "ops.dana", &format.RoleAction{Class: format.ClassRole, Control: "pay-release", Role: a[0], Principal: a[1], Op: "assign", Justification: "initial owners"})
	}
	b.Seal()
	for i, checker := range []string{"risk.ana", "agent.payments"} {
		act := fmt.Sprintf(`{"class":"payment","amount":"%d.00","currency":"EUR","beneficiary":"Supplier %d"}`, 100+i, i)
		r := &fixtures.Run{B: b, ID: fmt.Sprintf("pay-%d", i), Maker: "agent.payments", Action: []byte(act), Summary: map[string]string{"amount": fmt.Sprintf("%d.00", 100+i)}}
		r.Propose()
		r.Gate(1, "pay", pol.Gates[0].Stages)
		r.Signoff(checker, 1, format.MeaningApproval, "checked against the invoice", true, "ok")
		r.Execute("agent.payments", true, "ok")
	}
	// risk.ben (team risk, validate) is also made approver: a team
	// conflict, then an exception for it.
	changeRun(b, "role-5", "ops.dana", &format.RoleAction{Class: format.ClassRole, Control: "pay-release", Role: "approve", Principal: "risk.ben", Op: "assign", Justification: "cover for leave"})
	changeRun(b, "exc-1", "ops.dana", &format.ExceptionAction{Class: format.ClassException, Exception: "exc-1", Holder: "risk.ben", Control: "pay-release",
		Roles: []string{"approve", "validate"}, RiskAssessment: "two weeks' cover, reviewed daily", Starts: "2026-11-02", Expires: "2026-11-20"})
	return b.Bundle(), b.Genesis().String()
}

// hostile is the text an attacker puts in names, reasons, IDs and actions:
// escape, CSI, OSC 8 and OSC 52 sequences, BEL, CR, RLO and U+2028.
const hostile = "x\x1b[2J\x1b[31mRED\x1b]8;;https://evil.example/\x07link\x1b]8;;\x07\x1b]52;c;SEVMTE8=\x07bell\x07cr\rrlo\u202eevil\u2028end"

// hostileBundle is a bundle whose printed names, reasons, summary values,
// action text, note text and (in records that therefore do not parse)
// actor and run IDs carry hostile.
func hostileBundle() []byte {
	b := fixtures.New(fixtures.Options{BundleID: "hostile"})
	b.Enrol(format.Principal{ID: "risk.eve", Kind: format.KindHuman, Name: "Eve " + hostile, Team: "risk"}, false, nil, "reg.alex", "reg.bea")
	b.Person("agent.payments", format.KindAgent, "payments")
	b.Append(format.TypeNote, "", &format.Note{Code: "c" + hostile, Text: hostile})
	act := mustJSON(map[string]string{"class": "payment", "memo": hostile, "amount": "1.00", "currency": "EUR"})
	r := &fixtures.Run{B: b, ID: "pay-1", Maker: "agent.payments", Action: act, Summary: map[string]string{"memo" + hostile: hostile}}
	r.Propose()
	r.Gate(0, "g"+hostile, []format.Stage{{Stage: 1, N: 1, Pool: []string{"risk.eve"}, Meaning: format.MeaningApproval, Human: true}})
	r.Signoff("risk.eve", 1, format.MeaningApproval, "reason "+hostile, true, "ok")
	// A revocation whose reason is hostile.
	b.Append(format.TypeKeyRevocation, "risk.eve", &format.KeyRevocation{Principal: "risk.eve", Key: format.KeyIDOf(fixtures.Key("risk.eve").Public().(ed25519.PublicKey)).String(), Reason: hostile})
	lines := b.Lines
	// A record whose actor and run are hostile: it cannot parse, and is
	// shown as the raw line it is.
	bad := bytes.Replace(lines[len(lines)-1], []byte(`"actor":"risk.eve"`), []byte(`"actor":"`+jsonEscape("eve"+hostile)+`"`), 1)
	lines = append(lines, bad)
	return fixtures.Pack(lines, nil)
}

// jsonEscape writes s as the inside of a JSON string.
func jsonEscape(s string) string {
	b := mustJSON(s)
	return string(b[1 : len(b)-1])
}

// testModel opens a model on bundle with the given trust, at 80x24 without
// colour, and waits for the verification to end.
func testModel(t *testing.T, bundle []byte, trust verifier.Trust, mode int) *Model {
	t.Helper()
	m := New(context.Background(), Config{File: bytes.NewReader(bundle), Size: int64(len(bundle)), Name: "sample.csb", Trust: trust, TrustMode: mode, NoColor: true,
		Now: func() time.Time { return fixtures.Epoch }})
	t.Cleanup(m.Close)
	m.Update(sizeMsg(80, 24))
	waitDone(t, m)
	return m
}

func pinned(t *testing.T, genesis string) verifier.Trust {
	t.Helper()
	tr, err := verifier.PinGenesis(genesis)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// waitDone feeds the model the verification's news until it ends.
func waitDone(t *testing.T, m *Model) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case msg := <-m.notify:
			m.Update(msg)
			if _, ok := msg.(doneMsg); ok {
				return
			}
		case <-deadline:
			t.Fatal("verification did not end")
		}
	}
}

// screen is the model's screen as text, colours and styles removed.
func screenText(m *Model) string { return ansi.Strip(m.render()) }

// checkGolden compares got with testdata/screens/NAME.txt, or rewrites it
// under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "screens", name+".txt")
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no golden screen (run go test -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("screen differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// lines checks the screen is exactly h lines of at most w columns.
func checkSize(t *testing.T, s string, w, h int) {
	t.Helper()
	ls := strings.Split(s, "\n")
	if len(ls) != h {
		t.Errorf("screen has %d lines, want %d", len(ls), h)
	}
	for i, l := range ls {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d columns wide, more than %d: %q", i, n, w, l)
		}
	}
}

func sizeMsg(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
