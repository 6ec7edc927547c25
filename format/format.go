// Package format reads and checks countersign evidence bundles, version 1.
// SPEC.md is the normative text; this package is one reading of it, and the
// section numbers below are SPEC.md's.
//
// # What a bundle is
//
// A bundle is one organisation's log of who did what under segregation of
// duties, and who allowed it. On disk it is a zstd container (§2): data
// frames of newline-terminated lines, a trailer frame holding the final
// seal alone, and a seek table in a skippable frame at the end. Every line
// but the trailer is a record (§3): a JSON object of the strict subset of
// §3.1, with the envelope members of §3.2 (seq, time, type, actor, prev,
// body, sigs, lkey, lsig). Each record carries the hash of the one before
// it (§3.4) and is signed by the producer's log key; records a person or an
// agent vouches for also carry their signed statements (§5).
//
// # Record types
//
// The body of a record is one of the types of §6, each a Go type here:
//
//   - genesis (Genesis, §6.1): the organisation, the log key, the
//     registrars and the governance quorum; record 0.
//   - enrolment, key_revocation, log_key_rotation (Enrolment,
//     KeyRevocation, LogKeyRotation, §6.2 to §6.4): principals and keys.
//   - seal (SealBody, §6.5, §7.1): the log key's periodic statement of the
//     bundle's length and head.
//   - proposal, gate, attempt, outcome, execution (Proposal, Gate, Attempt,
//     Outcome, Execution, §6.6): a business run, from proposal through
//     sign-offs at its gates to its execution; change classes (§6.8,
//     PolicyAction, RoleAction and the rest) are runs that change the
//     organisation or the policy.
//   - note, audit_finding, personnel, alert, alert_delivery (Note,
//     AuditFinding, Personnel, Alert, AlertDelivery, §6.9).
//
// LookupType says how each type is signed and by whom.
//
// # Reading a bundle
//
// NewReader streams the lines of a bundle with bounded memory and reports
// container problems (§2.4) as *ContainerError; OpenIndex gives random
// access through the seek table (§2.3). ParseRecord checks one line's
// envelope, DecodeBody its body, ParseStatement each statement in its sigs
// (§5), and ParseTrailer the final seal (§7.2). Hashes, key IDs and
// signatures follow §4: RecordHash, KeyIDOf, ActionDigest, Verify, with the
// Ed25519 acceptance rules of §4.1 in CheckPublicKey and PublicKey. Every
// parser here fails closed: input outside the format is ErrMalformed, an
// unknown record type ErrUnknownType, and a file that is not a bundle at
// all ErrNotBundle. A bundle of a newer minor version (§9) is decoded in
// Lax mode, which ignores members this reader does not know.
//
// Checking that a bundle is whole and that its runs kept segregation of
// duties (§8) is the verifier package's work; writing bundles is
// format/produce's, and the sign-request protocol between a producer and a
// signer (§6.10) is format/signreq's.
package format

// Version is the format version this package writes and reads.
const (
	FormatName   = "countersign"
	Version      = "1.2"
	VersionMajor = 1
	VersionMinor = 2
)
