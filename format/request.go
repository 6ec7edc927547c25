package format

import (
	"encoding/json"
	"fmt"
	"github.com/countersign/countersign/internal/strictjson"
	"strings"
)

// A sign request is what a producer hands a signer when a run parks at a
// gate (SPEC.md §6.10): everything the signer's statement must bind, and the
// exact action so the signer can see what they are signing. The signer's
// tool (countersign sign) checks the action against its digest, shows it,
// asks for a reason, and returns a SignedStatement.

// Sign-request document names.
const (
	SignRequestFormat = "countersign-sign-request"
	SignedFormat      = "countersign-signed-statement"
)

// SignRequest asks a principal for a statement.
type SignRequest struct {
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
func (r *SignRequest) Check() error {
	if r.Format != SignRequestFormat || r.Version != 1 {
		return fmt.Errorf("not a version 1 sign request (format %q, version %d)", r.Format, r.Version)
	}
	if r.Purpose != PurposeSignoff && r.Purpose != PurposeExecute {
		return fmt.Errorf("sign request purpose %q is not signoff or execute", r.Purpose)
	}
	for name, h := range map[string]string{"bundle": r.Bundle, "proposal": r.Proposal, "digest": r.Digest} {
		if _, err := ParseHash(h); err != nil {
			return fmt.Errorf("sign request %s: %w", name, err)
		}
	}
	if ActionDigest([]byte(r.Action)).String() != r.Digest {
		return fmt.Errorf("sign request action does not match its digest: refusing to sign")
	}
	if _, err := ParseAction([]byte(r.Action)); err != nil {
		return err
	}
	if r.Purpose == PurposeSignoff && (!ValidMeaning(r.Meaning) || r.Stage < 1 || r.Gate == "") {
		return fmt.Errorf("sign request lacks a gate, stage or meaning")
	}
	return nil
}

// Statement returns the statement the request asks for, signed by principal
// with printed name name at time at, with the given reason.
func (r *SignRequest) Statement(principal, name, at, meaning, reason string) (*Statement, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("a reason is required: it is recorded verbatim with the signature")
	}
	if meaning == "" {
		meaning = r.Meaning
	}
	st := &Statement{Purpose: r.Purpose, Bundle: r.Bundle, Principal: principal, Name: name, Time: at,
		Run: r.Run, Proposal: r.Proposal, Action: r.Digest}
	if r.Purpose == PurposeSignoff {
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
func EncodeSigned(s Signed) ([]byte, error) {
	return MarshalJSON(&SignedStatement{Format: SignedFormat, Key: s.Key.String(), Stmt: string(s.Stmt), Sig: string(appendHex(nil, s.Sig))})
}

// DecodeSigned reads a SignedStatement document strictly.
func DecodeSigned(b []byte) (Signed, error) {
	var d SignedStatement
	b = []byte(strings.TrimSpace(string(b)))
	if err := DecodeJSON(b, &d, Strict); err != nil {
		return Signed{}, fmt.Errorf("signed statement: %w", err)
	}
	if d.Format != SignedFormat {
		return Signed{}, fmt.Errorf("signed statement: format is %q, not %q", d.Format, SignedFormat)
	}
	k, err := ParseHash(d.Key)
	if err != nil {
		return Signed{}, fmt.Errorf("signed statement key: %w", err)
	}
	sig, err := ParseSignature(d.Sig)
	if err != nil {
		return Signed{}, fmt.Errorf("signed statement sig: %w", err)
	}
	return Signed{Key: k, Stmt: []byte(d.Stmt), Sig: sig}, nil
}

// Action is a parsed action (SPEC.md §6.6): its class and its members as
// raw JSON.
type Action struct {
	Class   string
	Members map[string]json.RawMessage
	Raw     []byte
}

// ParseAction parses action bytes strictly: the JSON subset, an object with
// a string member "class".
func ParseAction(b []byte) (*Action, error) {
	if err := strictjson.ValidateObject(b, strictjson.Limits{}); err != nil {
		return nil, fmt.Errorf("action: %w: %w", ErrMalformed, err)
	}
	a := &Action{Members: map[string]json.RawMessage{}, Raw: b}
	strictjson.EachMember(b, func(key, val []byte) bool {
		k, _ := strictjson.Unquote(key)
		a.Members[k] = json.RawMessage(val)
		return true
	})
	cls, ok := a.Members["class"]
	if !ok {
		return nil, malformed("action has no class")
	}
	if a.Class, ok = strictjson.Unquote(cls); !ok || a.Class == "" {
		return nil, malformed("action class is not a string")
	}
	return a, nil
}

// Text returns the string value of member name, and whether it is one.
func (a *Action) Text(name string) (string, bool) {
	v, ok := a.Members[name]
	if !ok {
		return "", false
	}
	return strictjson.Unquote(v)
}
