package enforce_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/harness"
	"github.com/countersign/countersign/verifier"
)

// newTestCore is how every test core is created.
func newTestCore(s harness.CoreSetup, g enforce.Genesis) (*enforce.Core, error) {
	return harness.NewCore(s, g)
}

// attack is one attempt the core must refuse, with the code it refuses it
// with. setup brings the organisation to the point of the attack (honest
// steps only) and returns the attacking step.
type attack struct {
	name  string
	code  string
	class error // the sentinel the refusal must also match, if any
	setup func(o *org) func() (*enforce.Decision, error)
}

// fail is how an attack's expectation reports, so a test that disables a
// check can see that it was noticed.
type fail func(format string, args ...any)

// policyWith returns a policy action of the given version with the test
// organisation's payment gate, the given grants and extra members.
func policyWith(version int, grants, gates, extra string) []byte {
	if gates == "" {
		gates = `[{"class":"payment","gate":"payment-release","stages":[` +
			`{"stage":1,"n":1,"pool":["agent.reviewer","risk.ana"],"meaning":"review","human":false},` +
			`{"stage":2,"n":2,"pool":["agent.reviewer","risk.ana","risk.ben","risk.chen"],"meaning":"approval","human":true}]}]`
	}
	return []byte(fmt.Sprintf(`{"class":"change.policy","version":%d,"control":"payments-release","grants":%s,"gates":%s%s}`, version, grants, gates, extra))
}

const baseGrants = `{"principal":"agent.payments","role":"maker","classes":["payment"],"max_amount":"10000.00","currency":"EUR"},` +
	`{"principal":"agent.reviewer","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.ana","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.ben","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.chen","role":"checker","classes":["payment"],"max_amount":"","currency":""}`

// approve puts a policy in force through the governance gate, asserting
// nothing but success.
func (o *org) approve(run string, policy []byte) {
	o.t.Helper()
	d := o.ok(o.propose(run, "ops.dana", policy, nil, ""))
	o.ok(o.signoff("reg.alex", d.Requests[0], "", "policy reviewed"))
	o.ok(o.signoff("reg.bea", d.Requests[0], "", "policy approved"))
	o.ok(o.execute("ops.dana", run))
}

// approved proposes a payment and collects every sign-off it needs.
func (o *org) approved(run string, action []byte, beneficiary string) *enforce.Decision {
	o.t.Helper()
	d := o.ok(o.propose(run, "agent.payments", action, nil, beneficiary))
	o.ok(o.signoff("agent.reviewer", d.Requests[0], "", "matches the invoice"))
	o.ok(o.signoff("risk.ana", d.Requests[1], "", "approved"))
	o.ok(o.signoff("risk.ben", d.Requests[1], "", "approved"))
	return d
}

// signAt signs st for id with its time moved by skew from the clock.
func (o *org) signAt(id string, st *format.Statement, skew time.Duration) format.Signed {
	o.t.Helper()
	p := o.ppl[id]
	st.Bundle, st.Principal, st.Name, st.Time = o.core.Genesis().String(), id, p.Name, format.FormatTime(o.time().Add(skew))
	s, err := format.SignStatement(st, o.keys[id])
	if err != nil {
		o.t.Fatal(err)
	}
	return s
}

// enrolAs enrols p witnessed by both registrars, each attesting the given
// same-person lists.
func (o *org) enrolAs(p format.Principal, alex, bea []string) (int64, error) {
	k := key(p.ID)
	o.keys[p.ID], o.ppl[p.ID] = k, p
	pub := k.Public().(ed25519.PublicKey)
	no := false
	sigs := []format.Signed{o.sign(p.ID, &format.Statement{Purpose: format.PurposeEnrolSelf, Key: format.HexKey(pub), Kind: p.Kind, Team: p.Team, Registrar: &no})}
	for _, w := range []struct {
		id   string
		same []string
	}{{"reg.alex", alex}, {"reg.bea", bea}} {
		sigs = append(sigs, o.sign(w.id, &format.Statement{Purpose: format.PurposeEnrolWitness, Subject: p.ID, SubjectName: p.Name, Kind: p.Kind,
			Team: p.Team, Key: format.HexKey(pub), Registrar: &no, SamePerson: w.same}))
	}
	return o.core.Enrol(p, pub, false, sigs)
}

