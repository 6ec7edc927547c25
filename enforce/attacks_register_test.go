package enforce_test

import (
	"github.com/countersign/countersign/enforce"
	"github.com/countersign/countersign/format"
)

// registerAttacks are the attempts on control ownership (AG-259) the core
// must refuse; TestEveryRefusalIsLoadBearing shows each check matters.
var registerAttacks = []attack{
	{"operate without the role", enforce.CodeRoleNotAssigned, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("agent.reviewer", `{"class":"c.op","case":"1"}`)
		}
	})},
	{"operate a material control missing a role", enforce.CodeRoleNotAssigned, nil, staffed(func(o *org) func() (*enforce.Decision, error) {
		o.ownControl("c", true, []string{"c.op"}, nil, map[string]string{enforce.RoleOperate: "agent.payments"})
		return func() (*enforce.Decision, error) {
			return o.proposeText("agent.payments", `{"class":"c.op","case":"1"}`)
		}
	})},
	{"validate without the role", enforce.CodeRoleNotAssigned, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) { return o.validate("eng.erin", "c", "pass") }
	})},
	{"audit without the role", enforce.CodeRoleNotAssigned, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) { return o.auditFinding("val.vera", "c") }
	})},
	{"change a control without build", enforce.CodeRoleNotAssigned, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", controlDef("c", false, []string{"c.op"}))
		}
	})},
	{"approve a control change without approve", enforce.CodeRoleNotAssigned, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.proposeText("eng.erin", controlDef("c", false, []string{"c.op"})))
		return func() (*enforce.Decision, error) { return o.signoff("risk.chen", d.Requests[0], "", "approved") }
	})},
	{"two roles on one control", enforce.CodeConflictingRole, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", holderDef("c", enforce.RoleApprove, "eng.erin", "assign"))
		}
	})},
	{"a validator signs a change of the control", enforce.CodeConflictingRole, nil, staffed(func(o *org) func() (*enforce.Decision, error) {
		o.pass("ops.dana", string(policyWith(1, `[]`, `[{"class":"change.policy","gate":"board","stages":[{"stage":1,"n":1,"pool":["risk.ben","val.vera"],"meaning":"approval","human":true}]}]`, "")), gov)
		o.ownControl("c", true, []string{"c.op"}, nil, fiveOwners)
		d := o.ok(o.proposeText("eng.erin", string(policyWith(2, `[{"principal":"agent.payments","role":"maker","classes":["c.op","refund"],"max_amount":"","currency":""}]`,
			`[{"class":"change.policy","gate":"board","stages":[{"stage":1,"n":1,"pool":["risk.ben","val.vera"],"meaning":"approval","human":true}]}]`, ""))))
		return func() (*enforce.Decision, error) { return o.signoff("val.vera", d.Requests[1], "", "fine") }
	})},
	{"an agent as approver", enforce.CodeHumanRequired, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", holderDef("c", enforce.RoleApprove, "agent.reviewer", "assign"))
		}
	})},
	{"a class another control governs", enforce.CodeInvalidControl, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", controlDef("d", true, []string{"c.op"}))
		}
	})},
	{"a parameter not of its type", enforce.CodeInvalidControl, nil, staffed(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", controlDef("d", true, []string{"d.op"}, format.Parameter{Name: "t", Type: "decimal", Value: "95%"}))
		}
	})},
	{"a team whose accountable is not a member", enforce.CodeInvalidControl, nil, staffed(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", teamDef("t", "risk.ana", "risk.ben"))
		}
	})},
	{"unassign what is not held", enforce.CodeInvalidControl, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", holderDef("c", enforce.RoleAudit, "risk.chen", "unassign"))
		}
	})},
	{"role change without justification", enforce.CodeEmptyReason, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("ops.dana", roleDef("c", enforce.RoleAudit, "risk.chen", "", "assign", "\t"))
		}
	})},
	{"the assignee signs its own role change", enforce.CodeBeneficiary, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		d := o.ok(o.proposeText("ops.dana", holderDef("c", enforce.RoleAudit, "reg.bea", "assign")))
		return func() (*enforce.Decision, error) { return o.signoff("reg.bea", d.Requests[0], "", "accepted") }
	})},
	{"a grant beyond the register", enforce.CodeInvalidPolicy, nil, owned(func(o *org) func() (*enforce.Decision, error) {
		return func() (*enforce.Decision, error) {
			return o.proposeText("eng.erin", string(policyWith(1, `[{"principal":"agent.reviewer","role":"maker","classes":["c.op"],"max_amount":"","currency":""}]`, "[]", "")))
		}
	})},
	{"a daily aggregate exceeded", enforce.CodeOverLimit, nil, func(o *org) func() (*enforce.Decision, error) {
		o.t.Helper()
		for _, p := range staff {
			o.enrol(p)
		}
		o.ownControl("trading-risk", true, []string{"trade"}, []format.Parameter{amountParam("daily_limit", "500000.00", "GBP")}, tradingOwners)
		o.pass("eng.erin", string(policyWith(1, `[{"principal":"agent.trader","role":"maker","classes":["trade"],"max_amount":"","currency":"GBP","daily_limit":{"control":"trading-risk","parameter":"daily_limit"}}]`, "[]", "")), []string{"risk.ana"})
		o.pass("agent.trader", trade("300000.00"))
		o.ok(o.propose("t-2", "agent.trader", []byte(trade("300000.00")), nil, ""))
		return func() (*enforce.Decision, error) { return o.execute("agent.trader", "t-2") }
	}},
}

// staffed enrols the staff before setup.
func staffed(setup func(o *org) func() (*enforce.Decision, error)) func(o *org) func() (*enforce.Decision, error) {
	return func(o *org) func() (*enforce.Decision, error) {
		for _, p := range staff {
			o.enrol(p)
		}
		return setup(o)
	}
}

// owned adds control c (material, governing c.op) with its five owners.
func owned(setup func(o *org) func() (*enforce.Decision, error)) func(o *org) func() (*enforce.Decision, error) {
	return staffed(func(o *org) func() (*enforce.Decision, error) {
		o.ownControl("c", true, []string{"c.op"}, nil, fiveOwners)
		return setup(o)
	})
}

func init() { attacks = append(attacks, registerAttacks...) }
