package enforce

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/names"
)

// Control roles (AG-259): the five lifecycle functions a material control
// needs, each held by someone else.
const (
	RoleBuild    = "build"
	RoleOperate  = "operate"
	RoleApprove  = "approve"
	RoleValidate = "validate"
	RoleAudit    = "audit"
)

// Roles lists the five control roles in the order the register shows them.
var Roles = []string{RoleBuild, RoleOperate, RoleApprove, RoleValidate, RoleAudit}

// humanRole reports whether role must be held by a human: everything but
// operate, which an agent may hold.
func humanRole(role string) bool { return role != RoleOperate }

func validRole(role string) bool { return slices.Contains(Roles, role) }

// control is one control of the register, as its last executed
// change.control defined it.
type control struct {
	id       string
	name     string
	material bool
	classes  []string
	params   map[string]format.Parameter
	order    []string // parameter names in their definition's order
}

// team is one team of the register, as its last executed change.team
// defined it.
type team struct {
	id          string
	name        string
	accountable string
	members     []string
}

// holder holds a role: a principal or a team, exactly one non-empty.
type holder struct {
	principal string
	team      string
}

func (h holder) String() string {
	if h.team != "" {
		return "team " + h.team
	}
	return h.principal
}

// register is the core's register of controls, teams and role
// assignments, as executed change runs left it. It is rebuilt by replaying
// the journal, like the rest of the state.
type register struct {
	controls map[string]*control
	governs  map[string]string // action class -> the control governing it
	teams    map[string]*team
	roles    map[string]map[string][]holder // control -> role -> holders, in assignment order
}

func newRegister() *register {
	return &register{controls: map[string]*control{}, governs: map[string]string{}, teams: map[string]*team{}, roles: map[string]map[string][]holder{}}
}

// clone returns a copy deep enough for a change to be tried on it.
func (r *register) clone() *register {
	out := &register{controls: maps.Clone(r.controls), governs: maps.Clone(r.governs), teams: maps.Clone(r.teams), roles: map[string]map[string][]holder{}}
	for c, byRole := range r.roles {
		m := map[string][]holder{}
		for role, hs := range byRole {
			m[role] = slices.Clone(hs)
		}
		out.roles[c] = m
	}
	return out
}

// apply puts an executed register change into r. The change was checked
// when it was proposed and again when it executed.
func (r *register) apply(ch any) {
	switch c := ch.(type) {
	case *format.ControlAction:
		if old := r.controls[c.Control]; old != nil {
			for _, k := range old.classes {
				delete(r.governs, k)
			}
		}
		ctl := &control{id: c.Control, name: c.Name, material: c.Material, classes: slices.Clone(c.Classes), params: map[string]format.Parameter{}}
		for _, p := range c.Parameters {
			ctl.params[p.Name] = p
			ctl.order = append(ctl.order, p.Name)
		}
		for _, k := range ctl.classes {
			r.governs[k] = c.Control
		}
		r.controls[c.Control] = ctl
	case *format.TeamAction:
		r.teams[c.Team] = &team{id: c.Team, name: c.Name, accountable: c.Accountable, members: slices.Clone(c.Members)}
	case *format.RoleAction:
		h := holder{principal: c.Principal, team: c.Team}
		if r.roles[c.Control] == nil {
			r.roles[c.Control] = map[string][]holder{}
		}
		hs := r.roles[c.Control][c.Role]
		i := slices.Index(hs, h)
		switch {
		case c.Op == "assign" && i < 0:
			r.roles[c.Control][c.Role] = append(hs, h)
		case c.Op == "unassign" && i >= 0:
			r.roles[c.Control][c.Role] = slices.Delete(hs, i, i+1)
		}
	}
}

// holds reports whether principal id, as a person, holds role on ctl in
// reg: some principal of the same person is an individual holder, or a
// member of a team that holds it (for a human role, a human member).
func (s *state) holds(reg *register, id, ctl, role string) bool {
	for _, h := range reg.roles[ctl][role] {
		if h.principal != "" && s.samePerson(h.principal, id) {
			return true
		}
		if t := reg.teams[h.team]; h.team != "" && t != nil {
			for _, m := range t.members {
				if s.actsFor(m, role) && s.samePerson(m, id) {
					return true
				}
			}
		}
	}
	return false
}

// actsFor reports whether member m of a team holding role acts in it: an
// agent member does not act in a human role.
func (s *state) actsFor(m, role string) bool {
	if !humanRole(role) {
		return true
	}
	p := s.principals[m]
	return p != nil && p.Kind == format.KindHuman
}

