package reports

// This file turns the verifier's change log into the Register and
// Exceptions sections. registerRows and exceptionRows are the one place
// where a change kind becomes rows: a new kind of the change log (the
// exceptions of AG-259 4.5, still to come) is wired in by adding its case
// there, and by keeping what the register needs at the start and end of
// the period in register.apply. The control register (controls, teams,
// role holders: kinds control, team and role) is kept here too.

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// register is the register as the change log builds it: principals, their
// keys, the log key and the policy version. Its memory follows the
// principals and keys, not the bundle's length.
type register struct {
	principals map[string]*regPrincipal
	logKey     string
	logKeySeq  int64
	policy     int64
	policySeq  int64
	policyRun  string
	// The control register: definitions in force with the change that
	// made them, and each (control, role)'s holders in assignment order.
	controls map[string]*regDef[format.ControlAction]
	teams    map[string]*regDef[format.TeamAction]
	holders  map[[2]string][]*regHolder
}

type regDef[T any] struct {
	def *T
	seq int64
	run string
}

type regHolder struct {
	principal, team, justification, run string
	seq                                 int64
}

type regPrincipal struct {
	id, name, kind, team string
	registrar            bool
	seq                  int64 // enrolled at
	keys                 map[string]int64
	revoked              map[string]int64
}

func newRegister() *register {
	return &register{principals: map[string]*regPrincipal{}, logKeySeq: -1, policySeq: -1, controls: map[string]*regDef[format.ControlAction]{},
		teams: map[string]*regDef[format.TeamAction]{}, holders: map[[2]string][]*regHolder{}}
}

// apply takes an applied change into the register.
func (r *register) apply(ch *verifier.Change) {
	if !ch.Applied {
		return
	}
	switch ch.Kind {
	case verifier.ChangeEnrolment:
		if ch.Principal == nil {
			return
		}
		p := r.principals[ch.Principal.ID]
		if p == nil {
			p = &regPrincipal{id: ch.Principal.ID, seq: ch.Seq, keys: map[string]int64{}, revoked: map[string]int64{}}
			r.principals[p.id] = p
		}
		p.name, p.kind, p.team = ch.Principal.Name, ch.Principal.Kind, ch.Principal.Team
		p.registrar = p.registrar || ch.Registrar
		if ch.Key != "" {
			p.keys[ch.Key] = ch.Seq
		}
	case verifier.ChangeRevocation:
		if ch.Principal == nil {
			return
		}
		if p := r.principals[ch.Principal.ID]; p != nil && ch.Key != "" {
			delete(p.keys, ch.Key)
			p.revoked[ch.Key] = ch.Seq
		}
	case verifier.ChangeLogKey:
		r.logKey, r.logKeySeq = ch.Key, ch.Seq
	case verifier.ChangePolicy:
		r.policy, r.policySeq, r.policyRun = ch.Policy, ch.Seq, ch.Run
	case verifier.ChangeControl:
		if ch.ControlDef != nil {
			r.controls[ch.Control] = &regDef[format.ControlAction]{def: ch.ControlDef, seq: ch.Seq, run: ch.Run}
		}
	case verifier.ChangeTeam:
		if ch.TeamDef != nil {
			r.teams[ch.Team] = &regDef[format.TeamAction]{def: ch.TeamDef, seq: ch.Seq, run: ch.Run}
		}
	case verifier.ChangeRole:
		k := [2]string{ch.Control, ch.Role}
		switch ch.Op {
		case "assign":
			r.holders[k] = append(r.holders[k], &regHolder{principal: ch.Holder, team: ch.Team, justification: ch.Justification, run: ch.Run, seq: ch.Seq})
		case "unassign":
			kept := r.holders[k][:0]
			for _, h := range r.holders[k] {
				if h.principal != ch.Holder || h.team != ch.Team {
					kept = append(kept, h)
				}
			}
			if len(kept) == 0 {
				delete(r.holders, k)
			} else {
				r.holders[k] = kept
			}
		}
	}
}

// name is a principal's printed name as enrolled ("" when unknown).
func (r *register) name(id string) string {
	if p := r.principals[id]; p != nil {
		return p.name
	}
	return ""
}

