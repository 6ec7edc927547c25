package enforce_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

var controlChange = []byte(`{"class":"change.control","control":"risk-limits","name":"Risk limits","material":true}`)

// journal returns every record of the core's export, by sequence number.
func journal(t *testing.T, core *enforce.Core) []*format.Record {
	t.Helper()
	var buf bytes.Buffer
	if err := core.Export(&buf); err != nil {
		t.Fatal(err)
	}
	rd := format.NewReader(bytes.NewReader(buf.Bytes()))
	defer rd.Close()
	var out []*format.Record
	for {
		l, err := rd.Next()
		if err != nil {
			return out
		}
		r, err := format.ParseRecord(l.Bytes)
		if err != nil {
			if _, terr := format.ParseTrailer(l.Bytes); terr == nil {
				continue
			}
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

func bodyOf[T any](t *testing.T, r *format.Record) *T {
	t.Helper()
	b, err := format.DecodeBody(r.Type, r.Body, format.Strict)
	if err != nil {
		t.Fatal(err)
	}
	x, ok := b.(*T)
	if !ok {
		t.Fatalf("record %d is a %s, not the type expected", r.Seq, r.Type)
	}
	return x
}

// deliveries returns the alert_delivery records naming alert seq, in order.
func deliveries(t *testing.T, recs []*format.Record, seq int64) []*format.AlertDelivery {
	t.Helper()
	var out []*format.AlertDelivery
	for _, r := range recs {
		if r.Type == format.TypeAlertDelivery {
			if d := bodyOf[format.AlertDelivery](t, r); d.Alert == seq {
				out = append(out, d)
			}
		}
	}
	return out
}

func statuses(ds []*format.AlertDelivery) string {
	var s []string
	for _, d := range ds {
		s = append(s, d.Status+":"+d.Detail)
	}
	return strings.Join(s, " | ")
}

func wantPass(t *testing.T, core *enforce.Core) {
	t.Helper()
	if res := verifyCore(t, core); res.Verdict != verifier.VerdictPass {
		t.Fatalf("verdict %s, findings %+v", res.Verdict, res.Findings)
	}
}

// notInPoolOnControl proposes a change of control risk-limits and has
// risk.ana, no registrar, sign it: refused not-in-pool, an alertable
// refusal. It returns the refusal.
func (o *org) notInPoolOnControl(run string) *enforce.Refusal {
	o.t.Helper()
	d := o.ok(o.propose(run, "ops.dana", controlChange, nil, ""))
	dec, err := o.signoff("risk.ana", d.Requests[0], "", "I approve the new limits")
	wantRefusal(o.t, enforce.CodeNotInPool, dec, err)
	var r *enforce.Refusal
	errors.As(err, &r)
	return r
}

// TestAlertInTheSameDecision: each alertable refusal is followed, as the
// next record of the same write, by its alert; the alerter's answer is
// recorded; refusals that are not alertable write no alert; the bundle
// verifies.
func TestAlertInTheSameDecision(t *testing.T) {
	var mu sync.Mutex
	var got []enforce.Alert
	alerter := func(_ context.Context, a enforce.Alert) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, a)
		return "pager", fmt.Sprintf("message %d", len(got)), nil
	}
	dir := t.TempDir()
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 3, HeadStore: headOf(dir), Alerter: alerter})
	defer o.core.Close()
	o.approvePolicy()

	r1 := o.notInPoolOnControl("ctl-1")
	o.settle()
	// A checker of a payment run tries to execute it: conflicting-role.
	o.approved("pay-1", payment("10.00"), "")
	dec, err := o.execute("risk.ana", "pay-1")
	wantRefusal(t, enforce.CodeConflictingRole, dec, err)
	var r2 *enforce.Refusal
	errors.As(err, &r2)
	o.settle()
	// Not alertable: not-in-pool on a payment run, which names no control.
	d := o.ok(o.propose("pay-2", "agent.payments", payment("20.00"), nil, ""))
	o.refused(enforce.CodeNotInPool)(o.signoff("ops.dana", d.Requests[1], "", "approved"))
	o.settle()

	recs := journal(t, o.core)
	want := []struct {
		r                        *enforce.Refusal
		principal, control, role string
	}{{r1, "risk.ana", "risk-limits", "approve"}, {r2, "risk.ana", "", "operate"}}
	alerts := 0
	for _, rec := range recs {
		if rec.Type == format.TypeAlert {
			alerts++
		}
	}
	if alerts != len(want) {
		t.Fatalf("%d alert records, want %d", alerts, len(want))
	}
	for i, w := range want {
		next := recs[w.r.Outcome+1]
		if next.Type != format.TypeAlert {
			t.Fatalf("record after outcome %d is a %s, not an alert", w.r.Outcome, next.Type)
		}
		if next.Time != recs[w.r.Outcome].Time {
			t.Fatalf("alert %d written at %s, its refusal at %s: not one write", next.Seq, next.Time, recs[w.r.Outcome].Time)
		}
		a := bodyOf[format.Alert](t, next)
		if a.Attempt != w.r.Attempt || a.Principal != w.principal || a.Control != w.control || a.Role != w.role || a.Text == "" {
			t.Fatalf("alert %d: %+v, want attempt %d by %s on %q as %s", next.Seq, a, w.r.Attempt, w.principal, w.control, w.role)
		}
		ds := deliveries(t, recs, next.Seq)
		if len(ds) != 1 || ds[0].Status != "delivered" || ds[0].Channel != "pager" || ds[0].Detail != fmt.Sprintf("message %d", i+1) {
			t.Fatalf("deliveries of alert %d: %s", next.Seq, statuses(ds))
		}
		if got[i].Seq != next.Seq || got[i].Attempt != w.r.Attempt || got[i].Code != w.r.Code || got[i].Principal != w.principal {
			t.Fatalf("alerter got %+v for alert %d", got[i], next.Seq)
		}
	}
	wantPass(t, o.core)
}

