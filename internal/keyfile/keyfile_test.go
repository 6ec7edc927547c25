package keyfile

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// testWorkFactor keeps scrypt cheap in tests.
const testWorkFactor = 10

var testPass = []byte("correct horse battery staple")

// testKey derives a deterministic key from a one-byte pattern.
func testKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func testIdentity() Identity {
	return Identity{
		Principal: "risk.ana",
		Name:      "Ana Ribeiro",
		Kind:      "human",
		Team:      "risk",
		Key:       testKey(7),
	}
}

// sealPlaintext encrypts arbitrary plaintext the way Encode would, without
// any of Encode's checks, so that Decode's parser can be exercised directly.
func sealPlaintext(t *testing.T, plain string, pass []byte) []byte {
	t.Helper()
	r, err := age.NewScryptRecipient(string(pass))
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(testWorkFactor)
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		id      Identity
		pass    []byte
		wantErr bool
	}{
		{name: "human", id: testIdentity(), pass: testPass},
		{name: "agent", id: Identity{Principal: "bot-7", Name: "Reconciler Bot", Kind: "agent", Team: "ops_eu", Key: testKey(1)}, pass: []byte("x")},
		{name: "unicode name", id: Identity{Principal: "ops.jose", Name: "José Ñúñez 李小龍 O'Brien-Smith", Kind: "human", Team: "ops", Key: testKey(2)}, pass: []byte("pässwörd ✓")},
		{name: "longest ids and name", id: Identity{Principal: "a" + strings.Repeat("b", 63), Name: strings.Repeat("N", maxNameLen), Kind: "human", Team: "0" + strings.Repeat("-", 63), Key: testKey(3)}, pass: testPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := Encode(tt.id, tt.pass, testWorkFactor)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Encode error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			s := string(data)
			if !strings.HasPrefix(s, armor.Header+"\n") || !strings.HasSuffix(s, armor.Footer+"\n") {
				t.Errorf("output is not age armor:\n%s", s)
			}
			if bytes.Contains(data, []byte(tt.id.Name)) || bytes.Contains(data, []byte(hex.EncodeToString(tt.id.Key.Seed()))) {
				t.Error("output contains plaintext")
			}
			got, err := Decode(data, tt.pass)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got.Principal != tt.id.Principal || got.Name != tt.id.Name || got.Kind != tt.id.Kind || got.Team != tt.id.Team {
				t.Errorf("Decode = %+v, want %+v", got, tt.id)
			}
			if !got.Key.Equal(tt.id.Key) {
				t.Error("decoded key differs")
			}
			// A fresh encryption must differ (random salt and file key).
			again, err := Encode(tt.id, tt.pass, testWorkFactor)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(again, data) {
				t.Error("two encryptions produced identical bytes")
			}
		})
	}
}

