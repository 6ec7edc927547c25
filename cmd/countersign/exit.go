package main

// Exit codes, the same for every command (DESIGN.md, "Command line"). Scripts
// and checks depend on them; never reuse a code for another meaning.
const (
	// exitOK: the command did what was asked; for verify, the bundle
	// verified (authenticated, or integrity only under --unsafe-no-trust)
	// with no findings.
	exitOK = 0
	// exitFail: verification failed, there are findings, the bundle is
	// unauthenticated, or a check refused to go on (a sign request whose
	// action does not match its digest, a wrong passphrase).
	exitFail = 1
	// exitUsage: the command line is wrong: an unknown command or flag, a
	// missing or malformed argument, a malformed checkpoint file.
	exitUsage = 2
	// exitInput: the input is not a bundle at all, or reading or writing a
	// file failed.
	exitInput = 3
)

// exitCodes describes each code for the help text, in order.
var exitCodes = []struct {
	code int
	text string
}{
	{exitOK, "verified (authenticated, or integrity only with --unsafe-no-trust) and no findings; success"},
	{exitFail, "verification failed, findings, unauthenticated, or a refusal"},
	{exitUsage, "usage error"},
	{exitInput, "not a bundle at all, or an I/O error"},
}