// TestSlowAlerterDoesNotStall: an alerter that hangs past its timeout does
// not hold up decisions; the timeout is recorded as a failed delivery and
// the alert is retried and delivered; the bundle verifies.
func TestSlowAlerterDoesNotStall(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	calls := 0
	alerter := func(ctx context.Context, a enforce.Alert) (string, string, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			close(entered)
			<-ctx.Done()
			<-release // hangs past its timeout, until the test lets go
			return "pager", "too late", nil
		}
		return "pager", "retried", nil
	}
	dir := t.TempDir()
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir), Alerter: alerter, AlertTimeout: 50 * time.Millisecond})
	defer o.core.Close()
	o.approvePolicy()
	// The proposals are signed beforehand: the test clock is the core's
	// while its delivery goroutine runs.
	var stmts []format.Signed
	for i := 0; i < 3; i++ {
		stmts = append(stmts, o.sign("agent.payments", &format.Statement{Purpose: format.PurposePropose, Run: fmt.Sprintf("pay-%d", i), Class: "payment",
			Action: format.ActionDigest(payment("10.00")).String(), Reason: "prepared"}))
	}
	r := o.notInPoolOnControl("ctl-1")
	<-entered
	// The alerter is stuck in its first call: decisions go on.
	var during []int64
	for i := range stmts {
		d := o.ok(o.core.Propose(fmt.Sprintf("pay-%d", i), payment("10.00"), nil, "", stmts[i]))
		during = append(during, d.Attempt)
	}
	close(release)
	o.settle()
	recs := journal(t, o.core)
	alert := r.Outcome + 1
	ds := deliveries(t, recs, alert)
	if len(ds) != 2 || ds[0].Status != "failed" || !strings.Contains(ds[0].Detail, "50ms") || ds[1].Status != "delivered" || ds[1].Detail != "retried" {
		t.Fatalf("deliveries of alert %d: %s", alert, statuses(ds))
	}
	// The decisions made while the alerter hung precede its delivery.
	var delivered int64
	for _, rec := range recs {
		if rec.Type == format.TypeAlertDelivery && bodyOf[format.AlertDelivery](t, rec).Status == "delivered" {
			delivered = rec.Seq
		}
	}
	for _, seq := range during {
		if seq > delivered {
			t.Fatalf("proposal %d was decided after the delivery %d: the alerter held it up", seq, delivered)
		}
	}
	wantPass(t, o.core)
}

