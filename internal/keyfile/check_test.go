package keyfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good, err := Encode(testIdentity(), testPass, testWorkFactor)
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := io.Copy(&raw, armor.NewReader(bytes.NewReader(good))); err != nil {
		t.Fatal(err)
	}
	x, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	var toX bytes.Buffer
	aw := armor.NewWriter(&toX)
	w, err := age.Encrypt(aw, x.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "countersign-private-key-v1\n")
	w.Close()
	aw.Close()

	tests := []struct {
		name     string
		data     []byte
		missing  bool
		wantErr  bool
		notExist bool
	}{
		{name: "a key file", data: good},
		{name: "a key file with CRLF", data: bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n"))},
		{name: "a sign request", data: []byte(`{"format":"countersign-sign-request"}`), wantErr: true},
		{name: "empty", data: nil, wantErr: true},
		{name: "age without armor", data: raw.Bytes(), wantErr: true},
		{name: "age to a public key", data: toX.Bytes(), wantErr: true},
		{name: "too large", data: bytes.Repeat([]byte("a"), maxFileSize+1), wantErr: true},
		{name: "missing", missing: true, wantErr: true, notExist: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if !tc.missing {
				if err := os.WriteFile(p, tc.data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := Check(p)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Check = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && errors.Is(err, ErrNotKeyFile) == tc.notExist {
				t.Fatalf("Check = %v: ErrNotKeyFile %v, want %v", err, errors.Is(err, ErrNotKeyFile), !tc.notExist)
			}
			if tc.notExist && !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Check = %v, want fs.ErrNotExist", err)
			}
		})
	}
}

func TestCheckStrength(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pass    string
		wf      int
		wantErr bool
	}{
		{name: "real", pass: "correct horse battery", wf: 18},
		{name: "twelve characters", pass: "abcdefghijkl", wf: 18},
		{name: "eleven characters in 22 bytes", pass: "ñññññññññññ", wf: 20, wantErr: true},
		{name: "twelve letters of two bytes", pass: "ññññññññññññ", wf: 20},
		{name: "one character", pass: "x", wf: 18, wantErr: true},
		{name: "eleven characters", pass: "abcdefghijk", wf: 18, wantErr: true},
		{name: "work factor 17", pass: "correct horse battery", wf: 17, wantErr: true},
		{name: "work factor 12", pass: "correct horse battery", wf: 12, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckStrength([]byte(tc.pass), tc.wf)
			if (err != nil) != tc.wantErr || (err != nil && !errors.Is(err, ErrWeak)) {
				t.Fatalf("CheckStrength = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}
