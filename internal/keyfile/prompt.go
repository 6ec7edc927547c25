package keyfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// confirmPrompt is shown when Passphrase asks for the passphrase a second time.
const confirmPrompt = "Repeat passphrase: "

// console bundles what Passphrase needs from the process, so tests can
// substitute a fake terminal.
type console struct {
	getenv       func(string) string
	fd           int
	isTerminal   func(fd int) bool
	readPassword func(fd int) ([]byte, error)
	out          io.Writer // where prompts go
}

func systemConsole() console {
	return console{
		getenv:       os.Getenv,
		fd:           int(os.Stdin.Fd()),
		isTerminal:   term.IsTerminal,
		readPassword: term.ReadPassword,
		out:          os.Stderr,
	}
}

// Passphrase obtains a passphrase: from the environment variable PassphraseEnv if set and non-empty;
// otherwise, if stdin (fd) is a terminal, by prompting on stderr without echo (golang.org/x/term ReadPassword);
// when confirm is true, asks twice and refuses a mismatch. Otherwise returns an error explaining that
// no terminal is available and naming PassphraseEnv. An empty passphrase is refused.
//
// A passphrase taken from the environment is used as is (no confirmation,
// no trimming). The caller owns the returned slice and should clear it when
// done.
func Passphrase(prompt string, confirm bool) ([]byte, error) {
	return systemConsole().passphrase(prompt, confirm)
}

func (c console) passphrase(prompt string, confirm bool) ([]byte, error) {
	if v := c.getenv(PassphraseEnv); v != "" {
		return []byte(v), nil
	}
	if !c.isTerminal(c.fd) {
		return nil, fmt.Errorf("keyfile: no terminal to ask for a passphrase on; set %s to supply it non-interactively", PassphraseEnv)
	}
	first, err := c.ask(prompt)
	if err != nil {
		return nil, err
	}
	if len(first) == 0 {
		return nil, errors.New("keyfile: empty passphrase refused")
	}
	if !confirm {
		return first, nil
	}
	second, err := c.ask(confirmPrompt)
	if err != nil {
		clear(first)
		return nil, err
	}
	same := bytes.Equal(first, second)
	clear(second)
	if !same {
		clear(first)
		return nil, errors.New("keyfile: passphrases do not match")
	}
	return first, nil
}

// ask shows prompt and reads one line without echo. Since the user's Enter
// is not echoed either, a newline is written afterwards to keep later output
// off the prompt line.
func (c console) ask(prompt string) ([]byte, error) {
	fmt.Fprint(c.out, prompt)
	p, err := c.readPassword(c.fd)
	fmt.Fprintln(c.out)
	if err != nil {
		clear(p)
		return nil, fmt.Errorf("keyfile: reading passphrase: %w", err)
	}
	return p, nil
}