// TestAlertFailedThenRetried: an alerter error is recorded as a failed
// delivery with its text, and the alert is retried until delivered.
func TestAlertFailedThenRetried(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	alerter := func(context.Context, enforce.Alert) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 1 {
			return "", "", errors.New("pager service unavailable")
		}
		return "pager", "sent", nil
	}
	dir := t.TempDir()
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir), Alerter: alerter})
	defer o.core.Close()
	o.approvePolicy()
	r := o.notInPoolOnControl("ctl-1")
	o.settle()
	ds := deliveries(t, journal(t, o.core), r.Outcome+1)
	if statuses(ds) != "failed:pager service unavailable | delivered:sent" {
		t.Fatalf("deliveries: %s", statuses(ds))
	}
	wantPass(t, o.core)
}

// TestAlertsPendingAtRestart: an alert still undelivered when the core
// closes is recorded as failed ("core closing"); at the next Open it is
// recorded as failed ("core restarted") and retried.
func TestAlertsPendingAtRestart(t *testing.T) {
	failing := func(context.Context, enforce.Alert) (string, string, error) {
		return "", "", errors.New("no route to the pager")
	}
	dir := t.TempDir()
	cfg := enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir), Alerter: failing}
	o := newOrgWith(t, cfg)
	o.approvePolicy()
	r := o.notInPoolOnControl("ctl-1")
	alert := r.Outcome + 1
	if err := o.core.Close(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []enforce.Alert
	cfg.Alerter = func(_ context.Context, a enforce.Alert) (string, string, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, a)
		return "pager", "after restart", nil
	}
	cfg.Clock = o.now
	core, err := enforce.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	o.core = core
	o.settle()
	ds := deliveries(t, journal(t, core), alert)
	want := "failed:no route to the pager | failed:core closing | failed:core restarted | delivered:after restart"
	if statuses(ds) != want {
		t.Fatalf("deliveries of alert %d:\n got %s\nwant %s", alert, statuses(ds), want)
	}
	if len(got) != 1 || got[0].Seq != alert || got[0].Attempt != r.Attempt || got[0].Code != enforce.CodeNotInPool || got[0].Principal != "risk.ana" || got[0].Control != "risk-limits" {
		t.Fatalf("alerter got %+v after the restart", got)
	}
	wantPass(t, core)
}

// TestCloseWaitsForAlerter: Close waits for a call in flight up to the
// timeout and records its answer.
func TestCloseWaitsForAlerter(t *testing.T) {
	entered := make(chan struct{})
	alerter := func(ctx context.Context, a enforce.Alert) (string, string, error) {
		close(entered)
		<-ctx.Done()
		return "", "", ctx.Err()
	}
	dir := t.TempDir()
	cfg := enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir), Alerter: alerter, AlertTimeout: 100 * time.Millisecond}
	o := newOrgWith(t, cfg)
	o.approvePolicy()
	r := o.notInPoolOnControl("ctl-1")
	<-entered
	if err := o.core.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.Alerter, cfg.Clock = deliverAtOnce, o.now
	core, err := enforce.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	o.core = core
	o.settle()
	ds := deliveries(t, journal(t, core), r.Outcome+1)
	if len(ds) != 4 || ds[0].Status != "failed" || ds[1].Detail != "core closing" || ds[2].Detail != "core restarted" || ds[3].Status != "delivered" {
		t.Fatalf("deliveries: %s", statuses(ds))
	}
	if !strings.Contains(ds[0].Detail, "did not answer") && !strings.Contains(ds[0].Detail, "deadline") {
		t.Fatalf("the call in flight at Close was recorded as %q", ds[0].Detail)
	}
}

