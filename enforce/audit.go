package enforce

import (
	"fmt"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
	"github.com/countersign/countersign/internal/names"
)

// auditFinding is an audit_finding record as the core keeps it (SPEC.md
// §6.11, Audit independence): its control, its current severity, and
// whether a change has withdrawn it.
type auditFinding struct {
	control   string
	severity  string
	withdrawn bool
}

// applyAuditChange puts an executed change.audit_finding into force.
func (s *state) applyAuditChange(c *format.AuditFindingChangeAction) {
	f := s.findings[c.Finding]
	if f == nil || f.withdrawn {
		return
	}
	switch c.Op {
	case "withdraw":
		f.withdrawn = true
	case "downgrade":
		if r := format.SeverityRank(c.Severity); r >= 0 && r < format.SeverityRank(f.severity) {
			f.severity = c.Severity
		}
	}
}

func auditChangeOf(a *format.Action) *format.AuditFindingChangeAction {
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return nil
	}
	c, _ := ch.(*format.AuditFindingChangeAction)
	return c
}

// auditControl returns the control of the finding a change.audit_finding
// names, or "" when it names no audit finding recorded.
func (s *state) auditControl(a *format.Action) string {
	if c := auditChangeOf(a); c != nil {
		if f := s.findings[c.Finding]; f != nil {
			return f.control
		}
	}
	return ""
}

// judgeAuditChange returns the refusal of a change.audit_finding proposed
// (or executed) by proposer, or "": it names a standing finding, lowers
// its severity or withdraws it with a reason, and is proposed by the
// finding control's auditor, never its operator (SPEC.md §6.11).
func (c *Core) judgeAuditChange(a *format.Action, proposer string) (string, string) {
	ch := auditChangeOf(a)
	if ch == nil {
		return "", ""
	}
	s := c.st
	f := s.findings[ch.Finding]
	if c.on(CodeInvalidControl) {
		switch {
		case f == nil:
			return CodeInvalidControl, fmt.Sprintf("record %d is no audit finding: only a recorded finding is downgraded or withdrawn", ch.Finding)
		case f.withdrawn:
			return CodeInvalidControl, fmt.Sprintf("the audit finding at record %d is already withdrawn", ch.Finding)
		case ch.Op == "downgrade" && !(format.SeverityRank(ch.Severity) >= 0 && format.SeverityRank(ch.Severity) < format.SeverityRank(f.severity)):
			return CodeInvalidControl, fmt.Sprintf("a downgrade names a severity lower than the finding's %s; %q is not", f.severity, ch.Severity)
		case ch.Op == "withdraw" && ch.Severity != "":
			return CodeInvalidControl, fmt.Sprintf("a withdrawal names no severity, and this one names %q", ch.Severity)
		case ch.Op != "downgrade" && ch.Op != "withdraw":
			return CodeInvalidControl, fmt.Sprintf("op %q is neither downgrade nor withdraw", ch.Op)
		}
	}
	if c.on(CodeEmptyReason) && names.Blank(ch.Reason) {
		return CodeEmptyReason, "a downgrade or withdrawal of an audit finding says why: its reason is blank"
	}
	if f == nil || !c.on(CodeRoleNotAssigned) {
		return "", ""
	}
	switch {
	case !s.holds(s.reg, proposer, f.control, RoleAudit):
		return CodeRoleNotAssigned, fmt.Sprintf("%s does not hold audit on control %s: only its auditor downgrades or withdraws a finding on it", proposer, f.control)
	case s.holds(s.reg, proposer, f.control, RoleOperate):
		return CodeRoleNotAssigned, fmt.Sprintf("%s holds operate on control %s: whoever runs a control does not downgrade or withdraw a finding on it", proposer, f.control)
	}
	return "", ""
}

// judgeHoliday returns the refusal of a change.holiday that is not valid,
// or "".
func (c *Core) judgeHoliday(a *format.Action) (string, string) {
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil || !c.on(CodeInvalidPolicy) {
		return "", ""
	}
	h := ch.(*format.HolidayAction)
	if _, err := calendar.Parse(h.Date); err != nil {
		return CodeInvalidPolicy, fmt.Sprintf("holiday date %q is not a date of the form YYYY-MM-DD", h.Date)
	}
	if names.Blank(h.Name) {
		return CodeInvalidPolicy, "a holiday needs a name: it is blank"
	}
	return "", ""
}

// applyHoliday puts an executed change.holiday into force.
func (s *state) applyHoliday(h *format.HolidayAction) {
	if d, err := calendar.Parse(h.Date); err == nil && !names.Blank(h.Name) {
		s.holidays[d] = true
	}
}
