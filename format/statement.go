package format

import (
	"crypto/ed25519"
	"fmt"
	"sort"
	"strings"

	"github.com/countersign/countersign/internal/names"
	"github.com/countersign/countersign/internal/strictjson"
)

// Statement purposes (SPEC.md §5).
const (
	PurposeEnrolSelf    = "enrol-self"
	PurposeEnrolWitness = "enrol-witness"
	PurposeRevoke       = "revoke"
	PurposeLogKey       = "log-key"
	PurposePropose      = "propose"
	PurposeSignoff      = "signoff"
	PurposeExecute      = "execute"
	PurposeExercise     = "exercise"
	PurposeAuditFinding = "audit-finding"
	PurposePersonnel    = "personnel"
	PurposeValidate     = "validate"
)

// Meanings a sign-off may carry (21 CFR 11.50).
const (
	MeaningAuthorship     = "authorship"
	MeaningReview         = "review"
	MeaningApproval       = "approval"
	MeaningResponsibility = "responsibility"
)

// ValidMeaning reports whether m is one of the four meanings.
func ValidMeaning(m string) bool {
	switch m {
	case MeaningAuthorship, MeaningReview, MeaningApproval, MeaningResponsibility:
		return true
	}
	return false
}

// Statement is what a principal signs (§5). Only the members of its
// purpose are meaningful; Raw holds the exact signed bytes.
type Statement struct {
	Purpose   string `json:"purpose"`
	Bundle    string `json:"bundle"`
	Principal string `json:"principal"`
	Name      string `json:"name"`
	Time      string `json:"time"`

	Key         string `json:"key,omitempty"`
	Kind        string `json:"kind,omitempty"`
	Team        string `json:"team,omitempty"`
	Registrar   *bool  `json:"registrar,omitempty"`
	Subject     string `json:"subject,omitempty"`
	SubjectName string `json:"subject_name,omitempty"`
	Run         string `json:"run,omitempty"`
	Class       string `json:"class,omitempty"`
	Action      string `json:"action,omitempty"`
	Proposal    string `json:"proposal,omitempty"`
	Gate        string `json:"gate,omitempty"`
	Stage       int64  `json:"stage,omitempty"`
	Meaning     string `json:"meaning,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Control     string `json:"control,omitempty"`
	Role        string `json:"role,omitempty"`
	Operation   string `json:"operation,omitempty"`
	Finding     string `json:"finding,omitempty"`
	Severity    string `json:"severity,omitempty"`
	Event       string `json:"event,omitempty"`
	Effective   string `json:"effective,omitempty"`
	Result      string `json:"result,omitempty"`
	Notes       string `json:"notes,omitempty"`
	// SamePerson, in an enrol-witness statement, lists the principals the
	// registrar attests belong to the same human as the enrolee (optional
	// member same_person; absent means none).
	SamePerson []string `json:"same_person,omitempty"`
	// IdentityCheck, in an enrol-witness statement, is the registrar's own
	// words on how the enrolee's identity was checked (optional member
	// identity_check; when present, not blank).
	IdentityCheck string `json:"identity_check,omitempty"`

	Raw []byte `json:"-"`
}

var commonMembers = []string{"purpose", "bundle", "principal", "name", "time"}

// purposeMembers lists the members each purpose adds to the common ones.
var purposeMembers = map[string][]string{
	PurposeEnrolSelf:    {"key", "kind", "team", "registrar"},
	PurposeEnrolWitness: {"subject", "subject_name", "kind", "team", "key", "registrar"},
	PurposeRevoke:       {"subject", "key", "reason"},
	PurposeLogKey:       {"key"},
	PurposePropose:      {"run", "class", "action", "reason"},
	PurposeSignoff:      {"run", "proposal", "gate", "stage", "action", "meaning", "reason"},
	PurposeExecute:      {"run", "proposal", "action"},
	PurposeExercise:     {"control", "role", "operation", "reason"},
	PurposeAuditFinding: {"control", "finding", "severity"},
	PurposePersonnel:    {"subject", "event", "effective", "team"},
	PurposeValidate:     {"control", "subject", "result", "notes"},
}

// purposeOptional lists the optional members of each purpose: a statement
// may carry them or not.
var purposeOptional = map[string][]string{
	PurposeEnrolWitness: {"same_person", "identity_check"},
}

// ParseStatement parses statement bytes: the JSON subset, the members of
// its purpose, each of the right kind. In Strict mode a member the purpose
// does not define is refused; in Lax mode (a bundle of a newer minor
// version, SPEC.md §9) it is ignored, and those it knows are still required.
func ParseStatement(b []byte, mode Mode) (*Statement, error) {
	lax := mode == Lax
	if err := strictjson.ValidateObject(b, strictjson.Limits{}); err != nil {
		return nil, fmt.Errorf("statement: %w: %w", ErrMalformed, err)
	}
	var purpose string
	strictjson.EachMember(b, func(key, val []byte) bool {
		if memberName(key) == "purpose" {
			purpose, _ = strictjson.Unquote(val)
			return false
		}
		return true
	})
	want, ok := purposeSets[purpose]
	if !ok {
		return nil, malformed("statement purpose %q is unknown", purpose)
	}
	st := &Statement{Raw: b}
	n := 0
	var perr error
	strictjson.EachMember(b, func(key, val []byte) bool {
		k := memberName(key)
		if !want[k] {
			if lax {
				return true
			}
			perr = malformed("statement member %q does not belong to purpose %s", k, purpose)
			return false
		}
		if !optionalSets[purpose][k] {
			n++
		}
		switch k {
		case "same_person":
			ids, ok := parseStrings(val)
			if !ok {
				perr = malformed("statement same_person is not an array of strings")
			}
			st.SamePerson = ids
		case "stage":
			v, ok := strictjson.ParseInt(val)
			if !ok {
				perr = malformed("statement stage is not an integer")
			}
			st.Stage = v
		case "registrar":
			if val[0] != 't' && val[0] != 'f' {
				perr = malformed("statement registrar is not a boolean")
			}
			r := val[0] == 't'
			st.Registrar = &r
		default:
			v, ok := strictjson.Unquote(val)
			if !ok {
				perr = malformed("statement member %q is not a string", k)
			}
			*st.field(k) = v
		}
		return perr == nil
	})
	if perr != nil {
		return nil, perr
	}
	if n != len(want)-len(optionalSets[purpose]) {
		seen := map[string]bool{}
		strictjson.EachMember(b, func(key, _ []byte) bool {
			k, _ := strictjson.Unquote(key)
			seen[k] = true
			return true
		})
		var missing []string
		for m := range want {
			if !seen[m] && !optionalSets[purpose][m] {
				missing = append(missing, m)
			}
		}
		sort.Strings(missing)
		return nil, malformed("statement of purpose %s lacks %s", purpose, strings.Join(missing, ", "))
	}
	if want["identity_check"] && hasMember(b, "identity_check") && names.Blank(st.IdentityCheck) {
		return nil, malformed("statement identity_check is blank")
	}
	if !ValidTime(st.Time) {
		return nil, malformed("statement time %q is not YYYY-MM-DDTHH:MM:SS.mmmZ", st.Time)
	}
	return st, nil
}

// purposeSets holds, for each purpose, every member its statements may
// have; optionalSets those of them that may be absent.
var purposeSets, optionalSets = func() (map[string]map[string]bool, map[string]map[string]bool) {
	sets, opt := map[string]map[string]bool{}, map[string]map[string]bool{}
	for p, extra := range purposeMembers {
		set, o := map[string]bool{}, map[string]bool{}
		for _, m := range append(append([]string{}, commonMembers...), extra...) {
			set[m] = true
		}
		for _, m := range purposeOptional[p] {
			set[m], o[m] = true, true
		}
		sets[p], opt[p] = set, o
	}
	return sets, opt
}()

// memberNames holds every member name a statement may have, by its
// token, so that reading a name that needs no unescaping makes no string.
var memberNames = func() map[string]string {
	m := map[string]string{}
	for _, set := range purposeSets {
		for name := range set {
			m[`"`+name+`"`] = name
		}
	}
	return m
}()

// memberName is the name a member's key token stands for.
func memberName(key []byte) string {
	if name, ok := memberNames[string(key)]; ok {
		return name
	}
	k, _ := strictjson.Unquote(key)
	return k
}

// hasMember reports whether the object b has a member named name.
func hasMember(b []byte, name string) bool {
	found := false
	strictjson.EachMember(b, func(key, _ []byte) bool {
		k, _ := strictjson.Unquote(key)
		found = k == name
		return !found
	})
	return found
}

// parseStrings reads an array of strings accepted by strictjson.Validate.
func parseStrings(val []byte) ([]string, bool) {
	if len(val) == 0 || val[0] != '[' {
		return nil, false
	}
	out := []string{}
	ok := true
	strictjson.EachElement(val, func(el []byte) bool {
		s, good := strictjson.Unquote(el)
		ok = ok && good
		out = append(out, s)
		return ok
	})
	return out, ok
}

// field returns the string field of the member named name.
func (s *Statement) field(name string) *string {
	switch name {
	case "purpose":
		return &s.Purpose
	case "bundle":
		return &s.Bundle
	case "principal":
		return &s.Principal
	case "name":
		return &s.Name
	case "time":
		return &s.Time
	case "key":
		return &s.Key
	case "kind":
		return &s.Kind
	case "team":
		return &s.Team
	case "subject":
		return &s.Subject
	case "subject_name":
		return &s.SubjectName
	case "run":
		return &s.Run
	case "class":
		return &s.Class
	case "action":
		return &s.Action
	case "proposal":
		return &s.Proposal
	case "gate":
		return &s.Gate
	case "meaning":
		return &s.Meaning
	case "reason":
		return &s.Reason
	case "control":
		return &s.Control
	case "role":
		return &s.Role
	case "operation":
		return &s.Operation
	case "finding":
		return &s.Finding
	case "severity":
		return &s.Severity
	case "event":
		return &s.Event
	case "effective":
		return &s.Effective
	case "result":
		return &s.Result
	case "notes":
		return &s.Notes
	case "identity_check":
		return &s.IdentityCheck
	}
	var discard string
	return &discard
}

// Encode returns the statement's bytes: a compact JSON object with exactly
// the members of its purpose. Signers call it once and sign the result;
// nothing re-encodes a statement after that.
func (s *Statement) Encode() ([]byte, error) {
	extra, ok := purposeMembers[s.Purpose]
	if !ok {
		return nil, fmt.Errorf("unknown statement purpose %q", s.Purpose)
	}
	vals := map[string]any{
		"purpose": s.Purpose, "bundle": s.Bundle, "principal": s.Principal, "name": s.Name, "time": s.Time,
		"key": s.Key, "kind": s.Kind, "team": s.Team, "subject": s.Subject, "subject_name": s.SubjectName,
		"run": s.Run, "class": s.Class, "action": s.Action, "proposal": s.Proposal, "gate": s.Gate,
		"stage": s.Stage, "meaning": s.Meaning, "reason": s.Reason, "control": s.Control, "role": s.Role,
		"operation": s.Operation, "finding": s.Finding, "severity": s.Severity, "event": s.Event,
		"effective": s.Effective, "result": s.Result, "notes": s.Notes, "registrar": s.Registrar != nil && *s.Registrar,
	}
	b := []byte{'{'}
	for i, m := range append(append([]string{}, commonMembers...), extra...) {
		if i > 0 {
			b = append(b, ',')
		}
		b = strictjson.AppendString(b, m)
		b = append(b, ':')
		v, err := MarshalJSON(vals[m])
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	if s.Purpose == PurposeEnrolWitness && len(s.SamePerson) > 0 {
		b = append(b, `,"same_person":`...)
		v, err := MarshalJSON(s.SamePerson)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	if s.Purpose == PurposeEnrolWitness && s.IdentityCheck != "" {
		b = append(b, `,"identity_check":`...)
		v, err := MarshalJSON(s.IdentityCheck)
		if err != nil {
			return nil, err
		}
		b = append(b, v...)
	}
	return append(b, '}'), nil
}

// SignStatement encodes s and signs it with priv, returning the element to
// put in a record's sigs. It is what a signer runs on their own machine.
func SignStatement(s *Statement, priv ed25519.PrivateKey) (Signed, error) {
	b, err := s.Encode()
	if err != nil {
		return Signed{}, err
	}
	pub := priv.Public().(ed25519.PublicKey)
	return Signed{Key: KeyIDOf(pub), Stmt: b, Sig: Sign(priv, PrefixStatement, b)}, nil
}
