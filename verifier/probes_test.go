package verifier

import (
	"crypto/ed25519"
	"fmt"
	"strings"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
)

// The probes: small bundles, each built so that one condition of SPEC.md
// §8 that no vector isolates decides its result. Their expected findings
// are worked out from how they are built.

var probeStages = []format.Stage{
	{Stage: 1, N: 1, Pool: []string{"agent.reviewer"}, Meaning: format.MeaningReview},
	{Stage: 2, N: 1, Pool: []string{"risk.ana", "risk.ben"}, Meaning: format.MeaningApproval, Human: true},
}

// probeBase is genesis (0), ops.dana, agent.payments, agent.reviewer,
// risk.ana and risk.ben (1-5) and policy version 1 (proposal 6, executed
// at 15), which edit may change first.
func probeBase(edit func(*format.PolicyAction)) *fixtures.Builder {
	b := fixtures.New(fixtures.Options{BundleID: "probe"})
	b.Person("ops.dana", format.KindHuman, "operations")
	b.Person("agent.payments", format.KindAgent, "payments")
	b.Person("agent.reviewer", format.KindAgent, "payments")
	b.Person("risk.ana", format.KindHuman, "risk")
	b.Person("risk.ben", format.KindHuman, "risk")
	pol := format.PolicyAction{Class: format.ClassPolicy, Version: 1, Control: "payments-release",
		Grants: []format.Grant{{Principal: "agent.payments", Role: format.GrantMaker, Classes: []string{"payment"}, MaxAmount: "10000.00", Currency: "EUR"}},
		Gates:  []format.GateDef{{Class: "payment", Gate: "payment-release", Stages: probeStages}}}
	for _, c := range []string{"agent.reviewer", "risk.ana", "risk.ben"} {
		pol.Grants = append(pol.Grants, format.Grant{Principal: c, Role: format.GrantChecker, Classes: []string{"payment"}})
	}
	if edit != nil {
		edit(&pol)
	}
	b.ApprovePolicy("ops.dana", &pol)
	return b
}

const probePolicy, probePolicyExec = 6, 15

func trustOf(b *fixtures.Builder) Trust {
	t, _ := PinGenesis(b.Genesis().String())
	return t
}

func done(b *fixtures.Builder) ([]byte, Trust) { return b.Bundle(), trustOf(b) }

func want(fs ...string) string { return "fail " + strings.Join(fs, " ") }

func f(rule string, recs ...int64) string { return fmt.Sprint(rule, recs) }

// payRun proposes a 1250.00 EUR payment (proposal p, outcome p+1) gated at
// p+2 with stages.
func payRun(b *fixtures.Builder, stages []format.Stage) (*fixtures.Run, int64) {
	p := b.Chain.Next()
	r := &fixtures.Run{B: b, ID: "pay-1", Maker: "agent.payments",
		Action:  []byte(`{"class":"payment","amount":"1250.00","currency":"EUR","beneficiary":"ACME","reference":"INV-7"}`),
		Summary: map[string]string{"amount": "1250.00"}}
	r.Propose()
	if stages != nil {
		r.Gate(1, "payment-release", stages)
	}
	return r, p
}

// changeRun proposes a change.control run by maker at the governance gate.
func changeRun(b *fixtures.Builder, maker string) (*fixtures.Run, int64) {
	p := b.Chain.Next()
	r := &fixtures.Run{B: b, ID: "ctl-1", Maker: maker, Action: []byte(`{"class":"change.control","control":"c","name":"C","material":true}`)}
	r.Propose()
	r.Gate(0, "governance", []format.Stage{{Stage: 1, N: 2, Pool: []string{"reg.alex", "reg.bea"}, Meaning: format.MeaningApproval, Human: true}})
	return r, p
}

// proposeRaw appends a proposal of action whose body and statement are
// edited, and its accepting outcome.
func proposeRaw(b *fixtures.Builder, action string, edit func(*format.Proposal, *format.Statement)) int64 {
	digest := format.ActionDigest([]byte(action)).String()
	a, _ := format.ParseAction([]byte(action))
	body := &format.Proposal{Run: "raw-1", Class: a.Class, Action: action, Digest: digest, Summary: map[string]string{}}
	st := &format.Statement{Purpose: format.PurposePropose, Run: "raw-1", Class: a.Class, Action: digest, Reason: "prepared"}
	edit(body, st)
	p := b.Append(format.TypeProposal, "ops.dana", body, b.Sign("ops.dana", st))
	b.Append(format.TypeOutcome, "", &format.Outcome{Attempt: p, Result: format.ResultAccepted, Code: "ok", Detail: "proposal recorded"})
	return p
}

