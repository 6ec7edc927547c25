// Package keyfile stores one principal's Ed25519 signing key in a file of its
// own, encrypted under a passphrase.
//
// Holding the file and knowing the passphrase are the two identification
// components (in the sense of 21 CFR 11.200) a human needs in order to sign:
// neither alone is enough to produce a signature.
//
// # File format
//
// A key file is an age file (https://age-encryption.org/v1) encrypted to a
// single scrypt (passphrase) recipient and written in age's ASCII armor, a
// PEM-like text form:
//
//	-----BEGIN AGE ENCRYPTED FILE-----
//	YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IHNjcnlwdCAuLi4K...
//	-----END AGE ENCRYPTED FILE-----
//
// The armor keeps the file printable so it can be pasted into an email or a
// ticket; CRLF line endings picked up on the way are accepted when reading.
// The age command line tool can decrypt it ("age -d key.age") should that ever
// be needed for recovery.
//
// The scrypt work factor (log2 N) is chosen by the writer, between 10 and 22;
// age's default and the value to use for real keys is 18. Lower values are
// only meant for tests and demonstrations. Reading refuses files whose work
// factor exceeds 22, which bounds the time and memory an untrusted file can
// demand.
//
// # Plaintext
//
// Inside the age envelope is a short UTF-8 text of exactly six lines, each
// terminated by a single "\n" (the last one included), in this order:
//
//	countersign-private-key-v1
//	principal <principal ID>
//	name <printed name>
//	kind <human|agent>
//	team <team ID>
//	seed <Ed25519 seed as 64 lowercase hex digits>
//
// Each keyword is followed by exactly one space and then the value, which
// runs to the end of the line. Principal and team IDs match
// [a-z0-9][a-z0-9._-]{0,63}. The printed name is non-empty, at most 1024
// bytes, may contain spaces and any Unicode letters, but no control
// characters, no line or paragraph separators, and no leading or trailing
// white space. The seed is the 32-byte RFC 8032 private key from which the
// 64-byte Go private key and the public key are derived.
//
// Reading is strict: a different first line, a missing, repeated or
// reordered field, an invalid value, an extra line or a missing final newline
// all make the file malformed ([ErrFormat]).
//
// # Secrets in memory
//
// Plaintext buffers and decoded seeds produced here are overwritten with
// zeros once they are no longer needed. Copies made inside age (and the
// string conversion of the passphrase that age's API requires) cannot be
// wiped; callers should clear the passphrase slices they own when done.
package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Identity is what a key file holds.
type Identity struct {
	Principal string             // principal ID, e.g. "risk.ana"
	Name      string             // printed name, e.g. "Ana Ribeiro"
	Kind      string             // "human" or "agent"
	Team      string             // team ID
	Key       ed25519.PrivateKey // 64-byte Go private key
}

// PassphraseEnv is the environment variable scripts use to supply the passphrase.
const PassphraseEnv = "COUNTERSIGN_PASSPHRASE"

var (
	// ErrPassphrase is returned (wrapped) when the passphrase does not open
	// the file, or the file is not encrypted to a passphrase at all.
	ErrPassphrase = errors.New("wrong passphrase or not a countersign key file")
	// ErrExists is returned (wrapped) by Write when the target path exists.
	ErrExists = errors.New("key file already exists")
	// ErrFormat is returned (wrapped) when the file or its decrypted
	// contents do not follow the format described in the package comment.
	ErrFormat = errors.New("malformed key file")
)

const (
	header = "countersign-private-key-v1"

	minWorkFactor = 10
	maxWorkFactor = 22

	maxNameLen = 1024
	// maxPlaintext comfortably exceeds the largest plaintext Encode can
	// produce (about 1.3 KB with the longest name and IDs).
	maxPlaintext = 4096
	// maxFileSize bounds what Read loads; an armored file with the largest
	// plaintext is well under 4 KB.
	maxFileSize = 64 << 10
)

// fieldNames lists the keywords of lines 2 to 6 of the plaintext, in order.
var fieldNames = [...]string{"principal", "name", "kind", "team", "seed"}

