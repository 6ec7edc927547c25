// Package demo runs the one-command demonstration: an organisation's
// control plane starts an evidence log, a payments agent drafts a payment,
// is refused its own approval, a reviewer agent is refused a human-only
// stage, two named risk officers sign in processes of their own with their
// own key files (as every enrolee and registrar signs the enrolments), and
// the payment executes; in a second act (act2.go) a material control gets
// five owners, its builder is refused approving a raise of its limit and
// alerted on, its approver raises it, an operator is refused an audit
// finding and the approver role moves; the evidence bundle is exported,
// verified, tampered with and verified again, and the register and reports
// are read from it.
package demo

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/internal/keyfile"
	"github.com/countersign/countersign/verifier"
)

// Passphrase is the passphrase of the demo's key files. It is printed and
// handed to the signing processes through keyfile.PassphraseEnv; a real
// officer types theirs at a prompt.
const Passphrase = "demo-passphrase-not-for-real-use"

// WorkFactor is the scrypt work factor of the demo's key files, far below
// keygen's default (keygen takes it only under --insecure-weak-key): the
// demo runs some thirty keygen and sign processes and should take seconds.
const WorkFactor = 12

// Config runs the demo.
type Config struct {
	Dir string
	// Sign is the command that runs `countersign sign` (the executable and
	// the word "sign"); each human signature is made by running it, and
	// each human's key by running the same executable's keygen.
	Sign []string
	Out  io.Writer
	// Clock, when set, replaces the wall clock (tests).
	Clock func() time.Time
}

// Outcome reports what the demo observed, so a caller can tell that
// everything behaved as designed.
type Outcome struct {
	Refusals       []string // refusal codes seen, in order
	Alerts         []string // the alerts delivered, as the demo printed them
	Verdict        string   // of the pinned verification of evidence.csb
	TamperedResult *verifier.Result
	Fingerprint    string
}

type person struct {
	p    format.Principal
	pub  ed25519.PublicKey
	key  ed25519.PrivateKey // agents only: held by the runtime
	file string             // humans: their key file
}

type runner struct {
	cfg     Config
	core    *enforce.Core
	ppl     map[string]*person
	step    int
	outcome Outcome
	pager   *pager
	// before and after are the instants the register is printed as of,
	// around the second act's role change.
	before, after string
	// start is when the story starts, skipped what its clock has skipped.
	start   time.Time
	skipped time.Duration
}

// Span is how far the demo's story runs ahead of the clock: the second
// act waits 31 days for a new reporting line to settle before an exception
// is approved, then two more for the exception to expire. The demo's clock
// starts Span before the wall clock (or Config.Clock), so that the story
// ends about now.
const Span = 34 * 24 * time.Hour

// now is the demo's clock: the wall clock (or Config.Clock), Span back,
// plus the days the story has skipped so far.
func (r *runner) now() time.Time {
	base := time.Now()
	if r.cfg.Clock != nil {
		base = r.cfg.Clock()
	}
	return base.Add(r.skipped - Span)
}

// skip moves the demo's clock on by d: the story's "days later".
func (r *runner) skip(d time.Duration) { r.skipped += d }

func (r *runner) say(format string, args ...any) {
	fmt.Fprintf(r.cfg.Out, format+"\n", args...)
}

func (r *runner) stepf(format string, args ...any) {
	r.step++
	fmt.Fprintf(r.cfg.Out, "\n%2d. %s\n", r.step, fmt.Sprintf(format, args...))
}

// Run runs the demo and reports what it saw. It returns an error if any
// step did not behave as designed.
func Run(ctx context.Context, cfg Config) (*Outcome, error) {
	r := &runner{cfg: cfg, ppl: map[string]*person{}}
	r.pager = &pager{file: filepath.Join(cfg.Dir, "alerts.log"), now: r.now}
	r.start = r.now()
	if err := prepareDir(cfg.Dir); err != nil {
		return nil, err
	}
	r.say("countersign demo: an agent is refused its own approval")
	r.say("Everything is written to %s.", cfg.Dir)
	if err := r.setup(); err != nil {
		return nil, err
	}
	defer r.core.Close()
	if err := r.payment(); err != nil {
		return nil, err
	}
	if err := r.secondAct(ctx); err != nil {
		return nil, err
	}
	if err := r.export(ctx); err != nil {
		return nil, err
	}
	return &r.outcome, nil
}