func probes() []probe {
	ctl := `{"class":"change.control","control":"c","name":"C","material":true}`
	return []probe{
		{name: "printed-name-bidi", want: want(f(RulePrintedName, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			b.Enrol(format.Principal{ID: "ops.eve", Kind: format.KindHuman, Name: "Eve \u202eyrolaM", Team: "operations"}, false, nil, "reg.alex", "reg.bea")
			return done(b)
		}},
		{name: "open-runs-bound", opts: Options{lim: &limits{open: 2, retained: MaxRetained, unparseable: MaxUnparseable}},
			want: want(f(RuleAttemptOutcome, 20), f(RuleAttemptOutcome, 20, 21)), build: func() ([]byte, Trust) {
				b := probeBase(nil)
				for i := 0; i < 3; i++ {
					r := &fixtures.Run{B: b, ID: fmt.Sprintf("ctl-%d", i), Maker: "ops.dana", Action: []byte(ctl)}
					r.Propose()
				}
				return done(b)
			}},
		{name: "retained-bound", opts: Options{lim: &limits{open: MaxOpen, retained: 1000, unparseable: MaxUnparseable}},
			want: want(f(RuleAttemptOutcome, 16)), build: func() ([]byte, Trust) {
				b := probeBase(nil)
				r := &fixtures.Run{B: b, ID: "ctl-1", Maker: "ops.dana", Action: []byte(`{"class":"change.control","control":"c","name":"` + strings.Repeat("C", 2000) + `","material":true}`)}
				r.Propose()
				return done(b)
			}},
		{name: "outcome-of-no-attempt", want: want(f(RuleAttemptOutcome, 3, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			b.Append(format.TypeOutcome, "", &format.Outcome{Attempt: 3, Result: format.ResultRefused, Code: "run-closed", Detail: "refused"})
			return done(b)
		}},
		{name: "exercise-statement-twice", want: want(f(RuleStatement, 16, 18)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			st := b.Sign("ops.dana", &format.Statement{Purpose: format.PurposeExercise, Control: "payments-release", Role: "operate", Operation: "release batch 7", Reason: "end of day"})
			for i := 0; i < 2; i++ {
				a := b.Append(format.TypeAttempt, "ops.dana", &format.Attempt{Act: format.ActExercise}, st)
				b.Append(format.TypeOutcome, "", &format.Outcome{Attempt: a, Result: format.ResultAccepted, Code: "ok", Detail: "accepted"})
			}
			return done(b)
		}},
		{name: "missing-outcome", want: want(f(RuleAttemptOutcome, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			d := format.ActionDigest([]byte(ctl)).String()
			b.Append(format.TypeProposal, "ops.dana", &format.Proposal{Run: "ctl-1", Class: format.ClassControl, Action: ctl, Digest: d, Summary: map[string]string{}},
				b.Sign("ops.dana", &format.Statement{Purpose: format.PurposePropose, Run: "ctl-1", Class: format.ClassControl, Action: d, Reason: "new control"}))
			return done(b)
		}},
		{name: "acceptance-code", want: want(f(RuleAttemptOutcome, 17)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			d := format.ActionDigest([]byte(ctl)).String()
			p := b.Append(format.TypeProposal, "ops.dana", &format.Proposal{Run: "ctl-1", Class: format.ClassControl, Action: ctl, Digest: d, Summary: map[string]string{}},
				b.Sign("ops.dana", &format.Statement{Purpose: format.PurposePropose, Run: "ctl-1", Class: format.ClassControl, Action: d, Reason: "new control"}))
			b.Append(format.TypeOutcome, "", &format.Outcome{Attempt: p, Result: format.ResultAccepted, Code: "fine", Detail: "accepted"})
			return done(b)
		}},
		{name: "grant-currency-invalid", want: want(f(RuleGrant, probePolicy, probePolicyExec)), build: func() ([]byte, Trust) {
			return done(probeBase(func(p *format.PolicyAction) { p.Grants[0].Currency = "eur" }))
		}},
		{name: "checker-without-grant", want: want(f(RuleGrant, 16, 21, 22)), build: func() ([]byte, Trust) {
			st := []format.Stage{probeStages[0], {Stage: 2, N: 1, Pool: []string{"ops.dana"}, Meaning: format.MeaningApproval, Human: true}}
			b := probeBase(func(p *format.PolicyAction) { p.Gates[0].Stages = st })
			r, _ := payRun(b, st)
			r.Signoff("agent.reviewer", 1, format.MeaningReview, "ok", true, "ok")
			r.Signoff("ops.dana", 2, format.MeaningApproval, "ok", true, "ok")
			r.Execute("agent.payments", true, "ok")
			return done(b)
		}},
		{name: "checker-executes", want: want(f(RuleOneRole, 16, 23, 24), f(RuleOneRole, 16, 23, 24)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			r, _ := changeRun(b, "ops.dana")
			r.Signoff("reg.alex", 1, format.MeaningApproval, "ok", true, "ok")
			r.Signoff("reg.bea", 1, format.MeaningApproval, "ok", true, "ok")
			r.Execute("reg.alex", true, "ok")
			return done(b)
		}},
		{name: "signoff-without-reason", want: want(f(RuleSignatureMeaning, 16, 21, 22), f(RuleQuorum, 18, 21, 25)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			r, _ := payRun(b, probeStages)
			r.Signoff("agent.reviewer", 1, format.MeaningReview, "ok", true, "ok")
			r.Signoff("risk.ana", 2, format.MeaningApproval, "  ", true, "ok")
			r.Execute("agent.payments", true, "ok")
			return done(b)
		}},
		{name: "proposal-digest", want: want(f(RuleSignatureMeaning, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			proposeRaw(b, ctl, func(p *format.Proposal, st *format.Statement) {
				p.Digest = format.ActionDigest([]byte("other")).String()
				st.Action = p.Digest
			})
			return done(b)
		}},
		{name: "proposal-class", want: want(f(RuleSignatureMeaning, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			proposeRaw(b, ctl, func(p *format.Proposal, st *format.Statement) { p.Class, st.Class = format.ClassRole, format.ClassRole })
			return done(b)
		}},
		{name: "proposal-without-reason", want: want(f(RuleSignatureMeaning, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			proposeRaw(b, ctl, func(_ *format.Proposal, st *format.Statement) { st.Reason = " " })
			return done(b)
		}},
		{name: "quorum-outside-pool", want: want(f(RuleQuorum, 18, 21, 25)), build: func() ([]byte, Trust) {
			st := []format.Stage{probeStages[0], {Stage: 2, N: 1, Pool: []string{"risk.ana"}, Meaning: format.MeaningApproval, Human: true}}
			b := probeBase(func(p *format.PolicyAction) { p.Gates[0].Stages = st })
			r, _ := payRun(b, st)
			r.Signoff("agent.reviewer", 1, format.MeaningReview, "ok", true, "ok")
			r.Signoff("risk.ben", 2, format.MeaningApproval, "ok", true, "ok")
			r.Execute("agent.payments", true, "ok")
			return done(b)
		}},
		{name: "quorum-needs-the-maker", want: want(f(RuleMakerChecker, 16, 19, 20), f(RuleOneRole, 16, 19, 20), f(RuleQuorum, 18, 19, 21, 25)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			r, _ := changeRun(b, "reg.alex")
			r.Signoff("reg.alex", 1, format.MeaningApproval, "mine", true, "ok")
			r.Signoff("reg.bea", 1, format.MeaningApproval, "ok", true, "ok")
			r.Execute("reg.alex", true, "ok")
			return done(b)
		}},
		{name: "quorum-agent-on-human-stage", want: want(f(RuleHumanSigner, 18, 19, 20), f(RuleQuorum, 18, 19, 23)), build: func() ([]byte, Trust) {
			st := []format.Stage{{Stage: 1, N: 1, Pool: []string{"agent.reviewer", "risk.ana"}, Meaning: format.MeaningApproval, Human: true}}
			b := probeBase(func(p *format.PolicyAction) { p.Gates[0].Stages = st })
			r, _ := payRun(b, st)
			r.Signoff("agent.reviewer", 1, format.MeaningApproval, "ok", true, "ok")
			r.Execute("agent.payments", true, "ok")
			return done(b)
		}},
		{name: "gate-for-ungated-class", want: want(f(RuleGatePolicy, 16, 18)), build: func() ([]byte, Trust) {
			b := probeBase(func(p *format.PolicyAction) { p.Gates = []format.GateDef{} })
			payRun(b, probeStages)
			return done(b)
		}},
		{name: "gated-twice", want: want(f(RuleGatePolicy, 18, 19)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			r, _ := payRun(b, probeStages)
			r.Gate(1, "payment-release", probeStages)
			return done(b)
		}},
		{name: "gate-names-another-proposal", want: want(f(RuleGatePolicy, 16, 18)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			payRun(b, nil)
			b.Append(format.TypeGate, "", &format.Gate{Run: "pay-1", Proposal: format.Hash{7}.String(), Policy: 1, Gate: "payment-release", Stages: probeStages})
			return done(b)
		}},
		{name: "policy-version-skipped", want: want(f(RuleGatePolicy, probePolicy)), build: func() ([]byte, Trust) {
			return done(probeBase(func(p *format.PolicyAction) { p.Version = 2 }))
		}},
		{name: "gate-without-run", want: want(f(RuleGatePolicy, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			b.Append(format.TypeGate, "", &format.Gate{Run: "nope", Proposal: format.Hash{7}.String(), Policy: 1, Gate: "payment-release", Stages: probeStages})
			return done(b)
		}},
		{name: "policy-gate-without-stages", want: want(f(RuleGatePolicy, probePolicy, probePolicyExec)), build: func() ([]byte, Trust) {
			return done(probeBase(func(p *format.PolicyAction) {
				p.Gates = append(p.Gates, format.GateDef{Class: "refund", Gate: "refund-release", Stages: []format.Stage{}})
			}))
		}},
		{name: "policy-class-gated-twice", want: want(f(RuleGatePolicy, probePolicy, probePolicyExec)), build: func() ([]byte, Trust) {
			return done(probeBase(func(p *format.PolicyAction) { p.Gates = append(p.Gates, p.Gates[0]) }))
		}},
		{name: "re-enrolment-renames", want: want(f(RuleKeyEnrolment, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			b.Enrol(format.Principal{ID: "risk.ana", Kind: format.KindHuman, Name: "Ana Other", Team: "risk"}, false, fixtures.Key("risk.ana.2"), "reg.alex", "reg.bea")
			return done(b)
		}},
		{name: "same-person-names-an-agent", want: want(f(RuleKeyEnrolment, 16), f(RuleKeyEnrolment, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			p := format.Principal{ID: "risk.cai", Kind: format.KindHuman, Name: fixtures.DisplayName("risk.cai"), Team: "risk"}
			k := fixtures.Key(p.ID)
			key := format.HexKey(k.Public().(ed25519.PublicKey))
			no := false
			sigs := []format.Signed{b.SignWith(p.ID, k, &format.Statement{Purpose: format.PurposeEnrolSelf, Key: key, Kind: p.Kind, Team: p.Team, Registrar: &no})}
			for _, w := range []string{"reg.alex", "reg.bea"} {
				sigs = append(sigs, b.Sign(w, &format.Statement{Purpose: format.PurposeEnrolWitness, Subject: p.ID, SubjectName: p.Name, Kind: p.Kind, Team: p.Team, Key: key, Registrar: &no, SamePerson: []string{"agent.payments"}}))
			}
			b.Append(format.TypeEnrolment, p.ID, &format.Enrolment{Principal: p, Key: key}, sigs...)
			return done(b)
		}},
		{name: "revocation-by-one-registrar", want: want(f(RuleKeyEnrolment, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			kid := format.KeyIDOf(fixtures.Key("risk.ana").Public().(ed25519.PublicKey)).String()
			b.Append(format.TypeKeyRevocation, "reg.alex", &format.KeyRevocation{Principal: "risk.ana", Key: kid, Reason: "left"},
				b.Sign("reg.alex", &format.Statement{Purpose: format.PurposeRevoke, Subject: "risk.ana", Key: kid, Reason: "left"}))
			return done(b)
		}},
		{name: "one-registrar", want: want(f(RuleKeyEnrolment, 0)), build: func() ([]byte, Trust) {
			return done(fixtures.New(fixtures.Options{BundleID: "probe", Registrars: []string{"reg.alex"}}))
		}},
		{name: "checkpoint-signature", want: want(f(RuleCheckpoint, 1)), build: func() ([]byte, Trust) {
			b := fixtures.New(fixtures.Options{BundleID: "probe"})
			b.Person("risk.ana", format.KindHuman, "risk")
			return done(b)
		}, opts: Options{Checkpoint: badCheckpoint()}},
		{name: "statement-printed-name", want: want(f(RuleStatement, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			st := &format.Statement{Purpose: format.PurposePersonnel, Bundle: b.Genesis().String(), Principal: "ops.dana", Name: "Dana K.", Time: b.Now(),
				Subject: "risk.ben", Event: "mover", Effective: "2026-11-03", Team: "audit"}
			sg, _ := format.SignStatement(st, fixtures.Key("ops.dana"))
			b.Append(format.TypePersonnel, "ops.dana", &format.Personnel{Principal: "risk.ben", Event: "mover", Effective: "2026-11-03", Team: "audit"}, sg)
			return done(b)
		}},
		{name: "statement-unparseable", want: want(f(RuleStatement, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			k := fixtures.Key("ops.dana")
			bad := []byte(`{"purpose":"personnel"}`)
			sg := format.Signed{Key: format.KeyIDOf(k.Public().(ed25519.PublicKey)), Stmt: bad, Sig: format.Sign(k, format.PrefixStatement, bad)}
			b.Append(format.TypePersonnel, "ops.dana", &format.Personnel{Principal: "risk.ben", Event: "mover", Effective: "2026-11-03", Team: "audit"}, sg)
			return done(b)
		}},
		{name: "body-missing-member", want: want(f(RuleParse, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			b.Append(format.TypeNote, "", map[string]string{"code": "memo"})
			return done(b)
		}},
		{name: "producer-record-with-actor", want: want(f(RuleParse, 16)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			b.Append(format.TypeNote, "risk.ana", &format.Note{Code: "memo", Text: "by someone"})
			return done(b)
		}},
		{name: "alerts-bound", opts: Options{lim: &limits{open: MaxOpen, retained: MaxRetained, unparseable: MaxUnparseable, alerts: 1}},
			want: want(f(RuleAlert60s, 19)), build: func() ([]byte, Trust) {
				b := probeBase(nil)
				for i := 0; i < 2; i++ {
					n := b.Append(format.TypeNote, "", &format.Note{Code: "role-not-assigned", Text: "refused"})
					b.Append(format.TypeAlert, "", &format.Alert{Attempt: n, Text: "refused"})
				}
				return done(b)
			}},
		{name: "alert-other-principal", want: want(f(RuleAlert60s, 21)), build: func() ([]byte, Trust) {
			b := probeBase(nil)
			r, _ := changeRun(b, "ops.dana")
			a := r.Signoff("risk.ana", 1, format.MeaningApproval, "approved", false, "not-in-pool")
			al := b.Append(format.TypeAlert, "", &format.Alert{Attempt: a, Principal: "risk.ben", Control: "c", Role: "approve", Text: "risk.ben was refused"})
			b.Append(format.TypeAlertDelivery, "", &format.AlertDelivery{Alert: al, Channel: "pager", Status: "delivered", Detail: "sent"})
			return done(b)
		}},
	}
}

// badCheckpoint is the trailer of the checkpoint-signature probe's bundle
// with its signature replaced by one over another seal.
func badCheckpoint() *format.Trailer {
	b := fixtures.New(fixtures.Options{BundleID: "probe"})
	b.Person("risk.ana", format.KindHuman, "risk")
	t, err := format.ParseTrailer(b.Trailer())
	if err != nil {
		panic(err)
	}
	other := *t.Seal
	other.Count++
	o, err := format.ParseTrailer(mustTrailer(produce.EncodeTrailer(&other, b.LogKey)))
	if err != nil {
		panic(err)
	}
	t.Sig = o.Sig
	return t
}

func mustTrailer(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
