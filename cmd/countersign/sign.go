package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/internal/keyfile"
	"github.com/countersign/countersign/internal/names"
)

// maxRequest bounds a sign request file: an action may be a whole line
// (SPEC.md §10), and JSON escaping can make it longer.
const maxRequest = 4 * format.MaxLine

func runSign(ctx context.Context, e *env, args []string) int {
	flags := e.newFlagSet("sign")
	keyPath := flags.String("key", "", "")
	reqPath := flags.String("request", "", "")
	reason := flags.String("reason", "", "")
	meaning := flags.String("meaning", "", "")
	idCheck := flags.String("identity-check", "", "")
	outPath := flags.String("out", "", "")
	at := flags.String("at", "", "")
	yes := flags.Bool("yes", false, "")
	pos, code, ok := e.parse("sign", flags, args)
	if !ok {
		return code
	}
	switch {
	case len(pos) != 0:
		return e.usageError("sign", "sign takes no arguments besides its flags; got %s", display.Quote(pos[0]))
	case *keyPath == "" || *reqPath == "":
		return e.usageError("sign", "sign needs --key FILE and --request REQ.json")
	case flagSet(flags, "at") && !format.ValidTime(*at):
		return e.usageError("sign", "--at %s is not a time of the form 2026-11-02T09:00:00.000Z", display.Quote(*at))
	case *meaning != "" && !format.ValidMeaning(*meaning):
		return e.usageError("sign", "--meaning %s is not one of authorship, review, approval, responsibility", display.Quote(*meaning))
	case flagSet(flags, "reason") && names.Blank(*reason):
		return e.usageError("sign", "--reason is empty: a reason is required, and it is recorded verbatim with your signature")
	case flagSet(flags, "identity-check") && names.Blank(*idCheck):
		return e.usageError("sign", "--identity-check is empty: say how you checked the enrolee's identity, e.g. \"in person, passport\"")
	}
	outName := display.Escape(*outPath)
	if *outPath != "" && *outPath != "-" {
		if _, err := os.Lstat(*outPath); err == nil {
			return e.errorf(exitInput, "%s already exists: refusing to overwrite it", outName)
		}
	}

	doc, code := e.readSignDoc(*reqPath)
	if code != 0 {
		return code
	}
	// What each kind of request asks the signer to write: a reason for a
	// sign-off, how identity was checked for a witness, nothing else.
	ask := ""
	switch d := doc.(type) {
	case *signreq.Request:
		if flagSet(flags, "identity-check") {
			return e.usageError("sign", "--identity-check is for a registrar witnessing an enrolment, not for a %s request", d.Purpose)
		}
		if *meaning != "" && d.Meaning != "" && *meaning != d.Meaning {
			e.errorf(exitUsage, "--meaning %s differs from the meaning this stage requires, %s: refusing to sign", *meaning, d.Meaning)
			e.hintf("a sign-off with another meaning would not count for this stage; leave out --meaning to sign with %s", d.Meaning)
			return exitUsage
		}
		if !flagSet(flags, "reason") {
			ask = "reason"
		}
	case *signreq.Enrolment:
		if flagSet(flags, "reason") || flagSet(flags, "meaning") {
			return e.usageError("sign", "an enrolment request takes no --reason or --meaning")
		}
		if d.Purpose == format.PurposeEnrolSelf && flagSet(flags, "identity-check") {
			return e.usageError("sign", "--identity-check is for the registrars who witness your enrolment, not for your own enrol-self")
		}
		if d.Purpose == format.PurposeEnrolWitness && !flagSet(flags, "identity-check") {
			ask = "identity-check"
		}
	case *signreq.Revocation:
		if flagSet(flags, "reason") || flagSet(flags, "meaning") || flagSet(flags, "identity-check") {
			return e.usageError("sign", "a revocation request takes no --reason, --meaning or --identity-check: its reason is the request's")
		}
	}
	if ask != "" && !e.interactive() {
		if ask == "reason" {
			return e.usageError("sign", "--reason is required when stdin is not a terminal: it is recorded verbatim with your signature")
		}
		return e.usageError("sign", "--identity-check is required when stdin is not a terminal: say how you checked the enrolee's identity")
	}

	keyName := display.Escape(*keyPath)
	if err := keyfile.Check(*keyPath); err != nil {
		return e.keyFileError(*keyPath, err)
	}
	showDoc(e.stderr, doc)

	pass, code := e.readPassphrase("Passphrase for "+keyName+": ", false)
	if code != 0 {
		return code
	}
	id, err := keyfile.Read(*keyPath, pass)
	clear(pass)
	if err != nil {
		if errors.Is(err, keyfile.ErrPassphrase) {
			return e.errorf(exitFail, "cannot open %s: wrong passphrase", keyName)
		}
		return e.keyFileError(*keyPath, err)
	}
	defer clear(id.Key)
	pub := id.Key.Public().(ed25519.PublicKey)
	fmt.Fprintf(e.stderr, "signing as   %s (%s, %s, team %s), key %s\n", display.Quote(id.Name), display.Escape(id.Principal),
		display.Escape(id.Kind), display.Escape(id.Team), format.KeyIDOf(pub))
	if code := e.checkSigner(doc, id, pub); code != 0 {
		return code
	}

	var stdin *bufio.Reader
	text := *reason
	if d, ok := doc.(*signreq.Enrolment); ok && d.Purpose == format.PurposeEnrolWitness {
		text = *idCheck
	}
	if ask != "" {
		stdin = bufio.NewReader(e.stdin)
		if ask == "reason" {
			fmt.Fprint(e.stderr, "Reason (recorded verbatim with your signature): ")
		} else {
			fmt.Fprint(e.stderr, "How did you check the enrolee's identity? (recorded verbatim, e.g. in person, passport): ")
		}
		line, err := stdin.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return e.errorf(exitInput, "cannot read the answer: %v", err)
		}
		text = strings.TrimRight(line, "\r\n")
		if names.Blank(text) {
			if ask == "reason" {
				return e.usageError("sign", "the reason is empty: a reason is required, and it is recorded verbatim with your signature")
			}
			return e.usageError("sign", "the identity check is empty: say how you checked the enrolee's identity")
		}
	}

	when := *at
	if when == "" {
		when = format.FormatTime(e.now())
	}
	var st *format.Statement
	switch d := doc.(type) {
	case *signreq.Request:
		fmt.Fprintf(e.stderr, "reason       %s\n", display.Quote(text))
		st, err = d.Statement(id.Principal, id.Name, when, *meaning, text)
	case *signreq.Enrolment:
		if d.Purpose == format.PurposeEnrolWitness {
			fmt.Fprintf(e.stderr, "identity     %s (how you checked it, recorded verbatim)\n", display.Quote(text))
		} else {
			text = ""
		}
		st, err = d.Statement(id.Principal, id.Name, when, text)
	case *signreq.Revocation:
		st = d.Statement(id.Principal, id.Name, when)
	}
	if err != nil {
		return e.usageError("sign", "%s", display.Escape(err.Error()))
	}
	fmt.Fprintf(e.stderr, "time         %s (your claim, recorded in the statement)\n", when)

	if !*yes && e.interactive() {
		if stdin == nil {
			stdin = bufio.NewReader(e.stdin)
		}
		fmt.Fprint(e.stderr, "Sign? [y/N] ")
		answer, _ := stdin.ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "y", "yes":
		default:
			return e.errorf(exitFail, "not signed: you did not confirm")
		}
	}

	signed, err := format.SignStatement(st, id.Key)
	if err != nil {
		return e.errorf(exitFail, "cannot sign: %s", display.Escape(err.Error()))
	}
	out, err := signreq.EncodeSigned(signed)
	if err != nil {
		return e.errorf(exitFail, "cannot encode the signed statement: %s", display.Escape(err.Error()))
	}
	out = append(out, '\n')

	if *outPath == "" || *outPath == "-" {
		// On a terminal the document must not act on the screen; as JSON it
		// decodes to the same statement bytes either way.
		if _, err := e.stdout.Write(display.JSON(out)); err != nil {
			return e.errorf(exitInput, "cannot write the signed statement: %v", err)
		}
		fmt.Fprintf(e.stderr, "signed: the statement is on stdout; return it to the producer\n")
		return exitOK
	}
	if err := writeNewFile(*outPath, out); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return e.errorf(exitInput, "%s already exists: refusing to overwrite it", outName)
		}
		return e.errorf(exitInput, "cannot write %s: %s", outName, display.Escape(unwrapPath(err).Error()))
	}
	fmt.Fprintf(e.stderr, "signed: wrote %s; return it to the producer\n", outName)
	return exitOK
}

