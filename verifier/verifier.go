// Package verifier checks a countersign evidence bundle offline: first its
// integrity (container, parsing, sequence, chain, envelope and statement
// signatures, seals, the final seal, time, the pinned trust root and any
// checkpoint), then the segregation-of-duties rules. Each check is a named
// step that cites the section of SPEC.md it enforces.
//
// Verify reads the bundle in one pass. Its memory follows the runs open at
// once, bounded by SPEC.md §10, plus 24 bytes per run and per statement
// outside runs (the sets that keep a run ID or a statement from counting
// twice); signature checks run on all cores and the rest streams. The
// Result is deterministic: the same bundle and inputs give the same bytes
// of JSON.
//
// Views of what a bundle says are built on two streams Verify hands out as
// it reads, so that none of them rereads the bundle or holds it whole: the
// run timeline (Options.Timeline: every run's proposal, gate, attempts,
// outcomes and execution, handed over when the run closes) and the change
// log (Options.Changes: enrolments, revocations, log keys, policies). Each
// record in them carries its sequence number, hash and what verification
// found on it. The runs view of countersign inspect, a register as of a
// record or a time, reports and a browser are their consumers; they keep
// what they need where they choose. See RunTimeline and Change.
//
// The verifier never imports the enforcement core: a bug shared with the
// producer would hide itself.
package verifier

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/countersign/countersign/format"
)

// Trust is the trust root a relying party obtained out of band: the
// genesis hash of the bundle, which pins the log key and the initial
// registrars (SPEC.md §6.1). The zero Trust pins nothing.
type Trust struct {
	genesis format.Hash
	pinned  bool
	unsafe  bool
}

// PinGenesis returns a trust root pinning the genesis hash written as 64
// lowercase hex characters.
func PinGenesis(fingerprint string) (Trust, error) {
	h, err := format.ParseHash(fingerprint)
	if err != nil {
		return Trust{}, fmt.Errorf("trust fingerprint: %w", err)
	}
	return Trust{genesis: h, pinned: true}, nil
}

// UnsafeNoTrust returns a trust root that pins nothing and says so: the
// verdict can be "pass" but authenticity is "not-established".
func UnsafeNoTrust() Trust { return Trust{unsafe: true} }

// Options are per-verification settings.
type Options struct {
	// Checkpoint, when set, is a seal received earlier that the bundle must
	// extend (SPEC.md §7.3).
	Checkpoint *format.Trailer
	// Observer, when set, is called in order for every record once its
	// checks are done, and with progress.
	Observer Observer
	// Workers is the number of signature-checking goroutines; 0 means one
	// per CPU.
	Workers int
	// MaxFindings caps the findings kept in the Result (0 means 1000); the
	// rest are counted in FindingsOmitted.
	MaxFindings int
	// Timeline, when set, receives each run's timeline when the run
	// closes, and the runs still open at the end (see RunTimeline).
	// Changes, when set, receives each change to principals, keys and
	// policy in sequence order (see Change). Both are called from one
	// goroutine at a time, in the order of the records that close or make
	// them, before Verify returns; what they receive is theirs to keep.
	Timeline func(*RunTimeline)
	Changes  func(*Change)
	// Notices, when set, receives each note, alert and alert delivery
	// (see Notice), in sequence order, like Changes.
	Notices func(*Notice)
	// stop, set by StateAt and StateAtTime, ends reading early.
	stop stop

	// off, for tests only, names conditions (SPEC.md §8) not to check, to
	// show that each is load-bearing; lim, when set, replaces the limits
	// of SPEC.md §10.
	off map[string]bool
	lim *limits
	// singly turns batch verification off: every signature is checked on
	// its own (tests hold the two to the same Result).
	singly bool
}

// stop says where a state-as-of query stops reading: after the record at
// position seq (atSeq), or before the first record whose claimed time is
// later than beforeTime (when set).
type stop struct {
	atSeq      bool
	seq        int64
	beforeTime string
}

