package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/internal/keyfile"
)

// buildSelf builds this command into a temporary directory, so each
// signer runs in a process of its own.
func buildSelf(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "countersign")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// party is one person with a key file of their own, made by keygen.
type party struct {
	p    format.Principal
	file string
	pub  ed25519.PublicKey
}

type cliOrg struct {
	t   *testing.T
	bin string
	dir string
	n   int
}

// run runs the binary in a process of its own with the test passphrase.
func (o *cliOrg) run(args ...string) (string, string) {
	o.t.Helper()
	cmd := exec.Command(o.bin, args...)
	cmd.Env = append(os.Environ(), keyfile.PassphraseEnv+"="+testPassphrase)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		o.t.Fatalf("countersign %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func (o *cliOrg) keygen(p format.Principal) *party {
	o.t.Helper()
	file := filepath.Join(o.dir, p.ID+".key")
	out, _ := o.run("keygen", "--id", p.ID, "--name", p.Name, "--kind", p.Kind, "--team", p.Team, "--out", file, "--work-factor", "10", "--insecure-weak-key")
	m := regexp.MustCompile(`public key  ([0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		o.t.Fatalf("keygen printed no public key:\n%s", out)
	}
	pub, _ := hex.DecodeString(m[1])
	return &party{p: p, file: file, pub: pub}
}

// sign writes req to a file, has who sign it in a process of their own,
// and returns the signed statement and what the signer was shown.
func (o *cliOrg) sign(who *party, req any, extra ...string) (format.Signed, string) {
	o.t.Helper()
	b, err := format.MarshalJSON(req)
	if err != nil {
		o.t.Fatal(err)
	}
	o.n++
	reqFile := filepath.Join(o.dir, "req-"+itoa(int64(o.n))+".json")
	outFile := filepath.Join(o.dir, "signed-"+itoa(int64(o.n))+".json")
	if err := os.WriteFile(reqFile, b, 0o600); err != nil {
		o.t.Fatal(err)
	}
	_, shown := o.run(append([]string{"sign", "--key", who.file, "--request", reqFile, "--out", outFile}, extra...)...)
	doc, err := os.ReadFile(outFile)
	if err != nil {
		o.t.Fatal(err)
	}
	s, err := signreq.DecodeSigned(doc)
	if err != nil {
		o.t.Fatal(err)
	}
	return s, shown
}

// A new human is enrolled through the CLI end to end: keygen, the core's
// enrolment requests, enrol-self and two witnesses each signed in a
// process of its own, submission to the core; then that human approves a
// payment with sign, revokes its key with sign, and the exported bundle
// verifies pinned.
func TestEnrolThroughTheCLI(t *testing.T) {
	o := &cliOrg{t: t, bin: buildSelf(t), dir: t.TempDir()}
	alex := o.keygen(format.Principal{ID: "reg.alex", Kind: format.KindHuman, Name: "Alex Morgan", Team: "registry"})
	bea := o.keygen(format.Principal{ID: "reg.bea", Kind: format.KindHuman, Name: "Beatriz Okafor", Team: "registry"})

	// Genesis: each registrar proves possession with sign as well.
	var regs []enforce.Registrar
	for _, r := range []*party{alex, bea} {
		pop, _ := o.sign(r, signreq.NewEnrolment(format.PurposeEnrolSelf, format.Hash{}, r.p, r.pub, true, nil))
		regs = append(regs, enforce.Registrar{Principal: r.p, Key: r.pub, ProofOfPossession: pop})
	}
	_, logKey, _ := ed25519.GenerateKey(rand.Reader)
	core, err := enforce.Create(enforce.Config{Dir: filepath.Join(o.dir, "journal"), LogKey: logKey, HeadStore: enforce.NewFileHeadStore(filepath.Join(o.dir, "head"))},
		enforce.Genesis{BundleID: "cli-enrol", Org: "Example Bank plc", TimeZone: "Europe/London", Registrars: regs, Governance: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer core.Close()
	sign := func(st *format.Statement, p format.Principal, k ed25519.PrivateKey) format.Signed {
		st.Bundle, st.Principal, st.Name, st.Time = core.Genesis().String(), p.ID, p.Name, format.FormatTime(time.Now())
		s, err := format.SignStatement(st, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// The agent runtime enrols its agent through the same requests; only
	// its enrol-self is signed by the runtime, which holds the agent's key.
	agent := format.Principal{ID: "agent.pay", Kind: format.KindAgent, Name: "Payments Agent", Team: "payments"}
	agentPub, agentKey, _ := ed25519.GenerateKey(rand.Reader)
	enrol := func(p format.Principal, pub ed25519.PublicKey, self func(*signreq.Enrolment) format.Signed) string {
		t.Helper()
		selfReq, witnessReq, err := core.EnrolmentRequests(p, pub, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		sigs := []format.Signed{self(selfReq)}
		var shown string
		for _, w := range []struct {
			r     *party
			check string
		}{{alex, "in person, passport"}, {bea, "video call, staff card shown"}} {
			s, out := o.sign(w.r, witnessReq, "--identity-check", w.check)
			sigs = append(sigs, s)
			shown = out
			st, err := format.ParseStatement(s.Stmt, format.Strict)
			if err != nil || st.IdentityCheck != w.check || st.Subject != p.ID {
				t.Fatalf("witness statement %+v, %v", st, err)
			}
		}
		if _, err := core.Enrol(p, pub, false, sigs); err != nil {
			t.Fatalf("enrol %s: %v", p.ID, err)
		}
		return shown
	}
	enrol(agent, agentPub, func(r *signreq.Enrolment) format.Signed {
		st, err := r.Statement(agent.ID, agent.Name, format.FormatTime(time.Now()), "")
		if err != nil {
			t.Fatal(err)
		}
		s, err := format.SignStatement(st, agentKey)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})

	dev := o.keygen(format.Principal{ID: "risk.dev", Kind: format.KindHuman, Name: "Dev Patel", Team: "risk"})
	shown := enrol(dev.p, dev.pub, func(r *signreq.Enrolment) format.Signed {
		s, _ := o.sign(dev, r)
		return s
	})
	// The registrar was shown who and which key, the key ID in groups of
	// four as keygen printed it.
	for _, want := range []string{"enrolee      risk.dev", `name         "Dev Patel"`, "kind         human", "team         risk",
		"key ID       " + groupHex(format.KeyIDOf(dev.pub).String())} {
		if !strings.Contains(shown, want) {
			t.Errorf("the registrar was not shown %q:\n%s", want, shown)
		}
	}

	// A policy under which the new human approves payments: proposed by
	// the agent, approved by both registrars with sign.
	policy := []byte(`{"class":"change.policy","version":1,"control":"payments-release","grants":[` +
		`{"principal":"agent.pay","role":"maker","classes":["payment"],"max_amount":"10000.00","currency":"EUR"},` +
		`{"principal":"risk.dev","role":"checker","classes":["payment"],"max_amount":"","currency":""}],` +
		`"gates":[{"class":"payment","gate":"payment-release","stages":[` +
		`{"stage":1,"n":1,"pool":["risk.dev"],"meaning":"approval","human":true}]}]}`)
	run := func(id string, action []byte, approvers []*party) {
		t.Helper()
		d, err := core.Propose(id, action, nil, "", sign(&format.Statement{Purpose: format.PurposePropose, Run: id,
			Class: mustAction(t, action).Class, Action: format.ActionDigest(action).String(), Reason: "test run " + id}, agent, agentKey))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range approvers {
			s, _ := o.sign(a, d.Requests[0], "--reason", "checked "+id)
			if _, err := core.SignOff(s); err != nil {
				t.Fatalf("%s's sign-off of %s: %v", a.p.ID, id, err)
			}
		}
		ex, err := core.ExecuteRequest(id)
		if err != nil {
			t.Fatal(err)
		}
		if d, err := core.Execute(sign(&format.Statement{Purpose: format.PurposeExecute, Run: id, Proposal: ex.Proposal, Action: ex.Digest}, agent, agentKey)); err != nil || !d.Accepted {
			t.Fatalf("execute %s: %v", id, err)
		}
	}
	run("policy-v1", policy, []*party{alex, bea})
	run("pay-0001", []byte(`{"class":"payment","amount":"1250.00","currency":"EUR","beneficiary":"ACME Supplies Ltd"}`), []*party{dev})

	// The holder revokes its own key with sign.
	kid := format.KeyIDOf(dev.pub)
	rr, err := core.RevocationRequest(dev.p.ID, kid, "leaving the risk team")
	if err != nil {
		t.Fatal(err)
	}
	s, shown := o.sign(dev, rr)
	if !strings.Contains(shown, "key ID       "+groupHex(kid.String())) {
		t.Errorf("the holder was not shown the key ID in groups:\n%s", shown)
	}
	if _, err := core.Revoke(dev.p.ID, kid, rr.Reason, []format.Signed{s}); err != nil {
		t.Fatal(err)
	}

	bundle := filepath.Join(o.dir, "evidence.csb")
	var buf bytes.Buffer
	if err := core.Export(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bundle, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := o.run("verify", "--trust", core.Genesis().String(), bundle)
	if !strings.Contains(out, "PASS") {
		t.Fatalf("verify:\n%s", out)
	}
}

func mustAction(t *testing.T, b []byte) *format.Action {
	t.Helper()
	a, err := format.ParseAction(b)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// keyFile writes a key file with a key derived from seed, so transcripts
// that show its key ID are the same on every run.
func keyFile(t *testing.T, dir string, p format.Principal, seed string) (string, ed25519.PublicKey) {
	t.Helper()
	s := sha256.Sum256([]byte(seed))
	k := ed25519.NewKeyFromSeed(s[:])
	path := filepath.Join(dir, seed+".key")
	if err := keyfile.Write(path, keyfile.Identity{Principal: p.ID, Name: p.Name, Kind: p.Kind, Team: p.Team, Key: k}, []byte(testPassphrase), 10); err != nil {
		t.Fatal(err)
	}
	return path, k.Public().(ed25519.PublicKey)
}

func writeReq(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := format.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return write(t, dir, name, b)
}

// Each refusal of keygen and of sign with enrolment and revocation
// requests, and what a signer is shown when they sign one.
func TestEnrolAndRevoke(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{keyfile.PassphraseEnv: testPassphrase}
	devP := format.Principal{ID: "risk.dev", Kind: format.KindHuman, Name: "Dev Patel", Team: "risk"}
	alexP := format.Principal{ID: "reg.alex", Kind: format.KindHuman, Name: "Alex Morgan", Team: "registry"}
	dev, devPub := keyFile(t, dir, devP, "dev")
	dev2, _ := keyFile(t, dir, devP, "dev-second-key")
	alex, _ := keyFile(t, dir, alexP, "alex")
	bundle := format.Hash{9}
	self := writeReq(t, dir, "self.json", signreq.NewEnrolment(format.PurposeEnrolSelf, bundle, devP, devPub, false, nil))
	witness := writeReq(t, dir, "witness.json", signreq.NewEnrolment(format.PurposeEnrolWitness, bundle, devP, devPub, false, nil))
	bad := signreq.NewEnrolment(format.PurposeEnrolWitness, bundle, devP, devPub, false, nil)
	bad.Kind = "robot"
	badReq := write(t, dir, "bad.json", mustJSON(t, bad))
	revoke := writeReq(t, dir, "revoke.json", signreq.NewRevocation(bundle, devP, format.KeyIDOf(devPub), "laptop stolen on 2 November"))
	signoff := write(t, dir, "signoff.json", signRequest(t, bundle.String(), `{"class":"payment","amount":"100.00","payee":"ACME Ltd"}`, format.MeaningApproval))
	junk := write(t, dir, "junk.key", []byte("-----BEGIN AGE ENCRYPTED FILE-----\nnot really\n-----END AGE ENCRYPTED FILE-----\n"))
	text := write(t, dir, "notes.txt", []byte("secret notes: do not print\n"))
	at := "2026-11-03T10:00:00.000Z"
	out := func(name string) string { return filepath.Join(dir, name+".signed.json") }
	keygen := func(out string, extra ...string) []string {
		return append([]string{"keygen", "--id", "risk.eve", "--name", "Eve Adams", "--kind", "human", "--team", "risk", "--out", filepath.Join(dir, out)}, extra...)
	}

	runCases(t, []cliCase{
		{name: "keygen refuses a short passphrase", args: keygen("eve1.key"), vars: map[string]string{keyfile.PassphraseEnv: "x"},
			code: exitUsage, errOut: []string{"shorter than 12 characters", "--insecure-weak-key"}},
		{name: "keygen refuses eleven characters", args: keygen("eve2.key"), vars: map[string]string{keyfile.PassphraseEnv: "abcdefghijk"},
			code: exitUsage, errOut: []string{"shorter than 12 characters"}},
		{name: "keygen refuses a low work factor", args: keygen("eve3.key", "--work-factor", "12"), vars: vars,
			code: exitUsage, errOut: []string{"--work-factor 12 is below 18", "--insecure-weak-key"}},
		{name: "keygen weak under the insecure flag", maskHex: true, args: keygen("eve4.key", "--work-factor", "10", "--insecure-weak-key"), vars: map[string]string{keyfile.PassphraseEnv: "x"},
			code: exitOK, out: []string{"WARNING: made with --insecure-weak-key", "key ID      "}},
		{name: "sign with a file that is not a key file", args: []string{"sign", "--key", text, "--request", signoff, "--reason", "ok"}, vars: vars,
			code: exitInput, errOut: []string{text + " is not a countersign key file (made by countersign keygen)"}, notErr: []string{"secret notes", "You are asked", "age", "header"}},
		{name: "sign with an armored file that is not a key file", args: []string{"sign", "--key", junk, "--request", signoff, "--reason", "ok"}, vars: vars,
			code: exitInput, errOut: []string{"is not a countersign key file (made by countersign keygen)"}, notErr: []string{"not really", "You are asked", "age:", "header"}},
		{name: "sign with a request as the key", args: []string{"sign", "--key", signoff, "--request", signoff, "--reason", "ok"}, vars: vars,
			code: exitInput, errOut: []string{"is not a countersign key file"}, notErr: []string{"payee", "You are asked"}},
		{name: "enrol-self", args: []string{"sign", "--key", dev, "--request", self, "--at", at, "--out", out("self")}, vars: vars,
			code: exitOK, errOut: []string{"purpose      enrol-self", "enrolee      risk.dev", "signed: wrote"}},
		{name: "enrol-self with another's key", args: []string{"sign", "--key", alex, "--request", self, "--at", at, "--out", out("self-alex")}, vars: vars,
			code: exitUsage, errOut: []string{"not for this key file: refusing to sign"}},
		{name: "enrol-self with an identity check", args: []string{"sign", "--key", dev, "--request", self, "--identity-check", "me"}, vars: vars,
			code: exitUsage, errOut: []string{"--identity-check is for the registrars"}},
		{name: "enrolment with a reason", args: []string{"sign", "--key", dev, "--request", self, "--reason", "joining"}, vars: vars,
			code: exitUsage, errOut: []string{"takes no --reason"}},
		{name: "witness", args: []string{"sign", "--key", alex, "--request", witness, "--identity-check", "in person, passport", "--at", at, "--out", out("witness")}, vars: vars,
			code: exitOK, errOut: []string{"enrolee      risk.dev", `name         "Dev Patel"`, "kind         human", "team         risk",
				"key ID       " + groupHex(format.KeyIDOf(devPub).String()), `identity     "in person, passport"`, "signed: wrote"}},
		{name: "witness without an identity check", args: []string{"sign", "--key", alex, "--request", witness}, vars: vars,
			code: exitUsage, errOut: []string{"--identity-check is required"}},
		{name: "witness with a blank identity check", args: []string{"sign", "--key", alex, "--request", witness, "--identity-check", " \t"}, vars: vars,
			code: exitUsage, errOut: []string{"--identity-check is empty"}},
		{name: "witness of one's own enrolment", args: []string{"sign", "--key", dev, "--request", witness, "--identity-check", "mirror"}, vars: vars,
			code: exitUsage, errOut: []string{"cannot witness your own enrolment"}},
		{name: "malformed enrolment request", args: []string{"sign", "--key", alex, "--request", badReq, "--identity-check", "in person"}, vars: vars,
			code: exitFail, errOut: []string{"neither human nor agent: refusing to sign"}},
		{name: "revoke by the holder", args: []string{"sign", "--key", dev, "--request", revoke, "--at", at, "--out", out("revoke")}, vars: vars,
			code: exitOK, errOut: []string{"holder       risk.dev \"Dev Patel\"", "key ID       " + groupHex(format.KeyIDOf(devPub).String()), "laptop stolen"}},
		{name: "revoke by a registrar", args: []string{"sign", "--key", alex, "--request", revoke, "--at", at, "--out", out("revoke-alex")}, vars: vars,
			code: exitOK, errOut: []string{"signed: wrote"}},
		{name: "revoke by the holder with another key", args: []string{"sign", "--key", dev2, "--request", revoke, "--at", at}, vars: vars,
			code: exitUsage, errOut: []string{"another key of risk.dev than the one to revoke"}},
		{name: "revoke with a reason", args: []string{"sign", "--key", dev, "--request", revoke, "--reason", "mine"}, vars: vars,
			code: exitUsage, errOut: []string{"its reason is the request's"}},
		{name: "sign-off with an identity check", args: []string{"sign", "--key", dev, "--request", signoff, "--reason", "ok", "--identity-check", "in person"}, vars: vars,
			code: exitUsage, errOut: []string{"not for a signoff request"}},
	})

	// What was signed states the requests.
	for _, c := range []struct {
		file, purpose, principal, check string
	}{
		{out("self"), format.PurposeEnrolSelf, "risk.dev", ""},
		{out("witness"), format.PurposeEnrolWitness, "reg.alex", "in person, passport"},
		{out("revoke"), format.PurposeRevoke, "risk.dev", ""},
		{out("revoke-alex"), format.PurposeRevoke, "reg.alex", ""},
	} {
		s, err := signreq.DecodeSigned(mustRead(t, c.file))
		if err != nil {
			t.Fatal(err)
		}
		st, err := format.ParseStatement(s.Stmt, format.Strict)
		if err != nil || st.Purpose != c.purpose || st.Principal != c.principal || st.IdentityCheck != c.check || st.Time != at || st.Bundle != bundle.String() {
			t.Errorf("%s: statement %+v, %v", c.file, st, err)
		}
		if c.purpose == format.PurposeRevoke && (st.Subject != "risk.dev" || st.Key != format.KeyIDOf(devPub).String() || st.Reason != "laptop stolen on 2 November") {
			t.Errorf("%s: revoke statement %+v", c.file, st)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := format.MarshalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// On a terminal a registrar is asked how they checked the enrolee's
// identity; the answer is recorded verbatim, and a blank one is refused.
func TestWitnessInteractive(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{keyfile.PassphraseEnv: testPassphrase}
	devP := format.Principal{ID: "risk.dev", Kind: format.KindHuman, Name: "Dev Patel", Team: "risk"}
	_, devPub := keyFile(t, dir, devP, "dev")
	alex, _ := keyFile(t, dir, format.Principal{ID: "reg.alex", Kind: format.KindHuman, Name: "Alex Morgan", Team: "registry"}, "alex")
	witness := writeReq(t, dir, "witness.json", signreq.NewEnrolment(format.PurposeEnrolWitness, format.Hash{9}, devP, devPub, false, nil))
	for _, c := range []struct {
		name, stdin string
		code        int
		want        string
	}{
		{"confirmed", "in person, passport\ny\n", exitOK, "How did you check the enrolee's identity?"},
		{"declined", "in person, passport\nn\n", exitFail, "not signed"},
		{"blank", "  \n", exitUsage, "the identity check is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, _, errb := testEnv([]byte(c.stdin), vars)
			e.interactive = func() bool { return true }
			out := filepath.Join(t.TempDir(), "signed.json")
			code := e.dispatch(context.Background(), []string{"sign", "--key", alex, "--request", witness, "--out", out})
			if code != c.code || !strings.Contains(errb.String(), c.want) {
				t.Fatalf("exit %d (want %d)\n%s", code, c.code, errb)
			}
			if c.code != exitOK {
				if _, err := os.Stat(out); err == nil {
					t.Fatal("a statement was written")
				}
				return
			}
			s, err := signreq.DecodeSigned(mustRead(t, out))
			if err != nil {
				t.Fatal(err)
			}
			st, err := format.ParseStatement(s.Stmt, format.Strict)
			if err != nil || st.IdentityCheck != "in person, passport" {
				t.Fatalf("statement %+v, %v", st, err)
			}
		})
	}
}