// prepareDir makes an empty demo directory, clearing one left by an earlier
// demo but refusing to touch anything else.
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, ".countersign-demo")); err != nil {
			return fmt.Errorf("%s is not empty and was not made by the demo; choose another --out", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "keys"), filepath.Join(dir, "requests"), filepath.Join(dir, "signatures"), filepath.Join(dir, "journal")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dir, ".countersign-demo"), []byte("made by countersign demo\n"), 0o600)
}

var humans = []format.Principal{
	{ID: "reg.alex", Kind: format.KindHuman, Name: "Alex Morgan", Team: "registry"},
	{ID: "reg.bea", Kind: format.KindHuman, Name: "Beatriz Okafor", Team: "registry"},
	{ID: "ops.dana", Kind: format.KindHuman, Name: "Dana Kowalski", Team: "operations"},
	{ID: "risk.ana", Kind: format.KindHuman, Name: "Ana Ribeiro", Team: "risk"},
	{ID: "risk.ben", Kind: format.KindHuman, Name: "Ben Adeyemi", Team: "risk"},
	{ID: "risk.chen", Kind: format.KindHuman, Name: "Chen Wei", Team: "risk"},
}

var agents = []format.Principal{
	{ID: "agent.payments", Kind: format.KindAgent, Name: "Payments Agent", Team: "payments"},
	{ID: "agent.reviewer", Kind: format.KindAgent, Name: "Reviewer Agent", Team: "payments"},
}

func (r *runner) name(id string) string { return display.Escape(r.ppl[id].p.Name) }

// setup creates keys, the log, enrolments and the approved policy.
func (r *runner) setup() error {
	r.stepf("Keys. Each person makes a key file of their own in %s with `countersign keygen`, encrypted under a passphrase.",
		filepath.Join(r.cfg.Dir, "keys"))
	r.say("    In this demo every file shares the passphrase %q and a light scrypt work factor (%d),", Passphrase, WorkFactor)
	r.say("    which keygen accepts only under --insecure-weak-key; a real officer runs keygen on their own machine")
	r.say("    with a passphrase of their own, keeps the file there, and reads the key ID out to the registrars.")
	r.say("    Agents' keys are held by the runtime that hosts them.")
	for _, p := range humans {
		file := filepath.Join(r.cfg.Dir, "keys", p.ID+".key")
		pub, err := r.keygen(p, file)
		if err != nil {
			return fmt.Errorf("keygen for %s: %w", p.ID, err)
		}
		r.ppl[p.ID] = &person{p: p, file: file, pub: pub}
		kid := format.KeyIDOf(pub).String()
		r.say("    %-16s %-15s key file %-18s key ID %s %s %s %s ...", p.ID, p.Name, filepath.Base(file), kid[0:4], kid[4:8], kid[8:12], kid[12:16])
	}
	for _, p := range agents {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return err
		}
		r.ppl[p.ID] = &person{p: p, key: priv, pub: pub}
		r.say("    %-16s %-15s key held by the agent runtime", p.ID, p.Name)
	}

	_, logKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	r.stepf("Genesis. The control plane starts the log under its own log key; %s and %s are the registrars.", r.name("reg.alex"), r.name("reg.bea"))
	r.say("    Each registrar proves possession of their key by signing an enrolment request for genesis, in a")
	r.say("    separate `countersign sign` process with their own key file.")
	var regs []enforce.Registrar
	for _, id := range []string{"reg.alex", "reg.bea"} {
		pp := r.ppl[id]
		req := signreq.NewEnrolment(format.PurposeEnrolSelf, format.Hash{}, pp.p, pp.pub, true, nil)
		pop, err := r.signProcess(id, req, "genesis-"+id)
		if err != nil {
			return err
		}
		regs = append(regs, enforce.Registrar{Principal: pp.p, Key: pp.pub, ProofOfPossession: pop})
	}
	// The head is kept outside the journal directory: a real embedding puts
	// it on another volume or under another account.
	r.core, err = enforce.Create(enforce.Config{Dir: filepath.Join(r.cfg.Dir, "journal"), LogKey: logKey, Clock: r.now, SealEvery: 20, Alerter: r.pager.deliver,
		HeadStore: enforce.NewFileHeadStore(filepath.Join(r.cfg.Dir, "journal.head"))},
		enforce.Genesis{BundleID: "demo-" + format.FormatTime(r.now())[:10], Org: "Example Bank plc", TimeZone: "Europe/London", Registrars: regs, Governance: 2})
	if err != nil {
		return err
	}
	r.outcome.Fingerprint = r.core.Genesis().String()
	r.say("    genesis fingerprint %s", r.outcome.Fingerprint)

	r.stepf("Enrolment. Every other principal is enrolled through the core's enrolment requests: the enrolee signs")
	r.say("    its enrol-self with its own key (humans in a `countersign sign` process with their key file, agents")
	r.say("    in their runtime), and both registrars witness it, each in a `countersign sign` process of their own,")
	r.say("    shown the enrolee and its key ID, recording how they checked the enrolee's identity.")
	for _, p := range append(humans[2:], agents...) {
		if err := r.enrol(p); err != nil {
			return fmt.Errorf("enrol %s: %w", p.ID, err)
		}
		r.say("    enrolled %-16s (%s, team %s)", p.ID, p.Kind, p.Team)
	}

	r.stepf("Policy. %s proposes policy version 1: who may make and check payments, with limits, and the payment gate.", r.name("ops.dana"))
	dana, err := r.privateKey("ops.dana")
	if err != nil {
		return err
	}
	d, err := r.core.Propose("policy-v1", policyV1, map[string]string{}, "", r.signWith("ops.dana", dana, &format.Statement{Purpose: format.PurposePropose,
		Run: "policy-v1", Class: format.ClassPolicy, Action: format.ActionDigest(policyV1).String(), Reason: "first payments policy: limits and four-eyes gate"}))
	if err != nil {
		return err
	}
	r.say("    no policy is in force yet, so the governance gate of the genesis record applies: 2 registrars must approve")
	for _, reg := range []struct{ id, reason string }{
		{"reg.alex", "limits match the board's risk appetite"},
		{"reg.bea", "gate requires two human approvers; approved"},
	} {
		if _, err := r.humanSign(reg.id, d.Requests[0], reg.reason); err != nil {
			return err
		}
	}
	if _, err := r.core.Execute(r.signWith("ops.dana", dana, r.executeStatement("policy-v1"))); err != nil {
		return fmt.Errorf("policy execution: %w", err)
	}
	r.say("    policy version 1 is in force")
	return nil
}

