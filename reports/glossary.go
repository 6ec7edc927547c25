package reports

// glossary is printed with every report.
var glossary = []Term{
	{"bundle", "The evidence file: hash-chained, signed records from the genesis record on, ending with a final seal (SPEC.md)."},
	{"genesis fingerprint", "The hash of the bundle's first record. Pinned with --trust, it fixes the log key and the first registrars; obtain it out of band, never from the bundle."},
	{"verdict", "PASS: authenticated (or integrity only, under --unsafe-no-trust) and no finding. FAIL: at least one finding. UNAUTHENTICATED: no finding, but no trust root was given."},
	{"integrity", "Whether every record parses, links to the one before, carries valid signatures and seals: the INT-* checks. A record that is not intact is not evidence of what it says."},
	{"finding", "One thing wrong: the rule it breaks, a message and the sequence numbers of the records involved."},
	{"period", "The records whose claimed times lie in the period, in the organisation's time zone: a contiguous range of sequence numbers. Findings before the period are stated apart from those in it."},
	{"sequence number", "A record's place in the bundle, from 0 (the genesis). Every row names the records it rests on by sequence number and record hash."},
	{"record hash", "The SHA-256 of a record's exact bytes, as the next record links to it (SPEC.md §4)."},
	{"run", "One action from its proposal through its gate, sign-offs and outcomes to its execution or refusal."},
	{"gate", "The approvals a class of action needs: stages, each of n sign-offs with a required meaning from a named pool, some by humans only."},
	{"sign-off", "A principal's signed statement approving a stage: printed name, time, meaning and verbatim reason, bound to the bundle, run, proposal and action digest."},
	{"refusal", "An attempt the enforcement core refused and recorded, with its reason code; a refused attempt has no effect."},
	{"conflict", "A principal who held incompatible roles (prepared and approved, or two roles in one run), as a segregation rule found; or a person or team holding two or more of a control's five roles (build, operate, approve, validate, audit) in the control register, from the change that started it to the one that ended it."},
	{"alert", "The record the enforcement core writes when it refuses an act for a role the actor does not hold on a control; its delivery records say when it reached its channel. The delay runs from the refused act's record to the first delivery with status delivered (at most 60 seconds, SOD-ALERT-60S)."},
	{"exception", "A time-limited, approved permission to hold otherwise incompatible roles (AG-259 4.5)."},
	{"register", "Who the principals are, their kinds and teams, which keys and log key are in force, which policy governs, and the control register: each control, its teams and who holds each of its five roles (SPEC.md §6.11)."},
	{"checkpoint", "A final seal kept from an earlier export; a bundle that extends it holds the same records up to it, unchanged."},
	{"final seal", "The signed export trailer: record count and head hash. Keep this month's to check next month's bundle with --checkpoint."},
	{"claimed time", "A time a record or signer states; the sequence number, not the clock, orders records."},
}
