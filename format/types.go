package format

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/countersign/countersign/internal/strictjson"
)

// Record types (SPEC.md §6).
const (
	TypeGenesis        = "genesis"
	TypeEnrolment      = "enrolment"
	TypeKeyRevocation  = "key_revocation"
	TypeLogKeyRotation = "log_key_rotation"
	TypeSeal           = "seal"
	TypeNote           = "note"
	TypeProposal       = "proposal"
	TypeGate           = "gate"
	TypeAttempt        = "attempt"
	TypeOutcome        = "outcome"
	TypeExecution      = "execution"
	TypeAuditFinding   = "audit_finding"
	TypePersonnel      = "personnel"
	TypeAlert          = "alert"
	TypeAlertDelivery  = "alert_delivery"
	TypeValidation     = "validation"
)

// Principal is a named actor.
type Principal struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	Team string `json:"team"`
}

// Kinds of principal.
const (
	KindHuman = "human"
	KindAgent = "agent"
)

// Org names the organisation that keeps the bundle.
type Org struct {
	Name string `json:"name"`
	TZ   string `json:"tz"`
}

// Registrar is a principal enrolled in the genesis record.
type Registrar struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Name string `json:"name"`
	Team string `json:"team"`
	Key  string `json:"key"`
}

// Governance sets the gate that change runs need while no policy defines one.
type Governance struct {
	N int64 `json:"n"`
}

// Genesis is the body of record 0 (§6.1).
type Genesis struct {
	Format     string      `json:"format"`
	Version    string      `json:"version"`
	BundleID   string      `json:"bundle_id"`
	Org        Org         `json:"org"`
	LogKey     string      `json:"log_key"`
	Registrars []Registrar `json:"registrars"`
	Governance Governance  `json:"governance"`
}

// Enrolment adds a key for a principal (§6.2).
type Enrolment struct {
	Principal Principal `json:"principal"`
	Key       string    `json:"key"`
	Registrar bool      `json:"registrar"`
}

// KeyRevocation revokes a key (§6.3).
type KeyRevocation struct {
	Principal string `json:"principal"`
	Key       string `json:"key"`
	Reason    string `json:"reason"`
}

// LogKeyRotation hands the log to a new key (§6.4).
type LogKeyRotation struct {
	Key string `json:"key"`
}

// SealBody is the body of a periodic seal record (§6.5).
type SealBody struct {
	Seal string `json:"seal"`
	Sig  string `json:"sig"`
}

// Note is a producer's remark (§6.9).
type Note struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// Proposal opens a run (§6.6).
type Proposal struct {
	Run         string            `json:"run"`
	Class       string            `json:"class"`
	Action      string            `json:"action"`
	Digest      string            `json:"digest"`
	Summary     map[string]string `json:"summary"`
	Beneficiary string            `json:"beneficiary"`
}

// Stage is one stage of a gate.
type Stage struct {
	Stage   int64    `json:"stage"`
	N       int64    `json:"n"`
	Pool    []string `json:"pool"`
	Meaning string   `json:"meaning"`
	Human   bool     `json:"human"`
	// PoolRole, when present (revision 1.2), says the pool is the holders
	// of a role on a control, resolved against the register at the
	// proposal's sequence number; a gate record carries the resolved pool.
	PoolRole *PoolRole `json:"pool_role,omitempty"`
	// PoolAbove, when present (revision 1.2), says the pool is every
	// principal above this principal in the reporting lines, resolved at
	// the proposal (the approval of a change.exception).
	PoolAbove string `json:"pool_above,omitempty"`
}

// PoolRole names the holders of one role on one control (revision 1.2).
type PoolRole struct {
	Control string `json:"control"`
	Role    string `json:"role"`
}

// Gate parks a run until its stages are signed (§6.6).
type Gate struct {
	Run      string  `json:"run"`
	Proposal string  `json:"proposal"`
	Policy   int64   `json:"policy"`
	Gate     string  `json:"gate"`
	Stages   []Stage `json:"stages"`
}

// Acts of an attempt.
const (
	ActSignoff  = "signoff"
	ActExecute  = "execute"
	ActExercise = "exercise"
)

// Attempt is a principal's signed try at an act (§6.6).
type Attempt struct {
	Act string `json:"act"`
	Run string `json:"run"`
}

// Results of an outcome.
const (
	ResultAccepted = "accepted"
	ResultRefused  = "refused"
)

