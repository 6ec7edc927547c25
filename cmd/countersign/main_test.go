package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/produce"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/internal/keyfile"
	"github.com/countersign/countersign/verifier"
)

const testPassphrase = "correct horse battery staple"

// testEnv returns an env for in-process runs: no terminal, fixed clock,
// the given environment variables and stdin.
func testEnv(stdin []byte, vars map[string]string) (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	e := &env{
		stdin:       bytes.NewReader(stdin),
		stdout:      &out,
		stderr:      &errb,
		getenv:      func(k string) string { return vars[k] },
		now:         func() time.Time { return time.Date(2026, 11, 3, 10, 30, 0, 0, time.UTC) },
		interactive: func() bool { return false },
		passphrase: func(string, bool) ([]byte, error) {
			return nil, errors.New("test: no terminal")
		},
	}
	return e, &out, &errb
}

// cli runs one command line in-process.
func cli(t *testing.T, stdin []byte, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	e, out, errb := testEnv(stdin, vars)
	code := e.dispatch(context.Background(), args)
	return code, out.String(), errb.String()
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// sample builds a small valid bundle: two registrars, two principals, a
// note, a periodic seal and another note.
func sample() (*fixtures.Builder, int64) {
	b := fixtures.New(fixtures.Options{})
	b.Person("risk.ana", format.KindHuman, "risk")
	b.Person("agent.payments", format.KindAgent, "payments")
	note := b.Append(format.TypeNote, "", &format.Note{Code: "hello", Text: "a note"})
	b.Seal()
	b.Append(format.TypeNote, "", &format.Note{Code: "bye", Text: "another note"})
	return b, note
}

type cliCase struct {
	name    string
	args    []string
	stdin   []byte
	vars    map[string]string
	code    int
	out     []string // substrings of stdout
	errOut  []string // substrings of stderr
	notOut  []string // must not be in stdout
	notErr  []string // must not be in stderr
	outJSON bool     // stdout must be JSON
	// maskHex replaces 64 or more hex digits in the transcript with a
	// placeholder: for outputs that hold freshly generated keys.
	maskHex bool
	// maskSizes replaces byte counts and offsets in the transcript with a
	// placeholder: for files written by a tool whose output may vary
	// between its versions.
	maskSizes bool
}

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/cli")

var (
	tempPath = regexp.MustCompile(regexp.QuoteMeta(os.TempDir()) + `/[^/\s"']+/[0-9]+`)
	longHex  = regexp.MustCompile(`[0-9a-f]{64,}`)
	// grouped is a key ID written in groups of four.
	grouped4 = regexp.MustCompile(`([0-9a-f]{4} ){15}[0-9a-f]{4}`)
	sizes    = regexp.MustCompile(`[0-9]+ bytes|byte [0-9]+`)
)

// transcript is the whole of what a person sees of one command: the line
// typed, the exit code, stdout and stderr, with temporary paths replaced.
func transcript(c cliCase, code int, out, errOut string) string {
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strconv.Quote(a)
	}
	t := fmt.Sprintf("$ countersign %s\nexit %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code, out, errOut)
	if exe, err := os.Executable(); err == nil {
		t = strings.ReplaceAll(t, exe, "$EXE")
	}
	t = tempPath.ReplaceAllString(t, "$$TMP")
	// The zone data is named by the Go release that embeds it; a new
	// toolchain changes the name, not the transcript.
	t = strings.ReplaceAll(t, verifier.TZData, "time/tzdata of $GO")
	if c.maskSizes {
		t = sizes.ReplaceAllStringFunc(t, func(m string) string {
			if strings.HasPrefix(m, "byte ") {
				return "byte <n>"
			}
			return "<n> bytes"
		})
	}
	if c.maskHex {
		t = longHex.ReplaceAllString(t, "<hex>")
		t = grouped4.ReplaceAllString(t, "<key ID>")
	}
	return t
}

// checkGolden compares got with testdata/cli/NAME.txt (NAME from the
// test's name), or rewrites the file under -update.
func checkGolden(t *testing.T, got string) {
	t.Helper()
	name := strings.NewReplacer("/", "__", " ", "_", ":", "_").Replace(t.Name())
	path := filepath.Join("testdata", "cli", name+".txt")
	if *update {
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
		t.Fatalf("no golden transcript (run go test -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func runCases(t *testing.T, cases []cliCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, c.stdin, c.vars, c.args...)
			checkGolden(t, transcript(c, code, out, errOut))
			if code != c.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, out, errOut)
			}
			for _, s := range c.out {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q\nstdout:\n%s", s, out)
				}
			}
			for _, s := range c.errOut {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q\nstderr:\n%s", s, errOut)
				}
			}
			for _, s := range c.notOut {
				if strings.Contains(out, s) {
					t.Errorf("stdout holds %q\nstdout:\n%s", s, out)
				}
			}
			for _, s := range c.notErr {
				if strings.Contains(errOut, s) {
					t.Errorf("stderr holds %q\nstderr:\n%s", s, errOut)
				}
			}
			if c.outJSON && !json.Valid([]byte(out)) {
				t.Errorf("stdout is not JSON:\n%s", out)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	b, note := sample()
	data := b.Bundle()
	bundle := write(t, dir, "evidence.csb", data)
	fp := b.Genesis().String()
	trustFile := write(t, dir, "trust.txt", []byte("  "+fp+"\n"))
	other := format.Hash{1, 2, 3}.String()

	// Tamper with one byte of the note record, then pack the lines again
	// so that the container itself is sound.
	lines := make([][]byte, len(b.Lines))
	for i, l := range b.Lines {
		lines[i] = append([]byte(nil), l...)
	}
	i := bytes.Index(lines[note], []byte("a note"))
	if i < 0 {
		t.Fatal("note text not found")
	}
	lines[note][i] = 'A'
	tampered := write(t, dir, "tampered.csb", fixtures.Pack(lines, b.Trailer()))

	notZstd := write(t, dir, "notes.txt", []byte("this is not a bundle\n"))
	empty := write(t, dir, "empty.csb", nil)
	missing := filepath.Join(dir, "missing.csb")
	noRecords := write(t, dir, "norecords.csb", []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0})

	runCases(t, []cliCase{
		{name: "pass pinned", args: []string{"verify", "--trust", fp, bundle}, code: exitOK,
			out: []string{"PASS  " + bundle, "authenticity established", fp, `"Example Bank"`, "findings      none", "final seal    present"}},
		{name: "pin with whitespace", args: []string{"verify", "--trust", "\n " + fp + " \n", bundle}, code: exitOK, out: []string{"PASS"}},
		{name: "pin typed in groups", args: []string{"verify", "--trust", grouped(fp), bundle}, code: exitOK, out: []string{"PASS"}},
		{name: "pin in upper case", args: []string{"verify", "--trust", strings.ToUpper(fp), bundle}, code: exitOK, out: []string{"PASS"}},
		{name: "pin from file", args: []string{"verify", "--trust", "@" + trustFile, bundle}, code: exitOK, out: []string{"PASS"}},
		{name: "flags after the bundle", args: []string{"verify", bundle, "--trust", fp}, code: exitOK, out: []string{"PASS"}},
		{name: "stdin", args: []string{"verify", "--trust", fp, "-"}, stdin: data, code: exitOK, out: []string{"PASS  <stdin>"}},
		{name: "wrong pin", args: []string{"verify", "--trust", other, bundle}, code: exitFail,
			out: []string{"FAIL  " + bundle, "authenticity FAILED", "INT-TRUST  record 0  "}, errOut: []string{"countersign: hint:", fp}},
		{name: "no trust", args: []string{"verify", bundle}, code: exitFail,
			out: []string{"UNAUTHENTICATED  " + bundle, "authenticity not established"}, errOut: []string{"countersign: hint:", "--trust", fp}},
		{name: "unsafe", args: []string{"verify", "--unsafe-no-trust", bundle}, code: exitOK,
			out: []string{"PASS  " + bundle, "authenticity not established", "--unsafe-no-trust"}, notErr: []string{"error"}},
		{name: "tampered", args: []string{"verify", "--trust", fp, tampered}, code: exitFail,
			out: []string{"FAIL  " + tampered, "INT-ENVELOPE  record " + itoa(note) + "  ", "INT-CHAIN     record " + itoa(note+1) + "  "}},
		{name: "tampered json", args: []string{"verify", "--json", "--trust", fp, tampered}, code: exitFail, outJSON: true,
			out: []string{`"verdict": "fail"`, `"INT-ENVELOPE"`}},
		{name: "not zstd", args: []string{"verify", "--trust", fp, notZstd}, code: exitInput,
			errOut: []string{"countersign: error: " + notZstd + " is not a countersign bundle: it does not begin with a zstd frame"}},
		{name: "not zstd json", args: []string{"verify", "--json", "--trust", fp, notZstd}, code: exitInput, outJSON: true,
			out:    []string{`"verdict": "not-bundle"`, `"reason": "it does not begin with a zstd frame`, `"spec": "1.2"`},
			errOut: []string{"is not a countersign bundle"}},
		{name: "empty file", args: []string{"verify", "--unsafe-no-trust", empty}, code: exitInput,
			errOut: []string{"countersign: error: " + empty + " is not a countersign bundle: the file is empty"}},
		{name: "zstd without records", args: []string{"verify", "--unsafe-no-trust", noRecords}, code: exitInput,
			errOut: []string{"countersign: error: " + noRecords + " is not a countersign bundle"}},
		{name: "missing file", args: []string{"verify", "--trust", fp, missing}, code: exitInput,
			errOut: []string{"countersign: error: cannot read " + missing}},
		{name: "directory", args: []string{"verify", "--trust", fp, dir}, code: exitInput, errOut: []string{"countersign: error:"}},
		{name: "unknown flag", args: []string{"verify", "--bogus", bundle}, code: exitUsage,
			errOut: []string{"countersign: error:", "bogus", "countersign: hint: run 'countersign verify -h'"}},
		{name: "no bundle", args: []string{"verify", "--trust", fp}, code: exitUsage, errOut: []string{"exactly one BUNDLE"}},
		{name: "two bundles", args: []string{"verify", "--trust", fp, bundle, bundle}, code: exitUsage, errOut: []string{"exactly one BUNDLE"}},
		{name: "short pin", args: []string{"verify", "--trust", "abc123", bundle}, code: exitUsage, errOut: []string{"not a genesis hash"}},
		{name: "empty pin", args: []string{"verify", "--trust", " \n", bundle}, code: exitUsage, errOut: []string{"--trust is empty"}},
		{name: "pin file missing", args: []string{"verify", "--trust", "@" + missing, bundle}, code: exitInput, errOut: []string{"cannot read the trust fingerprint"}},
		{name: "trust and unsafe", args: []string{"verify", "--trust", fp, "--unsafe-no-trust", bundle}, code: exitUsage, errOut: []string{"exclude each other"}},
		{name: "help", args: []string{"verify", "-h"}, code: exitOK, out: []string{"Usage: countersign verify", "--checkpoint FILE", "Examples:"}},
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestVerifyJSON(t *testing.T) {
	dir := t.TempDir()
	b, _ := sample()
	bundle := write(t, dir, "evidence.csb", b.Bundle())
	code, out, errOut := cli(t, nil, nil, "verify", "--json", "--trust", b.Genesis().String(), bundle)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"format", "version", "verdict", "authenticity", "bundle", "counts", "findings"} {
		if _, ok := res[k]; !ok {
			t.Errorf("result lacks %q", k)
		}
	}
	if res["verdict"] != "pass" || res["authenticity"] != "established" || res["format"] != "countersign-verify-result" {
		t.Errorf("verdict %v, authenticity %v, format %v", res["verdict"], res["authenticity"], res["format"])
	}
	if f, ok := res["findings"].([]any); !ok || len(f) != 0 {
		t.Errorf("findings %v", res["findings"])
	}
	counts, _ := res["counts"].(map[string]any)
	if counts["records"] != float64(len(b.Lines)) {
		t.Errorf("counts.records %v, want %d", counts["records"], len(b.Lines))
	}

	code, out, _ = cli(t, nil, nil, "verify", "--json", bundle)
	if code != exitFail || !strings.Contains(out, `"verdict": "unauthenticated"`) {
		t.Errorf("without trust: exit %d\n%s", code, out)
	}
}

func TestCheckpoint(t *testing.T) {
	dir := t.TempDir()
	b, _ := sample()
	first := write(t, dir, "october.csb", b.Bundle())
	fp := b.Genesis().String()

	code, seal, errOut := cli(t, nil, nil, "checkpoint", first)
	if code != exitOK {
		t.Fatalf("checkpoint: exit %d\n%s", code, errOut)
	}
	if strings.Count(seal, "\n") != 1 || !strings.HasPrefix(seal, `{"seal":`) {
		t.Fatalf("checkpoint printed %q", seal)
	}
	cp := write(t, dir, "october.seal", []byte(seal))

	// The producer carries on; the later bundle must extend the seal.
	b.Append(format.TypeNote, "", &format.Note{Code: "later", Text: "november"})
	second := write(t, dir, "november.csb", b.Bundle())

	// A fork: another history of the same genesis, cut before the sealed
	// records.
	fork := *b
	fork.Lines = append([][]byte(nil), b.Lines[:3]...)
	fork.Chain, _ = produce.ResumeChain(b.Genesis(), fork.Lines[2], b.LogKey)
	for i := 0; i < 5; i++ {
		fork.Append(format.TypeNote, "", &format.Note{Code: "fork", Text: "another story"})
	}
	forked := write(t, dir, "fork.csb", fork.Bundle())
	// Another organisation's bundle, checked against this one's seal.
	ob := fixtures.New(fixtures.Options{BundleID: "another"})
	ob.Person("risk.ana", format.KindHuman, "risk")
	other, otherFP := write(t, dir, "other.csb", ob.Bundle()), ob.Genesis().String()

	badCP := write(t, dir, "bad.seal", []byte("not a seal\n"))
	twoLines := write(t, dir, "two.seal", []byte(seal+seal))
	emptyCP := write(t, dir, "empty.seal", []byte("\n"))

	tampered := append([][]byte(nil), b.Lines...)
	tampered[1] = bytes.Replace(append([]byte(nil), tampered[1]...), []byte("Ana"), []byte("Anna"), 1)
	bad := write(t, dir, "bad.csb", fixtures.Pack(tampered, b.Trailer()))

	runCases(t, []cliCase{
		{name: "same bundle", args: []string{"verify", "--trust", fp, "--checkpoint", cp, first}, code: exitOK, out: []string{"PASS"}},
		{name: "extends", args: []string{"verify", "--trust", fp, "--checkpoint", cp, second}, code: exitOK, out: []string{"PASS"}},
		{name: "fork", args: []string{"verify", "--trust", fp, "--checkpoint", cp, forked}, code: exitFail, out: []string{"FAIL", "INT-CHECKPOINT", "fork"}},
		{name: "checkpoint of another bundle", args: []string{"verify", "--trust", otherFP, "--checkpoint", cp, other}, code: exitFail,
			out: []string{"FAIL", "authenticity established", "wrong checkpoint file"}, notOut: []string{"fork", "not intact"}},
		{name: "malformed checkpoint", args: []string{"verify", "--trust", fp, "--checkpoint", badCP, first}, code: exitUsage,
			errOut: []string{"countersign: error: checkpoint file " + badCP + " is not a checkpoint", "countersign: hint:"}},
		{name: "two-line checkpoint", args: []string{"verify", "--trust", fp, "--checkpoint", twoLines, first}, code: exitUsage, errOut: []string{"more than one line"}},
		{name: "empty checkpoint", args: []string{"verify", "--trust", fp, "--checkpoint", emptyCP, first}, code: exitUsage, errOut: []string{"it is empty"}},
		{name: "missing checkpoint", args: []string{"verify", "--trust", fp, "--checkpoint", filepath.Join(dir, "nope"), first}, code: exitInput, errOut: []string{"cannot read checkpoint"}},
		{name: "checkpoint of a broken bundle", args: []string{"checkpoint", bad}, code: exitFail, errOut: []string{"does not verify"}, notOut: []string{"seal"}},
		{name: "checkpoint without bundle", args: []string{"checkpoint"}, code: exitUsage},
		{name: "checkpoint of stdin", args: []string{"checkpoint", "-"}, stdin: mustRead(t, first), code: exitOK, out: []string{strings.TrimSpace(seal)}},
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	b, _ := sample()
	data := b.Bundle()
	bundle := write(t, dir, "evidence.csb", data)
	notZstd := write(t, dir, "x.txt", []byte("hello"))

	tampered := append([][]byte(nil), b.Lines...)
	tampered[3] = bytes.Replace(append([]byte(nil), tampered[3]...), []byte("hello"), []byte("jello"), 1)
	bad := write(t, dir, "bad.csb", fixtures.Pack(tampered, b.Trailer()))

	runCases(t, []cliCase{
		{name: "summary", args: []string{"inspect", bundle}, code: exitOK, out: []string{
			"format        countersign 1.2", "genesis       " + b.Genesis().String(), `bundle id     "fixture"`,
			`"Example Bank" (time zone "Europe/London")`, "compressed", "decompressed", "frame",
			"records       " + itoa(int64(len(b.Lines))), "  genesis", "  enrolment", "  note", "  seal",
			"seals         1 periodic, final seal present", "principals    4",
			"risk.ana", `"Ana Ribeiro"`, "team risk", "agent.payments", "reg.alex", "registrar", "1 key",
			"findings      none seen",
		}},
		{name: "stdin", args: []string{"inspect", "-"}, stdin: data, code: exitOK, out: []string{"bundle        <stdin>", "principals    4"}},
		{name: "with findings", args: []string{"inspect", bad}, code: exitOK, out: []string{"findings      3: run 'countersign verify"}},
		{name: "json", args: []string{"inspect", "--json", bundle}, code: exitOK, outJSON: true,
			out: []string{`"format": "countersign-inspect"`, `"risk.ana"`, `"final_seal": true`, `"enrolment": 2`}},
		{name: "not a bundle", args: []string{"inspect", notZstd}, code: exitInput, errOut: []string{"countersign: error: " + notZstd + " is not a countersign bundle"}},
		{name: "no bundle", args: []string{"inspect"}, code: exitUsage},
	})

	// The JSON counts agree with the bundle.
	_, out, _ := cli(t, nil, nil, "inspect", "--json", bundle)
	var ins inspection
	if err := json.Unmarshal([]byte(out), &ins); err != nil {
		t.Fatal(err)
	}
	if ins.Records != int64(len(b.Lines)) || ins.RecordTypes["note"] != 2 || ins.Seals != 1 || !ins.FinalSeal ||
		ins.Size.Compressed != int64(len(data)) || ins.Size.Frames < 2 || ins.Size.Decompressed <= 0 || len(ins.Principals) != 4 {
		t.Errorf("inspection %+v", ins)
	}
}

func TestDisplayEscaping(t *testing.T) {
	dir := t.TempDir()
	b := fixtures.New(fixtures.Options{})
	evil := "Eve\x1b[31m\u202eevil"
	b.Enrol(format.Principal{ID: "ops.eve", Kind: format.KindHuman, Name: evil, Team: "ops"}, false, nil, "reg.alex", "reg.bea")
	bundle := write(t, dir, "evil.csb", b.Bundle())

	for _, args := range [][]string{
		{"inspect", bundle},
		{"inspect", "--json", bundle},
		{"verify", "--unsafe-no-trust", bundle},
		{"verify", "--json", "--unsafe-no-trust", bundle},
	} {
		_, out, errOut := cli(t, nil, nil, args...)
		for _, s := range []string{out, errOut} {
			if strings.ContainsAny(s, "\x1b\u202e") {
				t.Errorf("%v: output holds a raw escape or override:\n%q", args, s)
			}
		}
		if args[0] == "inspect" && args[1] != "--json" {
			if !strings.Contains(out, `"Eve\x1b[31m\u202eevil"`) {
				t.Errorf("inspect does not show the escaped name:\n%s", out)
			}
		}
		if args[1] == "--json" {
			var v any
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Errorf("%v: not JSON: %v", args, err)
			}
		}
	}
	// The JSON still carries the exact name.
	_, out, _ := cli(t, nil, nil, "inspect", "--json", bundle)
	var ins inspection
	if err := json.Unmarshal([]byte(out), &ins); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range ins.Principals {
		if p.ID == "ops.eve" {
			found = p.Name == evil
		}
	}
	if !found {
		t.Errorf("JSON does not carry the exact printed name: %+v", ins.Principals)
	}
}

// signRequest returns a sign request for a sign-off of a payment.
func signRequest(t *testing.T, genesis string, action string, meaning string) []byte {
	t.Helper()
	req := &signreq.Request{
		Format: signreq.RequestFormat, Version: 1, Purpose: format.PurposeSignoff,
		Bundle: genesis, Run: "pay-0001", Proposal: format.Hash{7}.String(), Gate: "payments", Stage: 1,
		Digest:  format.ActionDigest([]byte(`{"class":"payment","amount":"100.00","payee":"ACME Ltd"}`)).String(),
		Meaning: meaning, Action: action,
	}
	b, err := format.MarshalJSON(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeygenAndSign(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{keyfile.PassphraseEnv: testPassphrase}
	keyPath := filepath.Join(dir, "ana.key")

	code, out, errOut := cli(t, nil, vars, "keygen", "--id", "risk.ana", "--name", "Ana Ribeiro", "--kind", "human",
		"--team", "risk", "--out", keyPath, "--work-factor", "10", "--insecure-weak-key")
	if code != exitOK {
		t.Fatalf("keygen: exit %d\n%s\n%s", code, out, errOut)
	}
	m := regexp.MustCompile(`public key  ([0-9a-f]{64})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("keygen printed no public key:\n%s", out)
	}
	pub, _ := hex.DecodeString(m[1])
	for _, s := range []string{"key ID      " + groupHex(format.KeyIDOf(pub).String()), "two registrars"} {
		if !strings.Contains(out, s) {
			t.Errorf("keygen output lacks %q:\n%s", s, out)
		}
	}
	if fi, err := os.Stat(keyPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	id, err := keyfile.Read(keyPath, []byte(testPassphrase))
	if err != nil || id.Principal != "risk.ana" || id.Name != "Ana Ribeiro" || !bytes.Equal(id.Key.Public().(ed25519.PublicKey), pub) {
		t.Fatalf("key file holds %+v, %v", id, err)
	}

	genesis := format.Hash{9}.String()
	good := `{"class":"payment","amount":"100.00","payee":"ACME Ltd"}`
	reqPath := write(t, dir, "req.json", signRequest(t, genesis, good, format.MeaningApproval))
	mismatch := write(t, dir, "mismatch.json", signRequest(t, genesis, `{"class":"payment","amount":"9100.00","payee":"ACME Ltd"}`, format.MeaningApproval))
	notReq := write(t, dir, "junk.json", []byte(`{"hello":"world"}`))
	outPath := filepath.Join(dir, "signed.json")
	at := "2026-11-03T10:00:00.000Z"

	runCases(t, []cliCase{
		{maskHex: true, name: "keygen refuses to overwrite", args: []string{"keygen", "--id", "risk.ana", "--name", "Ana Ribeiro", "--kind", "human", "--team", "risk", "--out", keyPath, "--work-factor", "10", "--insecure-weak-key"},
			vars: vars, code: exitInput, errOut: []string{"already exists"}},
		{maskHex: true, name: "keygen bad id", args: []string{"keygen", "--id", "Risk Ana", "--name", "Ana", "--kind", "human", "--team", "risk", "--out", filepath.Join(dir, "x.key")},
			vars: vars, code: exitUsage, errOut: []string{"--id", "not an identifier"}},
		{maskHex: true, name: "keygen bad team", args: []string{"keygen", "--id", "risk.ana", "--name", "Ana", "--kind", "human", "--team", "-x", "--out", filepath.Join(dir, "x.key")},
			vars: vars, code: exitUsage, errOut: []string{"--team"}},
		{maskHex: true, name: "keygen bad kind", args: []string{"keygen", "--id", "risk.ana", "--name", "Ana", "--kind", "robot", "--team", "risk", "--out", filepath.Join(dir, "x.key")},
			vars: vars, code: exitUsage, errOut: []string{"--kind"}},
		{maskHex: true, name: "keygen name with escape", args: []string{"keygen", "--id", "risk.eve", "--name", "Eve\x1b[31m", "--kind", "human", "--team", "risk", "--out", filepath.Join(dir, "x.key")},
			vars: vars, code: exitUsage, errOut: []string{`Eve\x1b[31m`}, notErr: []string{"\x1b"}},
		{maskHex: true, name: "keygen missing flags", args: []string{"keygen", "--id", "risk.ana"}, vars: vars, code: exitUsage, errOut: []string{"--name", "--out"}},
		{maskHex: true, name: "keygen without passphrase", args: []string{"keygen", "--id", "risk.bo", "--name", "Bo", "--kind", "human", "--team", "risk", "--out", filepath.Join(dir, "bo.key"), "--work-factor", "10", "--insecure-weak-key"},
			code: exitUsage, errOut: []string{"passphrase", keyfile.PassphraseEnv}},
		{maskHex: true, name: "sign refuses a mismatched action", args: []string{"sign", "--key", keyPath, "--request", mismatch, "--reason", "ok", "--out", filepath.Join(dir, "m.json")},
			vars: vars, code: exitFail, errOut: []string{"countersign: error: " + mismatch + ": sign request action does not match its digest: refusing to sign"}},
		{maskHex: true, name: "sign refuses an empty reason", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "  ", "--out", filepath.Join(dir, "e.json")},
			vars: vars, code: exitUsage, errOut: []string{"--reason is empty"}},
		{maskHex: true, name: "sign needs a reason without a terminal", args: []string{"sign", "--key", keyPath, "--request", reqPath},
			vars: vars, code: exitUsage, errOut: []string{"--reason is required"}},
		{maskHex: true, name: "sign refuses another meaning", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "ok", "--meaning", "review"},
			vars: vars, code: exitUsage, errOut: []string{"differs from the meaning this stage requires"}},
		{maskHex: true, name: "sign refuses a bad meaning", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "ok", "--meaning", "yes"},
			vars: vars, code: exitUsage},
		{maskHex: true, name: "sign with a wrong passphrase", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "ok"},
			vars: map[string]string{keyfile.PassphraseEnv: "wrong"}, code: exitFail, errOut: []string{"wrong passphrase"}},
		{maskHex: true, name: "sign a file that is not a request", args: []string{"sign", "--key", keyPath, "--request", notReq, "--reason", "ok"},
			vars: vars, code: exitInput, errOut: []string{"is not a sign request"}},
		{maskHex: true, name: "sign a missing request", args: []string{"sign", "--key", keyPath, "--request", filepath.Join(dir, "none.json"), "--reason", "ok"},
			vars: vars, code: exitInput, errOut: []string{"cannot read"}},
		{maskHex: true, name: "sign with a missing key", args: []string{"sign", "--key", filepath.Join(dir, "none.key"), "--request", reqPath, "--reason", "ok"},
			vars: vars, code: exitInput, errOut: []string{"cannot read"}},
		{maskHex: true, name: "sign with a bad time", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "ok", "--at", "yesterday"},
			vars: vars, code: exitUsage, errOut: []string{"--at"}},
		{maskHex: true, name: "sign", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "Invoice checked against PO 4471", "--at", at, "--out", outPath},
			vars: vars, code: exitOK,
			errOut: []string{"purpose      signoff", "run          pay-0001", "gate         payments, stage 1", "meaning      approval",
				`"payee": "ACME Ltd"`, `"Ana Ribeiro"`, "signed: wrote " + outPath}},
		{maskHex: true, name: "sign refuses to overwrite", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "again", "--out", outPath},
			vars: vars, code: exitInput, errOut: []string{"already exists"}},
		{maskHex: true, name: "sign to stdout", args: []string{"sign", "--key", keyPath, "--request", reqPath, "--reason", "ok", "--meaning", "approval"},
			vars: vars, code: exitOK, outJSON: true, out: []string{`"format":"countersign-signed-statement"`}},
	})

	doc, err := os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(outPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("signed statement mode %v", fi.Mode().Perm())
	}
	s, err := signreq.DecodeSigned(doc)
	if err != nil {
		t.Fatalf("signed statement: %v\n%s", err, doc)
	}
	if s.Key != format.KeyIDOf(pub) {
		t.Errorf("key ID %s, want %s", s.Key, format.KeyIDOf(pub))
	}
	if !format.Verify(pub, format.PrefixStatement, s.Stmt, s.Sig) {
		t.Errorf("signature does not verify")
	}
	st, err := format.ParseStatement(s.Stmt, format.Strict)
	if err != nil {
		t.Fatal(err)
	}
	want := format.Statement{Purpose: format.PurposeSignoff, Bundle: genesis, Principal: "risk.ana", Name: "Ana Ribeiro", Time: at,
		Run: "pay-0001", Proposal: format.Hash{7}.String(), Gate: "payments", Stage: 1, Meaning: format.MeaningApproval,
		Reason: "Invoice checked against PO 4471", Action: format.ActionDigest([]byte(good)).String()}
	st.Raw = nil
	if !reflect.DeepEqual(*st, want) {
		t.Errorf("statement %+v\nwant      %+v", *st, want)
	}
}

func TestSignToStdoutIsEscaped(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{keyfile.PassphraseEnv: testPassphrase}
	keyPath := filepath.Join(dir, "ana.key")
	if code, _, errOut := cli(t, nil, vars, "keygen", "--id", "risk.ana", "--name", "Ana Ribeiro", "--kind", "human",
		"--team", "risk", "--out", keyPath, "--work-factor", "10", "--insecure-weak-key"); code != exitOK {
		t.Fatalf("keygen: %s", errOut)
	}
	action := `{"class":"payment","amount":"100.00","payee":"ACME Ltd"}`
	reqPath := write(t, dir, "req.json", signRequest(t, format.Hash{9}.String(), action, format.MeaningApproval))
	reason := "approved \u202edeifirev ton"
	code, out, errOut := cli(t, nil, vars, "sign", "--key", keyPath, "--request", reqPath, "--reason", reason)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	if strings.Contains(out, "\u202e") || strings.Contains(errOut, "\u202e") {
		t.Fatalf("raw override on screen:\n%q\n%q", out, errOut)
	}
	s, err := signreq.DecodeSigned([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	st, err := format.ParseStatement(s.Stmt, format.Strict)
	if err != nil || st.Reason != reason {
		t.Fatalf("statement %+v, %v", st, err)
	}
}

func TestSignInteractive(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{keyfile.PassphraseEnv: testPassphrase}
	keyPath := filepath.Join(dir, "ana.key")
	if code, _, errOut := cli(t, nil, vars, "keygen", "--id", "risk.ana", "--name", "Ana Ribeiro", "--kind", "human",
		"--team", "risk", "--out", keyPath, "--work-factor", "10", "--insecure-weak-key"); code != exitOK {
		t.Fatalf("keygen: %s", errOut)
	}
	reqPath := write(t, dir, "req.json", signRequest(t, format.Hash{9}.String(), `{"class":"payment","amount":"100.00","payee":"ACME Ltd"}`, format.MeaningApproval))

	for _, c := range []struct {
		name  string
		stdin string
		code  int
		want  string
	}{
		{"confirmed", "Checked the invoice\ny\n", exitOK, "signed: wrote"},
		{"declined", "Checked the invoice\nn\n", exitFail, "not signed"},
		{"empty reason", "\n", exitUsage, "the reason is empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, _, errb := testEnv([]byte(c.stdin), vars)
			e.interactive = func() bool { return true }
			out := filepath.Join(t.TempDir(), "signed.json")
			code := e.dispatch(context.Background(), []string{"sign", "--key", keyPath, "--request", reqPath, "--out", out})
			if code != c.code || !strings.Contains(errb.String(), c.want) {
				t.Fatalf("exit %d (want %d)\n%s", code, c.code, errb)
			}
			if c.code == exitOK {
				doc, _ := os.ReadFile(out)
				s, err := signreq.DecodeSigned(doc)
				if err != nil {
					t.Fatal(err)
				}
				st, _ := format.ParseStatement(s.Stmt, format.Strict)
				if st == nil || st.Reason != "Checked the invoice" {
					t.Fatalf("statement %+v", st)
				}
			}
		})
	}
}

func TestDispatch(t *testing.T) {
	runCases(t, []cliCase{
		{name: "no arguments", args: nil, code: exitUsage},
		{name: "help", args: []string{"help"}, code: exitOK, out: []string{"Usage:", "countersign verify", "Examples:", keyfile.PassphraseEnv, "Exit status:"}},
		{name: "-h", args: []string{"-h"}, code: exitOK, out: []string{"Usage:"}},
		{name: "help verify", args: []string{"help", "verify"}, code: exitOK, out: []string{"Usage: countersign verify"}},
		{name: "help unknown", args: []string{"help", "nope"}, code: exitUsage},
		{name: "unknown command", args: []string{"frobnicate"}, code: exitUsage, errOut: []string{`countersign: error: unknown command "frobnicate"`, "countersign: hint:"}},
		{name: "unknown command escaped", args: []string{"x\x1b[2J"}, code: exitUsage, errOut: []string{`x\x1b[2J`}, notErr: []string{"\x1b"}},
		{name: "version", maskHex: true, args: []string{"version"}, code: exitOK, out: []string{"countersign ", "bundle format countersign 1.2"}},
		{name: "demo without its binary", args: []string{"demo"}, code: exitInput, errOut: []string{"countersign: error: cannot find countersign-demo", "countersign: hint: make install"}},
		{name: "inspect -h", args: []string{"inspect", "-h"}, code: exitOK, out: []string{"Usage: countersign inspect"}},
		{name: "keygen -h", args: []string{"keygen", "-h"}, code: exitOK, out: []string{"Usage: countersign keygen", keyfile.PassphraseEnv}},
		{name: "sign -h", args: []string{"sign", "-h"}, code: exitOK, out: []string{"Usage: countersign sign", "--reason"}},
		{name: "checkpoint -h", args: []string{"checkpoint", "-h"}, code: exitOK, out: []string{"Usage: countersign checkpoint"}},
	})
	for _, c := range commands {
		if _, ok := usages[c.name]; !ok {
			t.Errorf("command %s has no usage text", c.name)
		}
	}
	if passphraseEnvName != keyfile.PassphraseEnv {
		t.Errorf("usage names %s, keyfile reads %s", passphraseEnvName, keyfile.PassphraseEnv)
	}
}

func TestRunUsesProcessEnvironment(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"version"}, strings.NewReader(""), &out, &errb)
	if code != exitOK || !strings.HasPrefix(out.String(), "countersign ") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
}

// Every help text, whole: the overview and each command's, whichever way
// it is asked for, so a wrong text under one command (an exit table copied
// from another) shows in review.
func TestHelpTexts(t *testing.T) {
	cases := []cliCase{{name: "overview", args: []string{"help"}, code: exitOK}}
	for _, c := range commands {
		cases = append(cases, cliCase{name: c.name, args: []string{"help", c.name}, code: exitOK})
	}
	runCases(t, cases)
	for _, c := range commands {
		_, want, _ := cli(t, nil, nil, "help", c.name)
		for _, flag := range []string{"-h", "--help"} {
			code, out, errOut := cli(t, nil, nil, c.name, flag)
			if code != exitOK || out != want || errOut != "" {
				t.Errorf("countersign %s %s: exit %d, stderr %q, stdout differs from countersign help %s: %v", c.name, flag, code, errOut, c.name, out != want)
			}
		}
	}
}

// grouped writes a fingerprint as someone reading it out would type it:
// upper case, in groups of four separated by spaces.
func grouped(fp string) string {
	var b strings.Builder
	for i := 0; i < len(fp); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToUpper(fp[i:min(i+4, len(fp))]))
	}
	return b.String()
}