// Observer receives per-record status in sequence order.
type Observer interface {
	Record(ev *Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(ev *Event)

// Record calls f.
func (f ObserverFunc) Record(ev *Event) { f(ev) }

// Event is the status of one record. State is the state after the record;
// it is only valid during the call.
type Event struct {
	Seq      int64
	Type     string
	Actor    string
	Time     string
	OK       bool
	Findings []Finding
	Bytes    int64 // compressed bytes consumed so far
	// Frame is the byte offset of the frame the record's line ends in, and
	// Hash the record hash of the line (zero when it did not parse): a
	// browser reading records through the seek table compares them with
	// what this linear reading found.
	Frame int64
	Hash  format.Hash
	State *State
}

// Verdicts and authenticity labels (SPEC.md §8.4).
const (
	VerdictPass            = "pass"
	VerdictFail            = "fail"
	VerdictUnauthenticated = "unauthenticated"
	// VerdictNotBundle is no verdict: the input is not a bundle (SPEC.md
	// §2.4), and Result.Reason says why. Verify never returns it; it is the
	// document NotBundleResult makes for reports and --json.
	VerdictNotBundle = "not-bundle"

	AuthEstablished    = "established"
	AuthNotEstablished = "not-established"
	AuthFailed         = "failed"
)

// ResultFormat names the JSON document Verify's Result marshals to;
// SpecRevision is the revision of SPEC.md whose rules this verifier
// applies, to bundles of every minor version it reads.
const (
	ResultFormat  = "countersign-verify-result"
	ResultVersion = 2
	SpecRevision  = "1.2"
)

// TZData names the time-zone database the verifier judges local days and
// business days with (SPEC.md §6.11): the zone data embedded by Go's
// time/tzdata package, which carries no version string of its own, so it
// is named by the Go release that embeds it.
var TZData = "time/tzdata of " + runtime.Version()

// Version is the version of this verifier: the module version the Go tool
// recorded, or "(devel)" for a build from a work tree.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	const mod = "github.com/countersign/countersign"
	if bi.Main.Path == mod && bi.Main.Version != "" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == mod && d.Version != "" {
			return d.Version
		}
	}
	return "(devel)"
}

// Result is the outcome of a verification (SPEC.md §8.4). It marshals to
// the versioned JSON document countersign verify --json prints.
type Result struct {
	// Format is always ResultFormat, and Version ResultVersion.
	Format  string `json:"format"`
	Version int    `json:"version"`
	// Spec is the SPEC.md revision whose rules reached the verdict
	// (SpecRevision), and Verifier the version of the verifier (Version).
	Spec     string `json:"spec"`
	Verifier string `json:"verifier"`
	// TZData names the time-zone database local days were judged with
	// (TZData).
	TZData string `json:"tzdata"`
	// Verdict is VerdictPass (a trust root was given, or explicitly waived
	// with UnsafeNoTrust, and there are no findings), VerdictFail (at least
	// one finding) or VerdictUnauthenticated (no finding, but no trust root
	// was given) (SPEC.md §8.5).
	Verdict string `json:"verdict"`
	// Authenticity is AuthEstablished (the genesis matches the pinned
	// trust root), AuthNotEstablished (nothing was pinned) or AuthFailed
	// (the genesis does not match the pin).
	Authenticity string `json:"authenticity"`
	// Bundle says which bundle was read; its fields are empty where the
	// bundle did not get that far.
	Bundle Bundle `json:"bundle"`
	// Counts are what was read and checked.
	Counts Counts `json:"counts"`
	// Findings are the first Options.MaxFindings things wrong (1000 by
	// default), in the order of SPEC.md §8.4: integrity findings first,
	// then by the first record each names, rule and records; findings that
	// name no record come last in their class. Never nil: an empty list
	// means no finding.
	Findings []Finding `json:"findings"`
	// FindingsOmitted counts the findings past the cap, which are not kept.
	FindingsOmitted int `json:"findings_omitted"`
	// Reason, for VerdictNotBundle only, says why the input is not a
	// bundle.
	Reason string `json:"reason,omitempty"`
}