var policyV1 = []byte(`{"class":"change.policy","version":1,"control":"payments-release","grants":[` +
	`{"principal":"agent.payments","role":"maker","classes":["payment"],"max_amount":"10000.00","currency":"EUR"},` +
	`{"principal":"agent.reviewer","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.ana","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.ben","role":"checker","classes":["payment"],"max_amount":"","currency":""},` +
	`{"principal":"risk.chen","role":"checker","classes":["payment"],"max_amount":"","currency":""}],` +
	`"gates":[{"class":"payment","gate":"payment-release","stages":[` +
	`{"stage":1,"n":1,"pool":["agent.reviewer"],"meaning":"review","human":false},` +
	`{"stage":2,"n":2,"pool":["risk.ana","risk.ben","risk.chen"],"meaning":"approval","human":true}]}]}`)

var paymentAction = []byte(`{"class":"payment","amount":"1250.00","currency":"EUR","beneficiary":"ACME Supplies Ltd","iban":"DE89370400440532013000","reference":"INV-2026-0142"}`)

func (r *runner) payment() error {
	pay := r.ppl["agent.payments"]
	r.stepf("Proposal. %s drafts a payment of EUR 1250.00 to ACME Supplies Ltd (run pay-0001).", r.name("agent.payments"))
	d, err := r.core.Propose("pay-0001", paymentAction, map[string]string{"amount": "1250.00", "currency": "EUR", "beneficiary": "ACME Supplies Ltd"}, "",
		r.signWith("agent.payments", pay.key, &format.Statement{Purpose: format.PurposePropose, Run: "pay-0001", Class: "payment",
			Action: format.ActionDigest(paymentAction).String(), Reason: "invoice INV-2026-0142 due"}))
	if err != nil {
		return err
	}
	r.say("    action digest %s", format.ActionDigest(paymentAction))
	r.say("    parked at gate payment-release: stage 1 review by 1 reviewer; stage 2 approval by 2 of 3 named humans")
	review, approval := d.Requests[0], d.Requests[1]

	r.stepf("%s tries to approve its own payment.", r.name("agent.payments"))
	if err := r.expectRefusal(enforce.CodeSelfApproval, r.agentSign("agent.payments", approval, "approval", "amount matches the invoice")); err != nil {
		return err
	}
	r.stepf("%s tries to sign the human-only approval stage.", r.name("agent.reviewer"))
	if err := r.expectRefusal(enforce.CodeHumanRequired, r.agentSign("agent.reviewer", approval, "approval", "model review: no anomalies")); err != nil {
		return err
	}
	r.stepf("%s signs the review stage it is entitled to.", r.name("agent.reviewer"))
	if d, err := r.agentSign("agent.reviewer", review, "review", "invoice, IBAN and amount match the purchase order")(); err != nil {
		return fmt.Errorf("review: %w", err)
	} else {
		r.say("    ACCEPTED  sign-off counted  [attempt %d, outcome %d]", d.Attempt, d.Outcome)
	}
	r.stepf("%s tries to execute before the approvals.", r.name("agent.payments"))
	if err := r.expectRefusal(enforce.CodeQuorumNotMet, func() (*enforce.Decision, error) {
		return r.core.Execute(r.signWith("agent.payments", pay.key, r.executeStatement("pay-0001")))
	}); err != nil {
		return err
	}
	r.stepf("Two of the three risk officers sign, each in a separate `countersign sign` process with their own key file.")
	for _, s := range []struct{ id, reason string }{
		{"risk.ana", "supplier verified against the vendor master; amount within budget"},
		{"risk.ben", "four-eyes check done: invoice and purchase order agree"},
	} {
		if _, err := r.humanSign(s.id, approval, s.reason); err != nil {
			return err
		}
	}
	r.stepf("%s executes the payment.", r.name("agent.payments"))
	ex, err := r.core.Execute(r.signWith("agent.payments", pay.key, r.executeStatement("pay-0001")))
	if err != nil {
		return fmt.Errorf("execution: %w", err)
	}
	r.say("    ACCEPTED  payment executed  [execution record %d]", ex.Execution)
	return nil
}

