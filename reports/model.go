package reports

// This file is the report model: what every renderer (JSON, XLSX, PDF)
// prints, and nothing about how. Summary and Findings are held in memory
// (the verifier caps its findings); every section whose rows grow with the
// bundle is a Section spooled to a temporary file as the bundle is read,
// and renderers read it back row by row.
//
// Rows name the records they rest on by sequence number and record hash,
// so an examiner can find each one in the bundle (zstd -dc | jq) or on the
// Records sheet.

import "github.com/countersign/countersign/verifier"

// Names of the report document (the JSON renderer's format and version).
const (
	Format  = "countersign-report"
	Version = 1
)

// Kinds of report.
const (
	// KindMonthly is the monthly segregation-of-duties conflict report
	// (AG-259 4.7, test 8.6): one period of a bundle.
	KindMonthly = "monthly-conflict-report"
	// KindEvidence is the evidence pack: the whole bundle, or one run, as
	// a regulator files it.
	KindEvidence = "evidence-pack"
)

// Where a finding lies relative to the period.
const (
	WhereInPeriod = "in-period"
	WhereBefore   = "before-period"
	WhereAfter    = "after-period"
	WhereBundle   = "bundle-wide" // names no record: the final seal, the trust root
)

// Summary is the first page: which bundle, which period, what verdict.
type Summary struct {
	Kind         string `json:"kind"`
	Title        string `json:"title"`
	Organisation string `json:"organisation"`
	BundleID     string `json:"bundle_id"`
	// Fingerprint is the genesis hash; Pinned says whether it was pinned
	// by the caller (--trust) rather than read from the bundle; Trust is
	// "pinned", "unsafe-no-trust" or "none".
	Fingerprint string `json:"fingerprint"`
	Pinned      bool   `json:"pinned"`
	Trust       string `json:"trust"`
	Head        string `json:"head"`
	File        string `json:"file"`         // the bundle's name as given
	FileSHA256  string `json:"file_sha256"`  // of the bundle file's bytes
	FileBytes   int64  `json:"file_bytes"`   // the bundle file's size
	FirstRecord int64  `json:"first_record"` // the bundle's record range
	LastRecord  int64  `json:"last_record"`
	// Verdict and Authenticity are the verifier's (SPEC.md §8.4), for the
	// whole bundle; Integrity says whether any integrity finding was made.
	Verdict      string `json:"verdict"`
	Authenticity string `json:"authenticity"`
	Integrity    string `json:"integrity"`
	Spec         string `json:"spec"`
	Tool         string `json:"tool"`
	// Date is the report's date: the final seal's time, else
	// SOURCE_DATE_EPOCH, else the last record's claimed time (never the
	// clock); DateSource says which.
	Date       string `json:"date"`
	DateSource string `json:"date_source"`
	Period     Period `json:"period"`
	// Run, for an evidence pack of one run, is its ID.
	Run string `json:"run,omitempty"`
	// Findings by where they lie: a bundle is cumulative from genesis, so
	// findings before the period are stated apart from those in it.
	FindingsInPeriod int `json:"findings_in_period"`
	FindingsBefore   int `json:"findings_before_period"`
	FindingsAfter    int `json:"findings_after_period"`
	FindingsBundle   int `json:"findings_bundle_wide"`
	FindingsOmitted  int `json:"findings_omitted"`
	// Checkpoint is set when a checkpoint was given.
	Checkpoint *Checkpoint `json:"checkpoint"`
	// FinalSeal is the bundle's final seal line, to keep for next month's
	// --checkpoint ("" when the bundle has none that matches it).
	FinalSeal     string `json:"final_seal"`
	FinalSealTime string `json:"final_seal_time"`
	// Rows counts the rows of each section.
	Rows Rows `json:"rows"`
	// Reverify is the exact command that re-verifies the bundle.
	Reverify string `json:"reverify"`
	// Notes are sentences an examiner must read (period incomplete, time
	// running backwards, sections that await record kinds).
	Notes []string `json:"notes"`
}

// Period is a contiguous range of sequence numbers chosen by the records'
// claimed times in the organisation's time zone.
type Period struct {
	Label string `json:"label"`
	Zone  string `json:"zone"`
	// Start and End (exclusive) in the zone, RFC 3339; empty for the
	// whole bundle.
	Start string `json:"start"`
	End   string `json:"end"`
	// FirstSeq and LastSeq are the first and last records of the period
	// (-1 when it holds none); Records counts them.
	FirstSeq int64 `json:"first_seq"`
	LastSeq  int64 `json:"last_seq"`
	Records  int64 `json:"records"`
	// Incomplete is set when the bundle ends before the period does.
	Incomplete bool   `json:"incomplete"`
	BundleEnds string `json:"bundle_ends"` // the last record's claimed time
}