// Outcome is the producer's decision on an attempt (§6.6).
type Outcome struct {
	Attempt int64  `json:"attempt"`
	Result  string `json:"result"`
	Code    string `json:"code"`
	Detail  string `json:"detail"`
}

// Execution records that a run's action took effect (§6.6).
type Execution struct {
	Run      string `json:"run"`
	Proposal string `json:"proposal"`
	Digest   string `json:"digest"`
	Attempt  int64  `json:"attempt"`
}

// AuditFinding is an auditor's signed finding on a control (§6.9).
type AuditFinding struct {
	Control  string `json:"control"`
	Finding  string `json:"finding"`
	Severity string `json:"severity"`
}

// Validation is a validator's signed result of testing that a control
// works as intended (§6.9, revision 1.2).
type Validation struct {
	Control string `json:"control"`
	Subject string `json:"subject"`
	Result  string `json:"result"`
	Notes   string `json:"notes"`
}

// Personnel records a joiner, mover or leaver (§6.9).
type Personnel struct {
	Principal string `json:"principal"`
	Event     string `json:"event"`
	Effective string `json:"effective"`
	Team      string `json:"team"`
}

// Alert records an attempt to exercise an unassigned role (§6.9).
type Alert struct {
	Attempt   int64  `json:"attempt"`
	Principal string `json:"principal"`
	Control   string `json:"control"`
	Role      string `json:"role"`
	Text      string `json:"text"`
}

// AlertDelivery records whether an alert reached its channel (§6.9).
type AlertDelivery struct {
	Alert   int64  `json:"alert"`
	Channel string `json:"channel"`
	Status  string `json:"status"`
	Detail  string `json:"detail"`
}

// TypeInfo says how a record type is built (SPEC.md §6). It is a copy:
// changing it changes nothing a reader does.
type TypeInfo struct {
	newBody  func() any
	signed   bool
	producer bool
	purposes []string
}

// Signed reports whether records of the type carry sigs.
func (t TypeInfo) Signed() bool { return t.signed }

// Producer reports whether the producer writes records of the type: their
// actor is "".
func (t TypeInfo) Producer() bool { return t.producer }

// AllowsPurpose reports whether a statement of the purpose may sign a record
// of the type.
func (t TypeInfo) AllowsPurpose(purpose string) bool {
	for _, p := range t.purposes {
		if p == purpose {
			return true
		}
	}
	return false
}

// LookupType returns how records of type typ are built, and whether version
// 1 defines the type at all.
func LookupType(typ string) (TypeInfo, bool) {
	info, ok := recordTypes[typ]
	return info, ok
}

// recordTypes lists every record type of version 1.
var recordTypes = map[string]TypeInfo{
	TypeGenesis:        {func() any { return new(Genesis) }, true, true, []string{PurposeEnrolSelf}},
	TypeEnrolment:      {func() any { return new(Enrolment) }, true, false, []string{PurposeEnrolSelf, PurposeEnrolWitness}},
	TypeKeyRevocation:  {func() any { return new(KeyRevocation) }, true, false, []string{PurposeRevoke}},
	TypeLogKeyRotation: {func() any { return new(LogKeyRotation) }, true, true, []string{PurposeLogKey}},
	TypeSeal:           {func() any { return new(SealBody) }, false, true, nil},
	TypeNote:           {func() any { return new(Note) }, false, true, nil},
	TypeProposal:       {func() any { return new(Proposal) }, true, false, []string{PurposePropose}},
	TypeGate:           {func() any { return new(Gate) }, false, true, nil},
	TypeAttempt:        {func() any { return new(Attempt) }, true, false, []string{PurposeSignoff, PurposeExecute, PurposeExercise}},
	TypeOutcome:        {func() any { return new(Outcome) }, false, true, nil},
	TypeExecution:      {func() any { return new(Execution) }, false, true, nil},
	TypeAuditFinding:   {func() any { return new(AuditFinding) }, true, false, []string{PurposeAuditFinding}},
	TypePersonnel:      {func() any { return new(Personnel) }, true, false, []string{PurposePersonnel}},
	TypeAlert:          {func() any { return new(Alert) }, false, true, nil},
	TypeAlertDelivery:  {func() any { return new(AlertDelivery) }, false, true, nil},
	TypeValidation:     {func() any { return new(Validation) }, true, false, []string{PurposeValidate}},
}

// Mode says which members a decoder accepts.
type Mode uint8