// keyFileError reports a key file that cannot be used: missing or
// unreadable (exit 3 with the system's reason), or not a key file at all
// (exit 3, saying nothing of what the file holds).
func (e *env) keyFileError(path string, err error) int {
	name := display.Escape(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return e.errorf(exitInput, "cannot read %s: no such file", name)
	case errors.Is(err, keyfile.ErrNotKeyFile), errors.Is(err, keyfile.ErrFormat):
		return e.errorf(exitInput, "%s is not a countersign key file (made by countersign keygen)", name)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return e.errorf(exitInput, "cannot read %s: %s", name, display.Escape(pe.Err.Error()))
	}
	return e.errorf(exitInput, "%s is not a countersign key file (made by countersign keygen)", name)
}

// checkSigner refuses, before anything is asked or signed, a request this
// key cannot sign: someone else's enrol-self, a witness statement for the
// signer's own enrolment, or the holder revoking with another key.
func (e *env) checkSigner(doc any, id keyfile.Identity, pub ed25519.PublicKey) int {
	switch d := doc.(type) {
	case *signreq.Enrolment:
		if d.Purpose == format.PurposeEnrolSelf {
			if id.Principal != d.Principal || id.Name != d.Name || id.Kind != d.Kind || id.Team != d.Team || !pub.Equal(d.PublicKey()) {
				e.errorf(exitUsage, "this enrol-self request is for %s with key %s, not for this key file: refusing to sign", display.Escape(d.Principal), groupHex(format.KeyIDOf(d.PublicKey()).String()))
				e.hintf("an enrol-self statement proves possession of the key being enrolled: only its holder signs it, with that key file")
				return exitUsage
			}
		} else if id.Principal == d.Principal || pub.Equal(d.PublicKey()) {
			return e.errorf(exitUsage, "you cannot witness your own enrolment: refusing to sign")
		}
	case *signreq.Revocation:
		if id.Principal == d.Principal && format.KeyIDOf(pub).String() != d.Key {
			e.errorf(exitUsage, "this key file holds another key of %s than the one to revoke: refusing to sign", display.Escape(d.Principal))
			e.hintf("the holder revokes a key with that key itself; otherwise two registrars sign")
			return exitUsage
		}
	}
	return 0
}

