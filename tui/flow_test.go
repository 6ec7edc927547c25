package tui

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// program runs the browser as a program at 80x24, as a person would.
func program(t *testing.T, bundle []byte, trust verifier.Trust, mode int) (*teatest.TestModel, *Model) {
	t.Helper()
	m := New(context.Background(), Config{File: bytes.NewReader(bundle), Size: int64(len(bundle)), Name: "sample.csb", Trust: trust, TrustMode: mode, NoColor: true,
		Now: func() time.Time { return fixtures.Epoch }})
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	return tm, m
}

func waitFor(t *testing.T, tm *teatest.TestModel, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(want)) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func send(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(keyMsg(k))
	}
}

func final(t *testing.T, tm *teatest.TestModel) *Model {
	t.Helper()
	send(tm, "q")
	return tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
}

// Tabs, the records list, a record's detail, its next record, back and
// on: the program's own output is waited on where a screen appears anew,
// and the final model is checked (the renderer writes only what changed).
func TestFlowNavigation(t *testing.T) {
	bundle, genesis := sampleBundle()
	tm, _ := program(t, bundle, pinned(t, genesis), TrustPinned)
	waitFor(t, tm, "FAIL")
	send(tm, "2")
	waitFor(t, tm, "genesis")
	send(tm, "j", "j", "enter")
	waitFor(t, tm, "record 2 of 113")
	send(tm, "]", "esc", "3")
	waitFor(t, tm, "policy-v1")
	send(tm, "tab", "tab", "shift+tab", "2", "enter")
	m := final(t, tm)
	if m.cur != scrDetail || m.detail.seq != 3 || m.back != scrRecords {
		t.Errorf("ended on screen %d at record %d (back to %d), want the detail of record 3 opened from the records", m.cur, m.detail.seq, m.back)
	}
	if s := screenText(m); !strings.Contains(s, "record 3 of 113") || !strings.Contains(s, "agent.payments") {
		t.Errorf("final screen:\n%s", s)
	}
	if code := m.ExitCode(); code != 1 {
		t.Errorf("exit code %d for a failed verification, want 1", code)
	}
}