// Checkpoint is what a checkpoint given with --checkpoint proved.
type Checkpoint struct {
	Count    int64  `json:"count"`
	Head     string `json:"head"`
	Time     string `json:"time"`
	Bundle   string `json:"bundle"`
	Extended bool   `json:"extended"`
	Outcome  string `json:"outcome"`
}

// Rows counts each section's rows.
type Rows struct {
	Findings   int64 `json:"findings"`
	Conflicts  int64 `json:"conflicts"`
	Exceptions int64 `json:"exceptions"`
	Refusals   int64 `json:"refusals"`
	Gates      int64 `json:"gates"`
	Signoffs   int64 `json:"signoffs"`
	Register   int64 `json:"register"`
	Records    int64 `json:"records"`
}

// FindingRow is one finding of the verifier, with the rule's references.
type FindingRow struct {
	Rule       string   `json:"rule"`
	Class      string   `json:"class"` // integrity or rule
	References []string `json:"references"`
	Message    string   `json:"message"`
	Records    []int64  `json:"records"`
	Hashes     []string `json:"hashes"` // of Records, "" where not kept
	Where      string   `json:"where"`
}

// ConflictRow is an individual (and their team) who held incompatible
// roles: a finding of a segregation rule on a record they signed (Source
// "finding"), or a person or team of the control register holding two or
// more roles on one control (Source "register", rule SOD-CONTROL-ROLES),
// from the change that started it to the change that ended it.
type ConflictRow struct {
	Rule      string `json:"rule"`
	Source    string `json:"source"` // "finding" or "register"
	Control   string `json:"control"`
	Run       string `json:"run"`
	Principal string `json:"principal"`
	Name      string `json:"name"`
	Team      string `json:"team"`
	Roles     string `json:"roles"`
	// From and To are the claimed times between which the roles were held
	// together, Seconds how long. For a register conflict, To is "" while
	// the roles are still held together at the end of the period (or of
	// the bundle, when it ends first), and Seconds counts the time held
	// within the period.
	From    string  `json:"from"`
	To      string  `json:"to"`
	Seconds int64   `json:"seconds"`
	Message string  `json:"message"`
	Records []int64 `json:"records"`
	Hash    string  `json:"hash"` // of the record the finding is on
}

// ExceptionRow is one exception to role segregation (AG-259 4.5, Kind
// "exception") or one small-organisation exception (AG-259 4.8, Kind
// "small-org") of the verifier's change log: every one that took effect
// and was in force at some time in the period (or not yet started at its
// end), and every one executed in the period that did not take effect.
// State is as at the period's end (or the bundle's, when it ends first):
// active, not yet started, expired, lapsed, ended, or not applied.
type ExceptionRow struct {
	Kind        string `json:"kind"`
	Exception   string `json:"exception"`
	Control     string `json:"control"`
	Run         string `json:"run"`
	Holder      string `json:"holder"` // a principal or a team ("" for a small-organisation exception)
	Name        string `json:"name"`
	Team        string `json:"team"`
	Beneficiary string `json:"beneficiary"`
	Roles       string `json:"roles"`
	// Approver is who signed the run off (accepted sign-offs), as
	// "printed name (principal)", in sign-off order.
	Approver string `json:"approver"`
	State    string `json:"state"`
	// OpenedInPeriod says the execution that made it is in the period;
	// Opened is that execution's time.
	OpenedInPeriod bool   `json:"opened_in_period"`
	Opened         string `json:"opened"`
	// Starts and Expires are the dates as the action states them; for a
	// small-organisation exception Expires is its review date in force
	// at the period's end.
	Starts  string `json:"starts"`
	Expires string `json:"expires"`
	// From and Until are when it is in force, in the organisation's zone:
	// the first instant of Starts to midnight at the end of Expires; for
	// a small-organisation exception, from its execution to when it
	// lapsed or ended ("" while in force).
	From  string `json:"from"`
	Until string `json:"until"`
	// Days is the length in days, both ends included; CumulativeDays
	// that of its chain of renewals from ChainStarts (the verifier's
	// cumulative_days), equal to Days for one that renews none.
	Days           int64  `json:"days"`
	CumulativeDays int64  `json:"cumulative_days"`
	ChainStarts    string `json:"chain_starts"`
	// Reviews are a small-organisation exception's valid reviews up to
	// the period's end.
	Reviews string `json:"reviews"`
	// UsedAfter are the acts the verifier found relying on it once it no
	// longer covered them (SOD-EXCEPTION.8, SOD-SMALL-ORG.4).
	UsedAfter []int64 `json:"used_after"`
	// Reason says how it ended, lapsed or why it did not take effect.
	Reason  string  `json:"reason"`
	Records []int64 `json:"records"`
	Hash    string  `json:"hash"` // of its execution
}