func (r *runner) expectRefusal(code string, try func() (*enforce.Decision, error)) error {
	_, err := r.refusal(code, try)
	return err
}

// refusal runs try, requires it to be refused with code, prints the
// refusal and returns it.
func (r *runner) refusal(code string, try func() (*enforce.Decision, error)) (*enforce.Refusal, error) {
	_, err := try()
	var ref *enforce.Refusal
	if !errors.As(err, &ref) {
		return nil, fmt.Errorf("expected a %s refusal, got %v", code, err)
	}
	if ref.Code != code {
		return nil, fmt.Errorf("expected a %s refusal, got %s: %s", code, ref.Code, ref.Detail)
	}
	r.say("    REFUSED  %s: %s", ref.Code, display.Escape(ref.Detail))
	if ref.Attempt == 0 {
		r.say("             the refusal is recorded  [note %d]", ref.Outcome)
	} else {
		r.say("             the attempt and its refusal are recorded  [attempt %d, outcome %d]", ref.Attempt, ref.Outcome)
	}
	r.outcome.Refusals = append(r.outcome.Refusals, ref.Code)
	return ref, nil
}

func (r *runner) agentSign(id string, req *signreq.Request, meaning, reason string) func() (*enforce.Decision, error) {
	return func() (*enforce.Decision, error) {
		st, err := req.Statement(id, r.ppl[id].p.Name, format.FormatTime(r.now()), meaning, reason)
		if err != nil {
			return nil, err
		}
		return r.core.SignOff(r.signWith(id, r.ppl[id].key, st))
	}
}

func (r *runner) executeStatement(run string) *format.Statement {
	req, err := r.core.ExecuteRequest(run)
	if err != nil {
		return &format.Statement{Purpose: format.PurposeExecute, Run: run}
	}
	return &format.Statement{Purpose: format.PurposeExecute, Run: req.Run, Proposal: req.Proposal, Action: req.Digest}
}