// A filter streams its matches, holds exactly the records that match, and
// esc cancels it.
func TestFlowFilter(t *testing.T) {
	bundle, genesis := sampleBundle()
	tm, _ := program(t, bundle, pinned(t, genesis), TrustPinned)
	waitFor(t, tm, "FAIL")
	send(tm, "2", "/")
	for _, r := range "actor:risk.ana" {
		tm.Send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	send(tm, "enter")
	waitFor(t, tm, "records scanned")
	m := final(t, tm)
	want := matching(t, bundle, func(r *format.Record) bool { return r.Actor == "risk.ana" })
	f := m.records.filter
	if f == nil {
		t.Fatal("no filter after /")
	}
	n, scanned, _, done := f.snapshot()
	if !done || scanned != 113 || n != int64(len(want)) {
		t.Fatalf("filter: %d matches of %d scanned (done %v), want %d of 113", n, scanned, done, len(want))
	}
	for i, seq := range want {
		if got := f.nth(int64(i)); got != seq {
			t.Errorf("match %d is record %d, want %d", i, got, seq)
		}
	}
	send2 := func(keys ...string) {
		for _, k := range keys {
			m.Update(keyMsg(k))
		}
	}
	send2("esc")
	if m.records.filter != nil {
		t.Error("esc did not clear the filter")
	}
}

// matching lists the records of bundle for which ok holds.
func matching(t *testing.T, bundle []byte, ok func(*format.Record) bool) []int64 {
	t.Helper()
	ix, err := format.OpenIndex(bytes.NewReader(bundle), int64(len(bundle)))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var out []int64
	for seq := int64(0); seq < ix.Records; seq++ {
		l, err := ix.Record(seq)
		if err != nil {
			t.Fatal(err)
		}
		r, err := format.ParseRecord(l)
		if err != nil {
			t.Fatal(err)
		}
		if ok(r) {
			out = append(out, seq)
		}
	}
	return out
}

// Enter on a finding lists the records it names; enter there opens the
// first.
func TestFlowFindingToRecord(t *testing.T) {
	bundle, genesis := sampleBundle()
	tm, _ := program(t, bundle, pinned(t, genesis), TrustPinned)
	waitFor(t, tm, "FAIL")
	send(tm, "6")
	waitFor(t, tm, "SOD-MAKER-CHECKER")
	send(tm, "enter")
	waitFor(t, tm, "records of SOD-MAKER-CHECKER")
	send(tm, "enter")
	waitFor(t, tm, "record 85 of 113")
	m := final(t, tm)
	if m.cur != scrDetail || m.detail.seq != 85 {
		t.Fatalf("on screen %d at record %d, want the detail of record 85", m.cur, m.detail.seq)
	}
	n := m.records.rows(m)
	var got []int64
	for i := int64(0); i < n; i++ {
		got = append(got, m.records.seqAt(m, i))
	}
	if strings.Trim(strings.Join(strings.Fields(fmtSeqs(got)), ","), ",") != "85,88,89" {
		t.Errorf("the finding's records are %v, want 85, 88, 89", got)
	}
}

func fmtSeqs(s []int64) string {
	var b strings.Builder
	for _, v := range s {
		b.WriteString(" " + itoa(v))
	}
	return b.String()
}

// Jumping to a sequence number puts it under the cursor; one past the end
// says so.
func TestFlowJump(t *testing.T) {
	bundle, genesis := sampleBundle()
	m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	press(m, "2", ":")
	typeText(m, "100")
	press(m, "enter")
	if m.records.cur != 100 {
		t.Errorf("cursor at %d after jumping to 100", m.records.cur)
	}
	press(m, ":")
	typeText(m, "500")
	press(m, "enter")
	if !strings.Contains(m.message, "record 500 is past the last record") || m.records.cur != 100 {
		t.Errorf("jump past the end: message %q, cursor %d", m.message, m.records.cur)
	}
	press(m, "G")
	if m.records.cur != 112 {
		t.Errorf("G put the cursor at %d, want 112", m.records.cur)
	}
	press(m, "g")
	if m.records.cur != 0 {
		t.Errorf("g put the cursor at %d, want 0", m.records.cur)
	}
}

// run:ID finds the run's records and the outcomes deciding its proposal
// and attempts: the same records as its timeline.
func TestFilterRun(t *testing.T) {
	bundle, genesis := sampleBundle()
	m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	press(m, "2", "/")
	typeText(m, "run:pay-1")
	press(m, "enter")
	f := m.records.filter
	for {
		if _, _, _, done := f.snapshot(); done {
			break
		}
		time.Sleep(time.Millisecond)
	}
	var want []int64
	for _, e := range m.st.runs {
		if e.Run == "pay-1" {
			want = runSeqs(e)
		}
	}
	n, _, _, _ := f.snapshot()
	if n != int64(len(want)) || len(want) != 8 {
		t.Fatalf("run:pay-1 matched %d records, its timeline has %v", n, want)
	}
	for i, seq := range want {
		if got := f.nth(int64(i)); got != seq {
			t.Errorf("match %d is record %d, want %d", i, got, seq)
		}
	}
}

// The register as of a typed time: before the roles were assigned, after,
// and a time that is not one.
func TestControlsAsOf(t *testing.T) {
	bundle, genesis := sampleBundle()
	m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	c := m.screens[scrControls].(*controlsScreen)
	asOf := func(v string) {
		press(m, "5", "t")
		for range 40 {
			press(m, "backspace")
		}
		typeText(m, v)
		press(m, "enter")
	}
	asOf("2026-11-02T09:00:30")
	if c.at != "2026-11-02T09:00:30.999Z" {
		t.Errorf("as of %q", c.at)
	}
	s := screenText(m)
	if !strings.Contains(s, "pay-release*  -") || strings.Contains(s, "ops.dana") {
		t.Errorf("before any role was assigned the control should have no holder:\n%s", s)
	}
	asOf("2026-11-02")
	s = screenText(m)
	// risk.ben holds approve and validate, covered by the exception that
	// day; risk.ana, in the same enrolment team, is no conflict (an
	// enrolment's team is a label, not membership).
	if !strings.Contains(s, "risk.ana+1E") || !strings.Contains(s, "0 conflicts, 2 excepted conflicts") ||
		!strings.Contains(s, "conflict on pay-release: person risk.ben: approve+validate since record ") {
		t.Errorf("at the end of the day:\n%s", s)
	}
	asOf("2026-11-21")
	if s := screenText(m); !strings.Contains(s, "2 conflicts, 0 excepted conflicts") {
		t.Errorf("after the exception expired:\n%s", s)
	}
	asOf("yesterday")
	if !strings.Contains(m.message, `not a time: "yesterday"`) || c.at != "2026-11-21T23:59:59.999Z" {
		t.Errorf("a bad time: message %q, as of %q", m.message, c.at)
	}
	press(m, "]")
	if c.at != "" {
		t.Errorf("] past the last change should show the latest, not %q", c.at)
	}
}

// esc and a digit read together as alt+digit still change the screen.
func TestAltDigit(t *testing.T) {
	bundle, genesis := sampleBundle()
	m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	m.Update(tea.KeyPressMsg{Code: '3', Mod: tea.ModAlt})
	if m.cur != scrRuns {
		t.Errorf("alt+3 left the browser on screen %d", m.cur)
	}
}

// A run whose timeline was not kept (past the memory bound) says so, and
// enter finds its records with the run:ID filter instead.
func TestRunNotKept(t *testing.T) {
	bundle, genesis := sampleBundle()
	m := testModel(t, bundle, pinned(t, genesis), TrustPinned)
	m.st.mu.Lock()
	for _, e := range m.st.runs {
		if e.Run == "pay-0" {
			e.TL = nil
		}
	}
	m.st.mu.Unlock()
	press(m, "3", "G", "k", "k", "k", "enter")
	if s := screenText(m); !strings.Contains(s, `run "pay-0"`) || !strings.Contains(s, "its timeline was not kept") {
		t.Fatalf("the run's screen:\n%s", s)
	}
	press(m, "enter")
	f := m.records.filter
	if m.cur != scrRecords || f == nil || f.text != "run:pay-0" {
		t.Fatalf("enter on a run not kept: screen %d, filter %+v", m.cur, f)
	}
	for {
		if _, _, _, done := f.snapshot(); done {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if n, _, _, _ := f.snapshot(); n != 8 {
		t.Errorf("run:pay-0 found %d records, want its 8", n)
	}
}