// controlDetail says what a control definition puts in the register.
func controlDetail(d *format.ControlAction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q", d.Name)
	if d.Material {
		b.WriteString(", material")
	}
	if len(d.Classes) > 0 {
		b.WriteString(", governs " + strings.Join(d.Classes, ", "))
	}
	for _, p := range d.Parameters {
		fmt.Fprintf(&b, "; %s = %s", p.Name, p.Value)
		if p.Currency != "" {
			b.WriteString(" " + p.Currency)
		}
		fmt.Fprintf(&b, " (%s)", p.Type)
	}
	return b.String()
}

// teamDetail says what a team definition puts in the register.
func teamDetail(d *format.TeamAction) string {
	return fmt.Sprintf("%q, accountable %s, members %s", d.Name, d.Accountable, strings.Join(d.Members, ", "))
}

// roleDetail says what a role change does.
func roleDetail(op, role, control, principal, team string) string {
	who := principal
	if team != "" {
		who = "team " + team
	}
	prep := "to"
	if op == "unassign" {
		prep = "from"
	}
	return fmt.Sprintf("%s %s on %s %s %s", op, role, control, prep, who)
}

// change is the change-log stream.
func (c *collector) change(ch *verifier.Change) {
	if !c.zoneKnown {
		c.early = append(c.early, ch)
		return
	}
	c.place(ch.Seq, ch.Time)
	if c.inScope(ch.Seq) && (c.o.Run == "" || ch.Run == c.o.Run) {
		for _, row := range c.registerRows(ch) {
			c.rep.Register.add(&row)
		}
	}
	c.exceptionChange(ch)
	c.reg.apply(ch)
	c.registerChanged(ch)
}

// registerRows are the Register rows one change makes. Kinds it does not
// know make none (the change log is open to more kinds).
func (c *collector) registerRows(ch *verifier.Change) []RegisterRow {
	row := RegisterRow{Part: "change", Kind: ch.Kind, Seq: ch.Seq, Hash: ch.Hash, Time: ch.Time, Key: ch.Key, Reason: ch.Reason,
		Applied: ch.Applied, Registrar: ch.Registrar, Run: ch.Run, Policy: ch.Policy}
	if ch.Principal != nil {
		row.Principal, row.Name, row.Type, row.Team = ch.Principal.ID, ch.Principal.Name, ch.Principal.Kind, ch.Principal.Team
	}
	switch ch.Kind {
	case verifier.ChangeEnrolment, verifier.ChangeLogKey, verifier.ChangePolicy:
		row.State = "in force"
	case verifier.ChangeRevocation:
		row.State = "revoked"
	case verifier.ChangeControl:
		row.Control, row.State = ch.Control, "in force"
		if ch.ControlDef != nil {
			row.Detail = controlDetail(ch.ControlDef)
		}
	case verifier.ChangeTeam:
		row.Team, row.State = ch.Team, "in force"
		if ch.TeamDef != nil {
			row.Detail = teamDetail(ch.TeamDef)
		}
	case verifier.ChangeRole:
		row.Control, row.Role, row.Op, row.Principal, row.Team, row.Reason = ch.Control, ch.Role, ch.Op, ch.Holder, ch.Team, ch.Justification
		row.Name = c.reg.name(ch.Holder)
		row.Detail = roleDetail(ch.Op, ch.Role, ch.Control, ch.Holder, ch.Team)
		row.State = "in force"
		if ch.Op == "unassign" {
			row.State = "removed"
		}
	case verifier.ChangeReportingLine:
		row.Principal, row.Name, row.State = ch.Holder, c.reg.name(ch.Holder), "in force"
		row.Detail = ch.Holder + " reports to " + ch.Manager
		if ch.Manager == "" {
			row.Detail = ch.Holder + " reports to no one"
		}
	case verifier.ChangePersonnel:
		row.Principal, row.Name, row.Team, row.Op, row.State = ch.Holder, c.reg.name(ch.Holder), ch.Team, ch.Event, "recorded"
		row.Detail = fmt.Sprintf("%s: %s, effective %s", ch.Event, ch.Holder, ch.Effective)
		if ch.Team != "" {
			row.Detail += ", team " + ch.Team
		}
	case verifier.ChangeException:
		row.Control, row.Principal, row.Name, row.State = ch.Control, ch.Holder, c.reg.name(ch.Holder), "in force"
		row.Detail = fmt.Sprintf("exception %s: %s on %s from %s to %s", ch.Exception, strings.Join(ch.Roles, ", "), ch.Control, ch.Starts, ch.Expires)
		if ch.Beneficiary != "" && ch.Beneficiary != ch.Holder {
			row.Detail += ", beneficiary " + ch.Beneficiary
		}
		if ch.Cumulative > 0 {
			row.Detail += fmt.Sprintf(", %d days cumulative from %s", ch.Cumulative, ch.ChainStarts)
		}
	case verifier.ChangeSmallOrg:
		row.Control, row.State = ch.Control, "in force"
		row.Detail = fmt.Sprintf("small-organisation exception %s: %s on %s, review by %s", ch.Exception, strings.Join(ch.Roles, ", "), ch.Control, ch.Expires)
	case verifier.ChangeSmallOrgReview:
		row.Op, row.State = ch.Op, "in force"
		row.Detail = fmt.Sprintf("review of small-organisation exception %s: %s", ch.Exception, ch.Op)
		if ch.Op != "end" {
			row.Detail += ", next by " + ch.Expires
		}
	default:
		return nil
	}
	if !ch.Applied {
		row.State = "not applied (see findings)"
	}
	return []RegisterRow{row}
}