// TestNoAlerterConfigured: without an alerter the alert is written with a
// failed delivery in the same write, and AwaitAlerts says why nothing
// will deliver it.
func TestNoAlerterConfigured(t *testing.T) {
	dir := t.TempDir()
	o := newOrgWith(t, enforce.Config{Dir: dir, LogKey: key("log"), SealEvery: 7, HeadStore: headOf(dir)})
	defer o.core.Close()
	o.approvePolicy()
	r := o.notInPoolOnControl("ctl-1")
	recs := journal(t, o.core)
	alert, d := recs[r.Outcome+1], recs[r.Outcome+2]
	if alert.Type != format.TypeAlert || d.Type != format.TypeAlertDelivery || d.Time != alert.Time {
		t.Fatalf("records after the refusal: %s, %s", alert.Type, d.Type)
	}
	if b := bodyOf[format.AlertDelivery](t, d); b.Alert != alert.Seq || b.Status != "failed" || b.Detail != "no alerter configured" {
		t.Fatalf("delivery %+v", b)
	}
	if err := o.core.AwaitAlerts(context.Background()); !errors.Is(err, enforce.ErrNoAlerter) {
		t.Fatalf("AwaitAlerts: %v", err)
	}
	// A verifier sees the failure: a failed delivery never retried.
	res := verifyCore(t, o.core)
	if res.Verdict != verifier.VerdictFail || len(res.Findings) != 1 || res.Findings[0].Rule != verifier.RuleAlert60s ||
		fmt.Sprint(res.Findings[0].Records) != fmt.Sprint([]int64{alert.Seq, d.Seq}) {
		t.Fatalf("verdict %s, findings %+v", res.Verdict, res.Findings)
	}
}

// TestAlertTimeoutBounded: a timeout that leaves no room for a delivery
// within 60 seconds is refused.
func TestAlertTimeoutBounded(t *testing.T) {
	for _, d := range []time.Duration{-time.Second, enforce.MaxAlertTimeout + time.Millisecond, time.Minute} {
		dir := t.TempDir()
		o := &org{t: t}
		_, err := enforce.Create(enforce.Config{Dir: dir, LogKey: key("log"), HeadStore: headOf(dir), AlertTimeout: d}, o.genesis())
		if err == nil || !strings.Contains(err.Error(), "AlertTimeout") {
			t.Fatalf("AlertTimeout %s: %v", d, err)
		}
	}
}

// TestRefusalNoteAlerts: a refusal recorded as a note with an alertable
// code alerts too, naming the note; other notes do not.
func TestRefusalNoteAlerts(t *testing.T) {
	o := newOrg(t, t.TempDir())
	defer o.core.Close()
	_, err := o.core.RefuseAsNote(enforce.CodeRoleNotAssigned, "risk.ben holds no audit role on control risk-limits")
	if !errors.Is(err, enforce.ErrRefused) {
		t.Fatal(err)
	}
	o.settle()
	var r *enforce.Refusal
	errors.As(err, &r)
	if _, err := o.core.RefuseAsNote(enforce.CodeRunExists, "run pay-1 was already proposed"); !errors.Is(err, enforce.ErrRefused) {
		t.Fatal(err)
	}
	o.settle()
	recs := journal(t, o.core)
	alert := recs[r.Outcome+1]
	if alert.Type != format.TypeAlert {
		t.Fatalf("record after note %d is a %s", r.Outcome, alert.Type)
	}
	if a := bodyOf[format.Alert](t, alert); a.Attempt != r.Outcome || !strings.Contains(a.Text, "risk.ben holds no audit role") {
		t.Fatalf("alert %+v", a)
	}
	n := 0
	for _, rec := range recs {
		if rec.Type == format.TypeAlert {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d alerts for one alertable note and one other", n)
	}
	if ds := deliveries(t, recs, alert.Seq); len(ds) != 1 || ds[0].Status != "delivered" {
		t.Fatalf("deliveries: %s", statuses(ds))
	}
}
