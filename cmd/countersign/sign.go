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
	case flagSet(flags, "reason") && strings.TrimSpace(*reason) == "":
		return e.usageError("sign", "--reason is empty: a reason is required, and it is recorded verbatim with your signature")
	case !flagSet(flags, "reason") && !e.interactive():
		return e.usageError("sign", "--reason is required when stdin is not a terminal: it is recorded verbatim with your signature")
	}
	outName := display.Escape(*outPath)
	if *outPath != "" && *outPath != "-" {
		if _, err := os.Lstat(*outPath); err == nil {
			return e.errorf(exitInput, "%s already exists: refusing to overwrite it", outName)
		}
	}

	req, code := e.readRequest(*reqPath)
	if code != 0 {
		return code
	}
	if *meaning != "" && req.Meaning != "" && *meaning != req.Meaning {
		e.errorf(exitUsage, "--meaning %s differs from the meaning this stage requires, %s: refusing to sign", *meaning, req.Meaning)
		e.hintf("a sign-off with another meaning would not count for this stage; leave out --meaning to sign with %s", req.Meaning)
		return exitUsage
	}
	showRequest(e.stderr, req)

	pass, code := e.readPassphrase("Passphrase for "+display.Escape(*keyPath)+": ", false)
	if code != 0 {
		return code
	}
	id, err := keyfile.Read(*keyPath, pass)
	clear(pass)
	if err != nil {
		switch {
		case errors.Is(err, keyfile.ErrPassphrase):
			return e.errorf(exitFail, "cannot open %s: wrong passphrase, or not a countersign key file", display.Escape(*keyPath))
		case errors.Is(err, fs.ErrNotExist):
			return e.errorf(exitInput, "cannot read %s: no such file", display.Escape(*keyPath))
		}
		return e.errorf(exitInput, "cannot read %s: %s", display.Escape(*keyPath), display.Escape(err.Error()))
	}
	defer clear(id.Key)
	fmt.Fprintf(e.stderr, "signing as   %s (%s, %s, team %s), key %s\n", display.Quote(id.Name), display.Escape(id.Principal),
		display.Escape(id.Kind), display.Escape(id.Team), format.KeyIDOf(id.Key.Public().(ed25519.PublicKey)))

	var stdin *bufio.Reader
	text := *reason
	if !flagSet(flags, "reason") {
		stdin = bufio.NewReader(e.stdin)
		fmt.Fprint(e.stderr, "Reason (recorded verbatim with your signature): ")
		line, err := stdin.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return e.errorf(exitInput, "cannot read the reason: %v", err)
		}
		text = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(text) == "" {
			return e.usageError("sign", "the reason is empty: a reason is required, and it is recorded verbatim with your signature")
		}
	}
	fmt.Fprintf(e.stderr, "reason       %s\n", display.Quote(text))

	when := *at
	if when == "" {
		when = format.FormatTime(e.now())
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

	st, err := req.Statement(id.Principal, id.Name, when, *meaning, text)
	if err != nil {
		return e.usageError("sign", "%s", display.Escape(err.Error()))
	}
	signed, err := format.SignStatement(st, id.Key)
	if err != nil {
		return e.errorf(exitFail, "cannot sign: %s", display.Escape(err.Error()))
	}
	doc, err := signreq.EncodeSigned(signed)
	if err != nil {
		return e.errorf(exitFail, "cannot encode the signed statement: %s", display.Escape(err.Error()))
	}
	doc = append(doc, '\n')

	if *outPath == "" || *outPath == "-" {
		// On a terminal the document must not act on the screen; as JSON it
		// decodes to the same statement bytes either way.
		if _, err := e.stdout.Write(display.JSON(doc)); err != nil {
			return e.errorf(exitInput, "cannot write the signed statement: %v", err)
		}
		fmt.Fprintf(e.stderr, "signed: the statement is on stdout; return it to the producer\n")
		return exitOK
	}
	if err := writeNewFile(*outPath, doc); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return e.errorf(exitInput, "%s already exists: refusing to overwrite it", outName)
		}
		return e.errorf(exitInput, "cannot write %s: %s", outName, display.Escape(unwrapPath(err).Error()))
	}
	fmt.Fprintf(e.stderr, "signed: wrote %s; return it to the producer\n", outName)
	return exitOK
}

// readRequest reads a sign request strictly and checks it: complete, and
// its action hashing to its digest. A file that is not a sign request is
// exit 3; a request that fails its checks is refused with exit 1.
func (e *env) readRequest(path string) (*signreq.Request, int) {
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
	req := &signreq.Request{}
	if err := format.DecodeJSON(bytes.TrimSpace(b), req, format.Strict); err != nil {
		e.errorf(exitInput, "%s is not a sign request: %s", name, display.Escape(err.Error()))
		e.hintf("a sign request is the JSON document a producer writes when a run waits for your signature")
		return nil, exitInput
	}
	if err := req.Check(); err != nil {
		msg := display.Escape(err.Error())
		if !strings.Contains(msg, "refusing to sign") {
			msg += ": refusing to sign"
		}
		return nil, e.errorf(exitFail, "%s: %s", name, msg)
	}
	if !format.ValidID(req.Run) {
		return nil, e.errorf(exitFail, "refusing to sign %s: run %s is not an identifier", name, display.Quote(req.Run))
	}
	if req.Purpose == format.PurposeSignoff && !format.ValidID(req.Gate) {
		return nil, e.errorf(exitFail, "refusing to sign %s: gate %s is not an identifier", name, display.Quote(req.Gate))
	}
	return req, 0
}

// showRequest tells the signer what they are about to sign, on stderr.
func showRequest(w io.Writer, req *signreq.Request) {
	fmt.Fprintf(w, "You are asked to sign:\n")
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