// registerSnapshot writes the register as it stands (before the record
// being placed takes effect) as rows of part "start" or "end".
func (c *collector) registerSnapshot(part string) {
	if c.o.Run != "" {
		return
	}
	r := c.reg
	if r.logKeySeq >= 0 {
		c.rep.Register.add(&RegisterRow{Part: part, Kind: verifier.ChangeLogKey, Seq: r.logKeySeq, Key: r.logKey, Applied: true, State: "in force"})
	}
	if r.policySeq >= 0 {
		c.rep.Register.add(&RegisterRow{Part: part, Kind: verifier.ChangePolicy, Seq: r.policySeq, Policy: r.policy, Run: r.policyRun, Applied: true, State: "in force"})
	}
	for _, id := range slices.Sorted(maps.Keys(r.controls)) {
		d := r.controls[id]
		c.rep.Register.add(&RegisterRow{Part: part, Kind: verifier.ChangeControl, Seq: d.seq, Run: d.run, Control: id, Detail: controlDetail(d.def), Applied: true, State: "in force"})
		for _, role := range verifier.ControlRoles {
			for _, h := range r.holders[[2]string{id, role}] {
				c.rep.Register.add(&RegisterRow{Part: part, Kind: verifier.ChangeRole, Seq: h.seq, Run: h.run, Control: id, Role: role, Op: "assign",
					Principal: h.principal, Name: r.name(h.principal), Team: h.team, Detail: roleDetail("assign", role, id, h.principal, h.team),
					Reason: h.justification, Applied: true, State: "in force"})
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(r.teams)) {
		d := r.teams[id]
		c.rep.Register.add(&RegisterRow{Part: part, Kind: verifier.ChangeTeam, Seq: d.seq, Run: d.run, Team: id, Detail: teamDetail(d.def), Applied: true, State: "in force"})
	}
	for _, id := range slices.Sorted(maps.Keys(r.principals)) {
		p := r.principals[id]
		for _, k := range sortedKeys(p.keys) {
			c.rep.Register.add(&RegisterRow{Part: part, Kind: verifier.ChangeEnrolment, Seq: p.keys[k], Principal: p.id, Name: p.name, Type: p.kind,
				Team: p.team, Registrar: p.registrar, Key: k, Applied: true, State: "in force"})
		}
		for _, k := range sortedKeys(p.revoked) {
			c.rep.Register.add(&RegisterRow{Part: part, Kind: verifier.ChangeRevocation, Seq: p.revoked[k], Principal: p.id, Name: p.name, Type: p.kind,
				Team: p.team, Registrar: p.registrar, Key: k, Applied: true, State: "revoked"})
		}
	}
}

func sortedKeys(m map[string]int64) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
