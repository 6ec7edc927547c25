package main

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"
)

// terminalPassphrase asks for a passphrase on the terminal without echoing
// it, twice when confirm is set. It has the shape of keyfile.Passphrase and
// is what env.passphrase uses by default; scripts set the variable named by
// keyfile.PassphraseEnv instead, which readPassphrase checks first.
func terminalPassphrase(prompt string, confirm bool) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, errors.New("stdin is not a terminal")
	}
	read := func(prompt string) ([]byte, error) {
		fmt.Fprint(os.Stderr, prompt)
		p, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		return p, err
	}
	p, err := read(prompt)
	if err != nil {
		return nil, err
	}
	if !confirm {
		return p, nil
	}
	again, err := read("Repeat the passphrase: ")
	defer clear(again)
	if err != nil {
		clear(p)
		return nil, err
	}
	if subtle.ConstantTimeCompare(p, again) != 1 {
		clear(p)
		return nil, errors.New("the two passphrases differ")
	}
	return p, nil
}