func TestEncodeRefuses(t *testing.T) {
	t.Parallel()
	mismatched := append(ed25519.PrivateKey{}, testKey(1)...)
	copy(mismatched[32:], testKey(2).Public().(ed25519.PublicKey))
	with := func(f func(*Identity)) Identity {
		id := testIdentity()
		f(&id)
		return id
	}
	tests := []struct {
		name    string
		id      Identity
		pass    []byte
		wf      int
		wantErr bool
	}{
		{name: "valid", id: testIdentity(), pass: testPass, wf: testWorkFactor},
		{name: "higher work factor", id: testIdentity(), pass: testPass, wf: 12},
		{name: "empty passphrase", id: testIdentity(), pass: nil, wf: testWorkFactor, wantErr: true},
		{name: "work factor too low", id: testIdentity(), pass: testPass, wf: 9, wantErr: true},
		{name: "work factor too high", id: testIdentity(), pass: testPass, wf: 23, wantErr: true},
		{name: "uppercase principal", id: with(func(i *Identity) { i.Principal = "Risk.Ana" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "principal starts with dot", id: with(func(i *Identity) { i.Principal = ".ana" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "principal too long", id: with(func(i *Identity) { i.Principal = strings.Repeat("a", 65) }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "empty principal", id: with(func(i *Identity) { i.Principal = "" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "empty name", id: with(func(i *Identity) { i.Name = "" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "name with newline", id: with(func(i *Identity) { i.Name = "Ana\nseed 00" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "name with tab", id: with(func(i *Identity) { i.Name = "Ana\tRibeiro" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "name with line separator", id: with(func(i *Identity) { i.Name = "Ana\u2028Ribeiro" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "name with trailing space", id: with(func(i *Identity) { i.Name = "Ana " }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "name invalid utf8", id: with(func(i *Identity) { i.Name = "Ana \xff" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "name too long", id: with(func(i *Identity) { i.Name = strings.Repeat("N", maxNameLen+1) }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "bad kind", id: with(func(i *Identity) { i.Kind = "robot" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "empty team", id: with(func(i *Identity) { i.Team = "" }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "short key", id: with(func(i *Identity) { i.Key = i.Key[:32] }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "nil key", id: with(func(i *Identity) { i.Key = nil }), pass: testPass, wf: testWorkFactor, wantErr: true},
		{name: "public half mismatch", id: with(func(i *Identity) { i.Key = mismatched }), pass: testPass, wf: testWorkFactor, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Encode(tt.id, tt.pass, tt.wf)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Encode error = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func TestDecodePassphrase(t *testing.T) {
	t.Parallel()
	data, err := Encode(testIdentity(), testPass, testWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	// A well-formed age file that is not passphrase-encrypted.
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, x.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "countersign-private-key-v1\n")
	w.Close()
	aw.Close()

	tests := []struct {
		name    string
		data    []byte
		pass    []byte
		wantErr error
	}{
		{name: "right passphrase", data: data, pass: testPass},
		{name: "wrong passphrase", data: data, pass: []byte("correct horse battery stapler"), wantErr: ErrPassphrase},
		{name: "empty passphrase", data: data, pass: nil, wantErr: ErrPassphrase},
		{name: "x25519 file", data: buf.Bytes(), pass: testPass, wantErr: ErrPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.data, tt.pass)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "ana.key")
	id := testIdentity()

	if err := Write(path, id, testPass, testWorkFactor); err != nil {
		t.Fatalf("first Write: %v", err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	{
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("mode = %v, want 0600", perm)
		}
	}
	got, err := Read(path, testPass)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got.Principal != id.Principal || !got.Key.Equal(id.Key) {
		t.Errorf("Read = %+v", got)
	}

	other := testIdentity()
	other.Key = testKey(9)
	tests := []struct {
		name    string
		path    string
		id      Identity
		wantErr bool
		wantIs  error
	}{
		{name: "existing file", path: path, id: other, wantErr: true, wantIs: ErrExists},
		{name: "missing directory", path: filepath.Join(dir, "nope", "x.key"), id: other, wantErr: true},
		{name: "invalid identity creates nothing", path: filepath.Join(dir, "bad.key"), id: Identity{}, wantErr: true},
		{name: "new file", path: filepath.Join(dir, "other.key"), id: other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Write(tt.path, tt.id, testPass, testWorkFactor)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Write error = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Write error = %v, want %v", err, tt.wantIs)
			}
			if errors.Is(err, ErrExists) != errors.Is(tt.wantIs, ErrExists) {
				t.Errorf("unexpected ErrExists: %v", err)
			}
			if tt.wantErr && tt.wantIs == nil {
				if _, serr := os.Lstat(tt.path); serr == nil {
					t.Errorf("failed Write left %s behind", tt.path)
				}
			}
		})
	}

	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("refused Write changed the existing file")
	}
	if got, err := Read(path, testPass); err != nil || !got.Key.Equal(id.Key) {
		t.Errorf("existing key no longer reads back: %v", err)
	}
	if _, err := Read(filepath.Join(dir, "missing.key"), testPass); err == nil {
		t.Error("Read of a missing file succeeded")
	}
	if _, err := Read(path, []byte("wrong")); !errors.Is(err, ErrPassphrase) {
		t.Errorf("Read with wrong passphrase: %v, want ErrPassphrase", err)
	}
}

func TestWriteRefusesSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	link := filepath.Join(dir, "link.key")
	if err := os.Symlink(filepath.Join(dir, "target.key"), link); err != nil {
		t.Fatal(err)
	}
	err := Write(link, testIdentity(), testPass, testWorkFactor)
	if !errors.Is(err, ErrExists) {
		t.Fatalf("Write through dangling symlink: %v, want ErrExists", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "target.key")); err == nil {
		t.Error("Write followed the symlink")
	}
}

func TestDecodeDamaged(t *testing.T) {
	t.Parallel()
	good, err := Encode(testIdentity(), testPass, testWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(good), "\n"), "\n")
	// lines[len-1] is the footer; lines[len-2] is the last line of payload.
	garbled := append([]string{}, lines...)
	last := []byte(garbled[len(garbled)-2])
	if last[2] == 'A' {
		last[2] = 'B'
	} else {
		last[2] = 'A'
	}
	garbled[len(garbled)-2] = string(last)
	withoutPayloadLine := append(append([]string{}, lines[:len(lines)-2]...), lines[len(lines)-1])

	// The same file without armor.
	var raw bytes.Buffer
	if _, err := io.Copy(&raw, armor.NewReader(bytes.NewReader(good))); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		data    []byte
		wantErr bool
		wantIs  error
	}{
		{name: "intact", data: good},
		{name: "crlf line endings", data: []byte(strings.ReplaceAll(string(good), "\n", "\r\n"))},
		{name: "empty", data: nil, wantErr: true, wantIs: ErrFormat},
		{name: "plain text", data: []byte("hello\n"), wantErr: true, wantIs: ErrFormat},
		{name: "truncated to half", data: good[:len(good)/2], wantErr: true, wantIs: ErrFormat},
		{name: "truncated by one byte", data: good[:len(good)-1]},
		{name: "footer missing", data: []byte(strings.Join(lines[:len(lines)-1], "\n") + "\n"), wantErr: true, wantIs: ErrFormat},
		{name: "payload line missing", data: []byte(strings.Join(withoutPayloadLine, "\n") + "\n"), wantErr: true, wantIs: ErrFormat},
		{name: "payload garbled", data: []byte(strings.Join(garbled, "\n") + "\n"), wantErr: true, wantIs: ErrFormat},
		{name: "trailing data", data: append(append([]byte{}, good...), "more\n"...), wantErr: true, wantIs: ErrFormat},
		{name: "binary age format", data: raw.Bytes(), wantErr: true, wantIs: ErrFormat},
		{name: "wrong armor label", data: []byte(strings.Replace(string(good), "AGE ENCRYPTED FILE", "PGP MESSAGE", 1)), wantErr: true, wantIs: ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode(tt.data, testPass)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode error = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Decode error = %v, want %v", err, tt.wantIs)
			}
		})
	}
}

func TestDecodeStrictPlaintext(t *testing.T) {
	t.Parallel()
	seed := strings.Repeat("0a", 32)
	const (
		hdr       = "countersign-private-key-v1\n"
		principal = "principal risk.ana\n"
		name      = "name Ana Ribeiro\n"
		kind      = "kind human\n"
		team      = "team risk\n"
	)
	seedLine := "seed " + seed + "\n"
	valid := hdr + principal + name + kind + team + seedLine

	tests := []struct {
		name    string
		plain   string
		wantErr bool
	}{
		{name: "valid", plain: valid},
		{name: "valid agent", plain: hdr + principal + name + "kind agent\n" + team + seedLine},
		{name: "reordered fields", plain: hdr + name + principal + kind + team + seedLine, wantErr: true},
		{name: "kind and team swapped", plain: hdr + principal + name + team + kind + seedLine, wantErr: true},
		{name: "duplicate field", plain: hdr + principal + principal + name + kind + team + seedLine, wantErr: true},
		{name: "duplicate field replacing another", plain: hdr + principal + name + name + team + seedLine, wantErr: true},
		{name: "missing field", plain: hdr + principal + name + kind + seedLine, wantErr: true},
		{name: "uppercase hex", plain: hdr + principal + name + kind + team + "seed " + strings.ToUpper(seed) + "\n", wantErr: true},
		{name: "non-hex seed", plain: hdr + principal + name + kind + team + "seed " + strings.Repeat("zz", 32) + "\n", wantErr: true},
		{name: "short seed", plain: hdr + principal + name + kind + team + "seed " + seed[:62] + "\n", wantErr: true},
		{name: "long seed", plain: hdr + principal + name + kind + team + "seed " + seed + "00\n", wantErr: true},
		{name: "odd length seed", plain: hdr + principal + name + kind + team + "seed " + seed + "0\n", wantErr: true},
		{name: "bad kind", plain: hdr + principal + name + "kind robot\n" + team + seedLine, wantErr: true},
		{name: "capitalised kind", plain: hdr + principal + name + "kind Human\n" + team + seedLine, wantErr: true},
		{name: "extra line", plain: valid + "comment hello\n", wantErr: true},
		{name: "trailing blank line", plain: valid + "\n", wantErr: true},
		{name: "missing header", plain: principal + name + kind + team + seedLine, wantErr: true},
		{name: "other header version", plain: "countersign-private-key-v2\n" + principal + name + kind + team + seedLine, wantErr: true},
		{name: "no final newline", plain: strings.TrimSuffix(valid, "\n"), wantErr: true},
		{name: "crlf", plain: strings.ReplaceAll(valid, "\n", "\r\n"), wantErr: true},
		{name: "two spaces after keyword", plain: hdr + "principal  risk.ana\n" + name + kind + team + seedLine, wantErr: true},
		{name: "tab separator", plain: hdr + "principal\trisk.ana\n" + name + kind + team + seedLine, wantErr: true},
		{name: "bad principal", plain: hdr + "principal Risk.Ana\n" + name + kind + team + seedLine, wantErr: true},
		{name: "empty team", plain: hdr + principal + name + kind + "team \n" + seedLine, wantErr: true},
		{name: "empty name", plain: hdr + principal + "name \n" + kind + team + seedLine, wantErr: true},
		{name: "name with control char", plain: hdr + principal + "name Ana\x07Ribeiro\n" + kind + team + seedLine, wantErr: true},
		{name: "name with trailing space", plain: hdr + principal + "name Ana \n" + kind + team + seedLine, wantErr: true},
		{name: "empty plaintext", plain: "", wantErr: true},
		{name: "oversized plaintext", plain: valid + strings.Repeat("x", maxPlaintext), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Decode(sealPlaintext(t, tt.plain, testPass), testPass)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Decode error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrFormat) {
					t.Errorf("Decode error = %v, want ErrFormat", err)
				}
				if strings.Contains(err.Error(), seed) {
					t.Error("error message reveals the seed")
				}
				return
			}
			raw, _ := hex.DecodeString(seed)
			if !got.Key.Equal(ed25519.NewKeyFromSeed(raw)) {
				t.Error("key does not come from the stored seed")
			}
		})
	}
}

func TestPassphraseEnv(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		confirm bool
		want    string
		wantErr bool
	}{
		{name: "set", value: "s3cret pass", want: "s3cret pass"},
		{name: "set with confirm", value: "s3cret pass", confirm: true, want: "s3cret pass"},
		{name: "empty is refused", value: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := noTerminal(map[string]string{PassphraseEnv: tt.value})
			got, err := c.passphrase("Passphrase: ", tt.confirm)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Passphrase error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "COUNTERSIGN_PASSPHRASE") {
					t.Errorf("error %q does not name COUNTERSIGN_PASSPHRASE", err)
				}
				return
			}
			if string(got) != tt.want {
				t.Errorf("Passphrase = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPassphraseNoTerminal(t *testing.T) {
	_, err := noTerminal(nil).passphrase("Passphrase: ", false)
	if err == nil {
		t.Fatal("Passphrase succeeded without a terminal or environment variable")
	}
	if !strings.Contains(err.Error(), "COUNTERSIGN_PASSPHRASE") {
		t.Errorf("error %q does not name COUNTERSIGN_PASSPHRASE", err)
	}
}

func TestPassphrasePrompt(t *testing.T) {
	t.Parallel()
	readErr := errors.New("read failed")
	tests := []struct {
		name       string
		env        string
		terminal   bool
		answers    []string // successive ReadPassword results; "!" means error
		confirm    bool
		want       string
		wantErr    bool
		wantPrompt string
	}{
		{name: "single", terminal: true, answers: []string{"hunter2"}, want: "hunter2", wantPrompt: "Key passphrase: \n"},
		{name: "confirmed", terminal: true, confirm: true, answers: []string{"hunter2", "hunter2"}, want: "hunter2", wantPrompt: "Key passphrase: \n" + confirmPrompt + "\n"},
		{name: "mismatch", terminal: true, confirm: true, answers: []string{"hunter2", "hunter3"}, wantErr: true},
		{name: "empty", terminal: true, answers: []string{""}, wantErr: true},
		{name: "empty with confirm", terminal: true, confirm: true, answers: []string{"", ""}, wantErr: true},
		{name: "read error", terminal: true, answers: []string{"!"}, wantErr: true},
		{name: "read error on confirm", terminal: true, confirm: true, answers: []string{"hunter2", "!"}, wantErr: true},
		{name: "env wins over terminal", env: "from-env", terminal: true, confirm: true, want: "from-env", wantPrompt: ""},
		{name: "env without terminal", env: "from-env", want: "from-env"},
		{name: "no terminal", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			answers := tt.answers
			c := console{
				getenv: func(k string) string {
					if k == PassphraseEnv {
						return tt.env
					}
					return ""
				},
				fd:         42,
				isTerminal: func(fd int) bool { return fd == 42 && tt.terminal },
				readPassword: func(fd int) ([]byte, error) {
					if len(answers) == 0 {
						t.Fatal("unexpected extra prompt")
					}
					a := answers[0]
					answers = answers[1:]
					if a == "!" {
						return nil, readErr
					}
					return []byte(a), nil
				},
				out: &out,
			}
			got, err := c.passphrase("Key passphrase: ", tt.confirm)
			if (err != nil) != tt.wantErr {
				t.Fatalf("passphrase error = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !tt.terminal && !strings.Contains(err.Error(), PassphraseEnv) {
					t.Errorf("error %q does not name %s", err, PassphraseEnv)
				}
				return
			}
			if string(got) != tt.want {
				t.Errorf("passphrase = %q, want %q", got, tt.want)
			}
			if out.String() != tt.wantPrompt {
				t.Errorf("prompt output = %q, want %q", out.String(), tt.wantPrompt)
			}
			if len(answers) != 0 {
				t.Errorf("%d answers not consumed", len(answers))
			}
		})
	}
}

// noTerminal is a console with the given environment and no terminal, as
// under CI.
func noTerminal(env map[string]string) console {
	return console{
		getenv:       func(k string) string { return env[k] },
		fd:           -1,
		isTerminal:   func(int) bool { return false },
		readPassword: func(int) ([]byte, error) { return nil, errors.New("no terminal") },
		out:          io.Discard,
	}
}