func enrolment(seq int64, err error) (*enforce.Decision, error) {
	var r *enforce.Refusal
	if errors.As(err, &r) {
		return &enforce.Decision{Code: r.Code, Outcome: r.Outcome}, err
	}
	return &enforce.Decision{Accepted: err == nil, Code: "ok", Outcome: seq}, err
}

func withPolicy(setup func(o *org) func() (*enforce.Decision, error)) func(o *org) func() (*enforce.Decision, error) {
	return func(o *org) func() (*enforce.Decision, error) {
		o.approve("policy-1", policyV1)
		return setup(o)
	}
}

func proposeAction(action string, beneficiary string) func(o *org) func() (*enforce.Decision, error) {
	return withPolicy(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.propose("pay-x", "agent.payments", []byte(action), nil, beneficiary)
		}
	})
}

const tail = `,"beneficiary":"ACME Supplies Ltd","reference":"INV-7"}`

var chen2 = format.Principal{ID: "risk.chen2", Kind: format.KindHuman, Name: "Chen Wei", Team: "treasury"}

var attacks = []attack{
	// 1. Amounts a limit cannot judge.
	{"amount is a JSON integer", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":500000000,"currency":"EUR"`+tail, "")},
	{"amount is an object", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":{"value":"500000000"},"currency":"EUR"`+tail, "")},
	{"amount is absent", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","currency":"EUR"`+tail, "")},
	{"amount is negative", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":"-5.00","currency":"EUR"`+tail, "")},
	{"amount has an exponent", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":"1e9","currency":"EUR"`+tail, "")},
	{"amount in lines", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":"1.00","currency":"EUR","lines":[{"amount":"500000000.00"}]`+tail, "")},
	{"a total beside the amount", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":"1.00","total":"500000000.00","currency":"EUR"`+tail, "")},
	{"amount over the limit", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":"10000.01","currency":"EUR"`+tail, "")},
	{"another currency", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":"100.00","currency":"USD"`+tail, "")},
	{"currency not a code", enforce.CodeOverLimit, nil, proposeAction(`{"class":"payment","amount":"100.00","currency":"eur"`+tail, "")},
	{"currency-only grant, another currency", enforce.CodeOverLimit, nil, func(o *org) func() (*enforce.Decision, error) {
		o.approve("policy-1", policyWith(1, `[{"principal":"agent.payments","role":"maker","classes":["refund"],"max_amount":"","currency":"EUR"}]`, "[]", ""))
		return func() (*enforce.Decision, error) {
			return o.propose("ref-1", "agent.payments", []byte(`{"class":"refund","amount":"100.00","currency":"USD"}`), nil, "")
		}
	}},
	{"checker's limit judges the amount", enforce.CodeOverLimit, nil, func(o *org) func() (*enforce.Decision, error) {
		o.approve("policy-1", policyWith(1, `[`+strings.Replace(baseGrants, `"risk.ana","role":"checker","classes":["payment"],"max_amount":""`, `"risk.ana","role":"checker","classes":["payment"],"max_amount":"100.00"`, 1)+`]`, "", ""))
		d := o.ok(o.propose("pay-1", "agent.payments", payment("1250.00"), nil, ""))
		return func() (*enforce.Decision, error) { return o.signoff("risk.ana", d.Requests[1], "", "approved") }
	}},
	{"no grant", enforce.CodeNoGrant, nil, proposeAction(`{"class":"refund","amount":"1.00","currency":"EUR"}`, "")},

	// 2. Replay.
	{"run ID used again", enforce.CodeRunExists, enforce.ErrRunExists, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			return o.propose("pay-1", "agent.payments", payment("20.00"), nil, "")
		}
	})},
	{"run ID of a refused proposal used again", enforce.CodeRunExists, enforce.ErrRunExists, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		o.refused(enforce.CodeOverLimit)(o.propose("pay-1", "agent.payments", payment("20000.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			return o.propose("pay-1", "agent.payments", payment("20.00"), nil, "")
		}
	})},
	{"closed ungated run's execute replayed", enforce.CodeReplayedStatement, enforce.ErrReplayed, func(o *org) func() (*enforce.Decision, error) {
		o.approve("policy-1", policyWith(1, `[{"principal":"agent.payments","role":"maker","classes":["refund"],"max_amount":"100.00","currency":"EUR"}]`, "[]", ""))
		o.ok(o.propose("ref-1", "agent.payments", []byte(`{"class":"refund","amount":"10.00","currency":"EUR"}`), nil, ""))
		req, _ := o.core.ExecuteRequest("ref-1")
		exec := o.sign("agent.payments", &format.Statement{Purpose: format.PurposeExecute, Run: req.Run, Proposal: req.Proposal, Action: req.Digest})
		o.ok(o.core.Execute(exec))
		return func() (*enforce.Decision, error) { return o.core.Execute(exec) }
	}},
	{"sign-off replayed byte for byte", enforce.CodeReplayedStatement, enforce.ErrReplayed, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		st, _ := d.Requests[1].Statement("risk.ana", o.ppl["risk.ana"].Name, format.FormatTime(o.time()), "", "approved")
		s := o.sign("risk.ana", st)
		o.ok(o.core.SignOff(s))
		return func() (*enforce.Decision, error) { return o.core.SignOff(s) }
	})},

	// 3. An execute statement for another proposal and action.
	{"unbound execute", enforce.CodeWrongBinding, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		other := o.ok(o.propose("pay-0", "agent.payments", payment("1.00"), nil, ""))
		o.approved("pay-1", payment("1250.00"), "")
		return func() (*enforce.Decision, error) {
			return o.core.Execute(o.sign("agent.payments", &format.Statement{Purpose: format.PurposeExecute, Run: "pay-1",
				Proposal: other.Requests[0].Proposal, Action: format.ActionDigest(payment("1.00")).String()}))
		}
	})},

	// 4. One person, two principals.
	{"same name, no attestation", enforce.CodeSamePersonUnattest, enforce.ErrSamePerson, func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return enrolment(o.enrolAs(format.Principal{ID: "risk.ana2", Kind: format.KindHuman, Name: "Ana Ribeiro", Team: "treasury"}, nil, nil))
		}
	}},
	{"same name, one registrar attests", enforce.CodeSamePersonUnattest, enforce.ErrSamePerson, func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return enrolment(o.enrolAs(format.Principal{ID: "risk.ana2", Kind: format.KindHuman, Name: "Ana Ribeiro", Team: "treasury"}, []string{"risk.ana"}, nil))
		}
	}},
	{"look-alike name, no attestation", enforce.CodeSamePersonUnattest, enforce.ErrSamePerson, func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return enrolment(o.enrolAs(format.Principal{ID: "risk.anna", Kind: format.KindHuman, Name: "Ana Ribeir0", Team: "risk"}, nil, nil))
		}
	}},
	{"one person twice in a stage", enforce.CodeDuplicateSigner, nil, func(o *org) func() (*enforce.Decision, error) {
		o.ok(enrolment(o.enrolAs(chen2, []string{"risk.chen"}, []string{"risk.chen"})))
		o.approve("policy-1", policyWith(1, `[`+baseGrants+`,{"principal":"risk.chen2","role":"checker","classes":["payment"],"max_amount":"","currency":""}]`,
			`[{"class":"payment","gate":"payment-release","stages":[{"stage":1,"n":2,"pool":["risk.ana","risk.chen","risk.chen2"],"meaning":"approval","human":true}]}]`, ""))
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		o.ok(o.signoff("risk.chen", d.Requests[0], "", "approved"))
		return func() (*enforce.Decision, error) { return o.signoff("risk.chen2", d.Requests[0], "", "approved again") }
	}},
	{"one person in two stages", enforce.CodeDuplicateSigner, nil, func(o *org) func() (*enforce.Decision, error) {
		o.ok(enrolment(o.enrolAs(chen2, []string{"risk.chen"}, []string{"risk.chen"})))
		o.approve("policy-1", policyWith(1, `[`+baseGrants+`,{"principal":"risk.chen2","role":"checker","classes":["payment"],"max_amount":"","currency":""}]`,
			`[{"class":"payment","gate":"payment-release","stages":[{"stage":1,"n":1,"pool":["risk.ana","risk.chen"],"meaning":"review","human":true},`+
				`{"stage":2,"n":1,"pool":["risk.ana","risk.chen2"],"meaning":"approval","human":true}]}]`, ""))
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		o.ok(o.signoff("risk.chen", d.Requests[0], "", "reviewed"))
		return func() (*enforce.Decision, error) { return o.signoff("risk.chen2", d.Requests[1], "", "approved") }
	}},
	{"maker's other principal approves", enforce.CodeSelfApproval, nil, func(o *org) func() (*enforce.Decision, error) {
		o.ok(enrolment(o.enrolAs(chen2, []string{"risk.chen"}, []string{"risk.chen"})))
		o.approve("policy-1", policyWith(1, `[`+baseGrants+`,{"principal":"risk.chen","role":"maker","classes":["payment"],"max_amount":"","currency":"EUR"},`+
			`{"principal":"risk.chen2","role":"checker","classes":["payment"],"max_amount":"","currency":""}]`,
			`[{"class":"payment","gate":"payment-release","stages":[{"stage":1,"n":1,"pool":["risk.ana","risk.chen2"],"meaning":"approval","human":true}]}]`, ""))
		d := o.ok(o.propose("pay-1", "risk.chen", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) { return o.signoff("risk.chen2", d.Requests[0], "", "approved") }
	}},

	// 5. Gates no one needs to pass.
	{"change action without its class's members", enforce.CodeInvalidPolicy, nil, policyRun([]byte(`{"class":"change.control","control":"payments-release","name":"Payments release"}`))},
	{"change class no revision defines", enforce.CodeInvalidPolicy, nil, policyRun([]byte(`{"class":"change.everything","control":"payments-release"}`))},
	{"stage with n 0", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(1, `[`+baseGrants+`]`, `[{"class":"payment","gate":"g","stages":[{"stage":1,"n":0,"pool":["risk.ana"],"meaning":"approval","human":true}]}]`, ""))},
	{"gate with no stage", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(1, `[`+baseGrants+`]`, `[{"class":"payment","gate":"g","stages":[]}]`, ""))},
	{"n above the pool", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(1, `[`+baseGrants+`]`, `[{"class":"payment","gate":"g","stages":[{"stage":1,"n":3,"pool":["risk.ana","risk.ben"],"meaning":"approval","human":true}]}]`, ""))},
	{"pool entry repeated", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(1, `[`+baseGrants+`]`, `[{"class":"payment","gate":"g","stages":[{"stage":1,"n":2,"pool":["risk.ana","risk.ana"],"meaning":"approval","human":true}]}]`, ""))},
	{"human stage with too few humans", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(1, `[`+baseGrants+`]`, `[{"class":"payment","gate":"g","stages":[{"stage":1,"n":2,"pool":["risk.ana","agent.reviewer"],"meaning":"approval","human":true}]}]`, ""))},
	{"stages misnumbered", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(1, `[`+baseGrants+`]`, `[{"class":"payment","gate":"g","stages":[{"stage":2,"n":1,"pool":["risk.ana"],"meaning":"approval","human":true}]}]`, ""))},
	{"two gates for one class", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(1, `[`+baseGrants+`]`, `[{"class":"payment","gate":"g","stages":[{"stage":1,"n":1,"pool":["risk.ana"],"meaning":"approval","human":true}]},`+
		`{"class":"payment","gate":"h","stages":[{"stage":1,"n":1,"pool":["risk.ben"],"meaning":"approval","human":true}]}]`, ""))},
	{"wrong version", enforce.CodeInvalidPolicy, nil, policyRun(policyWith(2, `[`+baseGrants+`]`, "", ""))},
	{"policy that does not parse", enforce.CodeInvalidPolicy, nil, policyRun([]byte(`{"class":"change.policy","version":1,"grants":[]}`))},
	{"policy stale at execution", enforce.CodeInvalidPolicy, nil, func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("policy-b", "ops.dana", policyV1, nil, ""))
		o.ok(o.signoff("reg.alex", d.Requests[0], "", "reviewed"))
		o.ok(o.signoff("reg.bea", d.Requests[0], "", "approved"))
		o.approve("policy-a", policyV1)
		return func() (*enforce.Decision, error) { return o.execute("ops.dana", "policy-b") }
	}},

	// 6. Time.
	{"sign-off a day ahead", enforce.CodeTimeAhead, enforce.ErrTime, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			st, _ := d.Requests[1].Statement("risk.ana", "", "", "", "approved tomorrow")
			return o.core.SignOff(o.signAt("risk.ana", st, 24*time.Hour))
		}
	})},
	{"proposal ahead", enforce.CodeTimeAhead, enforce.ErrTime, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.core.Propose("pay-1", payment("10.00"), nil, "", o.signAt("agent.payments", &format.Statement{Purpose: format.PurposePropose, Run: "pay-1",
				Class: "payment", Action: format.ActionDigest(payment("10.00")).String(), Reason: "later"}, 301*time.Second+2*time.Second))
		}
	})},
	{"approval back-dated before the proposal", enforce.CodeTimeBehind, enforce.ErrTime, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			st, _ := d.Requests[1].Statement("risk.ana", "", "", "", "approved yesterday")
			return o.core.SignOff(o.signAt("risk.ana", st, -time.Hour))
		}
	})},
	{"execute back-dated", enforce.CodeTimeBehind, enforce.ErrTime, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.approved("pay-1", payment("10.00"), "")
		return func() (*enforce.Decision, error) {
			return o.core.Execute(o.signAt("agent.payments", &format.Statement{Purpose: format.PurposeExecute, Run: "pay-1", Proposal: d.Requests[0].Proposal, Action: d.Requests[0].Digest}, -time.Hour))
		}
	})},

	// 7. The beneficiary comes from the action.
	{"beneficiary left empty", enforce.CodeBeneficiaryMismatch, nil, payeePolicy(`{"class":"payment","amount":"10.00","currency":"EUR","payee":"risk.ana"}`, "")},
	{"beneficiary differs", enforce.CodeBeneficiaryMismatch, nil, payeePolicy(`{"class":"payment","amount":"10.00","currency":"EUR","payee":"risk.ana"}`, "risk.ben")},
	{"beneficiary member absent", enforce.CodeBeneficiaryMismatch, nil, payeePolicy(`{"class":"payment","amount":"10.00","currency":"EUR"}`, "")},
	{"beneficiary member not a string", enforce.CodeBeneficiaryMismatch, nil, payeePolicy(`{"class":"payment","amount":"10.00","currency":"EUR","payee":["risk.ana"]}`, "")},
	{"derived beneficiary approves", enforce.CodeBeneficiary, nil, func(o *org) func() (*enforce.Decision, error) {
		o.approve("policy-1", policyWith(1, `[`+baseGrants+`]`, "", `,"beneficiaries":[{"class":"payment","member":"payee"}]`))
		d := o.ok(o.propose("pay-1", "agent.payments", []byte(`{"class":"payment","amount":"10.00","currency":"EUR","payee":"risk.ana"}`), nil, "risk.ana"))
		return func() (*enforce.Decision, error) { return o.signoff("risk.ana", d.Requests[1], "", "pay me") }
	}},

	// 8. The executor of a change run.
	{"change run executed by a non-maker", enforce.CodeNotMaker, nil, func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("ctl-1", "ops.dana", []byte(`{"class":"change.control","control":"c","name":"C","material":true}`), nil, ""))
		o.ok(o.signoff("reg.alex", d.Requests[0], "", "reviewed"))
		o.ok(o.signoff("reg.bea", d.Requests[0], "", "approved"))
		return func() (*enforce.Decision, error) { return o.execute("agent.payments", "ctl-1") }
	}},
	{"change run executed by its checker", enforce.CodeConflictingRole, nil, func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("ctl-1", "ops.dana", []byte(`{"class":"change.control","control":"c","name":"C","material":true}`), nil, ""))
		o.ok(o.signoff("reg.alex", d.Requests[0], "", "reviewed"))
		o.ok(o.signoff("reg.bea", d.Requests[0], "", "approved"))
		return func() (*enforce.Decision, error) { return o.execute("reg.alex", "ctl-1") }
	}},

	// The refusals the core made before; listed so each is shown load-bearing.
	{"self-approval", enforce.CodeSelfApproval, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) { return o.signoff("agent.payments", d.Requests[0], "", "fine") }
	})},
	{"declared beneficiary approves", enforce.CodeBeneficiary, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, "risk.chen"))
		return func() (*enforce.Decision, error) { return o.signoff("risk.chen", d.Requests[1], "", "pay me") }
	})},
	{"second sign-off", enforce.CodeDuplicateSigner, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		o.ok(o.signoff("risk.ana", d.Requests[1], "", "approved"))
		return func() (*enforce.Decision, error) { return o.signoff("risk.ana", d.Requests[0], "", "reviewed too") }
	})},
	{"outside the pool", enforce.CodeNotInPool, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) { return o.signoff("ops.dana", d.Requests[1], "", "approved") }
	})},
	{"agent on a human stage", enforce.CodeHumanRequired, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			return o.signoff("agent.reviewer", d.Requests[1], "", "model says fine")
		}
	})},
	{"wrong meaning", enforce.CodeWrongMeaning, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			return o.signoff("risk.ana", d.Requests[1], "authorship", "I wrote it")
		}
	})},
	{"sign-off for another digest", enforce.CodeWrongBinding, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			bad := *d.Requests[1]
			bad.Digest = format.ActionDigest(payment("1.00")).String()
			return o.signoff("risk.ana", &bad, "", "approved")
		}
	})},
	{"execute before quorum", enforce.CodeQuorumNotMet, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) { return o.execute("agent.payments", "pay-1") }
	})},
	{"execute by a checker", enforce.CodeConflictingRole, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		o.approved("pay-1", payment("10.00"), "")
		return func() (*enforce.Decision, error) { return o.execute("risk.ana", "pay-1") }
	})},
	{"execute by a stranger", enforce.CodeNotMaker, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		o.approved("pay-1", payment("10.00"), "")
		return func() (*enforce.Decision, error) { return o.execute("ops.dana", "pay-1") }
	})},
	{"blank sign-off reason", enforce.CodeEmptyReason, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			st, _ := d.Requests[1].Statement("risk.ana", o.ppl["risk.ana"].Name, format.FormatTime(o.time()), "", "x")
			st.Reason = "   "
			return o.core.SignOff(o.sign("risk.ana", st))
		}
	})},
	{"blank proposal reason", enforce.CodeEmptyReason, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.core.Propose("pay-1", payment("10.00"), nil, "", o.sign("agent.payments", &format.Statement{Purpose: format.PurposePropose, Run: "pay-1",
				Class: "payment", Action: format.ActionDigest(payment("10.00")).String(), Reason: " "}))
		}
	})},
	{"zero-width sign-off reason", enforce.CodeEmptyReason, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.propose("pay-1", "agent.payments", payment("10.00"), nil, ""))
		return func() (*enforce.Decision, error) {
			st, _ := d.Requests[1].Statement("risk.ana", o.ppl["risk.ana"].Name, format.FormatTime(o.time()), "", "x")
			st.Reason = "\u200b"
			return o.core.SignOff(o.sign("risk.ana", st))
		}
	})},
	{"byte-order-mark proposal reason", enforce.CodeEmptyReason, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.core.Propose("pay-1", payment("10.00"), nil, "", o.sign("agent.payments", &format.Statement{Purpose: format.PurposePropose, Run: "pay-1",
				Class: "payment", Action: format.ActionDigest(payment("10.00")).String(), Reason: "\ufeff\u2060"}))
		}
	})},
	{"sign-off after execution", enforce.CodeRunClosed, nil, withPolicy(func(o *org) func() (*enforce.Decision, error) {
		d := o.approved("pay-1", payment("10.00"), "")
		o.ok(o.execute("agent.payments", "pay-1"))
		return func() (*enforce.Decision, error) { return o.signoff("risk.chen", d.Requests[1], "", "late") }
	})},
}