// NotBundleResult is the document for an input that is not a bundle:
// verdict VerdictNotBundle, the reason, no findings.
func NotBundleResult(reason string) *Result {
	return &Result{Format: ResultFormat, Version: ResultVersion, Spec: SpecRevision, Verifier: Version(), TZData: TZData,
		Verdict: VerdictNotBundle, Authenticity: AuthNotEstablished, Findings: []Finding{}, Reason: reason}
}

// Bundle describes what was verified.
type Bundle struct {
	Genesis       string `json:"genesis"`              // hash of record 0, lowercase hex: the bundle's identity
	ID            string `json:"id"`                   // the genesis bundle_id
	Organisation  string `json:"organisation"`         // the genesis org name
	FormatVersion string `json:"format_version"`       // the genesis version, "1.0" to "1.2" (a newer minor is refused)
	Head          string `json:"head"`                 // hash of the last record read
	FinalSeal     string `json:"final_seal,omitempty"` // the trailer line, when its seal matches the bundle (its signature is a finding if bad)
}

// Counts are what the verifier read and checked.
type Counts struct {
	Records    int64 `json:"records"`
	Signatures int64 `json:"signatures"`
	// SignaturesFailed counts the signatures checked that did not verify
	// (each is also a finding).
	SignaturesFailed int64 `json:"signatures_failed"`
	Statements       int64 `json:"statements"`
	Seals            int64 `json:"seals"`
	Principals       int64 `json:"principals"`
	Keys             int64 `json:"keys"`
	Runs             int64 `json:"runs"`
	Refusals         int64 `json:"refusals"`
	Bytes            int64 `json:"bytes"`
}

// Finding is one thing wrong, with the rule it breaks and the records
// (sequence numbers) involved.
type Finding struct {
	Rule    string  `json:"rule"`
	Message string  `json:"message"`
	Records []int64 `json:"records"`

	// msgf and args, when msgf is set, make Message once the finding is
	// kept, so findings past MaxFindings are counted, never formatted.
	msgf string
	args []any
}

// format fills in Message from msgf and args.
func (f *Finding) format() {
	if f.msgf != "" {
		f.Message = fmt.Sprintf(f.msgf, f.args...)
		f.msgf, f.args = "", nil
	}
}

// ErrNotBundle is returned for input that is not a bundle at all; test for
// it with errors.Is. It is format.ErrNotBundle.
var ErrNotBundle = format.ErrNotBundle

// Verify checks the bundle read from r. It returns an error only when r is
// not a bundle at all (ErrNotBundle) or cannot be read; everything wrong
// inside a readable bundle is a finding in the Result.
func Verify(ctx context.Context, r io.Reader, trust Trust, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxFindings <= 0 {
		opts.MaxFindings = 1000
	}
	v := newRun(trust, opts)
	if err := v.run(ctx, r); err != nil {
		return nil, err
	}
	return v.result(), nil
}

// StateAt reads the bundle up to and including record seq and returns the
// state the bundle describes at that point, with the result of checking the
// records read so far (final-seal and end-of-bundle checks are not made).
func StateAt(ctx context.Context, r io.Reader, trust Trust, seq int64) (*State, *Result, error) {
	return stateAt(ctx, r, trust, Options{stop: stop{atSeq: true, seq: seq}})
}

// StateAtTime is StateAt for the last record whose claimed time is at or
// before at (a bundle time, SPEC.md §1). Claimed times order records only
// because the producer never writes a time earlier than the last
// (INT-TIME); the result says if that failed.
func StateAtTime(ctx context.Context, r io.Reader, trust Trust, at string) (*State, *Result, error) {
	if _, err := format.ParseTime(at); err != nil {
		return nil, nil, err
	}
	return stateAt(ctx, r, trust, Options{stop: stop{beforeTime: at}})
}

func stateAt(ctx context.Context, r io.Reader, trust Trust, opts Options) (*State, *Result, error) {
	opts.Workers = runtime.GOMAXPROCS(0)
	opts.MaxFindings = 1000
	v := newRun(trust, opts)
	if err := v.run(ctx, r); err != nil {
		return nil, nil, err
	}
	return v.state, v.result(), nil
}
