package verifier

import (
	"crypto/ed25519"
	"sort"
	"time"

	"github.com/countersign/countersign/format"
)

// State is what a bundle says was true after a given record: who the
// principals are, which keys they hold, who the registrars are and which
// log key is in force. The rules, the register, the reports and the
// browser all read this one model.
type State struct {
	// Seq is the last record applied.
	Seq int64
	// Time is that record's claimed time.
	Time string
	// Genesis is the bundle's genesis hash.
	Genesis format.Hash
	// Org is the organisation named in genesis.
	Org format.Org
	// BundleID is the bundle ID named in genesis.
	BundleID string
	// Lax is set when the bundle declares a newer minor version.
	Lax bool

	Principals map[string]*PrincipalState
	Keys       map[format.Hash]*KeyState
	LogKey     *KeyState
	// Governance is the number of registrar sign-offs a change run needs
	// while no policy defines its gate.
	Governance int64

	// Policy is the policy in force, nil before the first.
	Policy *Policy
	// Reg is the control-ownership register (SPEC.md §6.11): controls,
	// teams and role assignments.
	Reg *Register

	// Runs holds the open runs; a run leaves it when it executes or its
	// proposal is refused, so memory follows open runs, not bundle length.
	Runs map[string]*RunState

	pending  map[int64]*pending
	executes map[int64]*pending      // accepted execute attempts not yet executed
	overflow bool                    // the open-run bound was reached
	overkept bool                    // the retained-bytes bound was reached
	retained int64                   // bytes kept for open runs (SPEC.md §10)
	runIDs   digestSet               // every run ID proposed so far
	acted    digestSet               // statements of accepted exercise attempts
	alerts   *alertState             // SOD-ALERT-60S (rule_alert_60s.go)
	findings map[int64]*auditFinding // audit findings by record (rule_audit_independence.go)
	timely   *timelyState            // SOD-REGISTER-TIMELY (rule_register_timely.go)
	// person links principals attested to be one human (SPEC.md §6.2):
	// a union-find forest over principal IDs.
	person map[string]string
	loc    *time.Location // the genesis time zone
	// endTime is the final seal's time, set for the end-of-bundle rules.
	endTime string
	// lastChange is the last change.control, change.team or change.role
	// executed, for the change log.
	lastChange *appliedChange
}

// PersonOf returns the representative of the person principal id belongs
// to: principals attested to be one human share it.
func (s *State) PersonOf(id string) string {
	root := id
	for {
		p, ok := s.person[root]
		if !ok || p == root {
			break
		}
		root = p
	}
	for id != root {
		next := s.person[id]
		s.person[id] = root
		id = next
	}
	return root
}

// samePerson links two principals as one person.
func (s *State) samePerson(a, b string) {
	ra, rb := s.PersonOf(a), s.PersonOf(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	s.person[rb] = ra
}

// PrincipalState is one principal as enrolled.
type PrincipalState struct {
	format.Principal
	Registrar  bool
	EnrolledAt int64
	Keys       []format.Hash
}

// KeyState is one enrolled key.
type KeyState struct {
	ID         format.Hash
	Pub        ed25519.PublicKey
	Principal  string // "" for a log key
	EnrolledAt int64
	RevokedAt  int64 // -1 while in force

	key *format.PublicKey // Pub, decoded once for verification
}

func newKeyState(id format.Hash, pub ed25519.PublicKey, principal string, seq int64) *KeyState {
	k, err := format.NewPublicKey(pub)
	if err != nil {
		// Callers pass only keys that format.ParsePublicKey accepted.
		panic(err)
	}
	return &KeyState{ID: id, Pub: pub, Principal: principal, EnrolledAt: seq, RevokedAt: -1, key: k}
}

// InForce reports whether the key may sign at sequence number seq.
func (k *KeyState) InForce(seq int64) bool {
	return k.RevokedAt < 0 || seq <= k.RevokedAt
}

func newState() *State {
	return &State{
		Seq:        -1,
		Principals: map[string]*PrincipalState{},
		Keys:       map[format.Hash]*KeyState{},
		Runs:       map[string]*RunState{},
		pending:    map[int64]*pending{},
		executes:   map[int64]*pending{},
		person:     map[string]string{},
		Reg:        newRegister(),
	}
}

// PrincipalIDs returns the principal IDs in sorted order.
func (s *State) PrincipalIDs() []string {
	ids := make([]string, 0, len(s.Principals))
	for id := range s.Principals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Registrars returns the IDs of the registrars, sorted.
func (s *State) Registrars() []string {
	var ids []string
	for _, id := range s.PrincipalIDs() {
		if s.Principals[id].Registrar {
			ids = append(ids, id)
		}
	}
	return ids
}

// keyFor returns the key with ID kid if it is enrolled for principal and in
// force at seq.
func (s *State) keyFor(kid format.Hash, principal string, seq int64) (*KeyState, string) {
	k, ok := s.Keys[kid]
	switch {
	case !ok:
		return nil, "key " + short(kid) + " is not enrolled"
	case k.Principal != principal:
		if k.Principal == "" {
			return nil, "key " + short(kid) + " is a log key, not " + principal + "'s"
		}
		return nil, "key " + short(kid) + " belongs to " + k.Principal + ", not " + principal
	case !k.InForce(seq):
		return nil, "key " + short(kid) + " of " + principal + " was revoked at record " + itoa(k.RevokedAt)
	}
	return k, ""
}

func short(h format.Hash) string { return h.String()[:16] }
