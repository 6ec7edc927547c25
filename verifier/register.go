package verifier

import (
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the zone data every verifier uses, whatever the machine has (SPEC.md §6.11)

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/calendar"
)

// This file is the register of control ownership (SPEC.md §6.11): the
// controls, the teams and who holds which role on which control, as the
// executed change.control, change.team and change.role runs say, at every
// sequence number. The rules read it; applyChange moves it on.

// Control roles (SPEC.md §6.8, §6.11).
const (
	RoleBuild    = "build"
	RoleOperate  = "operate"
	RoleApprove  = "approve"
	RoleValidate = "validate"
	RoleAudit    = "audit"
)

// ControlRoles are the five roles, in SPEC order.
var ControlRoles = []string{RoleBuild, RoleOperate, RoleApprove, RoleValidate, RoleAudit}

// humanRole reports whether role must be held by humans: every role but
// operate.
func humanRole(role string) bool { return role != RoleOperate }

func knownRole(role string) bool { return slices.Contains(ControlRoles, role) }

// Control is one control of the register.
type Control struct {
	ID         string
	Name       string
	Material   bool
	Classes    []string
	Parameters []format.Parameter
	// Since is the execution that defined it last.
	Since int64
	// incomplete, for a material control lacking a holder of some role:
	// the change that left it so and that change's time; -1 otherwise.
	incompleteAt   int64
	incompleteTime string
	deadline       string // the time past which it is late (SPEC.md §6.11)
	late           bool   // reported
}

// Param returns the control's parameter of that name.
func (c *Control) Param(name string) *format.Parameter {
	for i := range c.Parameters {
		if c.Parameters[i].Name == name {
			return &c.Parameters[i]
		}
	}
	return nil
}

// Team is one team of the register.
type Team struct {
	ID          string
	Name        string
	Accountable string
	Members     []string
	Since       int64
}

// Holder is one holder of a role on a control: a principal or a team.
type Holder struct {
	Principal string
	Team      string
	Since     int64 // the execution that assigned it
}

type roleKey struct{ control, role string }

// Register is the control-ownership register at the current record.
type Register struct {
	Controls map[string]*Control
	Teams    map[string]*Team
	Roles    map[roleKey][]Holder
	governs  map[string]string          // action class -> the control governing it
	conflict map[string]map[string]bool // control -> units in conflict ("p:"+person, "t:"+team)
	entries  int                        // controls, teams, holders and members kept (SPEC.md §10)
	full     bool                       // the bound was reached
	earliest string                     // the earliest deadline of an incomplete material control not yet reported
	// daily totals of executed amounts for the current local day
	day       string
	daily     map[dailyKey]*big.Rat
	dailyFull bool
	// reporting lines, exceptions, personnel conflicts (issue 14)
	x *extra
}

type dailyKey struct{ principal, class, currency string }

func newRegister() *Register {
	return &Register{Controls: map[string]*Control{}, Teams: map[string]*Team{}, Roles: map[roleKey][]Holder{},
		governs: map[string]string{}, conflict: map[string]map[string]bool{}, daily: map[dailyKey]*big.Rat{}}
}

// Governing returns the control that governs action class, or "".
func (g *Register) Governing(class string) string { return g.governs[class] }

// Holders returns the holders of role on control, in the order assigned.
func (g *Register) Holders(control, role string) []Holder { return g.Roles[roleKey{control, role}] }

