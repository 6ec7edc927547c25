package enforce

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/format/signreq"
	"github.com/countersign/countersign/internal/names"
)

// ErrKeyNotInForce is returned for a revocation of a key that is not a key
// of that principal in force: unknown, another principal's, or revoked.
var ErrKeyNotInForce = errors.New("not a key in force")

// EnrolmentRequests returns the requests of an enrolment of pub for p, for
// the runtime to hand out: self, which the enrolee signs with the key being
// enrolled (on its own machine, `countersign sign`), and witness, which
// each of two registrars signs after checking the enrolee's identity and
// comparing the key ID with the one the enrolee read out from keygen.
// samePerson lists the principals the registrars are asked to attest
// belong to the same human (normally none). The signed statements go to
// Enrol, enrol-self first.
//
// It refuses what Enrol would refuse before anyone signs: a key already
// enrolled, a principal enrolled with another kind, name or team, a
// same_person list Enrol would not take, or too few registrars other
// than the enrolee to witness.
func (c *Core) EnrolmentRequests(p format.Principal, pub ed25519.PublicKey, registrar bool, samePerson []string) (self, witness *signreq.Enrolment, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := format.CheckPublicKey(pub); err != nil {
		return nil, nil, fmt.Errorf("enrolment of %s: %w", p.ID, err)
	}
	kid := format.KeyIDOf(pub)
	if _, dup := c.st.keys[kid]; dup {
		return nil, nil, fmt.Errorf("key %.16s is %w: a key belongs to one principal, ever", kid.String(), ErrAlreadyEnrolled)
	}
	if old := c.st.principals[p.ID]; old != nil && old.Principal != p {
		return nil, nil, fmt.Errorf("%s is %w with another kind, name or team", p.ID, ErrAlreadyEnrolled)
	}
	if err := c.checkSamePerson(p, samePerson); err != nil {
		return nil, nil, err
	}
	n := 0
	for _, id := range c.st.registrars() {
		if id != p.ID {
			n++
		}
	}
	if n < 2 {
		return nil, nil, errors.New("fewer than two registrars other than the enrolee can witness this enrolment")
	}
	self = signreq.NewEnrolment(format.PurposeEnrolSelf, c.st.genesis, p, pub, registrar, nil)
	witness = signreq.NewEnrolment(format.PurposeEnrolWitness, c.st.genesis, p, pub, registrar, samePerson)
	for _, r := range []*signreq.Enrolment{self, witness} {
		if err := r.Check(); err != nil {
			return nil, nil, err
		}
	}
	return self, witness, nil
}

// RevocationRequest returns the request to revoke principalID's key kid
// for reason, for the runtime to hand out: to the key's holder, who signs
// it with that key, or to two registrars other than the holder. The
// signed statements go to Revoke with the same reason.
func (c *Core) RevocationRequest(principalID string, kid format.Hash, reason string) (*signreq.Revocation, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.st.keys[kid]
	p := c.st.principals[principalID]
	if k == nil || p == nil || k.principal != principalID || k.revoked {
		return nil, fmt.Errorf("key %.16s of %s is %w", kid.String(), principalID, ErrKeyNotInForce)
	}
	if names.Blank(reason) {
		return nil, errors.New("a revocation needs a reason")
	}
	r := signreq.NewRevocation(c.st.genesis, p.Principal, kid, reason)
	if err := r.Check(); err != nil {
		return nil, err
	}
	return r, nil
}