// readSignDoc reads a request strictly and checks it: a sign request
// (complete, its action hashing to its digest), an enrolment request or a
// revocation request. A file that is none of them is exit 3; a request
// that fails its checks is refused with exit 1.
func (e *env) readSignDoc(path string) (any, int) {
	name := display.Escape(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, e.errorf(exitInput, "cannot read %s: %s", name, display.Escape(unwrapPath(err).Error()))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxRequest+1))
	if err != nil {
		return nil, e.errorf(exitInput, "cannot read %s: %s", name, display.Escape(unwrapPath(err).Error()))
	}
	if len(b) > maxRequest {
		return nil, e.errorf(exitInput, "%s is larger than %d bytes: not a sign request", name, maxRequest)
	}
	// Requests are written compactly, but one that went through a pretty
	// printer on the way is still the same document: take out the white
	// space between tokens (never inside strings) and decode it strictly.
	var compact bytes.Buffer
	if json.Compact(&compact, b) == nil {
		b = compact.Bytes()
	}
	b = bytes.TrimSpace(b)
	// The format member only chooses which document to decode strictly.
	var peek struct {
		Format string `json:"format"`
	}
	_ = json.Unmarshal(b, &peek)
	var doc interface{ Check() error }
	switch peek.Format {
	case signreq.EnrolmentFormat:
		doc = &signreq.Enrolment{}
	case signreq.RevocationFormat:
		doc = &signreq.Revocation{}
	default:
		doc = &signreq.Request{}
	}
	if err := format.DecodeJSON(b, doc, format.Strict); err != nil {
		e.errorf(exitInput, "%s is not a sign request: %s", name, display.Escape(err.Error()))
		e.hintf("a sign request is the JSON document a producer writes when a run waits for your signature, or for an enrolment or revocation")
		return nil, exitInput
	}
	if err := doc.Check(); err != nil {
		msg := display.Escape(err.Error())
		if !strings.Contains(msg, "refusing to sign") {
			msg += ": refusing to sign"
		}
		return nil, e.errorf(exitFail, "%s: %s", name, msg)
	}
	if req, ok := doc.(*signreq.Request); ok {
		if !format.ValidID(req.Run) {
			return nil, e.errorf(exitFail, "refusing to sign %s: run %s is not an identifier", name, display.Quote(req.Run))
		}
		if req.Purpose == format.PurposeSignoff && !format.ValidID(req.Gate) {
			return nil, e.errorf(exitFail, "refusing to sign %s: gate %s is not an identifier", name, display.Quote(req.Gate))
		}
	}
	return doc, 0
}

