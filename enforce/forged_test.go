// The forged half of AG-259 test 8.2: where the core refuses, a producer
// that holds the log key and accepts anyway writes a bundle a verifier
// fails, naming the rule broken (SPEC.md §6.11, §8.3).

package enforce_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
	"github.com/countersign/countersign/verifier"
)

// forger continues a closed core's journal as a producer that accepts
// what the core refused.
type forger struct {
	o     *org
	chain *produce.Chain
	lines [][]byte
}

func newForger(t *testing.T, o *org, dir string) *forger {
	t.Helper()
	genesis := o.core.Genesis()
	o.core.Close()
	f, err := os.Open(filepath.Join(dir, "journal.csj"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fg := &forger{o: o}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, format.MaxLine+1)
	for sc.Scan() {
		fg.lines = append(fg.lines, bytes.Clone(sc.Bytes()))
	}
	if fg.chain, err = produce.ResumeChain(genesis, fg.lines[len(fg.lines)-1], key("log")); err != nil {
		t.Fatal(err)
	}
	return fg
}

// add appends a record and returns its sequence number.
func (f *forger) add(typ, actor string, body any, sigs ...format.Signed) int64 {
	f.o.t.Helper()
	l, err := f.chain.Append(format.FormatTime(f.o.now()), typ, actor, body, sigs)
	if err != nil {
		f.o.t.Fatal(err)
	}
	f.lines = append(f.lines, l)
	return f.chain.Next() - 1
}

// accept records an attempt with the statement and its acceptance.
func (f *forger) accept(act, run string, stmt format.Signed) int64 {
	st, err := format.ParseStatement(stmt.Stmt, format.Strict)
	if err != nil {
		f.o.t.Fatal(err)
	}
	seq := f.add(format.TypeAttempt, st.Principal, &format.Attempt{Act: act, Run: run}, stmt)
	f.add(format.TypeOutcome, "", &format.Outcome{Attempt: seq, Result: format.ResultAccepted, Code: "ok", Detail: act + " accepted"})
	return seq
}

func (f *forger) bundle() []byte {
	f.o.t.Helper()
	var out bytes.Buffer
	w := produce.NewBundleWriter(&out)
	for _, l := range f.lines {
		if err := w.WriteRecord(l); err != nil {
			f.o.t.Fatal(err)
		}
	}
	tr, err := f.chain.Trailer(format.FormatTime(f.o.now()))
	if err != nil {
		f.o.t.Fatal(err)
	}
	if err := w.Finish(tr); err != nil {
		f.o.t.Fatal(err)
	}
	return out.Bytes()
}

func wantRule(t *testing.T, res *verifier.Result, rule string) {
	t.Helper()
	if res.Verdict != verifier.VerdictFail || !slices.ContainsFunc(res.Findings, func(f verifier.Finding) bool { return f.Rule == rule }) {
		t.Fatalf("want a %s finding, got %s %+v", rule, res.Verdict, res.Findings)
	}
}

// TestForgedSelfApprovalIsAFinding: scenario A forged: the builder's own
// sign-off on his limit raise accepted, and the raise executed.
func TestForgedSelfApprovalIsAFinding(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	for _, p := range staff {
		o.enrol(p)
	}
	o.ownControl("trading-risk", true, []string{"trade"}, []format.Parameter{amountParam("daily_limit", "500000.00", "GBP")}, tradingOwners)
	d := o.ok(o.propose("raise", "eng.erin", []byte(controlDef("trading-risk", true, []string{"trade"}, amountParam("daily_limit", "5000000.00", "GBP"))), nil, ""))
	o.refused(enforce.CodeSelfApproval)(o.signoff("eng.erin", d.Requests[0], "", "launch volume"))
	// The honest bundle passes.
	if res := verifyBundle(t, exported(t, o.core), o.core.Genesis()); res.Verdict != verifier.VerdictPass {
		t.Fatalf("honest bundle: %s %+v", res.Verdict, res.Findings)
	}
	f := newForger(t, o, dir)
	st, err := d.Requests[0].Statement("eng.erin", o.ppl["eng.erin"].Name, format.FormatTime(o.time()), "", "launch volume, approved by me")
	if err != nil {
		t.Fatal(err)
	}
	f.accept(format.ActSignoff, "raise", o.sign("eng.erin", st))
	req := d.Requests[0]
	exec := f.accept(format.ActExecute, "raise", o.sign("eng.erin", &format.Statement{Purpose: format.PurposeExecute, Run: "raise", Proposal: req.Proposal, Action: req.Digest}))
	f.add(format.TypeExecution, "", &format.Execution{Run: "raise", Proposal: req.Proposal, Digest: req.Digest, Attempt: exec})
	wantRule(t, verifyBundle(t, f.bundle(), o.core.Genesis()), "SOD-POLICY-CHANGE")
}

// TestForgedConflictIsAFinding: a role change giving the builder approve
// as well, which the core refuses, executed by a forged producer.
func TestForgedConflictIsAFinding(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	for _, p := range staff {
		o.enrol(p)
	}
	o.ownControl("c", true, []string{"c.op"}, nil, fiveOwners)
	action := []byte(holderDef("c", enforce.RoleApprove, "eng.erin", "assign"))
	o.refused(enforce.CodeConflictingRole)(o.propose("r-x", "ops.dana", action, nil, ""))
	f := newForger(t, o, dir)
	digest := format.ActionDigest(action).String()
	prop := f.add(format.TypeProposal, "ops.dana", &format.Proposal{Run: "r-y", Class: format.ClassRole, Action: string(action), Digest: digest, Summary: map[string]string{}},
		o.sign("ops.dana", &format.Statement{Purpose: format.PurposePropose, Run: "r-y", Class: format.ClassRole, Action: digest, Reason: "forged"}))
	f.add(format.TypeOutcome, "", &format.Outcome{Attempt: prop, Result: format.ResultAccepted, Code: "ok", Detail: "proposal recorded"})
	propHash := format.RecordHash(f.lines[len(f.lines)-2]).String()
	gate := &format.Gate{Run: "r-y", Proposal: propHash, Policy: 0, Gate: "governance", Stages: []format.Stage{{Stage: 1, N: 2, Pool: []string{"reg.alex", "reg.bea"}, Meaning: format.MeaningApproval, Human: true}}}
	f.add(format.TypeGate, "", gate)
	for _, reg := range gov {
		f.accept(format.ActSignoff, "r-y", o.sign(reg, &format.Statement{Purpose: format.PurposeSignoff, Run: "r-y", Proposal: propHash, Gate: "governance", Stage: 1, Action: digest, Meaning: format.MeaningApproval, Reason: "ok"}))
	}
	exec := f.accept(format.ActExecute, "r-y", o.sign("ops.dana", &format.Statement{Purpose: format.PurposeExecute, Run: "r-y", Proposal: propHash, Action: digest}))
	f.add(format.TypeExecution, "", &format.Execution{Run: "r-y", Proposal: propHash, Digest: digest, Attempt: exec})
	wantRule(t, verifyBundle(t, f.bundle(), o.core.Genesis()), "SOD-CONTROL-ROLES")
}

// TestForgedValidationIsAFinding: a validation by someone who does not
// hold validate, which the core refuses, recorded by a forged producer.
func TestForgedValidationIsAFinding(t *testing.T) {
	dir := t.TempDir()
	o := newOrg(t, dir)
	for _, p := range staff {
		o.enrol(p)
	}
	o.ownControl("c", true, []string{"c.op"}, nil, fiveOwners)
	o.refused(enforce.CodeRoleNotAssigned)(o.validate("eng.erin", "c", "pass"))
	f := newForger(t, o, dir)
	stmt := o.sign("eng.erin", &format.Statement{Purpose: format.PurposeValidate, Control: "c", Subject: "my own limit logic", Result: "pass", Notes: "works"})
	f.add(format.TypeValidation, "eng.erin", &format.Validation{Control: "c", Subject: "my own limit logic", Result: "pass", Notes: "works"}, stmt)
	wantRule(t, verifyBundle(t, f.bundle(), o.core.Genesis()), "SOD-CONTROL-ROLES")
}