// Encode returns the file bytes: the identity encrypted to an age scrypt recipient with the passphrase.
// workFactor is the scrypt log2 N (age's default is 18); tests and demos may pass a lower value (min 10).
func Encode(id Identity, passphrase []byte, workFactor int) ([]byte, error) {
	if err := checkInputs(id, passphrase, workFactor); err != nil {
		return nil, err
	}
	recipient, err := age.NewScryptRecipient(string(passphrase))
	if err != nil {
		return nil, fmt.Errorf("keyfile: %w", err)
	}
	recipient.SetWorkFactor(workFactor)

	plain := marshal(id)
	defer clear(plain)

	var out bytes.Buffer
	armored := armor.NewWriter(&out)
	enc, err := age.Encrypt(armored, recipient)
	if err != nil {
		return nil, fmt.Errorf("keyfile: encrypting: %w", err)
	}
	if _, err := enc.Write(plain); err != nil {
		return nil, fmt.Errorf("keyfile: encrypting: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("keyfile: encrypting: %w", err)
	}
	if err := armored.Close(); err != nil {
		return nil, fmt.Errorf("keyfile: encrypting: %w", err)
	}
	return out.Bytes(), nil
}

// Decode decrypts and parses file bytes. Wrong passphrase -> error wrapping ErrPassphrase.
// A file that is damaged, not armored, or whose contents break the format
// yields an error wrapping ErrFormat.
func Decode(data []byte, passphrase []byte) (Identity, error) {
	if len(passphrase) == 0 {
		return Identity{}, fmt.Errorf("keyfile: empty passphrase: %w", ErrPassphrase)
	}
	ident, err := age.NewScryptIdentity(string(passphrase))
	if err != nil {
		return Identity{}, fmt.Errorf("keyfile: %w", err)
	}
	ident.SetMaxWorkFactor(maxWorkFactor)

	r, err := age.Decrypt(armor.NewReader(bytes.NewReader(data)), ident)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return Identity{}, fmt.Errorf("keyfile: %w", ErrPassphrase)
		}
		return Identity{}, fmt.Errorf("keyfile: %w: %w", ErrFormat, err)
	}

	// Read into one fixed buffer so that no stray, unwiped copies of the
	// plaintext are left behind by a growing slice.
	buf := make([]byte, maxPlaintext+1)
	defer clear(buf)
	n, err := io.ReadFull(r, buf)
	switch {
	case err == nil:
		return Identity{}, fmt.Errorf("keyfile: %w: contents exceed %d bytes", ErrFormat, maxPlaintext)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// Whole plaintext read and authenticated.
	default:
		return Identity{}, fmt.Errorf("keyfile: %w: %w", ErrFormat, err)
	}
	return parse(buf[:n])
}

// Write creates path with mode 0600, refusing to overwrite an existing file (O_EXCL) -> error wrapping ErrExists.
// If anything fails after the file was created, the partial file is removed.
func Write(path string, id Identity, passphrase []byte, workFactor int) error {
	// Check the cheap things and the target before spending time in scrypt.
	if err := checkInputs(id, passphrase, workFactor); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("keyfile: %s: %w", path, ErrExists)
		}
		return fmt.Errorf("keyfile: %w", err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("keyfile: %w", err)
	}
	// The umask can only take permissions away; set the mode explicitly so
	// the owner is certain to be able to read the file back.
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	data, err := Encode(id, passphrase, workFactor)
	if err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("keyfile: %w", err)
	}
	return nil
}

// Read reads and decodes path.
func Read(path string, passphrase []byte) (Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return Identity{}, fmt.Errorf("keyfile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return Identity{}, fmt.Errorf("keyfile: %w", err)
	}
	if len(data) > maxFileSize {
		return Identity{}, fmt.Errorf("keyfile: %s: %w: larger than %d bytes", path, ErrFormat, maxFileSize)
	}
	id, err := Decode(data, passphrase)
	if err != nil {
		return Identity{}, fmt.Errorf("%w (reading %s)", err, path)
	}
	return id, nil
}

