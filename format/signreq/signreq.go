// Package signreq is the sign-request protocol between a producer and a
// signer. A sign request is what a producer hands a signer when a run parks at a
// gate (SPEC.md §6.10): everything the signer's statement must bind, and the
// exact action so the signer can see what they are signing. The signer's
// tool (countersign sign) checks the action against its digest, shows it,
// asks for a reason, and returns a SignedStatement.
package signreq

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// Sign-request document names.
const (
	RequestFormat = "countersign-sign-request"
	SignedFormat  = "countersign-signed-statement"
)

// Request asks a principal for a statement.
type Request struct {
	Format   string `json:"format"`
	Version  int    `json:"version"`
	Purpose  string `json:"purpose"`
	Bundle   string `json:"bundle"`
	Run      string `json:"run"`
	Proposal string `json:"proposal"`
	Gate     string `json:"gate"`
	Stage    int64  `json:"stage"`
	Digest   string `json:"digest"`
	Meaning  string `json:"meaning"`
	Action   string `json:"action"`
}

// Check verifies that the request is complete and that Action hashes to
// Digest, so what the signer reads is what they sign.
func (r *Request) Check() error {
	if r.Format != RequestFormat || r.Version != 1 {
		return fmt.Errorf("not a version 1 sign request (format %q, version %d)", r.Format, r.Version)
	}
	if r.Purpose != format.PurposeSignoff && r.Purpose != format.PurposeExecute {
		return fmt.Errorf("sign request purpose %q is not signoff or execute", r.Purpose)
	}
	for name, h := range map[string]string{"bundle": r.Bundle, "proposal": r.Proposal, "digest": r.Digest} {
		if _, err := format.ParseHash(h); err != nil {
			return fmt.Errorf("sign request %s: %w", name, err)
		}
	}
	if format.ActionDigest([]byte(r.Action)).String() != r.Digest {
		return fmt.Errorf("sign request action does not match its digest: refusing to sign")
	}
	if _, err := format.ParseAction([]byte(r.Action)); err != nil {
		return err
	}
	if r.Purpose == format.PurposeSignoff && (!format.ValidMeaning(r.Meaning) || r.Stage < 1 || r.Gate == "") {
		return fmt.Errorf("sign request lacks a gate, stage or meaning")
	}
	return nil
}

// Statement returns the statement the request asks for, signed by principal
// with printed name name at time at, with the given reason.
func (r *Request) Statement(principal, name, at, meaning, reason string) (*format.Statement, error) {
	if names.Blank(reason) {
		return nil, fmt.Errorf("a reason is required: it is recorded verbatim with the signature")
	}
	if meaning == "" {
		meaning = r.Meaning
	}
	st := &format.Statement{Purpose: r.Purpose, Bundle: r.Bundle, Principal: principal, Name: name, Time: at,
		Run: r.Run, Proposal: r.Proposal, Action: r.Digest}
	if r.Purpose == format.PurposeSignoff {
		st.Gate, st.Stage, st.Meaning, st.Reason = r.Gate, r.Stage, meaning, reason
	}
	return st, nil
}

// SignedStatement is the file a signer returns: one element of a record's
// sigs, in JSON.
type SignedStatement struct {
	Format string `json:"format"`
	Key    string `json:"key"`
	Stmt   string `json:"stmt"`
	Sig    string `json:"sig"`
}

// EncodeSigned writes s as a SignedStatement document.
func EncodeSigned(s format.Signed) ([]byte, error) {
	return format.MarshalJSON(&SignedStatement{Format: SignedFormat, Key: s.Key.String(), Stmt: string(s.Stmt), Sig: hex.EncodeToString(s.Sig)})
}

// DecodeSigned reads a SignedStatement document strictly.
func DecodeSigned(b []byte) (format.Signed, error) {
	var d SignedStatement
	b = []byte(strings.TrimSpace(string(b)))
	if err := format.DecodeJSON(b, &d, format.Strict); err != nil {
		return format.Signed{}, fmt.Errorf("signed statement: %w", err)
	}
	if d.Format != SignedFormat {
		return format.Signed{}, fmt.Errorf("signed statement: format is %q, not %q", d.Format, SignedFormat)
	}
	k, err := format.ParseHash(d.Key)
	if err != nil {
		return format.Signed{}, fmt.Errorf("signed statement key: %w", err)
	}
	sig, err := format.ParseSignature(d.Sig)
	if err != nil {
		return format.Signed{}, fmt.Errorf("signed statement sig: %w", err)
	}
	return format.Signed{Key: k, Stmt: []byte(d.Stmt), Sig: sig}, nil
}
