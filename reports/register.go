package reports

// This file turns the verifier's change log into the Register and
// Exceptions sections. registerRows and exceptionRows are the one place
// where a change kind becomes rows: a new kind of the change log (the
// control register's role assignments, teams and exceptions of AG-259)
// is wired in by adding its case there, and by keeping what the register
// needs at the start and end of the period in register.apply.

import (
	"sort"

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
}

type regPrincipal struct {
	id, name, kind, team string
	registrar            bool
	seq                  int64 // enrolled at
	keys                 map[string]int64
	revoked              map[string]int64
}

func newRegister() *register {
	return &register{principals: map[string]*regPrincipal{}, logKeySeq: -1, policySeq: -1}
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
	}
}

// change is the change-log stream.
func (c *collector) change(ch *verifier.Change) {
	if !c.zoneKnown {
		c.early = append(c.early, ch)
		return
	}
	c.place(ch.Seq, ch.Time)
	if c.inScope(ch.Seq) && (c.o.Run == "" || ch.Run == c.o.Run) {
		for _, row := range registerRows(ch) {
			c.rep.Register.add(&row)
		}
		for _, row := range exceptionRows(ch) {
			c.rep.Exceptions.add(&row)
		}
	}
	c.reg.apply(ch)
}

// registerRows are the Register rows one change makes. Kinds it does not
// know make none (the change log is open to more kinds).
func registerRows(ch *verifier.Change) []RegisterRow {
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
	default:
		// Role assignments, teams and reporting lines (AG-259) go here.
		return nil
	}
	if !ch.Applied {
		row.State = "not applied (see findings)"
	}
	return []RegisterRow{row}
}

// exceptionRows are the Exceptions rows one change makes: an exception
// opened, renewed or closed. The verifier's change log has no exception
// kind yet (AG-259 4.5 adds it); until then no change makes one.
func exceptionRows(ch *verifier.Change) []ExceptionRow {
	switch ch.Kind {
	default:
		return nil
	}
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
	ids := make([]string, 0, len(r.principals))
	for id := range r.principals {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
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