func policyRun(policy []byte) func(o *org) func() (*enforce.Decision, error) {
	return func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) { return o.propose("policy-x", "ops.dana", policy, nil, "") }
	}
}

func payeePolicy(action, beneficiary string) func(o *org) func() (*enforce.Decision, error) {
	return func(o *org) func() (*enforce.Decision, error) {
		o.approve("policy-1", policyWith(1, `[`+baseGrants+`]`, "", `,"beneficiaries":[{"class":"payment","member":"payee"}]`))
		return func() (*enforce.Decision, error) {
			return o.propose("pay-1", "agent.payments", []byte(action), nil, beneficiary)
		}
	}
}

// runAttack sets the attack up, disables the check for disable (if not
// ""), makes the attacking step, and reports through f whatever differs
// from the expectation: refused with the attack's code, recorded with that
// code in the exported bundle, and the bundle (an honest producer's)
// passing verification.
func runAttack(t *testing.T, a attack, disable string, f fail) {
	o := newOrg(t, t.TempDir())
	defer o.core.Close()
	step := a.setup(o)
	if disable != "" {
		o.core.DisableCheck(disable)
	}
	d, err := step()
	o.settle()
	var r *enforce.Refusal
	switch {
	case !errors.As(err, &r) || !errors.Is(err, enforce.ErrRefused):
		f("not refused: %v", err)
		return
	case r.Code != a.code || d == nil || d.Code != a.code || d.Accepted:
		f("refused %s (%s), want %s", r.Code, r.Detail, a.code)
		return
	case a.class != nil && !errors.Is(err, a.class):
		f("refusal %v does not match %v", err, a.class)
	}
	var buf bytes.Buffer
	if err := o.core.Export(&buf); err != nil {
		t.Fatal(err)
	}
	if got := recordedCode(t, buf.Bytes(), r.Outcome); got != a.code {
		f("record %d holds code %q, want %q", r.Outcome, got, a.code)
	}
	trust, _ := verifier.PinGenesis(o.core.Genesis().String())
	res, err := verifier.Verify(context.Background(), bytes.NewReader(buf.Bytes()), trust, verifier.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bad := unexpected(t, buf.Bytes(), res); len(bad) > 0 {
		f("the refusing core's own bundle: verdict %s, findings %+v", res.Verdict, bad)
	}
}

// recordedCode returns the code of the outcome or note at seq in a bundle.
func recordedCode(t *testing.T, bundle []byte, seq int64) string {
	t.Helper()
	rd := format.NewReader(bytes.NewReader(bundle))
	defer rd.Close()
	for {
		l, err := rd.Next()
		if err != nil {
			return ""
		}
		if l.Index != seq {
			continue
		}
		rec, err := format.ParseRecord(l.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		body, err := format.DecodeBody(rec.Type, rec.Body, format.Strict)
		if err != nil {
			t.Fatal(err)
		}
		switch b := body.(type) {
		case *format.Outcome:
			return b.Code
		case *format.Note:
			return b.Code
		}
		return "record of type " + rec.Type
	}
}

// TestAttacksRefusedAndRecorded: each attack is refused with its code,
// the refusal is in the exported bundle, and the bundle passes.
func TestAttacksRefusedAndRecorded(t *testing.T) {
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			runAttack(t, a, "", t.Fatalf)
		})
	}
}

