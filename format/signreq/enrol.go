package signreq

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// Enrolment- and revocation-request document names (SPEC.md §6.10).
const (
	EnrolmentFormat  = "countersign-enrolment-request"
	RevocationFormat = "countersign-revocation-request"
)

// ErrWrongSigner is returned (wrapped) by the Statement methods when the
// signer may not make the statement asked for: an enrolee witnessing its
// own enrolment, or anyone but the enrolee proving possession of its key.
var ErrWrongSigner = errors.New("this signer cannot sign this request")

// Enrolment asks for one statement of an enrolment: the enrolee's
// enrol-self (purpose enrol-self), made with the key being enrolled, or a
// registrar's enrol-witness (purpose enrol-witness). Both requests of one
// enrolment carry the same members but the purpose; the key is the public
// key, in hex.
type Enrolment struct {
	Format     string   `json:"format"`
	Version    int      `json:"version"`
	Purpose    string   `json:"purpose"`
	Bundle     string   `json:"bundle"`
	Principal  string   `json:"principal"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Team       string   `json:"team"`
	Key        string   `json:"key"`
	Registrar  bool     `json:"registrar"`
	SamePerson []string `json:"same_person"`
}

// NewEnrolment returns the request of the given purpose for enrolling pub
// for p in the bundle with genesis hash bundle (the zero hash for a
// registrar's enrol-self inside genesis).
func NewEnrolment(purpose string, bundle format.Hash, p format.Principal, pub ed25519.PublicKey, registrar bool, samePerson []string) *Enrolment {
	return &Enrolment{Format: EnrolmentFormat, Version: 1, Purpose: purpose, Bundle: bundle.String(), Principal: p.ID, Name: p.Name,
		Kind: p.Kind, Team: p.Team, Key: format.HexKey(pub), Registrar: registrar, SamePerson: append([]string{}, samePerson...)}
}

// PublicKey returns the key being enrolled; Check has accepted it.
func (r *Enrolment) PublicKey() ed25519.PublicKey {
	pub, _ := format.ParsePublicKey(r.Key)
	return pub
}

// Check verifies that the request is complete and well formed: what a
// registrar is shown is what the statement binds.
func (r *Enrolment) Check() error {
	if r.Format != EnrolmentFormat || r.Version != 1 {
		return fmt.Errorf("not a version 1 enrolment request (format %q, version %d)", r.Format, r.Version)
	}
	if r.Purpose != format.PurposeEnrolSelf && r.Purpose != format.PurposeEnrolWitness {
		return fmt.Errorf("enrolment request purpose %q is not enrol-self or enrol-witness", r.Purpose)
	}
	b, err := format.ParseHash(r.Bundle)
	if err != nil {
		return fmt.Errorf("enrolment request bundle: %w", err)
	}
	if b == (format.Hash{}) && (r.Purpose != format.PurposeEnrolSelf || !r.Registrar) {
		return errors.New("enrolment request for genesis (bundle of zeros) is not a registrar's enrol-self")
	}
	switch {
	case !format.ValidID(r.Principal):
		return fmt.Errorf("enrolment request principal %q is not an identifier", r.Principal)
	case !format.ValidID(r.Team):
		return fmt.Errorf("enrolment request team %q is not an identifier", r.Team)
	case r.Kind != format.KindHuman && r.Kind != format.KindAgent:
		return fmt.Errorf("enrolment request kind %q is neither human nor agent", r.Kind)
	case names.Blank(r.Name) || strings.TrimSpace(r.Name) != r.Name:
		return fmt.Errorf("enrolment request printed name %q is blank or has white space at an end", r.Name)
	}
	if _, err := format.ParsePublicKey(r.Key); err != nil {
		return fmt.Errorf("enrolment request key: %w", err)
	}
	if r.SamePerson == nil {
		return errors.New("enrolment request lacks same_person")
	}
	if len(r.SamePerson) > 0 && (r.Purpose != format.PurposeEnrolWitness || r.Kind != format.KindHuman) {
		return errors.New("enrolment request names same_person other than for a registrar witnessing a human")
	}
	for i, id := range r.SamePerson {
		if !format.ValidID(id) || id == r.Principal || slices.Contains(r.SamePerson[:i], id) {
			return fmt.Errorf("enrolment request same_person entry %q is not a distinct identifier other than the enrolee", id)
		}
	}
	return nil
}

// Statement returns the statement the request asks of signer (principal
// ID and printed name) at time at. For enrol-self the signer must be the
// enrolee (the caller signs with the key being enrolled); for
// enrol-witness the signer must be someone else, and identityCheck, how
// the signer checked the enrolee's identity, must not be blank.
func (r *Enrolment) Statement(signer, signerName, at, identityCheck string) (*format.Statement, error) {
	reg := r.Registrar
	st := &format.Statement{Purpose: r.Purpose, Bundle: r.Bundle, Principal: signer, Name: signerName, Time: at,
		Key: r.Key, Kind: r.Kind, Team: r.Team, Registrar: &reg}
	if r.Purpose == format.PurposeEnrolSelf {
		if signer != r.Principal || signerName != r.Name {
			return nil, fmt.Errorf("%w: only %s can prove possession of the key being enrolled", ErrWrongSigner, r.Principal)
		}
		if identityCheck != "" {
			return nil, errors.New("an identity check is recorded by registrars, not by the enrolee")
		}
		return st, nil
	}
	if signer == r.Principal {
		return nil, fmt.Errorf("%w: %s cannot witness its own enrolment", ErrWrongSigner, signer)
	}
	if names.Blank(identityCheck) {
		return nil, errors.New("an identity check is required: say how you checked the enrolee's identity")
	}
	st.Subject, st.SubjectName, st.IdentityCheck = r.Principal, r.Name, identityCheck
	if len(r.SamePerson) > 0 {
		st.SamePerson = append([]string{}, r.SamePerson...)
	}
	return st, nil
}

// Revocation asks for a revoke statement: by the key's holder, made with
// the key revoked, or by a registrar other than the holder. Key is the
// key ID; Name is the holder's printed name as the producer knows it,
// shown to the signer; Reason is recorded in every statement.
type Revocation struct {
	Format    string `json:"format"`
	Version   int    `json:"version"`
	Purpose   string `json:"purpose"`
	Bundle    string `json:"bundle"`
	Principal string `json:"principal"`
	Name      string `json:"name"`
	Key       string `json:"key"`
	Reason    string `json:"reason"`
}

// NewRevocation returns the request to revoke key kid of p in the bundle
// with genesis hash bundle.
func NewRevocation(bundle format.Hash, p format.Principal, kid format.Hash, reason string) *Revocation {
	return &Revocation{Format: RevocationFormat, Version: 1, Purpose: format.PurposeRevoke, Bundle: bundle.String(),
		Principal: p.ID, Name: p.Name, Key: kid.String(), Reason: reason}
}

// Check verifies that the request is complete and well formed.
func (r *Revocation) Check() error {
	if r.Format != RevocationFormat || r.Version != 1 {
		return fmt.Errorf("not a version 1 revocation request (format %q, version %d)", r.Format, r.Version)
	}
	if r.Purpose != format.PurposeRevoke {
		return fmt.Errorf("revocation request purpose %q is not revoke", r.Purpose)
	}
	b, err := format.ParseHash(r.Bundle)
	if err != nil {
		return fmt.Errorf("revocation request bundle: %w", err)
	}
	if b == (format.Hash{}) {
		return errors.New("revocation request names no bundle")
	}
	if _, err := format.ParseHash(r.Key); err != nil {
		return fmt.Errorf("revocation request key: %w", err)
	}
	switch {
	case !format.ValidID(r.Principal):
		return fmt.Errorf("revocation request principal %q is not an identifier", r.Principal)
	case names.Blank(r.Name):
		return errors.New("revocation request printed name is blank")
	case names.Blank(r.Reason):
		return errors.New("revocation request reason is blank: a revocation needs a reason")
	}
	return nil
}

// Statement returns the revoke statement of signer (principal ID and
// printed name) at time at.
func (r *Revocation) Statement(signer, signerName, at string) *format.Statement {
	return &format.Statement{Purpose: format.PurposeRevoke, Bundle: r.Bundle, Principal: signer, Name: signerName, Time: at,
		Subject: r.Principal, Key: r.Key, Reason: r.Reason}
}
