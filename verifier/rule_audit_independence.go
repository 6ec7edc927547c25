package verifier

import (
	"slices"

	"github.com/countersign/countersign/format"
)

// RuleAuditIndependence: whoever runs a control does not audit it, and a
// finding is downgraded or withdrawn only by a signed change of the
// control's auditor, signed off by its approver (AG-259 scenario B).
const RuleAuditIndependence = "SOD-AUDIT-INDEPENDENCE"

// auditFinding is one audit_finding record as the rule keeps it.
type auditFinding struct {
	control   string
	severity  string // the current severity: as recorded, or as last downgraded
	withdrawn int64  // the execution that withdrew it, or -1
}

// AuditRun is what a change.audit_finding run needs of its proposal
// (SPEC.md §6.11, Audit independence): the finding control, its approvers
// at the proposal and whether the proposer held audit and not operate on
// it there.
type AuditRun struct {
	Control   string
	Approvers []string
	Auditor   bool // held audit on Control at the proposal
	Operator  bool // held operate on it
}

// auditFindings returns the audit findings recorded so far, by sequence
// number.
func (s *State) auditFindings() map[int64]*auditFinding {
	if s.findings == nil {
		s.findings = map[int64]*auditFinding{}
	}
	return s.findings
}

// auditRunOf works out, at the proposal at seq, the finding control of a
// change.audit_finding action, or nil when its finding names no
// audit_finding record before the proposal.
func (s *State) auditRunOf(a *format.Action, proposer string, seq int64) *AuditRun {
	ch, err := format.DecodeChange(a, modeOf(s.Lax))
	if err != nil {
		return nil
	}
	c := ch.(*format.AuditFindingChangeAction)
	f := s.findings[c.Finding]
	if f == nil || c.Finding >= seq {
		return nil
	}
	return &AuditRun{Control: f.control, Approvers: s.holdersOf(f.control, RoleApprove),
		Auditor: s.holds(proposer, f.control, RoleAudit), Operator: s.holds(proposer, f.control, RoleOperate)}
}

// auditChangeProblem says why an executed change.audit_finding proposed
// at proposal cannot change its finding (SPEC.md §6.11), or "".
func (s *State) auditChangeProblem(c *format.AuditFindingChangeAction, proposal int64) string {
	f := s.findings[c.Finding]
	switch {
	case f == nil || c.Finding >= proposal:
		return "it names record " + itoa(c.Finding) + ", which is no audit finding recorded before its proposal"
	case f.withdrawn >= 0:
		return "the finding at record " + itoa(c.Finding) + " was withdrawn at record " + itoa(f.withdrawn)
	case !nonBlank(c.Reason):
		return "its reason is blank"
	}
	switch c.Op {
	case "downgrade":
		if r := format.SeverityRank(c.Severity); r < 0 || r >= format.SeverityRank(f.severity) {
			return "severity " + clip(c.Severity) + " is not lower than the finding's current severity " + clip(f.severity)
		}
	case "withdraw":
		if c.Severity != "" {
			return "a withdrawal names no severity, and this one names " + clip(c.Severity)
		}
	default:
		return "op " + clip(c.Op) + " is neither downgrade nor withdraw"
	}
	return ""
}

// applyAuditChange puts an executed, valid change.audit_finding into force.
func applyAuditChange(j *judgement, r *RunState, c *format.AuditFindingChangeAction) {
	s := j.st
	if s.auditChangeProblem(c, r.ProposalSeq) != "" && j.on("SOD-AUDIT-INDEPENDENCE.3") {
		return
	}
	f := s.findings[c.Finding]
	if f == nil {
		return
	}
	if c.Op == "withdraw" {
		f.withdrawn = j.rec.Seq
	} else {
		f.severity = c.Severity
	}
}

var ruleAuditIndependence = Rule{
	ID:         RuleAuditIndependence,
	Statement:  "an audit finding is recorded by a holder of audit on the control, never by its operator; a finding is downgraded or withdrawn only by a signed change proposed by the control's auditor and signed off by its approver, never by its operator",
	References: []string{"seed 003 (AG-259 scenario B)", "SPEC.md §6.11", "SPEC.md §8.3"},
	check: func(j *judgement) {
		s := j.st
		switch b := j.body.(type) {
		case *format.AuditFinding:
			actor := j.rec.Actor
			if !s.holds(actor, b.Control, RoleAudit) && j.on("SOD-AUDIT-INDEPENDENCE.1") {
				j.emitf(RuleAuditIndependence, nil, "%s recorded an audit finding on control %s without holding audit on it", actor, clip(b.Control))
			}
			if s.holds(actor, b.Control, RoleOperate) && j.on("SOD-AUDIT-INDEPENDENCE.2") {
				j.emitf(RuleAuditIndependence, nil, "%s, who holds operate on control %s, recorded an audit finding on it: whoever runs a control does not audit it", actor, clip(b.Control))
			}
			return
		case *format.Execution:
			r := j.run
			if r == nil || r.Class != format.ClassAuditFinding || r.Action == nil {
				return
			}
			recs := []int64{r.ProposalSeq, j.rec.Seq}
			if ch, err := format.DecodeChange(r.Action, modeOf(s.Lax)); err == nil && j.on("SOD-AUDIT-INDEPENDENCE.3") {
				if p := s.auditChangeProblem(ch.(*format.AuditFindingChangeAction), r.ProposalSeq); p != "" {
					j.emitf(RuleAuditIndependence, recs, "run %s cannot change an audit finding: %s; the change does not take effect", r.ID, p)
				}
			}
			a := r.Audit
			if a == nil {
				return
			}
			if (!a.Auditor || a.Operator) && j.on("SOD-AUDIT-INDEPENDENCE.4") {
				why := "did not hold audit on it"
				switch {
				case a.Auditor:
					why = "held operate on it"
				case a.Operator:
					why = "held operate and not audit on it"
				}
				j.emitf(RuleAuditIndependence, recs, "run %s changes an audit finding on control %s, and its proposer %s %s at the proposal", r.ID, a.Control, r.Proposer, why)
			}
			if j.on("SOD-AUDIT-INDEPENDENCE.5") {
				ok := false
				for _, so := range r.Signoffs {
					p := s.PersonOf(so.Principal)
					ok = ok || so.Bound && p != s.PersonOf(r.Proposer) && slices.ContainsFunc(a.Approvers, func(x string) bool { return s.PersonOf(x) == p })
				}
				if !ok {
					j.emitf(RuleAuditIndependence, recs, "run %s changes an audit finding on control %s without a counted sign-off by a holder of approve on it at the proposal", r.ID, a.Control)
				}
			}
			return
		}
		if a, r := acceptedSignoff(j); a != nil && r.Audit != nil && j.on("SOD-AUDIT-INDEPENDENCE.6") && s.holds(a.actor, r.Audit.Control, RoleOperate) {
			j.emitf(RuleAuditIndependence, []int64{r.ProposalSeq, a.seq, j.rec.Seq}, "%s, who holds operate on control %s, signed off run %s, which changes an audit finding on it", a.actor, r.Audit.Control, r.ID)
		}
	},
}