// holdersOf returns the principals that hold role on control: individual
// holders and members of holding teams; for a human role, only those
// enrolled as human (SPEC.md §6.11). Sorted bytewise, each once.
func (s *State) holdersOf(control, role string) []string {
	var out []string
	add := func(id string) {
		if humanRole(role) && !s.isHuman(id) {
			return
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, h := range s.Reg.Holders(control, role) {
		if h.Principal != "" {
			add(h.Principal)
		} else if t := s.Reg.Teams[h.Team]; t != nil {
			for _, m := range t.Members {
				add(m)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *State) isHuman(id string) bool {
	p := s.Principals[id]
	return p != nil && p.Kind == format.KindHuman
}

// holds reports whether principal's person holds role on control.
func (s *State) holds(principal, control, role string) bool {
	who := s.PersonOf(principal)
	for _, h := range s.holdersOf(control, role) {
		if s.PersonOf(h) == who {
			return true
		}
	}
	return false
}

// complete reports whether every role of control has a holder.
func (s *State) complete(control string) bool {
	for _, r := range ControlRoles {
		if len(s.holdersOf(control, r)) == 0 {
			return false
		}
	}
	return true
}

// conflicts returns the units holding two or more roles on control
// (SPEC.md §6.11): each person, with the roles it holds directly and
// through its teams; each team, with the roles it holds and those its
// members hold directly. Keys are "p:"+person and "t:"+team.
func (s *State) conflicts(control string) map[string][]string {
	units := map[string][]string{}
	add := func(unit, role string) {
		if !slices.Contains(units[unit], role) {
			units[unit] = append(units[unit], role)
		}
	}
	direct := map[string][]string{} // principal -> roles held individually
	for _, role := range ControlRoles {
		for _, h := range s.Reg.Holders(control, role) {
			switch {
			case h.Principal != "":
				if !humanRole(role) || s.isHuman(h.Principal) {
					add("p:"+s.PersonOf(h.Principal), role)
					direct[h.Principal] = append(direct[h.Principal], role)
				}
			default:
				add("t:"+h.Team, role)
				if t := s.Reg.Teams[h.Team]; t != nil {
					for _, m := range t.Members {
						if !humanRole(role) || s.isHuman(m) {
							add("p:"+s.PersonOf(m), role)
						}
					}
				}
			}
		}
	}
	for id, t := range s.Reg.Teams {
		for _, m := range t.Members {
			for _, role := range direct[m] {
				add("t:"+id, role)
			}
		}
	}
	for u, rs := range units {
		if len(rs) < 2 {
			delete(units, u)
		}
	}
	return units
}

// Conflict is one unit holding two or more roles on one control
// (SPEC.md §6.11), as the register stands.
type Conflict struct {
	Control string
	// Kind is "person" or "team"; Unit is the person (its first
	// principal, PersonOf) or the team ID.
	Kind  string
	Unit  string
	Roles []string // in ControlRoles order
}

// Conflicts returns the conflicts on control in the register as it
// stands, persons first, then teams, each sorted by ID. It is what
// SOD-CONTROL-ROLES.2 judges, for a report of who held incompatible roles
// and for how long.
func (s *State) Conflicts(control string) []Conflict {
	var out []Conflict
	for u, rs := range s.conflicts(control) {
		c := Conflict{Control: control, Kind: "person", Unit: u[2:]}
		if u[0] == 't' {
			c.Kind = "team"
		}
		for _, r := range ControlRoles {
			if slices.Contains(rs, r) {
				c.Roles = append(c.Roles, r)
			}
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Conflict) int {
		if a.Kind != b.Kind {
			return strings.Compare(a.Kind, b.Kind)
		}
		return strings.Compare(a.Unit, b.Unit)
	})
	return out
}

var paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
var integerRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// controlProblem says why a change.control definition cannot be applied
// (SPEC.md §6.11), or "".
func (s *State) controlProblem(c *format.ControlAction) string {
	switch {
	case !format.ValidID(c.Control):
		return "its control ID is not an identifier"
	case !nonBlank(c.Name):
		return "its name is blank"
	}
	seen := map[string]bool{}
	for _, k := range c.Classes {
		switch {
		case format.IsChangeClass(k):
			return "it lists change class " + clip(k) + ", which no control governs"
		case seen[k]:
			return "it lists class " + clip(k) + " twice"
		}
		seen[k] = true
		if g := s.Reg.governs[k]; g != "" && g != c.Control {
			return "class " + clip(k) + " is governed by control " + g
		}
	}
	names := map[string]bool{}
	for _, p := range c.Parameters {
		if !paramNameRE.MatchString(p.Name) || len(p.Name) > 64 {
			return "parameter name " + clip(p.Name) + " is not an identifier"
		}
		if names[p.Name] {
			return "parameter " + p.Name + " is named twice"
		}
		names[p.Name] = true
		ok := false
		switch p.Type {
		case "amount":
			ok = format.ValidAmount(p.Value) && format.ValidCurrency(p.Currency)
		case "decimal":
			_, err := format.ParseDecimal(p.Value)
			ok = err == nil && p.Currency == ""
		case "integer":
			ok = integerRE.MatchString(p.Value) && len(p.Value) <= 64 && p.Currency == ""
		case "text":
			ok = nonBlank(p.Value) && p.Currency == ""
		}
		if !ok {
			return "parameter " + p.Name + " is not a valid " + clip(p.Type) + " value"
		}
	}
	return ""
}

// teamProblem says why a change.team definition cannot be applied, or "".
func (s *State) teamProblem(t *format.TeamAction) string {
	switch {
	case !format.ValidID(t.Team):
		return "its team ID is not an identifier"
	case !nonBlank(t.Name):
		return "its name is blank"
	case len(t.Members) == 0:
		return "it has no members"
	case !slices.Contains(t.Members, t.Accountable):
		return "its accountable principal " + clip(t.Accountable) + " is not one of its members"
	case !s.isHuman(t.Accountable):
		return "its accountable principal " + clip(t.Accountable) + " is not enrolled as human"
	}
	seen := map[string]bool{}
	for _, m := range t.Members {
		if s.Principals[m] == nil {
			return "member " + clip(m) + " is not enrolled"
		}
		if seen[m] {
			return "member " + m + " is listed twice"
		}
		seen[m] = true
	}
	return ""
}

// roleProblem says why a change.role cannot be applied, or "".
func (s *State) roleProblem(r *format.RoleAction) string {
	switch {
	case s.Reg.Controls[r.Control] == nil:
		return "control " + clip(r.Control) + " is not in the register"
	case !knownRole(r.Role):
		return "role " + clip(r.Role) + " is none of the five"
	case (r.Principal == "") == (r.Team == ""):
		return "it names both a principal and a team, or neither"
	case r.Principal != "" && s.Principals[r.Principal] == nil:
		return "principal " + clip(r.Principal) + " is not enrolled"
	case r.Team != "" && s.Reg.Teams[r.Team] == nil:
		return "team " + clip(r.Team) + " is not in the register"
	}
	held := false
	for _, h := range s.Reg.Holders(r.Control, r.Role) {
		held = held || h.Principal == r.Principal && h.Team == r.Team
	}
	switch r.Op {
	case "assign":
		if held {
			return "the holder already holds the role"
		}
	case "unassign":
		if !held {
			return "the holder does not hold the role"
		}
	default:
		return "op " + clip(r.Op) + " is neither assign nor unassign"
	}
	return ""
}

// MaxRegister bounds the register's entries: controls, teams, role
// holders and team members together, and the daily totals (SPEC.md §10).
const MaxRegister = 1 << 20

// roomInRegister reports whether n more entries fit the register; past the
// bound it reports one finding and the change is not applied.
func (j *judgement) roomInRegister(n int) bool {
	g := j.st.Reg
	bound := j.lim.register
	if bound == 0 {
		bound = MaxRegister
	}
	if g.entries+n <= bound || !j.on("SOD-ATTEMPT-OUTCOME.8") {
		g.entries += n
		return true
	}
	if !g.full {
		g.full = true
		j.emitf(RuleAttemptOutcome, nil, "the control register needs more than %d entries at record %d; the verifier applies no more changes to it", bound, j.rec.Seq)
	}
	return false
}

// applyRegister puts an executed change.control, change.team or
// change.role into the register, reporting what it makes (conflicts,
// incomplete controls) under SOD-CONTROL-ROLES. It returns whether the
// change was applied.
func applyRegister(j *judgement, r *RunState, ch any) bool {
	s, seq := j.st, j.rec.Seq
	g := s.Reg
	touched := map[string]bool{}
	switch c := ch.(type) {
	case *format.ControlAction:
		if s.controlProblem(c) != "" && j.on("SOD-POLICY-CHANGE.4") {
			return false
		}
		old := g.Controls[c.Control]
		if old == nil && !j.roomInRegister(1) {
			return false
		}
		nc := &Control{ID: c.Control, Name: c.Name, Material: c.Material, Classes: c.Classes, Parameters: c.Parameters, Since: seq, incompleteAt: -1}
		if old != nil {
			for _, k := range old.Classes {
				delete(g.governs, k)
			}
			nc.incompleteAt, nc.incompleteTime, nc.deadline, nc.late = old.incompleteAt, old.incompleteTime, old.deadline, old.late
		}
		for _, k := range c.Classes {
			g.governs[k] = c.Control
		}
		g.Controls[c.Control] = nc
		touched[c.Control] = true
	case *format.TeamAction:
		if s.teamProblem(c) != "" && j.on("SOD-ROLE-CHANGE-LOG.4") {
			return false
		}
		old := g.Teams[c.Team]
		n := len(c.Members)
		if old == nil {
			n++
		} else {
			n -= len(old.Members)
		}
		if n > 0 && !j.roomInRegister(n) {
			return false
		} else if n < 0 {
			g.entries += n
		}
		// The controls whose units the change can alter: those the team
		// holds a role on, or a member (old or new) holds one on alone.
		members := map[string]bool{}
		for _, m := range c.Members {
			members[m] = true
		}
		if old != nil {
			for _, m := range old.Members {
				members[m] = true
			}
		}
		for k, hs := range g.Roles {
			for _, h := range hs {
				if h.Team == c.Team || h.Principal != "" && members[h.Principal] {
					touched[k.control] = true
				}
			}
		}
		g.Teams[c.Team] = &Team{ID: c.Team, Name: c.Name, Accountable: c.Accountable, Members: slices.Clone(c.Members), Since: seq}
	case *format.RoleAction:
		if s.roleProblem(c) != "" && j.on("SOD-ROLE-CHANGE-LOG.4") {
			return false
		}
		k := roleKey{c.Control, c.Role}
		if c.Op == "assign" {
			if !j.roomInRegister(1) {
				return false
			}
			g.Roles[k] = append(g.Roles[k], Holder{Principal: c.Principal, Team: c.Team, Since: seq})
		} else {
			g.Roles[k] = slices.DeleteFunc(g.Roles[k], func(h Holder) bool { return h.Principal == c.Principal && h.Team == c.Team })
			g.entries--
		}
		touched[c.Control] = true
	default:
		return false
	}
	ids := make([]string, 0, len(touched))
	for id := range touched {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		registerFindings(j, r, id)
	}
	return true
}

// registerFindings reports, after a change, the conflicts it started on
// control id (SOD-CONTROL-ROLES.2) and tracks whether a material control
// is complete (SOD-CONTROL-ROLES.5).
func registerFindings(j *judgement, r *RunState, id string) {
	s := j.st
	g := s.Reg
	now := s.conflicts(id)
	before := g.conflict[id]
	units := make([]string, 0, len(now))
	for u := range now {
		units = append(units, u)
	}
	sort.Strings(units)
	next := map[string]bool{}
	t := j.at()
	for _, u := range units {
		next[u] = true
		if before[u] || s.covered(id, u, now[u], t) {
			continue
		}
		if r == nil { // a personnel record: reported with its duration when it ends
			if j.on("SOD-CONTROL-ROLES.2") || j.on("SOD-CONTROL-ROLES.6") {
				pc := &pconflict{seq: j.rec.Seq, time: j.rec.Time, roles: now[u]}
				if p, ok := j.body.(*format.Personnel); ok {
					pc.principal = p.Principal
				}
				g.ext().pconf[id+"\x00"+u] = pc
			}
			continue
		}
		if j.on("SOD-CONTROL-ROLES.2") {
			kind, who := "person", u[2:]
			if u[0] == 't' {
				kind = "team"
			}
			j.emitf(RuleControlRoles, []int64{r.ProposalSeq, j.rec.Seq}, "run %s leaves %s %s holding roles %v on control %s: one unit holds two roles on one control", r.ID, kind, clip(who), now[u], id)
		}
	}
	endPersonnelConflicts(j, id, func(unit string) bool { return !next[unit] }, "")
	if len(next) == 0 {
		delete(g.conflict, id)
	} else {
		g.conflict[id] = next
	}
	c := g.Controls[id]
	if c == nil {
		return
	}
	switch {
	case !c.Material || s.complete(id):
		c.incompleteAt, c.late = -1, false
	case c.incompleteAt < 0:
		c.incompleteAt, c.incompleteTime, c.late = j.rec.Seq, j.rec.Time, false
		c.deadline = s.businessDeadline(j.rec.Time, j.on("SOD-CONTROL-ROLES.5/holidays"))
		if c.deadline != "" && (g.earliest == "" || c.deadline < g.earliest) {
			g.earliest = c.deadline
		}
	}
}

// loadZone loads the genesis time zone from the embedded database.
func loadZone(tz string) (*time.Location, bool) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC, false
	}
	return loc, true
}

// businessDeadline is the end, local time, of the fifth business day
// after the local date of t (SOD-CONTROL-ROLES.5, SPEC.md §6.11): the
// same count as a leaver's register deadline, holidays executed so far
// included; "" when t is not a time. holidays false counts Monday to
// Friday alone (the condition-removal test's "SOD-CONTROL-ROLES.5/holidays").
func (s *State) businessDeadline(t string, holidays bool) string {
	x, err := format.ParseTime(t)
	if err != nil {
		return ""
	}
	var h map[calendar.Date]bool
	if holidays {
		h = s.timelyRule().holidays
	}
	return s.businessEnd(calendar.On(x, s.zone()), h)
}

// redeadlineControls recomputes the deadline of every material control
// incomplete and not yet reported, after a holiday changed the count, and
// the earliest of them.
func (s *State) redeadlineControls(holidays bool) {
	g := s.Reg
	g.earliest = ""
	for _, c := range g.Controls {
		if c.incompleteAt < 0 || c.late || c.deadline == "" {
			continue
		}
		c.deadline = s.businessDeadline(c.incompleteTime, holidays)
		if c.deadline != "" && (g.earliest == "" || c.deadline < g.earliest) {
			g.earliest = c.deadline
		}
	}
}

// zone is the genesis time zone (UTC when the database does not know it).
func (s *State) zone() *time.Location {
	if s.loc == nil {
		return time.UTC
	}
	return s.loc
}

// localDay is the date of time t in the genesis zone.
func (s *State) localDay(t string) string {
	x, err := format.ParseTime(t)
	if err != nil {
		return ""
	}
	return x.In(s.zone()).Format("2006-01-02")
}

// appliedChange is an executed change of the register, as the change log
// reports it.
type appliedChange struct {
	seq     int64
	run     string
	change  any // a change action, or *format.Personnel
	applied bool
	// for an exception: the days of its chain of renewals, inclusive,
	// and the chain's first day
	cumulative int
	chain      string
}

// Affected is a control a change.policy or change.control run changes,
// with the principals holding approve on it at the proposal.
type Affected struct {
	Control   string
	Approvers []string
}

// grantKey is a grant as compared for one class (SPEC.md §6.11): every
// member but the other classes.
func grantKey(g *format.Grant) string {
	ref := func(r *format.ParamRef) string {
		if r == nil {
			return "-"
		}
		return strconvQuote(r.Control) + "/" + strconvQuote(r.Parameter)
	}
	return strconvQuote(g.Principal) + " " + strconvQuote(g.Role) + " " + strconvQuote(g.MaxAmount) + " " + strconvQuote(g.Currency) + " " + ref(g.Limit) + " " + ref(g.DailyLimit)
}

// policyView is a policy as the comparison of SPEC.md §6.11 reads it:
// per class, its grants, its gate and its beneficiary member.
type policyView struct {
	grants map[string][]string
	refs   map[string]map[string][]string // class -> grant key -> controls its limits name
	gates  map[string]string
	bens   map[string]string
}

func viewOf(grants []format.Grant, gates []format.GateDef, bens []format.BeneficiaryRule) *policyView {
	v := &policyView{grants: map[string][]string{}, refs: map[string]map[string][]string{}, gates: map[string]string{}, bens: map[string]string{}}
	for i := range grants {
		g := &grants[i]
		k := grantKey(g)
		for _, c := range g.Classes {
			v.grants[c] = append(v.grants[c], k)
			if v.refs[c] == nil {
				v.refs[c] = map[string][]string{}
			}
			for _, r := range []*format.ParamRef{g.Limit, g.DailyLimit} {
				if r != nil {
					v.refs[c][k] = append(v.refs[c][k], r.Control)
				}
			}
		}
	}
	for c := range v.grants {
		sort.Strings(v.grants[c])
	}
	for _, g := range gates {
		if _, dup := v.gates[g.Class]; !dup {
			v.gates[g.Class] = gateKey(g)
		}
	}
	for _, b := range bens {
		if _, dup := v.bens[b.Class]; !dup {
			v.bens[b.Class] = b.Member
		}
	}
	return v
}

func gateKey(g format.GateDef) string {
	k := strconvQuote(g.Gate)
	for _, st := range g.Stages {
		k += " [" + itoa(st.Stage) + " " + itoa(st.N) + " " + strconvQuote(st.Meaning)
		if st.Human {
			k += " human"
		}
		for _, p := range st.Pool {
			k += " " + strconvQuote(p)
		}
		if st.PoolRole != nil {
			k += " role " + strconvQuote(st.PoolRole.Control) + "/" + strconvQuote(st.PoolRole.Role)
		}
		k += "]"
	}
	return k
}

// affectedBy compares a proposed policy with the policy in force (none is
// the empty policy), class by class (SPEC.md §6.11): it returns the
// controls affected, sorted, and whether some changed class is governed by
// no control.
func (s *State) affectedBy(p *format.PolicyAction) ([]string, bool) {
	var cur *policyView
	if s.Policy != nil {
		var gates []format.GateDef
		for _, g := range s.Policy.Gates {
			gates = append(gates, g)
		}
		var bens []format.BeneficiaryRule
		for c, m := range s.Policy.Beneficiaries {
			bens = append(bens, format.BeneficiaryRule{Class: c, Member: m})
		}
		cur = viewOf(s.Policy.Grants, gates, bens)
	} else {
		cur = viewOf(nil, nil, nil)
	}
	next := viewOf(p.Grants, p.Gates, p.Beneficiaries)
	classes := map[string]bool{}
	for _, v := range []*policyView{cur, next} {
		for c := range v.grants {
			classes[c] = true
		}
		for c := range v.gates {
			classes[c] = true
		}
		for c := range v.bens {
			classes[c] = true
		}
	}
	affected := map[string]bool{}
	unowned := false
	for c := range classes {
		cb, bb := cur.bens[c]
		nb, nbOK := next.bens[c]
		if slices.Equal(cur.grants[c], next.grants[c]) && cur.gates[c] == next.gates[c] && bb == nbOK && cb == nb {
			continue
		}
		if g := s.Reg.governs[c]; g != "" {
			affected[g] = true
		} else {
			unowned = true
		}
		// A changed grant whose limit names a control's parameter changes
		// that control too.
		// The multisets' symmetric difference: a key whose count differs.
		count := func(keys []string, k string) int {
			n := 0
			for _, x := range keys {
				if x == k {
					n++
				}
			}
			return n
		}
		for _, v := range []*policyView{cur, next} {
			for k, ctrls := range v.refs[c] {
				if count(cur.grants[c], k) == count(next.grants[c], k) {
					continue
				}
				for _, ctl := range ctrls {
					if s.Reg.Controls[ctl] != nil {
						affected[ctl] = true
					}
				}
			}
		}
	}
	out := make([]string, 0, len(affected))
	for c := range affected {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, unowned
}

// controlsGate is the gate of a run that changes controls (SPEC.md
// §6.11): one stage per affected control, in order, whose pool is that
// control's approvers at the proposal, then, when some changed class is
// governed by no control, the stages of the gate the class would need
// otherwise (the policy's gate for change.policy, or the governance gate).
func (s *State) controlsGate(class string, affected []Affected, unowned bool) (*format.GateDef, int64) {
	g := &format.GateDef{Class: class, Gate: "controls"}
	for i, a := range affected {
		g.Stages = append(g.Stages, format.Stage{Stage: int64(i + 1), N: 1, Pool: a.Approvers, Meaning: format.MeaningApproval, Human: true,
			PoolRole: &format.PoolRole{Control: a.Control, Role: RoleApprove}})
	}
	version := int64(0)
	if s.Policy != nil {
		version = s.Policy.Version
	}
	if unowned {
		rest, _ := s.RequiredGate(class)
		for _, st := range rest.Stages {
			st.Stage = int64(len(g.Stages) + 1)
			g.Stages = append(g.Stages, st)
		}
	}
	return g, version
}

// resolvePools returns def with every pool_role stage's pool replaced by
// the holders of that role at this point (SPEC.md §6.11), or def itself
// when it has none.
func (s *State) resolvePools(def *format.GateDef) *format.GateDef {
	if def == nil {
		return nil
	}
	var out *format.GateDef
	for i, st := range def.Stages {
		if st.PoolRole == nil {
			continue
		}
		if out == nil {
			c := *def
			c.Stages = slices.Clone(def.Stages)
			out = &c
		}
		out.Stages[i].Pool = s.holdersOf(st.PoolRole.Control, st.PoolRole.Role)
		if out.Stages[i].Pool == nil {
			out.Stages[i].Pool = []string{}
		}
	}
	if out == nil {
		return def
	}
	return out
}

// runControls works out, at a proposal, which control a run acts on
// (SPEC.md §6.11): the control governing a class, or the controls a
// change.policy or change.control changes, and the gate the run needs.
func (s *State) runControls(r *RunState, a *format.Action) {
	switch {
	case !format.IsChangeClass(r.Class):
		r.Control = s.Reg.governs[r.Class]
	case a == nil:
	case r.Class == format.ClassPolicy:
		ch, err := format.DecodeChange(a, modeOf(s.Lax))
		if err != nil {
			return
		}
		ids, unowned := s.affectedBy(ch.(*format.PolicyAction))
		for _, id := range ids {
			r.Affected = append(r.Affected, Affected{Control: id, Approvers: s.holdersOf(id, RoleApprove)})
		}
		r.Unowned = unowned
	case r.Class == format.ClassAuditFinding:
		r.Audit = s.auditRunOf(a, r.Proposer, r.ProposalSeq)
	case r.Class == format.ClassControl:
		ch, err := format.DecodeChange(a, modeOf(s.Lax))
		if err != nil {
			return
		}
		if id := ch.(*format.ControlAction).Control; s.Reg.Controls[id] != nil {
			r.Affected = []Affected{{Control: id, Approvers: s.holdersOf(id, RoleApprove)}}
		}
	}
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// Reporting lines, personnel, exceptions and the small-organisation
// exception (SPEC.md §6.11, revision 1.2, issue 14).

// line is one principal's manager, as the last executed
// change.reporting_line for it set it.
type line struct {
	manager  string
	seq      int64  // the execution that set it
	time     string // that execution's record time
	proposer string // the proposer of that change
}

// exception is one executed change.exception that took effect.
type exception struct {
	id, control, holder string // holder as a unit: "p:"+person or "t:"+team
	holderID            string
	roles               []string
	starts, expires     calendar.Date
	from, until         time.Time // starts' start and expires' end, local
	seq                 int64     // its execution
	proposal            int64
	risk                string
	chain               calendar.Date // the first starts of its chain of renewals
	done                bool          // its expiry has been judged (SOD-EXCEPTION.11)
}

// smallOrg is one executed change.small_org that took effect.
type smallOrg struct {
	id, control string
	roles       []string
	seq         int64
	reviewBy    calendar.Date
	deadline    time.Time // reviewBy's end, local
	lapsed      bool
	ended       bool
}

// pconflict is a conflict a personnel record started, not covered: its
// start, reported with its duration when it ends, and the principal the
// record names, whose person it holds (SOD-CONTROL-ROLES.6).
type pconflict struct {
	seq       int64
	time      string
	roles     []string
	principal string
}

// extra is the part of the register issue 14 adds.
type extra struct {
	lines     map[string]*line
	excepts   []*exception
	smallOrgs []*smallOrg
	pconf     map[string]*pconflict // control+"\x00"+unit
	expiring  time.Time             // the earliest end of an exception whose expiry is not yet judged
}

func (g *Register) ext() *extra {
	if g.x == nil {
		g.x = &extra{lines: map[string]*line{}, pconf: map[string]*pconflict{}}
	}
	return g.x
}

// Manager returns principal's manager at this point, or "".
func (g *Register) Manager(principal string) string {
	if g.x == nil || g.x.lines[principal] == nil {
		return ""
	}
	return g.x.lines[principal].manager
}

// chainAbove returns the managers above principal, nearest first, and the
// lines that link them (SPEC.md §6.11, Reporting lines). The walk stops at
// a principal seen before, so it ends even on a forged cycle.
func (g *Register) chainAbove(principal string) ([]string, []*line) {
	var ups []string
	var links []*line
	seen := map[string]bool{principal: true}
	for p := principal; ; {
		l := g.ext().lines[p]
		if l == nil || l.manager == "" || seen[l.manager] {
			return ups, links
		}
		ups, links = append(ups, l.manager), append(links, l)
		seen[l.manager] = true
		p = l.manager
	}
}

// above reports whether a's person is above h in the reporting lines, and
// the line of the chain set last (when a became above h).
func (s *State) above(a, h string) (bool, *line) {
	ups, links := s.Reg.chainAbove(h)
	var last *line
	who := s.PersonOf(a)
	for i, u := range ups {
		if last == nil || links[i].seq > last.seq {
			last = links[i]
		}
		if s.PersonOf(u) == who {
			return true, last
		}
	}
	return false, nil
}

// lineProblem says why a change.reporting_line cannot be applied, or "".
func (s *State) lineProblem(c *format.ReportingLineAction) string {
	switch {
	case s.Principals[c.Principal] == nil:
		return "principal " + clip(c.Principal) + " is not enrolled"
	case c.Manager == "":
		return ""
	case s.Principals[c.Manager] == nil:
		return "manager " + clip(c.Manager) + " is not enrolled"
	case s.PersonOf(c.Manager) == s.PersonOf(c.Principal):
		return "it makes " + c.Principal + " their own manager"
	}
	if ok, _ := s.above(c.Principal, c.Manager); ok {
		return "it makes a cycle: " + c.Principal + " is already above " + c.Manager
	}
	return ""
}

// exceptionHolder resolves a change.exception's holder: a principal
// enrolled, else a team of the register. It returns the unit key and the
// principal the gate's pool is resolved above (a team's accountable
// human), or "" when the holder is neither.
func (s *State) exceptionHolder(holder string) (unit, anchor string) {
	if s.Principals[holder] != nil {
		return "p:" + s.PersonOf(holder), holder
	}
	if t := s.Reg.Teams[holder]; t != nil {
		return "t:" + holder, t.Accountable
	}
	return "", ""
}

// beneficiaryOf is the exception's beneficiary: its member, or the holder
// (a team's accountable human) when absent or "".
func (s *State) beneficiaryOf(c *format.ExceptionAction) string {
	if c.Beneficiary != "" {
		return c.Beneficiary
	}
	_, anchor := s.exceptionHolder(c.Holder)
	return anchor
}

// exceptionGate is the gate of a change.exception run (SPEC.md §6.11,
// Exceptions): one stage whose pool is every principal above the holder
// at the proposal.
func (s *State) exceptionGate(c *format.ExceptionAction) *format.GateDef {
	_, anchor := s.exceptionHolder(c.Holder)
	pool := []string{}
	if anchor != "" {
		ups, _ := s.Reg.chainAbove(anchor)
		pool = append(pool, ups...)
		sort.Strings(pool)
	}
	return &format.GateDef{Class: format.ClassException, Gate: "exception", Stages: []format.Stage{
		{Stage: 1, N: 1, Pool: pool, Meaning: format.MeaningApproval, Human: true, PoolAbove: anchor}}}
}

// rolesValid reports whether roles are at least two distinct roles of the
// five.
func rolesValid(roles []string) bool {
	if len(roles) < 2 {
		return false
	}
	for i, r := range roles {
		if !knownRole(r) || slices.Contains(roles[:i], r) {
			return false
		}
	}
	return true
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// at is the time of the record judged, as a time (zero when it is not
// one).
func (j *judgement) at() time.Time {
	t, _ := format.ParseTime(j.rec.Time)
	return t
}

// covered reports whether an exception in force at t covers unit's
// conflict of roles on control (SPEC.md §6.11, Exceptions): an exception
// of that holder (for a team holder, the team or the person of one of its
// members) on that control naming every role, between its
// starts and the end of its expires day, or a small-organisation exception
// on that control naming every role, not lapsed nor ended.
func (s *State) covered(control, unit string, roles []string, t time.Time) bool {
	if s.Reg.x == nil {
		return false
	}
	for _, e := range s.Reg.x.excepts {
		if e.control == control && (e.holder == unit || s.memberUnit(e.holder, unit)) && subset(roles, e.roles) && !t.Before(e.from) && t.Before(e.until) {
			return true
		}
	}
	for _, o := range s.Reg.x.smallOrgs {
		if o.control == control && !o.lapsed && !o.ended && subset(roles, o.roles) && t.Before(o.deadline) {
			return true
		}
	}
	return false
}

// memberUnit reports whether unit is the person unit ("p:"+person) of a
// member of the team unit holder ("t:"+team) in the register as it stands.
func (s *State) memberUnit(holder, unit string) bool {
	team, ok := strings.CutPrefix(holder, "t:")
	person, isPerson := strings.CutPrefix(unit, "p:")
	if !ok || !isPerson || s.Reg.Teams[team] == nil {
		return false
	}
	for _, m := range s.Reg.Teams[team].Members {
		if s.PersonOf(m) == person {
			return true
		}
	}
	return false
}

// humansHolding counts the distinct persons enrolled as human that hold
// any role on any control (SPEC.md §6.11, Small organisation).
func (s *State) humansHolding() int {
	who := map[string]bool{}
	for k := range s.Reg.Roles {
		for _, p := range s.holdersOf(k.control, k.role) {
			if s.isHuman(p) {
				who[s.PersonOf(p)] = true
			}
		}
	}
	return len(who)
}

// applyPersonnel applies a personnel record's membership change (SPEC.md
// §6.9, §6.11): a joiner joins its team, a mover leaves every team and
// joins its team, a leaver leaves every team. A team not in the register
// is joined by no one.
func applyPersonnel(j *judgement, p *format.Personnel) bool {
	s := j.st
	g := s.Reg
	if s.Principals[p.Principal] == nil {
		return false
	}
	switch p.Event {
	case "joiner", "mover", "leaver":
	default:
		return false
	}
	touched := map[string]bool{}
	mark := func(team string) {
		for k, hs := range g.Roles {
			for _, h := range hs {
				if h.Team == team || h.Principal == p.Principal {
					touched[k.control] = true
				}
			}
		}
	}
	if p.Event != "joiner" {
		for id, t := range g.Teams {
			if i := slices.Index(t.Members, p.Principal); i >= 0 {
				mark(id)
				nt := *t
				nt.Members = slices.Delete(slices.Clone(t.Members), i, i+1)
				g.Teams[id] = &nt
				g.entries--
			}
		}
	}
	if t := g.Teams[p.Team]; p.Event != "leaver" && t != nil && !slices.Contains(t.Members, p.Principal) && j.roomInRegister(1) {
		mark(p.Team)
		nt := *t
		nt.Members = append(slices.Clone(t.Members), p.Principal)
		g.Teams[p.Team] = &nt
	}
	ids := make([]string, 0, len(touched))
	for id := range touched {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		registerFindings(j, nil, id)
	}
	return true
}

// endPersonnelConflicts reports the personnel conflicts on control that
// end here (gone(unit)), each with its duration (SOD-CONTROL-ROLES.2),
// citing the personnel record that started it. how says what ended it
// when it is not the register change itself.
func endPersonnelConflicts(j *judgement, control string, gone func(unit string) bool, how string) {
	g := j.st.Reg
	if g.x == nil || len(g.x.pconf) == 0 {
		return
	}
	for _, key := range sortedKeys(g.x.pconf) {
		c, unit, _ := strings.Cut(key, "\x00")
		if c != control || !gone(unit) {
			continue
		}
		pc := g.x.pconf[key]
		delete(g.x.pconf, key)
		if !j.on("SOD-CONTROL-ROLES.2") {
			continue
		}
		if how == "" {
			how = "record " + itoa(j.rec.Seq) + " ended it"
		}
		j.emitf(RuleControlRoles, []int64{pc.seq}, "personnel record %d left %s holding roles %v on control %s from %s until %s (%s): %s", pc.seq, unitText(unit), pc.roles, control, pc.time, j.rec.Time, span(pc.time, j.rec.Time), how)
	}
}

// unitText names a conflict unit for a message.
func unitText(unit string) string {
	if strings.HasPrefix(unit, "t:") {
		return "team " + clip(unit[2:])
	}
	return "person " + clip(strings.TrimPrefix(unit, "p:"))
}

// span is the duration from one record time to another, as text.
func span(from, to string) string {
	a, err1 := format.ParseTime(from)
	b, err2 := format.ParseTime(to)
	if err1 != nil || err2 != nil {
		return "duration unknown"
	}
	return b.Sub(a).String()
}