// TestHonestEdgesAccepted: what the limits and skews allow is accepted, so
// the refusals above are not refusing everything.
func TestHonestEdgesAccepted(t *testing.T) {
	o := newOrg(t, t.TempDir())
	o.approve("policy-1", policyWith(1, `[`+baseGrants+`]`, "", `,"beneficiaries":[{"class":"payment","member":"payee"}]`))
	o.ok(o.propose("pay-0", "agent.payments", []byte(`{"class":"payment","amount":"0","currency":"EUR","payee":"ACME"}`), nil, ""))
	d := o.ok(o.propose("pay-1", "agent.payments", []byte(`{"class":"payment","amount":"10000.00","currency":"EUR","payee":"risk.chen"}`), nil, "risk.chen"))
	st, _ := d.Requests[1].Statement("risk.ana", "", "", "", "approved just ahead")
	o.ok(o.core.SignOff(o.signAt("risk.ana", st, 299*time.Second)))
	st, _ = d.Requests[1].Statement("risk.ben", "", "", "", "approved just behind")
	o.ok(o.core.SignOff(o.signAt("risk.ben", st, -290*time.Second)))
	o.ok(enrolment(o.enrolAs(chen2, []string{"risk.chen"}, []string{"risk.chen"})))
	if res := verifyCore(t, o.core); res.Verdict != verifier.VerdictPass {
		t.Fatalf("honest edges: %s %+v", res.Verdict, res.Findings)
	}
}

