package reports

// This file follows the conflicts of the control register (SPEC.md §6.11,
// SOD-CONTROL-ROLES): a person or team holding two or more roles on one
// control, from the register change that started it (the change
// SOD-CONTROL-ROLES.2 finds) to the change that ended it. After each
// applied register change the verifier's register is asked which units
// hold incompatible roles on the controls the change can touch; what it
// keeps is the conflicts open at once.

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

type conflictKey struct{ control, kind, unit string }

// openConflict is a conflict not yet ended, with the roles held.
type openConflict struct {
	row   *ConflictRow
	roles []string
}

// registerChanged notes an applied register change, judged when its
// record reaches the per-record stream with the register after it.
func (c *collector) registerChanged(ch *verifier.Change) {
	switch ch.Kind {
	case verifier.ChangeControl, verifier.ChangeTeam, verifier.ChangeRole:
		if ch.Applied {
			c.regChange = ch
		}
	}
}

// conflictsAfter compares the register's conflicts after the change at
// ev with those open before it.
func (c *collector) conflictsAfter(ev *verifier.Event) {
	ch := c.regChange
	if ch == nil || ch.Seq != ev.Seq || ev.State == nil || ev.State.Reg == nil {
		return
	}
	c.regChange = nil
	reg := ev.State.Reg
	// A role change touches its control; a team change every control its
	// members or it may hold roles on; a control's definition, none.
	var ctls []string
	switch ch.Kind {
	case verifier.ChangeRole:
		ctls = []string{ch.Control}
	case verifier.ChangeTeam:
		ctls = slices.Sorted(maps.Keys(reg.Controls))
	}
	for _, ctl := range ctls {
		now := map[conflictKey][]string{}
		for _, cf := range ev.State.Conflicts(ctl) {
			now[conflictKey{ctl, cf.Kind, cf.Unit}] = cf.Roles
		}
		for _, k := range c.openKeys(ctl) {
			if roles, ok := now[k]; ok {
				if o := c.conflicts[k]; !sameRoles(o.roles, roles) {
					o.roles = roles
					o.row.Roles = strings.Join(roles, ", ")
				}
				continue
			}
			o := c.conflicts[k]
			delete(c.conflicts, k)
			o.row.To = ev.Time
			c.endConflict(o.row)
		}
		for _, cf := range ev.State.Conflicts(ctl) {
			k := conflictKey{ctl, cf.Kind, cf.Unit}
			if c.conflicts[k] != nil {
				continue
			}
			row := &ConflictRow{Rule: verifier.RuleControlRoles, Source: "register", Control: ctl, Run: ch.Run, Roles: strings.Join(cf.Roles, ", "),
				From: ev.Time, Records: []int64{ev.Seq}, Hash: ch.Hash}
			if cf.Kind == "team" {
				row.Team = cf.Unit
				if t := reg.Teams[cf.Unit]; t != nil {
					row.Name = t.Name
				}
			} else {
				row.Principal = cf.Unit
				if p := c.reg.principals[cf.Unit]; p != nil {
					row.Name, row.Team = p.name, p.team
				}
			}
			// The finding that names the start: SOD-CONTROL-ROLES on this
			// record, naming the unit.
			for _, f := range ev.Findings {
				if f.Rule == verifier.RuleControlRoles && strings.Contains(f.Message, " "+cf.Kind+" "+cf.Unit+" holding roles ") {
					row.Message, row.Records = f.Message, f.Records
					break
				}
			}
			if row.Message == "" {
				row.Message = cf.Kind + " " + cf.Unit + " holds " + row.Roles + " on control " + ctl + ": no SOD-CONTROL-ROLES finding names the change (an exception in force covered the conflict when it started, see the exceptions, unless its finding is among those past the cap on findings kept)"
			}
			c.conflicts[k] = &openConflict{row: row, roles: cf.Roles}
		}
	}
}

func (c *collector) openKeys(ctl string) []conflictKey {
	var out []conflictKey
	for k := range c.conflicts {
		if k.control == ctl {
			out = append(out, k)
		}
	}
	sortConflictKeys(out)
	return out
}

func sortConflictKeys(ks []conflictKey) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && lessKey(ks[j], ks[j-1]); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

func lessKey(a, b conflictKey) bool {
	if a.control != b.control {
		return a.control < b.control
	}
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.unit < b.unit
}

func sameRoles(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

// endConflict writes a register conflict's row when it overlaps the
// period, with the time held within the period (and before the bundle's
// last record, for one still held).
func (c *collector) endConflict(row *ConflictRow) {
	if c.o.Run != "" && row.Run != c.o.Run {
		return
	}
	from, err := format.ParseTime(row.From)
	if err != nil {
		return
	}
	to, ok := time.Time{}, false
	if row.To != "" {
		to, err = format.ParseTime(row.To)
		ok = err == nil
	}
	if !ok {
		if to, err = format.ParseTime(c.last.time); err != nil {
			to = from
		}
	}
	if !c.spec.whole {
		if !from.Before(c.p.end) || to.Before(c.p.start) {
			return
		}
		if from.Before(c.p.start) {
			from = c.p.start
		}
		if to.After(c.p.end) {
			to = c.p.end
		}
	}
	if to.After(from) {
		row.Seconds = int64(to.Sub(from) / time.Second)
	}
	c.rep.Conflicts.add(row)
}

// endConflicts writes the conflicts still held when the bundle ends, in
// control, kind and unit order.
func (c *collector) endConflicts() {
	var ks []conflictKey
	for k := range c.conflicts {
		ks = append(ks, k)
	}
	sortConflictKeys(ks)
	for _, k := range ks {
		c.endConflict(c.conflicts[k].row)
	}
	c.conflicts = map[conflictKey]*openConflict{}
}
