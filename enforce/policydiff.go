package enforce

import (
	"fmt"
	"maps"
	"slices"

	"github.com/countersign/countersign/format"
)

// GateControls is the gate ID of a run whose gate is built from the
// register: a change of existing controls, signed by their approvers.
const GateControls = "controls"

// classView is what a policy says about one action class: its grants
// (each encoded with its classes narrowed to the class, as a set), its
// gate definition and its beneficiary member.
type classView struct {
	grants map[string]format.Grant
	gate   string
	member string
}

func viewOf(grants []format.Grant, gates map[string]format.GateDef, members map[string]string) map[string]*classView {
	out := map[string]*classView{}
	get := func(k string) *classView {
		if out[k] == nil {
			out[k] = &classView{grants: map[string]format.Grant{}}
		}
		return out[k]
	}
	for _, g := range grants {
		for _, k := range g.Classes {
			one := g
			one.Classes = []string{k}
			b, _ := format.MarshalJSON(one)
			get(k).grants[string(b)] = g
		}
	}
	for k, g := range gates {
		b, _ := format.MarshalJSON(g)
		get(k).gate = string(b)
	}
	for k, m := range members {
		get(k).member = m
	}
	return out
}

// affected compares policy p with the policy in force, class by class,
// and returns the controls whose classes it changes (a class's grants,
// gate or beneficiary member, or a changed grant whose limit names the
// control's parameter), sorted bytewise, and whether it changes some
// class no control governs.
func (s *state) affected(p *format.PolicyAction) ([]string, bool) {
	var old map[string]*classView
	if s.policy != nil {
		old = viewOf(s.policy.grants, s.policy.gates, s.policy.beneficiaries)
	} else {
		old = map[string]*classView{}
	}
	gates, members := map[string]format.GateDef{}, map[string]string{}
	for _, g := range p.Gates {
		gates[g.Class] = g
	}
	for _, b := range p.Beneficiaries {
		members[b.Class] = b.Member
	}
	nu := viewOf(p.Grants, gates, members)
	ctls, unowned := map[string]bool{}, false
	empty := &classView{grants: map[string]format.Grant{}}
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(old, nu))) {
		a, b := old[k], nu[k]
		if a == nil {
			a = empty
		}
		if b == nil {
			b = empty
		}
		changed := a.gate != b.gate || a.member != b.member
		for _, side := range [][2]map[string]format.Grant{{a.grants, b.grants}, {b.grants, a.grants}} {
			for enc, g := range side[0] {
				if _, same := side[1][enc]; same {
					continue
				}
				changed = true
				for _, ref := range []*format.ParamRef{g.Limit, g.DailyLimit} {
					if ref != nil && s.reg.controls[ref.Control] != nil {
						ctls[ref.Control] = true
					}
				}
			}
		}
		if !changed {
			continue
		}
		if c := s.reg.governs[k]; c != "" {
			ctls[c] = true
		} else {
			unowned = true
		}
	}
	return slices.Sorted(maps.Keys(ctls)), unowned
}

func mergeKeys(a, b map[string]*classView) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// controlsGate builds the gate of a change of existing controls: one
// stage per control, in ascending bytewise order of control ID, signed by
// one of its approvers; then, when the change also touches what no
// control governs, the stages of the gate the class would otherwise need
// (the policy's gate for it, else the governance gate), renumbered. The
// gate record names the version of the policy in force. It
// returns the refusal when a control has no approver.
func (s *state) controlsGate(class string, ctls []string, unowned bool) (*format.GateDef, int64, string) {
	g := &format.GateDef{Class: class, Gate: GateControls}
	for i, c := range ctls {
		pool := s.approvers(c)
		if len(pool) == 0 {
			return nil, 0, fmt.Sprintf("control %s has no approver to sign a change of it: assign one first", c)
		}
		g.Stages = append(g.Stages, format.Stage{Stage: int64(i + 1), N: 1, Pool: pool, Meaning: format.MeaningApproval, Human: true,
			PoolRole: &format.PoolRole{Control: c, Role: RoleApprove}})
	}
	// The gate record names the version of the policy in force at the
	// proposal (0 when none), whichever gate the class would otherwise need
	// (SPEC.md §6.11).
	base, _ := s.requiredGate(class)
	var pv int64
	if s.policy != nil {
		pv = s.policy.version
	}
	if unowned {
		for _, st := range base.Stages {
			st.Stage = int64(len(g.Stages) + 1)
			st.Pool = slices.Clone(st.Pool)
			g.Stages = append(g.Stages, st)
		}
	}
	return g, pv, ""
}

// gateControls returns the controls a gate's stages name as the approvers
// of, in stage order.
func gateControls(g *format.Gate) []string {
	var out []string
	if g == nil {
		return nil
	}
	for _, st := range g.Stages {
		if st.PoolRole != nil && !slices.Contains(out, st.PoolRole.Control) {
			out = append(out, st.PoolRole.Control)
		}
	}
	return out
}

// checkAlignment returns why a policy's grants go beyond the register, or
// "": a maker grant on a class control C governs needs its grantee to hold
// operate on C; a checker grant on a change class needs its grantee to
// hold approve on the policy's control, when it names one; and every limit
// bound to a parameter must name an amount parameter in the register.
func (s *state) checkAlignment(p *format.PolicyAction) string {
	for _, g := range p.Grants {
		if why := s.checkGrantLimits(g); why != "" {
			return why
		}
		for _, k := range g.Classes {
			switch c := s.reg.governs[k]; {
			case g.Role == format.GrantMaker && c != "" && !s.holds(s.reg, g.Principal, c, RoleOperate):
				return fmt.Sprintf("the maker grant of %s on %s goes beyond the register: %s does not hold operate on control %s, which governs %s", g.Principal, k, g.Principal, c, k)
			case g.Role == format.GrantChecker && format.IsChangeClass(k) && p.Control != "" && !s.holds(s.reg, g.Principal, p.Control, RoleApprove):
				return fmt.Sprintf("the checker grant of %s on %s goes beyond the register: %s does not hold approve on control %s", g.Principal, k, g.Principal, p.Control)
			}
		}
	}
	return ""
}