// notProduced are refusal codes of SPEC §6.7 for attempts this core does
// not take.
var notProduced = map[string]bool{enforce.CodeUnknownPrincipal: true}

// allCodes is every refusal code the core defines.
var allCodes = []string{
	enforce.CodeSelfApproval, enforce.CodeBeneficiary, enforce.CodeDuplicateSigner, enforce.CodeNotInPool, enforce.CodeHumanRequired,
	enforce.CodeWrongMeaning, enforce.CodeWrongBinding, enforce.CodeQuorumNotMet, enforce.CodeNoGrant, enforce.CodeOverLimit,
	enforce.CodeConflictingRole, enforce.CodeEmptyReason, enforce.CodeRunClosed, enforce.CodeNotMaker, enforce.CodeRoleNotAssigned,
	enforce.CodeUnknownPrincipal, enforce.CodeRunExists, enforce.CodeReplayedStatement, enforce.CodeInvalidPolicy, enforce.CodeTimeAhead,
	enforce.CodeTimeBehind, enforce.CodeBeneficiaryMismatch, enforce.CodeSamePersonUnattest, enforce.CodeInvalidControl,
}

// TestEveryRefusalIsLoadBearing disables each refusal check in turn and
// requires that some attack notices: were a check dropped, a test fails.
func TestEveryRefusalIsLoadBearing(t *testing.T) {
	for _, code := range allCodes {
		if notProduced[code] {
			continue
		}
		t.Run(code, func(t *testing.T) {
			noticed, tried := 0, 0
			for _, a := range attacks {
				if a.code != code {
					continue
				}
				tried++
				hit := false
				runAttack(t, a, code, func(string, ...any) { hit = true })
				if hit {
					noticed++
				}
			}
			if tried == 0 {
				t.Fatalf("no attack expects %s", code)
			}
			if noticed == 0 {
				t.Fatalf("with the %s check disabled, none of %d attacks noticed", code, tried)
			}
			t.Logf("%s disabled: %d of %d attacks noticed", code, noticed, tried)
		})
	}
}
