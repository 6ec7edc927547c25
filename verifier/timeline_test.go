package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
)

// collect verifies bundle with both consumers set and returns what they
// received.
func collect(t *testing.T, bundle []byte, trust Trust, opts Options) ([]*RunTimeline, []*Change, *Result) {
	t.Helper()
	var runs []*RunTimeline
	var changes []*Change
	opts.Timeline = func(tl *RunTimeline) { runs = append(runs, tl) }
	opts.Changes = func(c *Change) { changes = append(changes, c) }
	v := newRun(trust, withDefaults(opts))
	if err := v.run(context.Background(), bytes.NewReader(bundle)); err != nil {
		t.Fatal(err)
	}
	return runs, changes, v.result()
}

func withDefaults(o Options) Options {
	o.Workers, o.MaxFindings = 2, 1000
	return o
}

func TestTimelineDemo(t *testing.T) {
	bundle, _, genesis, ana := fixtures.Demo()
	pin, err := PinGenesis(genesis.String())
	if err != nil {
		t.Fatal(err)
	}
	runs, changes, res := collect(t, bundle, pin, Options{})
	if res.Verdict != VerdictPass {
		t.Fatalf("demo bundle: verdict %s, findings %v", res.Verdict, res.Findings)
	}
	if len(runs) != 2 || runs[0].Run != "policy-v1" || runs[1].Run != "pay-0001" {
		t.Fatalf("got %d timelines, want policy-v1 then pay-0001", len(runs))
	}
	pay := runs[1]
	if pay.State != RunExecuted || pay.Partial || !pay.OK() {
		t.Errorf("pay-0001: state %s, partial %v, ok %v", pay.State, pay.Partial, pay.OK())
	}
	p := pay.Proposal
	if p == nil || p.Class != "payment" || !json.Valid([]byte(p.Action)) || p.Summary["beneficiary"] != "ACME Supplies Ltd" ||
		p.Digest != format.ActionDigest([]byte(p.Action)).String() || p.Reason != "invoice INV-2026-0142 due" || p.Outcome == nil || p.Outcome.Result != format.ResultAccepted {
		t.Fatalf("pay-0001 proposal: %+v", p)
	}
	var codes, signers []string
	for _, a := range pay.Attempts {
		if a.Outcome == nil || a.Signer == nil {
			t.Fatalf("attempt %d has no outcome or signer", a.Seq)
		}
		codes = append(codes, a.Outcome.Code)
		signers = append(signers, a.Signer.Principal+"/"+a.Signer.Kind)
	}
	wantCodes := []string{"self-approval", "human-required", "ok", "quorum-not-met", "ok", "ok", "ok"}
	wantSigners := []string{"agent.payments/agent", "agent.reviewer/agent", "agent.reviewer/agent", "agent.payments/agent", "risk.ana/human", "risk.ben/human", "agent.payments/agent"}
	if !slices.Equal(codes, wantCodes) || !slices.Equal(signers, wantSigners) {
		t.Errorf("outcome codes %v, signers %v\nwant %v, %v", codes, signers, wantCodes, wantSigners)
	}
	a := pay.Attempts[4]
	if a.Seq != ana || a.Signer.Name != "Ana Ribeiro" || a.Meaning != format.MeaningApproval || a.Stage != 2 ||
		a.Reason != "supplier verified against the vendor master; amount within budget" || a.Signer.Time == "" {
		t.Errorf("Ana's sign-off: %+v signer %+v", a, a.Signer)
	}
	if len(pay.Gates) != 1 || pay.Gates[0].Gate != "payment-release" || len(pay.Gates[0].Stages) != 2 {
		t.Errorf("gate: %+v", pay.Gates)
	}
	if pay.Execution == nil || pay.Execution.Hash != res.Bundle.Head || pay.Execution.Attempt != pay.Attempts[6].Seq {
		t.Errorf("execution %+v, head %s", pay.Execution, res.Bundle.Head)
	}
	// Sequence numbers are those of the records, in order, and hashes differ.
	recs := pay.Records()
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq <= recs[i-1].Seq || recs[i].Hash == recs[i-1].Hash || len(recs[i].Hash) != 64 {
			t.Errorf("records %d and %d out of order or with the same hash", recs[i-1].Seq, recs[i].Seq)
		}
	}

	var kinds []string
	for _, c := range changes {
		if !c.Applied || !c.OK() {
			t.Errorf("change at record %d (%s) not applied or not ok", c.Seq, c.Kind)
		}
		kinds = append(kinds, c.Kind)
	}
	want := []string{ChangeLogKey, ChangeEnrolment, ChangeEnrolment, ChangeEnrolment, ChangeEnrolment, ChangeEnrolment, ChangeEnrolment,
		ChangeEnrolment, ChangeEnrolment, ChangePolicy}
	if !slices.Equal(kinds, want) {
		t.Errorf("change kinds %v, want %v", kinds, want)
	}
	if last := changes[len(changes)-1]; last.Run != "policy-v1" || last.Policy != 1 || last.Seq != runs[0].Execution.Seq {
		t.Errorf("policy change: %+v", last)
	}
}

