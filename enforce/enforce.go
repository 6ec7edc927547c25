// Package enforce is the enforcement core an agent runtime embeds. It sits
// between what an agent intends and what it may do, outside the reach of
// the models, and it refuses rather than flags: a self-approval, an
// approval by the beneficiary, a second sign-off by one principal, an
// approver outside the gate's pool, an agent on a human-only stage, a
// wrong meaning, a statement for another run, stage or action, an
// execution before every stage's quorum, and an action outside a
// principal's grants or above its limits. It keeps the register of
// controls, teams and role assignments (AG-259) and derives each act's
// role from what it is: operating a control, changing it (build), signing
// its change (approve), validating or auditing it; an act whose role the
// actor does not hold is refused, and so is a role change that would put
// two roles on one control in one person's or one team's hands. Every
// proposal, attempt, refusal, sign-off and execution is written, signed
// and hash-chained, into a durable journal, from which Export writes an
// evidence bundle.
//
// The core never holds a principal's private key. Principals sign
// statements on their own machines (agents in the runtime that hosts
// them, humans with `countersign sign`) and the core takes the statement
// and its signature, checks them against the key enrolled for that
// principal, and decides.
//
// Rules come from the policy in force, itself a change run approved under
// four-eyes (the governance gate of the genesis record before any policy
// exists). Nothing a run or an agent passes in can define or relax a gate.
//
// A typical embedding, every error checked in real code:
//
//	heads := enforce.NewFileHeadStore("/var/lib/countersign-head/head") // not inside dir
//	core, err := enforce.Open(enforce.Config{Dir: dir, LogKey: logKey, HeadStore: heads})
//	self, witness, err := core.EnrolmentRequests(p, pub, false, nil) // to the enrolee and two registrars
//	seq, err := core.Enrol(p, pub, false, []format.Signed{selfSigned, witness1, witness2})
//	dec, err := core.Propose(run, action, summary, "", proposerStatement)
//	// dec.Requests (or core.SignRequests(run) later) go to the approvers;
//	// each returns a signed statement
//	dec, err = core.SignOff(signed)        // errors.Is(err, enforce.ErrRefused) on refusal
//	req, err := core.ExecuteRequest(run)   // what the executor signs
//	dec, err = core.Execute(execStatement) // refused until every stage has its quorum
//	dec, err = core.Validate(validateStatement) // recorded only from a holder of validate
//	err = core.Export(w)                   // a bundle with its final seal
//
// Errors a runtime branches on are sentinels, tested with errors.Is:
// ErrRefused (and *Refusal, with its code) for a decision against the
// caller, ErrRunExists and ErrReplayed for a proposal or statement already
// recorded (a retry that has already happened), ErrNotParked and ErrNotOpen
// for a run in the wrong state, ErrAlreadyEnrolled, ErrKeyNotInForce, ErrClosed,
// ErrJournalExists from Create, ErrHeadNotKept and ErrJournalBroken when a
// write's outcome is unknown until the journal is reopened, and
// ErrJournalTampered (a *JournalError) from Open.
package enforce

import (
	"errors"
	"fmt"

	"github.com/countersign/countersign/format/signreq"
)

// Refusal codes (SPEC.md §6.7).
const (
	CodeSelfApproval     = "self-approval"
	CodeBeneficiary      = "beneficiary"
	CodeDuplicateSigner  = "duplicate-signer"
	CodeNotInPool        = "not-in-pool"
	CodeHumanRequired    = "human-required"
	CodeWrongMeaning     = "wrong-meaning"
	CodeWrongBinding     = "wrong-binding"
	CodeQuorumNotMet     = "quorum-not-met"
	CodeNoGrant          = "no-grant"
	CodeOverLimit        = "over-limit"
	CodeConflictingRole  = "conflicting-role"
	CodeEmptyReason      = "empty-reason"
	CodeRunClosed        = "run-closed"
	CodeNotMaker         = "not-maker"
	CodeRoleNotAssigned  = "role-not-assigned"
	CodeUnknownPrincipal = "unknown-principal"
)

// ErrRefused is wrapped by every refusal: the attempt was recorded with
// its outcome, and had no effect.
var ErrRefused = errors.New("refused")

// ErrNotParked is returned by SignRequests for a run that is not open at a
// gate: unknown, finished, or past its gates.
var ErrNotParked = errors.New("not parked at a gate")

// ErrNotOpen is returned by ExecuteRequest for a run that is unknown or
// already finished.
var ErrNotOpen = errors.New("not open")

// ErrAlreadyEnrolled is returned by Enrol for a key that is already
// enrolled (a key belongs to one principal, ever) or a principal already
// enrolled with another kind, name or team.
var ErrAlreadyEnrolled = errors.New("already enrolled")

// ErrClosed is returned by every call on a Core after Close.
var ErrClosed = errors.New("core is closed")

// ErrUnattributable is returned for a submission the core cannot attribute
// to an enrolled principal (a bad signature, an unknown key, a statement
// for another bundle). It is noted in the log, but no attempt is recorded
// in anyone's name.
var ErrUnattributable = errors.New("statement cannot be attributed to an enrolled principal")

// Refusal is the error for a refused attempt.
type Refusal struct {
	Code    string
	Detail  string
	Attempt int64 // sequence number of the attempt record (0 when the refusal is a note)
	Outcome int64 // sequence number of the outcome record, or of the note recording the refusal

	class error // a sentinel naming the class of refusal, when it has one
}

func (r *Refusal) Error() string {
	return fmt.Sprintf("refused (%s): %s [attempt %d, outcome %d]", r.Code, r.Detail, r.Attempt, r.Outcome)
}

// Unwrap makes errors.Is(err, ErrRefused) true, and errors.Is with the
// refusal's class (ErrRunExists, ErrSamePerson, ...) where it has one.
func (r *Refusal) Unwrap() []error {
	if r.class != nil {
		return []error{ErrRefused, r.class}
	}
	return []error{ErrRefused}
}

// Decision is what the core decided on a proposal or attempt.
type Decision struct {
	Accepted bool
	Code     string
	Detail   string
	// Attempt and Outcome are the sequence numbers of the records written.
	Attempt int64
	Outcome int64
	// Execution is the execution record's sequence number, when one was
	// written.
	Execution int64
	// Requests are the sign requests of a run parked at its gate, one per
	// stage, after an accepted proposal.
	Requests []*signreq.Request
}