func (r *runner) signWith(id string, k ed25519.PrivateKey, st *format.Statement) format.Signed {
	p := r.ppl[id].p
	st.Bundle, st.Principal, st.Name, st.Time = r.core.Genesis().String(), id, p.Name, format.FormatTime(r.now())
	s, err := format.SignStatement(st, k)
	if err != nil {
		panic(err) // only an unknown purpose fails, and the demo uses known ones
	}
	return s
}

// privateKey reads a human's key file, as their own tool would.
func (r *runner) privateKey(id string) (ed25519.PrivateKey, error) {
	idt, err := keyfile.Read(r.ppl[id].file, []byte(Passphrase))
	if err != nil {
		return nil, err
	}
	return idt.Key, nil
}

// identityChecks is what each registrar records of how they checked an
// enrolee's identity.
var identityChecks = map[string]map[string]string{
	format.KindHuman: {"reg.alex": "in person, passport", "reg.bea": "video call, staff card checked against HR record"},
	format.KindAgent: {"reg.alex": "deployment record checked with the agent's owning team", "reg.bea": "agent registry entry and key fingerprint checked with its owner"},
}

// enrol has the core hand out the enrolment's requests, has the enrolee
// and both registrars sign them, and submits the statements.
func (r *runner) enrol(p format.Principal) error {
	pp := r.ppl[p.ID]
	self, witness, err := r.core.EnrolmentRequests(p, pp.pub, false, nil)
	if err != nil {
		return err
	}
	var pop format.Signed
	if pp.key != nil {
		st, err := self.Statement(p.ID, p.Name, format.FormatTime(r.now()), "")
		if err != nil {
			return err
		}
		if pop, err = format.SignStatement(st, pp.key); err != nil {
			return err
		}
	} else if pop, err = r.signProcess(p.ID, self, "enrol-"+p.ID+"-self"); err != nil {
		return err
	}
	sigs := []format.Signed{pop}
	for _, reg := range []string{"reg.alex", "reg.bea"} {
		s, err := r.signProcess(reg, witness, "enrol-"+p.ID+"-witness-"+reg, "--identity-check", identityChecks[p.Kind][reg])
		if err != nil {
			return err
		}
		sigs = append(sigs, s)
	}
	_, err = r.core.Enrol(p, pp.pub, false, sigs)
	return err
}

// keygen runs `countersign keygen` in a process of its own, as the person
// would, and returns the public key it printed.
func (r *runner) keygen(p format.Principal, file string) (ed25519.PublicKey, error) {
	out, err := r.countersign("keygen", "--id", p.ID, "--name", p.Name, "--kind", p.Kind, "--team", p.Team, "--out", file,
		"--work-factor", fmt.Sprint(WorkFactor), "--insecure-weak-key")
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(out, "\n") {
		if hexKey, ok := strings.CutPrefix(line, "public key  "); ok {
			return format.ParsePublicKey(strings.TrimSpace(hexKey))
		}
	}
	return nil, errors.New("keygen printed no public key")
}