const (
	// Strict accepts exactly the members the format defines (SPEC.md §3.1
	// rule 8). It is the mode for a bundle of this reader's version.
	Strict Mode = iota
	// Lax ignores members the reader does not know and still requires those
	// it knows: the mode for a bundle of a newer minor version (SPEC.md §9).
	Lax
)

// DecodeBody decodes a record's body into the value its type defines: a
// pointer to one of the body types (*Genesis, *Enrolment, ...).
func DecodeBody(typ string, body []byte, mode Mode) (any, error) {
	info, ok := recordTypes[typ]
	if !ok {
		return nil, ErrUnknownType
	}
	v := info.newBody()
	if err := DecodeJSON(body, v, mode); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeJSON decodes JSON of the strict subset (SPEC.md §3.1) into the
// struct pointed to by v, requiring every member its json tags name and, in
// Strict mode, refusing any other.
func DecodeJSON(raw []byte, v any, mode Mode) error {
	if err := strictjson.Validate(raw, strictjson.Limits{}); err != nil {
		return malformed("%v", err)
	}
	if err := checkShape(raw, reflect.TypeOf(v).Elem(), mode == Lax, ""); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return malformed("%v", err)
	}
	return nil
}

type fieldSet struct {
	names    []string
	types    []reflect.Type
	optional []bool
}

var shapes sync.Map // reflect.Type -> *fieldSet

func fieldsOf(t reflect.Type) *fieldSet {
	if fs, ok := shapes.Load(t); ok {
		return fs.(*fieldSet)
	}
	fs := &fieldSet{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		parts := strings.Split(f.Tag.Get("json"), ",")
		if parts[0] == "" || parts[0] == "-" {
			continue
		}
		fs.names = append(fs.names, `"`+parts[0]+`"`)
		fs.types = append(fs.types, f.Type)
		fs.optional = append(fs.optional, len(parts) > 1 && parts[1] == "omitempty")
	}
	shapes.Store(t, fs)
	return fs
}

// checkShape walks raw alongside t and checks member sets and value kinds.
func checkShape(raw []byte, t reflect.Type, lax bool, path string) error {
	if len(raw) == 0 {
		return malformed("%s: empty value", path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if raw[0] != '{' {
			return malformed("%s: want an object", where(path))
		}
		fs := fieldsOf(t)
		var seen uint64
		var err error
		strictjson.EachMember(raw, func(key, val []byte) bool {
			if bytes.IndexByte(key, '\\') >= 0 {
				// Compare names as JSON reads them: unescaped.
				k, _ := strictjson.Unquote(key)
				key = strictjson.AppendString(nil, k)
			}
			for i, n := range fs.names {
				if n == string(key) {
					seen |= 1 << i
					err = checkShape(val, fs.types[i], lax, path+"."+n[1:len(n)-1])
					return err == nil
				}
			}
			if !lax {
				err = malformed("%s: unexpected member %s", where(path), key)
			}
			// encoding/json matches member names without regard to case;
			// a newer version's member must not pass for a known one.
			for _, n := range fs.names {
				if strings.EqualFold(n, string(key)) {
					err = malformed("%s: member %s differs from %s only in case", where(path), key, n)
				}
			}
			return err == nil
		})
		if err != nil {
			return err
		}
		for i, n := range fs.names {
			if seen&(1<<i) == 0 && !fs.optional[i] {
				return malformed("%s: missing member %s", where(path), n)
			}
		}
	case reflect.Slice:
		if raw[0] != '[' {
			return malformed("%s: want an array", where(path))
		}
		var err error
		strictjson.EachElement(raw, func(el []byte) bool {
			err = checkShape(el, t.Elem(), lax, path+"[]")
			return err == nil
		})
		return err
	case reflect.Map:
		if raw[0] != '{' {
			return malformed("%s: want an object", where(path))
		}
		var err error
		strictjson.EachMember(raw, func(_, val []byte) bool {
			err = checkShape(val, t.Elem(), lax, path+".*")
			return err == nil
		})
		return err
	case reflect.String:
		if raw[0] != '"' {
			return malformed("%s: want a string", where(path))
		}
	case reflect.Pointer:
		return checkShape(raw, t.Elem(), lax, path)
	case reflect.Bool:
		if raw[0] != 't' && raw[0] != 'f' {
			return malformed("%s: want true or false", where(path))
		}
	case reflect.Int64, reflect.Int:
		if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
			return malformed("%s: want an integer", where(path))
		}
	}
	return nil
}

func where(path string) string {
	if path == "" {
		return "body"
	}
	return path[1:]
}