// checkInputs validates what Encode and Write are given, so that everything
// written can be read back by Decode.
func checkInputs(id Identity, passphrase []byte, workFactor int) error {
	if len(passphrase) == 0 {
		return errors.New("keyfile: empty passphrase refused")
	}
	if workFactor < minWorkFactor || workFactor > maxWorkFactor {
		return fmt.Errorf("keyfile: scrypt work factor %d outside %d..%d", workFactor, minWorkFactor, maxWorkFactor)
	}
	if err := checkIdentity(id); err != nil {
		return fmt.Errorf("keyfile: invalid identity: %w", err)
	}
	return nil
}

func checkIdentity(id Identity) error {
	if !validID(id.Principal) {
		return fmt.Errorf("principal ID %q does not match [a-z0-9][a-z0-9._-]{0,63}", id.Principal)
	}
	if err := checkName(id.Name); err != nil {
		return err
	}
	if !validKind(id.Kind) {
		return fmt.Errorf("kind %q is neither human nor agent", id.Kind)
	}
	if !validID(id.Team) {
		return fmt.Errorf("team ID %q does not match [a-z0-9][a-z0-9._-]{0,63}", id.Team)
	}
	if len(id.Key) != ed25519.PrivateKeySize {
		return fmt.Errorf("private key is %d bytes, want %d", len(id.Key), ed25519.PrivateKeySize)
	}
	// A Go private key is seed || public key; make sure the two halves agree,
	// since only the seed is stored.
	seed := id.Key.Seed()
	derived := ed25519.NewKeyFromSeed(seed)
	ok := subtle.ConstantTimeCompare(derived, id.Key) == 1
	clear(seed)
	clear(derived)
	if !ok {
		return errors.New("private key's public half does not match its seed")
	}
	return nil
}

// marshal renders the plaintext. The result holds the seed in hex; the
// caller wipes it.
func marshal(id Identity) []byte {
	seed := id.Key.Seed()
	defer clear(seed)
	values := [...]string{id.Principal, id.Name, id.Kind, id.Team}

	size := len(header) + 1 + len(fieldNames[4]) + 1 + hex.EncodedLen(len(seed)) + 1
	for i, v := range values {
		size += len(fieldNames[i]) + 1 + len(v) + 1
	}
	// Allocate once so no partial copies are left in discarded buffers.
	b := make([]byte, 0, size)
	b = append(b, header...)
	b = append(b, '\n')
	for i, v := range values {
		b = append(b, fieldNames[i]...)
		b = append(b, ' ')
		b = append(b, v...)
		b = append(b, '\n')
	}
	b = append(b, fieldNames[4]...)
	b = append(b, ' ')
	b = hex.AppendEncode(b, seed)
	b = append(b, '\n')
	return b
}

// parse checks the plaintext strictly and builds the Identity. It does not
// keep references to plain.
func parse(plain []byte) (Identity, error) {
	bad := func(format string, args ...any) (Identity, error) {
		return Identity{}, fmt.Errorf("keyfile: %w: %s", ErrFormat, fmt.Sprintf(format, args...))
	}
	if len(plain) == 0 || plain[len(plain)-1] != '\n' {
		return bad("contents do not end with a newline")
	}
	lines := bytes.Split(plain[:len(plain)-1], []byte{'\n'})
	if string(lines[0]) != header {
		return bad("first line is not %q", header)
	}
	if len(lines) != 1+len(fieldNames) {
		return bad("%d lines, want %d", len(lines), 1+len(fieldNames))
	}

	var values [len(fieldNames)][]byte
	for i, name := range fieldNames {
		line := lines[i+1]
		prefix := name + " "
		if !bytes.HasPrefix(line, []byte(prefix)) {
			return bad("line %d: want field %q", i+2, name)
		}
		values[i] = line[len(prefix):]
	}

	var id Identity
	id.Principal = string(values[0])
	if !validID(id.Principal) {
		return bad("line 2: invalid principal ID")
	}
	id.Name = string(values[1])
	if err := checkName(id.Name); err != nil {
		return bad("line 3: %v", err)
	}
	id.Kind = string(values[2])
	if !validKind(id.Kind) {
		return bad("line 4: kind must be human or agent")
	}
	id.Team = string(values[3])
	if !validID(id.Team) {
		return bad("line 5: invalid team ID")
	}

	seedHex := values[4]
	if len(seedHex) != hex.EncodedLen(ed25519.SeedSize) || !lowerHex(seedHex) {
		return bad("line 6: seed must be %d lowercase hex digits", hex.EncodedLen(ed25519.SeedSize))
	}
	seed := make([]byte, ed25519.SeedSize)
	defer clear(seed)
	if _, err := hex.Decode(seed, seedHex); err != nil {
		return bad("line 6: seed is not hex")
	}
	id.Key = ed25519.NewKeyFromSeed(seed)
	return id, nil
}