// holders returns the principals that hold role on ctl in reg: individual
// holders and the members of holding teams that act in the role, sorted
// bytewise, each once.
func (s *state) holders(reg *register, ctl, role string) []string {
	set := map[string]bool{}
	for _, h := range reg.roles[ctl][role] {
		if h.principal != "" {
			set[h.principal] = true
			continue
		}
		if t := reg.teams[h.team]; t != nil {
			for _, m := range t.members {
				if s.actsFor(m, role) {
					set[m] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// approvers returns the pool of a control's approval stage: the humans
// holding approve on ctl, sorted bytewise.
func (s *state) approvers(ctl string) []string {
	var out []string
	for _, id := range s.holders(s.reg, ctl, RoleApprove) {
		if p := s.principals[id]; p != nil && p.Kind == format.KindHuman {
			out = append(out, id)
		}
	}
	return out
}

// missingRoles returns the roles of ctl no one holds, in the register's
// order.
func (s *state) missingRoles(ctl string) []string {
	var out []string
	for _, role := range Roles {
		if len(s.holders(s.reg, ctl, role)) == 0 {
			out = append(out, role)
		}
	}
	return out
}

// conflict is one unit holding two or more roles on one control.
type conflict struct {
	control string
	unit    string // "person P" or "team T"
	roles   []string
}

func (c conflict) String() string {
	return fmt.Sprintf("%s would hold %v on control %s", c.unit, c.roles, c.control)
}

// conflicts returns, for each control of reg, the units holding two or
// more roles on it: (a) each person, counting roles held individually and
// through every team they act in, and (b) each team, counting the roles it
// holds and those each of its members holds individually. Keyed by
// control and unit; the roles in the register's order.
func (s *state) conflicts(reg *register) map[[2]string][]string {
	out := map[[2]string][]string{}
	for ctl := range reg.roles {
		for unit, roles := range s.conflictsOn(reg, ctl) {
			out[[2]string{ctl, unit}] = roles
		}
	}
	return out
}

// conflictsOn returns the conflicts of conflicts on one control, keyed by
// unit.
func (s *state) conflictsOn(reg *register, ctl string) map[string][]string {
	held := map[string]map[string]bool{}
	add := func(unit, role string) {
		if held[unit] == nil {
			held[unit] = map[string]bool{}
		}
		held[unit][role] = true
	}
	byRole := reg.roles[ctl]
	for role, hs := range byRole {
		for _, h := range hs {
			if h.principal != "" {
				add("person "+s.personOf(h.principal), role)
				continue
			}
			add("team "+h.team, role)
			if t := reg.teams[h.team]; t != nil {
				for _, m := range t.members {
					if s.actsFor(m, role) {
						add("person "+s.personOf(m), role)
					}
				}
			}
		}
	}
	// (b): a team counts what its members hold individually.
	for _, t := range reg.teams {
		for role, hs := range byRole {
			for _, h := range hs {
				if h.principal == "" {
					continue
				}
				for _, m := range t.members {
					if s.samePerson(m, h.principal) {
						add("team "+t.id, role)
					}
				}
			}
		}
	}
	out := map[string][]string{}
	for unit, set := range held {
		if len(set) < 2 {
			continue
		}
		for _, role := range Roles {
			if set[role] {
				out[unit] = append(out[unit], role)
			}
		}
	}
	return out
}

// newConflicts returns the conflicts reg after a change has that the
// register before it did not: a unit holding on a control a role set that
// is not within what it held before, and that no exception in force at
// instant at covers. Sorted by control, then unit.
func (s *state) newConflicts(before, after *register, at time.Time) []conflict {
	was := s.conflicts(before)
	var out []conflict
	for k, roles := range s.conflicts(after) {
		old := was[k]
		fresh := false
		for _, r := range roles {
			if !slices.Contains(old, r) {
				fresh = true
			}
		}
		if fresh && !s.coveredIn(after, k[0], k[1], roles, at) {
			out = append(out, conflict{control: k[0], unit: k[1], roles: roles})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].control != out[j].control {
			return out[i].control < out[j].control
		}
		return out[i].unit < out[j].unit
	})
	return out
}

// Parameter grammars (SPEC.md §6.11).
var (
	paramDecimalRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?$`)
	paramIntegerRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
)

// checkControl returns why a change.control definition cannot be put in
// force in the register as it stands, or "".
func (s *state) checkControl(c *format.ControlAction) string {
	if !format.ValidID(c.Control) {
		return fmt.Sprintf("control ID %q is not an identifier", c.Control)
	}
	seen := map[string]bool{}
	for _, k := range c.Classes {
		switch {
		case k == "":
			return fmt.Sprintf("control %s lists an empty class", c.Control)
		case format.IsChangeClass(k):
			return fmt.Sprintf("control %s lists %s: change classes are governed by their gates, not by a control", c.Control, k)
		case seen[k]:
			return fmt.Sprintf("control %s lists class %s twice", c.Control, k)
		case s.reg.governs[k] != "" && s.reg.governs[k] != c.Control:
			return fmt.Sprintf("class %s is governed by control %s; a class is governed by one control", k, s.reg.governs[k])
		}
		seen[k] = true
	}
	params := map[string]bool{}
	for _, p := range c.Parameters {
		if !format.ValidID(p.Name) {
			return fmt.Sprintf("control %s: parameter name %q is not an identifier", c.Control, p.Name)
		}
		if params[p.Name] {
			return fmt.Sprintf("control %s defines parameter %s twice", c.Control, p.Name)
		}
		params[p.Name] = true
		if why := checkParameter(p); why != "" {
			return fmt.Sprintf("control %s: parameter %s %s", c.Control, p.Name, why)
		}
	}
	return ""
}

func checkParameter(p format.Parameter) string {
	if p.Type != "amount" && p.Currency != "" {
		return fmt.Sprintf("of type %s has a currency; only an amount has one", p.Type)
	}
	switch p.Type {
	case "amount":
		if !format.ValidAmount(p.Value) {
			return fmt.Sprintf("value %q is not an amount", p.Value)
		}
		if !format.ValidCurrency(p.Currency) {
			return fmt.Sprintf("currency %q is not three capital letters", p.Currency)
		}
	case "decimal":
		if !paramDecimalRE.MatchString(p.Value) {
			return fmt.Sprintf("value %q is not a decimal", p.Value)
		}
	case "integer":
		if !paramIntegerRE.MatchString(p.Value) {
			return fmt.Sprintf("value %q is not an integer", p.Value)
		}
	case "text":
		if names.Blank(p.Value) {
			return "is blank text"
		}
	default:
		return fmt.Sprintf("has unknown type %q", p.Type)
	}
	return ""
}

// checkTeam returns why a change.team definition cannot be put in force,
// or "".
func (s *state) checkTeam(t *format.TeamAction) string {
	if !format.ValidID(t.Team) {
		return fmt.Sprintf("team ID %q is not an identifier", t.Team)
	}
	seen := map[string]bool{}
	for _, m := range t.Members {
		switch {
		case s.principals[m] == nil:
			return fmt.Sprintf("team %s: member %s is not an enrolled principal", t.Team, m)
		case seen[m]:
			return fmt.Sprintf("team %s names member %s twice", t.Team, m)
		}
		seen[m] = true
	}
	switch a := s.principals[t.Accountable]; {
	case !seen[t.Accountable]:
		return fmt.Sprintf("team %s: the accountable %s is not one of its members", t.Team, t.Accountable)
	case a.Kind != format.KindHuman:
		return fmt.Sprintf("team %s: the accountable %s is not enrolled as human", t.Team, t.Accountable)
	}
	return ""
}

// checkRole returns why a change.role cannot be put in force in the
// register as it stands, or "", with the refusal code.
func (s *state) checkRole(r *format.RoleAction) (string, string) {
	h := holder{principal: r.Principal, team: r.Team}
	switch {
	case s.reg.controls[r.Control] == nil:
		return CodeInvalidControl, fmt.Sprintf("control %s is not in the register", r.Control)
	case !validRole(r.Role):
		return CodeInvalidControl, fmt.Sprintf("%q is not a control role (build, operate, approve, validate, audit)", r.Role)
	case (r.Principal == "") == (r.Team == ""):
		return CodeInvalidControl, "a role change names exactly one holder: a principal or a team"
	case r.Principal != "" && s.principals[r.Principal] == nil:
		return CodeInvalidControl, fmt.Sprintf("%s is not an enrolled principal", r.Principal)
	case r.Team != "" && s.reg.teams[r.Team] == nil:
		return CodeInvalidControl, fmt.Sprintf("team %s is not in the register", r.Team)
	case r.Op != "assign" && r.Op != "unassign":
		return CodeInvalidControl, fmt.Sprintf("op %q is neither assign nor unassign", r.Op)
	case r.Op == "assign" && slices.Contains(s.reg.roles[r.Control][r.Role], h):
		return CodeInvalidControl, fmt.Sprintf("%s already holds %s on control %s", h, r.Role, r.Control)
	case r.Op == "unassign" && !slices.Contains(s.reg.roles[r.Control][r.Role], h):
		return CodeInvalidControl, fmt.Sprintf("%s does not hold %s on control %s: there is nothing to unassign", h, r.Role, r.Control)
	case names.Blank(r.Justification):
		return CodeEmptyReason, fmt.Sprintf("the change of %s on control %s has no justification", r.Role, r.Control)
	case r.Op == "assign" && r.Principal != "" && humanRole(r.Role) && s.principals[r.Principal].Kind != format.KindHuman:
		return CodeHumanRequired, fmt.Sprintf("%s is a human role; %s is enrolled as %s", r.Role, r.Principal, s.principals[r.Principal].Kind)
	}
	return "", ""
}

// judgeRegisterChange returns the refusal of a change.control,
// change.team or change.role action against the register as it stands
// (at its proposal, and again at its execute attempt), or "". proposer is
// the run's maker.
func (c *Core) judgeRegisterChange(a *format.Action, proposer string) (string, string) {
	ch, err := format.DecodeChange(a, format.Strict)
	if err != nil {
		return CodeInvalidControl, fmt.Sprintf("the %s action does not parse: %v", a.Class, err)
	}
	s := c.st
	var why string
	switch x := ch.(type) {
	case *format.ControlAction:
		if why = s.checkControl(x); why != "" && c.on(CodeInvalidControl) {
			return CodeInvalidControl, why
		}
		if s.reg.controls[x.Control] == nil {
			return "", "" // a new control: a register change
		}
		if c.on(CodeRoleNotAssigned) {
			if len(s.approvers(x.Control)) == 0 {
				return CodeRoleNotAssigned, fmt.Sprintf("control %s has no approver: assign one before changing the control", x.Control)
			}
			if !s.holds(s.reg, proposer, x.Control, RoleBuild) {
				return CodeRoleNotAssigned, fmt.Sprintf("%s does not hold build on control %s, so cannot change it", proposer, x.Control)
			}
		}
		return "", ""
	case *format.TeamAction:
		if why = s.checkTeam(x); why != "" && c.on(CodeInvalidControl) {
			return CodeInvalidControl, why
		}
	case *format.RoleAction:
		if code, why := s.checkRole(x); code != "" && c.on(code) {
			return code, why
		}
	default:
		return "", ""
	}
	if !c.on(CodeConflictingRole) {
		return "", ""
	}
	after := s.reg.clone()
	after.apply(ch)
	if why := s.smallOrgGrowth(after, c.judgeTime()); why != "" {
		return CodeConflictingRole, why
	}
	if cs := s.newConflicts(s.reg, after, c.judgeTime()); len(cs) > 0 {
		return CodeConflictingRole, fmt.Sprintf("after the change %s: one unit, one role per control", cs[0])
	}
	return "", ""
}

// RegisterControl is one control of the register as the core holds it.
type RegisterControl struct {
	ID         string
	Name       string
	Material   bool
	Classes    []string
	Parameters []format.Parameter
	// Holders maps each role to the principals holding it (individually or
	// as members of a holding team acting in the role), sorted.
	Holders map[string][]string
	// Assigned maps each role to its holders as assigned: principal IDs,
	// and teams as "team ID".
	Assigned map[string][]string
}

// Register returns the register of controls and their role holders as it
// stands, sorted by control ID.
func (c *Core) Register() []RegisterControl {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.st
	var out []RegisterControl
	for _, id := range slices.Sorted(maps.Keys(s.reg.controls)) {
		ctl := s.reg.controls[id]
		rc := RegisterControl{ID: id, Name: ctl.name, Material: ctl.material, Classes: slices.Clone(ctl.classes), Holders: map[string][]string{}, Assigned: map[string][]string{}}
		for _, n := range ctl.order {
			rc.Parameters = append(rc.Parameters, ctl.params[n])
		}
		for _, role := range Roles {
			if hs := s.holders(s.reg, id, role); len(hs) > 0 {
				rc.Holders[role] = hs
			}
			for _, h := range s.reg.roles[id][role] {
				rc.Assigned[role] = append(rc.Assigned[role], h.String())
			}
		}
		out = append(out, rc)
	}
	return out
}
