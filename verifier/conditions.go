package verifier

// conditionIDs lists every numbered condition of every rule and integrity
// step (SPEC.md §8.1 to §8.3), in SPEC order. Each check in the verifier
// names the condition it enforces, and a test disables each in turn to show
// that some vector or test depends on it.
var conditionIDs = []string{
	"INT-CONTAINER.1", "INT-CONTAINER.2",
	"INT-PARSE.1", "INT-PARSE.2", "INT-PARSE.3", "INT-PARSE.4", "INT-PARSE.5",
	"INT-VERSION.1",
	"INT-SEQUENCE.1",
	"INT-CHAIN.1",
	"INT-ENVELOPE.1", "INT-ENVELOPE.2",
	"INT-STATEMENT.1", "INT-STATEMENT.2", "INT-STATEMENT.3", "INT-STATEMENT.4", "INT-STATEMENT.5",
	"INT-STATEMENT.6", "INT-STATEMENT.7", "INT-STATEMENT.8",
	"INT-SEAL.1", "INT-SEAL.2",
	"INT-FINAL-SEAL.1", "INT-FINAL-SEAL.2",
	"INT-TIME.1",
	"INT-TRUST.1",
	"INT-CHECKPOINT.1", "INT-CHECKPOINT.2",
	"SOD-KEY-ENROLMENT.1", "SOD-KEY-ENROLMENT.2", "SOD-KEY-ENROLMENT.3", "SOD-KEY-ENROLMENT.4",
	"SOD-KEY-ENROLMENT.5", "SOD-KEY-ENROLMENT.6", "SOD-KEY-ENROLMENT.7",
	"SOD-GATE-POLICY.1", "SOD-GATE-POLICY.2", "SOD-GATE-POLICY.3", "SOD-GATE-POLICY.4", "SOD-GATE-POLICY.5",
	"SOD-GATE-POLICY.6", "SOD-GATE-POLICY.7", "SOD-GATE-POLICY.8", "SOD-GATE-POLICY.9", "SOD-GATE-POLICY.10",
	"SOD-MAKER-CHECKER.1", "SOD-MAKER-CHECKER.2", "SOD-MAKER-CHECKER.3",
	"SOD-QUORUM.1", "SOD-QUORUM.2", "SOD-QUORUM.3", "SOD-QUORUM.4", "SOD-QUORUM.5", "SOD-QUORUM.6",
	"SOD-QUORUM.7", "SOD-QUORUM.8",
	"SOD-HUMAN-SIGNER.1",
	"SOD-SIGNATURE-MEANING.1", "SOD-SIGNATURE-MEANING.2", "SOD-SIGNATURE-MEANING.3", "SOD-SIGNATURE-MEANING.4",
	"SOD-SIGNATURE-MEANING.5", "SOD-SIGNATURE-MEANING.6", "SOD-SIGNATURE-MEANING.7", "SOD-SIGNATURE-MEANING.8",
	"SOD-SIGNATURE-MEANING.9",
	"SOD-ONE-ROLE.1", "SOD-ONE-ROLE.2", "SOD-ONE-ROLE.3", "SOD-ONE-ROLE.4",
	"SOD-GRANT.1", "SOD-GRANT.2", "SOD-GRANT.3", "SOD-GRANT.4", "SOD-GRANT.5", "SOD-GRANT.6", "SOD-GRANT.7", "SOD-GRANT.8",
	"SOD-ATTEMPT-OUTCOME.1", "SOD-ATTEMPT-OUTCOME.2", "SOD-ATTEMPT-OUTCOME.3", "SOD-ATTEMPT-OUTCOME.4",
	"SOD-ATTEMPT-OUTCOME.5", "SOD-ATTEMPT-OUTCOME.6", "SOD-ATTEMPT-OUTCOME.7", "SOD-ATTEMPT-OUTCOME.8",
	"SOD-ATTEMPT-OUTCOME.9",
	"SOD-PRINTED-NAME.1", "SOD-PRINTED-NAME.2",
	"SOD-CONTROL-ROLES.1", "SOD-CONTROL-ROLES.2", "SOD-CONTROL-ROLES.3", "SOD-CONTROL-ROLES.4", "SOD-CONTROL-ROLES.5",
	"SOD-CONTROL-ROLES.6",
	"SOD-ACCESS-ALIGNMENT.1", "SOD-ACCESS-ALIGNMENT.2",
	"SOD-ROLE-CHANGE-LOG.1", "SOD-ROLE-CHANGE-LOG.2", "SOD-ROLE-CHANGE-LOG.3", "SOD-ROLE-CHANGE-LOG.4",
	"SOD-POLICY-CHANGE.1", "SOD-POLICY-CHANGE.2", "SOD-POLICY-CHANGE.3", "SOD-POLICY-CHANGE.4",
	"SOD-ALERT-60S.1", "SOD-ALERT-60S.2", "SOD-ALERT-60S.3", "SOD-ALERT-60S.4", "SOD-ALERT-60S.5",
	"SOD-AUDIT-INDEPENDENCE.1", "SOD-AUDIT-INDEPENDENCE.2", "SOD-AUDIT-INDEPENDENCE.3", "SOD-AUDIT-INDEPENDENCE.4",
	"SOD-AUDIT-INDEPENDENCE.5", "SOD-AUDIT-INDEPENDENCE.6",
	"SOD-REGISTER-TIMELY.1", "SOD-REGISTER-TIMELY.2", "SOD-REGISTER-TIMELY.3",
	"SOD-EXCEPTION.1", "SOD-EXCEPTION.2", "SOD-EXCEPTION.3", "SOD-EXCEPTION.4", "SOD-EXCEPTION.5",
	"SOD-EXCEPTION.6", "SOD-EXCEPTION.7", "SOD-EXCEPTION.8", "SOD-EXCEPTION.9", "SOD-EXCEPTION.10",
	"SOD-EXCEPTION.11",
	"SOD-SMALL-ORG.1", "SOD-SMALL-ORG.2", "SOD-SMALL-ORG.3", "SOD-SMALL-ORG.4", "SOD-SMALL-ORG.5",
}

// conditionParts are parts of a condition that the condition-removal test
// also turns off one at a time, each named by its condition, "/" and the
// part: turned off, the verifier judges the condition without that part.
// Each must be load-bearing too.
var conditionParts = []string{
	"SOD-CONTROL-ROLES.5/holidays", // the deadline counts recorded holidays (off: Monday to Friday alone)
	"SOD-CONTROL-ROLES.6/person",   // only the person of the personnel record is held (off: every member of the unit)
}

// Limits of SPEC.md §10 that the verifier enforces.
const (
	// MaxSkew is how far, in seconds, a statement's claimed time may lie
	// after the record that carries it, or before the proposal it is bound
	// to.
	MaxSkew = 300
	// MaxUnparseable is how many consecutive unparseable lines a verifier
	// reads before it stops.
	MaxUnparseable = 64
	// MaxRetained bounds the bytes the verifier keeps for open runs (run
	// IDs, classes, change actions, gate records that differ from the
	// policy's, 64 bytes per counted sign-off).
	MaxRetained = 64 << 20
	// MaxOpen bounds the runs open at once and the attempts awaiting their
	// outcomes or executions.
	MaxOpen = 1 << 20
)

// limits are the bounds one verification applies; tests lower them.
type limits struct {
	register    int
	open        int
	retained    int64
	unparseable int
	alerts      int // alerts awaiting delivery; 0 means MaxAlerts
}

func defaultLimits() limits {
	return limits{register: MaxRegister, open: MaxOpen, retained: MaxRetained, unparseable: MaxUnparseable}
}