// showDoc tells the signer what they are about to sign, on stderr.
func showDoc(w io.Writer, doc any) {
	fmt.Fprintf(w, "You are asked to sign:\n")
	switch d := doc.(type) {
	case *signreq.Request:
		showRequest(w, d)
	case *signreq.Enrolment:
		if d.Purpose == format.PurposeEnrolSelf {
			fmt.Fprintf(w, "purpose      enrol-self: you prove that you hold the key being enrolled\n")
		} else {
			fmt.Fprintf(w, "purpose      enrol-witness: you witness that this key is this person's\n")
		}
		fmt.Fprintf(w, "bundle       %s\n", display.Escape(d.Bundle))
		fmt.Fprintf(w, "enrolee      %s\n", display.Escape(d.Principal))
		fmt.Fprintf(w, "name         %s\n", display.Quote(d.Name))
		fmt.Fprintf(w, "kind         %s\n", display.Escape(d.Kind))
		fmt.Fprintf(w, "team         %s\n", display.Escape(d.Team))
		fmt.Fprintf(w, "registrar    %v\n", d.Registrar)
		fmt.Fprintf(w, "key ID       %s\n", groupHex(format.KeyIDOf(d.PublicKey()).String()))
		fmt.Fprintf(w, "public key   %s\n", display.Escape(d.Key))
		if d.Purpose == format.PurposeEnrolWitness {
			same := "none"
			if len(d.SamePerson) > 0 {
				same = display.Escape(strings.Join(d.SamePerson, ", "))
			}
			fmt.Fprintf(w, "same person  %s\n", same)
			fmt.Fprintf(w, "Check the enrolee's identity yourself, then compare the key ID, group by group, with the one\n")
			fmt.Fprintf(w, "the enrolee reads out to you from countersign keygen over another channel than this request.\n")
		}
	case *signreq.Revocation:
		fmt.Fprintf(w, "purpose      revoke: the key below signs nothing once the revocation is recorded\n")
		fmt.Fprintf(w, "bundle       %s\n", display.Escape(d.Bundle))
		fmt.Fprintf(w, "holder       %s %s\n", display.Escape(d.Principal), display.Quote(d.Name))
		fmt.Fprintf(w, "key ID       %s\n", groupHex(d.Key))
		fmt.Fprintf(w, "reason       %s\n", display.Quote(d.Reason))
	}
}

// groupHex writes hex digits in groups of four, as a person reads them out.
func groupHex(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i:min(i+4, len(h))])
	}
	return display.Escape(b.String())
}

// showRequest shows a sign request.
func showRequest(w io.Writer, req *signreq.Request) {
	fmt.Fprintf(w, "purpose      %s\n", display.Escape(req.Purpose))
	fmt.Fprintf(w, "bundle       %s\n", display.Escape(req.Bundle))
	fmt.Fprintf(w, "run          %s\n", display.Escape(req.Run))
	fmt.Fprintf(w, "proposal     %s\n", display.Escape(req.Proposal))
	if req.Purpose == format.PurposeSignoff {
		fmt.Fprintf(w, "gate         %s, stage %d\n", display.Escape(req.Gate), req.Stage)
		fmt.Fprintf(w, "meaning      %s (required by this stage)\n", display.Escape(req.Meaning))
	}
	fmt.Fprintf(w, "action       digest %s (checked: it matches the action below)\n", display.Escape(req.Digest))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, []byte(req.Action), "  ", "  "); err != nil {
		// Check parsed the action strictly, so this does not happen; show
		// it escaped on one line rather than not at all.
		fmt.Fprintf(w, "  %s\n", display.Escape(req.Action))
		return
	}
	fmt.Fprintf(w, "  %s\n", display.JSON(pretty.Bytes()))
}

// writeNewFile writes b to a new file with mode 0600, refusing to replace
// an existing one, and removes what it wrote if anything fails.
func writeNewFile(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