// validID reports whether s matches [a-z0-9][a-z0-9._-]{0,63}.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func validKind(s string) bool {
	return s == "human" || s == "agent"
}

// checkName enforces the printed-name rules given in the package comment.
func checkName(s string) error {
	if s == "" {
		return errors.New("printed name is empty")
	}
	if len(s) > maxNameLen {
		return fmt.Errorf("printed name longer than %d bytes", maxNameLen)
	}
	if !utf8.ValidString(s) {
		return errors.New("printed name is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("printed name contains control character %U", r)
		}
	}
	if strings.TrimSpace(s) != s {
		return errors.New("printed name has leading or trailing white space")
	}
	return nil
}

func lowerHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ErrNotKeyFile is returned (wrapped) by Check for a file that is not a
// key file at all: not an armored age file encrypted to one passphrase.
var ErrNotKeyFile = errors.New("not a countersign key file")

// errLooksRight ends a header probe that found one scrypt recipient.
var errLooksRight = errors.New("keyfile: header looks like a key file")

// headerProbe is an age identity that decrypts nothing: it only looks at
// the recipients of the header age has parsed.
type headerProbe struct{}

func (headerProbe) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) != 1 || stanzas[0].Type != "scrypt" || len(stanzas[0].Args) != 2 {
		return nil, ErrNotKeyFile
	}
	wf := stanzas[0].Args[1]
	n, err := strconv.Atoi(wf)
	if err != nil || strconv.Itoa(n) != wf || n < minWorkFactor || n > maxWorkFactor {
		return nil, ErrNotKeyFile
	}
	return nil, errLooksRight
}

// Check tells, without the passphrase, whether path holds a key file: an
// armored age file whose one recipient is a passphrase, with a work factor
// Read accepts. It reads no secret and decrypts nothing, so a caller can
// refuse a wrong file before asking for the passphrase. A file that is not
// a key file yields an error wrapping ErrNotKeyFile that says nothing of
// the file's contents.
func Check(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return fmt.Errorf("keyfile: %w", err)
	}
	if len(data) > maxFileSize {
		return fmt.Errorf("keyfile: %w: larger than %d bytes", ErrNotKeyFile, maxFileSize)
	}
	_, err = age.Decrypt(armor.NewReader(bytes.NewReader(data)), headerProbe{})
	if errors.Is(err, errLooksRight) {
		return nil
	}
	return fmt.Errorf("keyfile: %w", ErrNotKeyFile)
}

// The strength a key file for real use must have: the passphrase is one of
// the two identification components of a signature, and the work factor
// is what a stolen file costs to guess at. DefaultWorkFactor is age's.
const (
	DefaultWorkFactor = 18
	MinPassphraseLen  = 12 // characters
)

// ErrWeak is returned (wrapped) by CheckStrength.
var ErrWeak = errors.New("too weak for a real key")

// CheckStrength refuses a passphrase of fewer than MinPassphraseLen
// characters and a work factor below DefaultWorkFactor. Write does not
// apply it, so tests and demonstrations can make light files; a tool that
// makes keys for people does, unless told in so many words not to.
func CheckStrength(passphrase []byte, workFactor int) error {
	if n := utf8.RuneCount(passphrase); n < MinPassphraseLen {
		return fmt.Errorf("keyfile: a passphrase of %d characters is %w: use at least %d", n, ErrWeak, MinPassphraseLen)
	}
	if workFactor < DefaultWorkFactor {
		return fmt.Errorf("keyfile: work factor %d is %w: use at least %d", workFactor, ErrWeak, DefaultWorkFactor)
	}
	return nil
}
