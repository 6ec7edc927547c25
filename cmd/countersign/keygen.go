package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/internal/keyfile"
	"github.com/countersign/countersign/internal/names"
)

// Scrypt work factors accepted by keygen; keyfile enforces the same range.
// Below keyfile.DefaultWorkFactor only with --insecure-weak-key.
const (
	defaultWorkFactor = keyfile.DefaultWorkFactor
	minWorkFactor     = 10
	maxWorkFactor     = 22
)

func runKeygen(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("keygen")
	id := fs.String("id", "", "")
	name := fs.String("name", "", "")
	kind := fs.String("kind", "", "")
	team := fs.String("team", "", "")
	out := fs.String("out", "", "")
	work := fs.Int("work-factor", defaultWorkFactor, "")
	weak := fs.Bool("insecure-weak-key", false, "")
	pos, code, ok := e.parse("keygen", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return e.usageError("keygen", "keygen takes no arguments besides its flags; got %s", display.Quote(pos[0]))
	}
	var missing []string
	for _, f := range []struct{ flag, val string }{{"--id", *id}, {"--name", *name}, {"--kind", *kind}, {"--team", *team}, {"--out", *out}} {
		if f.val == "" {
			missing = append(missing, f.flag)
		}
	}
	if len(missing) > 0 {
		return e.usageError("keygen", "keygen needs %s", strings.Join(missing, ", "))
	}
	switch {
	case !format.ValidID(*id):
		return e.usageError("keygen", "--id %s is not an identifier: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64", display.Quote(*id))
	case !format.ValidID(*team):
		return e.usageError("keygen", "--team %s is not an identifier: lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64", display.Quote(*team))
	case *kind != format.KindHuman && *kind != format.KindAgent:
		return e.usageError("keygen", "--kind must be human or agent, not %s", display.Quote(*kind))
	case *work < minWorkFactor || *work > maxWorkFactor:
		return e.usageError("keygen", "--work-factor must be between %d and %d (use %d for real keys)", minWorkFactor, maxWorkFactor, defaultWorkFactor)
	case *work < defaultWorkFactor && !*weak:
		e.errorf(exitUsage, "--work-factor %d is below %d: a stolen key file would be cheap to guess at", *work, defaultWorkFactor)
		e.hintf("for tests and demonstrations only, add --insecure-weak-key")
		return exitUsage
	}
	if msg := checkPrintedName(*name); msg != "" {
		return e.usageError("keygen", "--name %s: %s", display.Quote(*name), msg)
	}
	outName := display.Escape(*out)
	if _, err := os.Lstat(*out); err == nil {
		return e.errorf(exitInput, "%s already exists: refusing to overwrite a key file", outName)
	}

	pass, code := e.readPassphrase("Passphrase for the new key "+outName+": ", true)
	if code != 0 {
		return code
	}
	defer clear(pass)
	if err := keyfile.CheckStrength(pass, defaultWorkFactor); err != nil && !*weak {
		e.errorf(exitUsage, "the passphrase is shorter than %d characters: it is one of the two components of your signature", keyfile.MinPassphraseLen)
		e.hintf("choose a longer passphrase (a few words); for tests and demonstrations only, add --insecure-weak-key")
		return exitUsage
	}

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return e.errorf(exitInput, "cannot generate a key: %v", err)
	}
	defer clear(priv)
	ident := keyfile.Identity{Principal: *id, Name: *name, Kind: *kind, Team: *team, Key: priv}
	if err := keyfile.Write(*out, ident, pass, *work); err != nil {
		if errors.Is(err, keyfile.ErrExists) {
			return e.errorf(exitInput, "%s already exists: refusing to overwrite a key file", outName)
		}
		return e.errorf(exitInput, "cannot write %s: %s", outName, display.Escape(err.Error()))
	}

	fmt.Fprintf(e.stdout, "wrote %s, encrypted under your passphrase (keep both; neither alone can sign)\n", outName)
	fmt.Fprintf(e.stdout, "principal   %s (%s, team %s) %s\n", *id, *kind, *team, display.Quote(*name))
	fmt.Fprintf(e.stdout, "public key  %s\n", format.HexKey(pub))
	fmt.Fprintf(e.stdout, "key ID      %s\n", groupHex(format.KeyIDOf(pub).String()))
	if *weak {
		fmt.Fprintf(e.stdout, "WARNING: made with --insecure-weak-key: for tests and demonstrations only, never for real signatures.\n")
	}
	fmt.Fprintf(e.stdout, "This key can sign nothing until it is enrolled: give the public key to your organisation's producer, which\n")
	fmt.Fprintf(e.stdout, "hands you an enrolment request to sign with this file and two registrars a request to witness; read the\n")
	fmt.Fprintf(e.stdout, "key ID above out to each registrar yourself, by another channel, so they can check it is yours.\n")
	return exitOK
}

// checkPrintedName returns why name cannot be a printed name, or "". A
// printed name is shown to every reviewer, so it may hold nothing that the
// display would have to escape.
func checkPrintedName(name string) string {
	switch {
	case names.Blank(name):
		return "the printed name is empty"
	case strings.TrimSpace(name) != name:
		return "the printed name has leading or trailing white space"
	case !utf8.ValidString(name):
		return "the printed name is not valid UTF-8"
	case len(name) > 1024:
		return "the printed name is longer than 1024 bytes"
	case display.Escape(name) != name:
		return "the printed name holds control, invisible or bidirectional characters, or a backslash"
	}
	return ""
}

// readPassphrase takes the passphrase from the environment variable named
// by keyfile.PassphraseEnv when it is set, otherwise from the terminal
// (twice when confirm is set).
func (e *env) readPassphrase(prompt string, confirm bool) ([]byte, int) {
	if p := e.getenv(keyfile.PassphraseEnv); p != "" {
		return []byte(p), 0
	}
	if e.passphrase == nil {
		return nil, e.errorf(exitUsage, "no passphrase: set %s or run from a terminal", keyfile.PassphraseEnv)
	}
	p, err := e.passphrase(prompt, confirm)
	if err != nil {
		e.errorf(exitUsage, "cannot read the passphrase: %s", display.Escape(err.Error()))
		e.hintf("run from a terminal, or set %s for scripts", keyfile.PassphraseEnv)
		return nil, exitUsage
	}
	if len(p) == 0 {
		return nil, e.errorf(exitUsage, "the passphrase is empty")
	}
	return p, 0
}