// RefusalRow is one refused proposal or attempt and its alert.
type RefusalRow struct {
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	Time      string `json:"time"`
	Run       string `json:"run"`
	Principal string `json:"principal"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Act       string `json:"act"` // propose, sign-off or execute
	Meaning   string `json:"meaning"`
	Stage     int64  `json:"stage"`
	Reason    string `json:"reason"`
	Code      string `json:"code"`
	Detail    string `json:"detail"`
	Outcome   int64  `json:"outcome_seq"`
	OutHash   string `json:"outcome_hash"`
	OutTime   string `json:"outcome_time"`
	// Alert is the alert record on the refusal (-1 when the bundle holds
	// none); Delivered the first delivery with status delivered (-1 when
	// none), DeliveredTime its time and AlertDelayMs the milliseconds from
	// the refused act's record to it (-1 when none; SPEC.md §6.9 gives 60
	// seconds); Delivery says how it went in words (AG-259 4.4).
	Alert         int64  `json:"alert_seq"`
	Delivered     int64  `json:"delivered_seq"`
	DeliveredTime string `json:"delivered_time"`
	AlertDelayMs  int64  `json:"alert_delay_ms"`
	Delivery      string `json:"delivery"`
	Intact        bool   `json:"intact"`
}

// GateRow is one gate: who requested it, its quorum, how many signed, and
// when the run executed.
type GateRow struct {
	Run           string `json:"run"`
	Class         string `json:"class"`
	Gate          string `json:"gate"`
	Policy        int64  `json:"policy"`
	Seq           int64  `json:"seq"`
	Hash          string `json:"hash"`
	Time          string `json:"time"`
	Requester     string `json:"requester"`
	RequesterName string `json:"requester_name"`
	Quorum        string `json:"quorum"`
	Accepted      int64  `json:"accepted"` // sign-offs accepted
	Refused       int64  `json:"refused"`  // attempts refused
	State         string `json:"state"`    // executed, refused, open
	Executed      int64  `json:"executed_seq"`
	ExecutedTime  string `json:"executed_time"`
	Findings      int64  `json:"findings"`
	Rules         string `json:"rules"`
}

// SignoffRow is one sign-off attempt: who signed, with which printed
// name, when, meaning and verbatim reason, and its outcome.
type SignoffRow struct {
	Run       string `json:"run"`
	Gate      string `json:"gate"`
	Stage     int64  `json:"stage"`
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	Time      string `json:"time"`
	Principal string `json:"principal"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	SignedAt  string `json:"signed_at"`
	Meaning   string `json:"meaning"`
	Reason    string `json:"reason"`
	Outcome   string `json:"outcome"` // accepted, refused, or none
	Code      string `json:"code"`
	OutSeq    int64  `json:"outcome_seq"`
	Intact    bool   `json:"intact"`
	Findings  int64  `json:"findings"`
	Rules     string `json:"rules"`
}

// RegisterRow is one line of the register: who was enrolled, which keys,
// log key and policy were in force, which controls, teams and role
// holders the control register held, at the start and end of the period
// (Part "start", "end"), and each change in the period (Part "change").
// Control, Role, Op and Detail are those of a control, team or role row:
// the control, the role and assign or unassign, and what the definition
// or assignment says; Reason is a role change's justification, verbatim.
type RegisterRow struct {
	Part      string `json:"part"`
	Kind      string `json:"kind"` // a change kind of the verifier's change log
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	Time      string `json:"time"`
	Principal string `json:"principal"`
	Name      string `json:"name"`
	Type      string `json:"principal_kind"`
	Team      string `json:"team"`
	Registrar bool   `json:"registrar"`
	Key       string `json:"key"`
	Policy    int64  `json:"policy"`
	Run       string `json:"run"`
	Control   string `json:"control"`
	Role      string `json:"role"`
	Op        string `json:"op"`
	Detail    string `json:"detail"`
	Reason    string `json:"reason"`
	Applied   bool   `json:"applied"`
	State     string `json:"state"` // in force, revoked, not applied
}

// RecordRow is one record of the period.
type RecordRow struct {
	Seq      int64  `json:"seq"`
	Hash     string `json:"hash"`
	Time     string `json:"time"`
	Type     string `json:"type"`
	Actor    string `json:"actor"`
	Intact   bool   `json:"intact"`
	Findings int64  `json:"findings"`
	Rules    string `json:"rules"`
}

// Term is one glossary entry.
type Term struct {
	Term    string `json:"term"`
	Meaning string `json:"meaning"`
}

// Report is the whole model. Close removes its spooled sections.
type Report struct {
	Summary  Summary
	Result   *verifier.Result
	Findings []FindingRow
	// The sections whose rows grow with the bundle, spooled.
	Conflicts  *Section[ConflictRow]
	Exceptions *Section[ExceptionRow]
	Refusals   *Section[RefusalRow]
	Gates      *Section[GateRow]
	Signoffs   *Section[SignoffRow]
	Register   *Section[RegisterRow]
	Records    *Section[RecordRow]
	Glossary   []Term

	dir string
}