// countersign runs the countersign binary with args and the demo's
// passphrase, and returns its stdout.
func (r *runner) countersign(args ...string) (string, error) {
	cmd := exec.Command(r.cfg.Sign[0], args...)
	cmd.Env = append(os.Environ(), keyfile.PassphraseEnv+"="+Passphrase)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &stdout, &stderr, nil
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("countersign %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// signProcess writes req to requests/NAME.json, runs `countersign sign`
// in a process of its own with id's key file, and returns the signed
// statement it wrote to signatures/NAME.json.
func (r *runner) signProcess(id string, req any, name string, extra ...string) (format.Signed, error) {
	reqJSON, err := format.MarshalJSON(req)
	if err != nil {
		return format.Signed{}, err
	}
	reqFile := filepath.Join(r.cfg.Dir, "requests", name+".json")
	if err := os.WriteFile(reqFile, reqJSON, 0o600); err != nil {
		return format.Signed{}, err
	}
	out := filepath.Join(r.cfg.Dir, "signatures", name+".json")
	args := append(append(append([]string{}, r.cfg.Sign[1:]...), "--key", r.ppl[id].file, "--request", reqFile, "--out", out, "--yes",
		"--at", format.FormatTime(r.now())), extra...)
	if _, err := r.countersign(args...); err != nil {
		return format.Signed{}, fmt.Errorf("%s's signing process failed: %w", id, err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		return format.Signed{}, err
	}
	return signreq.DecodeSigned(raw)
}

// signOff has id sign req in a `countersign sign` process of their own
// and submits the statement, returning the core's answer as it is.
func (r *runner) signOff(id string, req *signreq.Request, reason string) (*enforce.Decision, error) {
	signed, err := r.signProcess(id, req, fmt.Sprintf("%s-stage%d-%s", req.Run, req.Stage, id), "--reason", reason)
	if err != nil {
		return nil, err
	}
	return r.core.SignOff(signed)
}

// humanSign writes the sign request to a file, runs `countersign sign` in
// a process of its own with the signer's key file, and submits the signed
// statement it returns.
func (r *runner) humanSign(id string, req *signreq.Request, reason string) (*enforce.Decision, error) {
	d, err := r.signOff(id, req, reason)
	if err != nil {
		return nil, fmt.Errorf("%s's sign-off: %w", id, err)
	}
	r.say("    %s signed with %s in a separate `countersign sign` process: %q", r.name(id), filepath.Base(r.ppl[id].file), reason)
	r.say("    ACCEPTED  %s sign-off counted  [attempt %d, outcome %d]", req.Meaning, d.Attempt, d.Outcome)
	return d, nil
}

func (r *runner) export(ctx context.Context) error {
	bundle := filepath.Join(r.cfg.Dir, "evidence.csb")
	r.stepf("Export. The control plane exports the evidence bundle with its final seal.")
	var buf bytes.Buffer
	if err := r.core.Export(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(bundle, buf.Bytes(), 0o644); err != nil {
		return err
	}
	trust := filepath.Join(r.cfg.Dir, "trust.txt")
	if err := os.WriteFile(trust, []byte(r.outcome.Fingerprint+"\n"), 0o644); err != nil {
		return err
	}
	r.say("    %s (%d bytes)", bundle, buf.Len())
	r.say("    %s: the fingerprint an inspector pins, obtained out of band", trust)

	tampered, what, err := tamper(buf.Bytes(), "supplier verified against")
	if err != nil {
		return err
	}
	tfile := filepath.Join(r.cfg.Dir, "evidence-tampered.csb")
	if err := os.WriteFile(tfile, tampered, 0o644); err != nil {
		return err
	}

	pin, err := verifier.PinGenesis(r.outcome.Fingerprint)
	if err != nil {
		return err
	}
	r.stepf("Verify, pinned to the fingerprint.")
	res, err := verifier.Verify(ctx, bytes.NewReader(buf.Bytes()), pin, verifier.Options{})
	if err != nil {
		return err
	}
	r.outcome.Verdict = res.Verdict
	r.say("    %s  evidence.csb: %d records, %d signatures checked, %d findings", strings.ToUpper(res.Verdict), res.Counts.Records, res.Counts.Signatures, len(res.Findings))
	for _, f := range res.Findings {
		r.say("      %s  records %v  %s", f.Rule, f.Records, display.Escape(f.Message))
	}
	if res.Verdict != verifier.VerdictPass {
		return errors.New("the honest bundle did not verify")
	}
	r.stepf("Verify the tampered copy (%s).", what)
	tres, err := verifier.Verify(ctx, bytes.NewReader(tampered), pin, verifier.Options{})
	if err != nil {
		return err
	}
	r.outcome.TamperedResult = tres
	r.say("    %s  evidence-tampered.csb: %d findings", strings.ToUpper(tres.Verdict), len(tres.Findings))
	for _, f := range tres.Findings {
		r.say("      %s  records %v  %s", f.Rule, f.Records, display.Escape(f.Message))
	}
	if tres.Verdict != verifier.VerdictFail {
		return errors.New("the tampered bundle was not caught")
	}

	if err := r.printRegister(bundle, trust); err != nil {
		return err
	}
	if err := r.reports(bundle, trust); err != nil {
		return err
	}

	cs := commandName(r.cfg.Sign[0])
	r.say("\nEverything behaved as designed. Try next:")
	r.say("  %s verify --trust \"$(cat %s)\" %s", cs, trust, bundle)
	r.say("  %s verify --trust \"$(cat %s)\" %s", cs, trust, tfile)
	r.say("  %s inspect --runs --trust \"$(cat %s)\" %s", cs, trust, bundle)
	r.say("  %s report --evidence --run pay-0001 --trust @%s --pdf pay-0001.pdf %s", cs, trust, bundle)
	r.say("  %s register --at %s --trust @%s %s", cs, r.before, trust, bundle)
	r.say("  %s browse --trust @%s %s", cs, trust, bundle)
	r.say("  %s selftest", cs)
	r.say("  zstd -dc %s | jq -c '{seq, type, actor, body}'", bundle)
	return nil
}

// reports has the regulator's countersign binary write, as an inspector
// would, the month's conflict report (JSON, XLSX, PDF) and the evidence
// pack of the whole bundle (PDF), each from one pass over the bundle.
func (r *runner) reports(bundle, trust string) error {
	from, to := r.start.In(london).Format("2006-01-02"), r.now().In(london).Format("2006-01-02")
	dir := r.cfg.Dir
	r.stepf("Reports. The inspector's countersign writes the conflict report of %s to %s, the story's days, and the evidence pack.", from, to)
	if _, err := r.countersign("report", "--from", from, "--to", to, "--trust", "@"+trust, "--json", filepath.Join(dir, "report.json"),
		"--xlsx", filepath.Join(dir, "report.xlsx"), "--pdf", filepath.Join(dir, "report.pdf"), bundle); err != nil {
		return err
	}
	if _, err := r.countersign("report", "--evidence", "--trust", "@"+trust, "--pdf", filepath.Join(dir, "evidence-pack.pdf"), bundle); err != nil {
		return err
	}
	for _, f := range []string{"report.json", "report.xlsx", "report.pdf", "evidence-pack.pdf"} {
		r.say("    %s", filepath.Join(dir, f))
	}
	r.say("    the refusals, gates and sign-offs above are rows of each, traceable to their records; the PDFs carry")
	r.say("    the verification result, the report's JSON and the final seal as attachments (pdfdetach -list)")
	return nil
}

// london is the organisation's zone, as its genesis names it.
var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

// commandName is how a person at this shell runs the countersign binary at
// path: "countersign" when that name on PATH is this binary (after make
// install), otherwise the path itself, relative to the working directory
// when it lies below it, so the lines the demo prints work as printed.
func commandName(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if onPath, err := exec.LookPath("countersign"); err == nil {
		if a, err := filepath.Abs(onPath); err == nil && sameFile(a, abs) {
			return "countersign"
		}
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, abs); err == nil && !strings.HasPrefix(rel, "..") {
			return "./" + rel
		}
	}
	return abs
}

func sameFile(a, b string) bool {
	fa, err := os.Stat(a)
	if err != nil {
		return false
	}
	fb, err := os.Stat(b)
	return err == nil && os.SameFile(fa, fb)
}

// tamper changes one character of the first record line containing needle
// (the verbatim reason of a sign-off) and re-packs the bundle's frames, as
// someone editing the file would. It returns the new bundle and a
// description of the change.
func tamper(bundle []byte, needle string) ([]byte, string, error) {
	rd := format.NewReader(bytes.NewReader(bundle))
	defer rd.Close()
	var lines [][]byte
	var trailer []byte
	what := ""
	for {
		l, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, "", err
		}
		b := append([]byte{}, l.Bytes...)
		if format.IsTrailer(b) {
			trailer = b
			continue
		}
		if what == "" {
			if i := bytes.Index(b, []byte(needle)); i >= 0 {
				j := i + len("supplier verifie")
				b[j] = 's' // "verified" becomes "verifies"
				what = fmt.Sprintf("record %d: one character of Ana Ribeiro's reason changed, \"verified\" to \"verifies\"", len(lines))
			}
		}
		lines = append(lines, b)
	}
	if what == "" {
		return nil, "", errors.New("nothing to tamper with")
	}
	var out bytes.Buffer
	w := produce.NewBundleWriter(&out)
	for _, l := range lines {
		if err := w.WriteRecord(l); err != nil {
			return nil, "", err
		}
	}
	if err := w.Finish(trailer); err != nil {
		return nil, "", err
	}
	return out.Bytes(), what, nil
}