// On the tampered copy, the altered record is marked, and the rule
// finding that rests on it is on the records it names; the Result is the
// same as without a consumer.
func TestTimelineTampered(t *testing.T) {
	_, tampered, genesis, ana := fixtures.Demo()
	pin, _ := PinGenesis(genesis.String())
	runs, _, res := collect(t, tampered, pin, Options{})
	plain, err := Verify(context.Background(), bytes.NewReader(tampered), pin, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(res)
	b, _ := json.Marshal(plain)
	if !bytes.Equal(a, b) {
		t.Errorf("the result changes with a timeline consumer:\n%s\n%s", a, b)
	}
	pay := runs[1]
	if pay.OK() {
		t.Fatal("pay-0001 is OK on the tampered copy")
	}
	byRule := map[int64][]string{}
	for _, r := range pay.Records() {
		for _, f := range r.Findings {
			byRule[r.Seq] = append(byRule[r.Seq], f.Rule)
		}
		if r.Seq == ana && r.Intact {
			t.Errorf("record %d is intact", ana)
		}
	}
	if !slices.Contains(byRule[ana], RuleEnvelope) || !slices.Contains(byRule[pay.Execution.Seq], RuleQuorum) || !slices.Contains(byRule[pay.Gates[0].Seq], RuleQuorum) {
		t.Errorf("findings by record: %v", byRule)
	}
	if r := pay.Attempts[4]; r.Reason != "supplier verifies against the vendor master; amount within budget" {
		t.Errorf("the altered record's reason is reported as %q, not as it now reads", r.Reason)
	}
}

// runsBundle has a run whose proposal is refused, an executed run, and a
// run left open with a sign-off that has no outcome.
func runsBundle() ([]byte, int64) {
	b := fixtures.New(fixtures.Options{})
	b.Person("ops.dana", format.KindHuman, "operations")
	act := []byte(`{"class":"change.policy","version":1,"control":"c","grants":[],"gates":[]}`)
	digest := format.ActionDigest(act).String()
	st := b.Sign("ops.dana", &format.Statement{Purpose: format.PurposePropose, Run: "refused-1", Class: format.ClassPolicy, Action: digest, Reason: "try"})
	p := b.Append(format.TypeProposal, "ops.dana", &format.Proposal{Run: "refused-1", Class: format.ClassPolicy, Action: string(act), Digest: digest, Summary: map[string]string{}}, st)
	b.Append(format.TypeOutcome, "", &format.Outcome{Attempt: p, Result: format.ResultRefused, Code: "invalid-policy", Detail: "no"})
	open := &fixtures.Run{B: b, ID: "open-1", Maker: "ops.dana", Action: act}
	open.Propose()
	open.Gate(0, "governance", []format.Stage{{Stage: 1, N: 2, Pool: []string{"reg.alex", "reg.bea"}, Meaning: format.MeaningApproval, Human: true}})
	b.ApprovePolicy("ops.dana", &format.PolicyAction{Class: format.ClassPolicy, Version: 1, Control: "c", Grants: []format.Grant{}, Gates: []format.GateDef{}})
	st = b.Sign("reg.alex", &format.Statement{Purpose: format.PurposeSignoff, Run: "open-1", Gate: "governance", Stage: 1, Meaning: format.MeaningApproval, Reason: "late"})
	pending := b.Append(format.TypeAttempt, "reg.alex", &format.Attempt{Act: format.ActSignoff, Run: "open-1"}, st)
	return b.Bundle(), pending
}

func TestTimelineStates(t *testing.T) {
	bundle, pending := runsBundle()
	runs, changes, res := collect(t, bundle, UnsafeNoTrust(), Options{})
	var got []string
	for _, tl := range runs {
		got = append(got, tl.Run+":"+tl.State)
	}
	want := []string{"refused-1:refused", "policy-v1:executed", "open-1:open"}
	if !slices.Equal(got, want) {
		t.Fatalf("timelines %v, want %v", got, want)
	}
	open := runs[2]
	last := open.Attempts[len(open.Attempts)-1]
	if last.Seq != pending || last.Outcome != nil {
		t.Fatalf("open run's last attempt %+v", last)
	}
	// The end-of-bundle finding on the attempt without an outcome is on it.
	if !slices.ContainsFunc(last.Findings, func(f Finding) bool { return f.Rule == RuleAttemptOutcome }) {
		t.Errorf("no %s finding on the pending attempt: %v (result %v)", RuleAttemptOutcome, last.Findings, res.Findings)
	}
	// Only the executed policy is a change; the refused one is not.
	var policies []string
	for _, c := range changes {
		if c.Kind == ChangePolicy {
			policies = append(policies, c.Run)
		}
	}
	if !slices.Equal(policies, []string{"policy-v1"}) {
		t.Errorf("policy changes %v", policies)
	}
}

// Past the bounds of SPEC.md §10 the timeline hands records over in
// Partial pieces: every record of every run still arrives exactly once.
func TestTimelineBounds(t *testing.T) {
	demo, _, _, _ := fixtures.Demo()
	interleaved, _ := runsBundle() // open-1 stays open while policy-v1 runs
	seqs := func(bundle []byte, lim limits) ([]int64, bool) {
		runs, _, _ := collect(t, bundle, UnsafeNoTrust(), Options{lim: &lim})
		var got []int64
		partial := false
		for _, tl := range runs {
			partial = partial || tl.Partial
			for _, r := range tl.Records() {
				got = append(got, r.Seq)
			}
		}
		slices.Sort(got)
		return got, partial
	}
	tests := []struct {
		name        string
		bundle      []byte
		lim         limits
		wantPartial bool
	}{
		{name: "within bounds", bundle: demo, lim: defaultLimits()},
		{name: "retained bytes", bundle: demo, lim: limits{open: MaxOpen, retained: 3000, unparseable: MaxUnparseable}, wantPartial: true},
		{name: "no bytes at all", bundle: demo, lim: limits{open: MaxOpen, retained: 1, unparseable: MaxUnparseable}, wantPartial: true},
		{name: "one open run", bundle: interleaved, lim: limits{open: 1, retained: MaxRetained, unparseable: MaxUnparseable}, wantPartial: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := seqs(tt.bundle, defaultLimits())
			got, partial := seqs(tt.bundle, tt.lim)
			if !slices.Equal(got, want) || len(want) < 10 {
				t.Errorf("records handed over %v\nwant %v", got, want)
			}
			if partial != tt.wantPartial {
				t.Errorf("partial %v, want %v", partial, tt.wantPartial)
			}
		})
	}
}

// Without a consumer nothing is kept.
func TestTimelineOff(t *testing.T) {
	if tl := newTimeline(Options{}, defaultLimits()); tl != nil {
		t.Fatal("a timeline is kept with no consumer")
	}
}
