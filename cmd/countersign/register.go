package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// Names of the register document (register --json).
const (
	registerFormat  = "countersign-register"
	registerVersion = 1
)

// The register as of an instant (SPEC.md §6.11), folded from the
// verifier's change log as Verify reads: the bundle is read once, and only
// the register is kept, never the changes that made it.

// regSince says which change put an entry in the register.
type regSince struct {
	Seq  int64  `json:"seq"`
	Time string `json:"time"`
	Run  string `json:"run"`
}

// regPrincipal is a principal as its enrolment names it.
type regPrincipal struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// regHolder is one holder of a role: a principal, or a team and its
// accountable human.
type regHolder struct {
	Principal     *regPrincipal `json:"principal,omitempty"`
	Team          string        `json:"team,omitempty"`
	TeamName      string        `json:"team_name,omitempty"`
	Accountable   *regPrincipal `json:"accountable,omitempty"`
	Since         regSince      `json:"since"`
	Justification string        `json:"justification"`
}

type regRole struct {
	Role    string       `json:"role"`
	Holders []*regHolder `json:"holders"`
}

type regControl struct {
	Control    string             `json:"control"`
	Name       string             `json:"name"`
	Material   bool               `json:"material"`
	Classes    []string           `json:"classes"`
	Parameters []format.Parameter `json:"parameters"`
	Since      regSince           `json:"since"`
	Roles      []*regRole         `json:"roles"`
}

type regTeam struct {
	Team        string          `json:"team"`
	Name        string          `json:"name"`
	Accountable *regPrincipal   `json:"accountable"`
	Members     []*regPrincipal `json:"members"`
	Since       regSince        `json:"since"`
}

// registerFold keeps the register while the change log streams by.
type registerFold struct {
	atSeq      int64 // -1: no bound by sequence number
	atTime     string
	principals map[string]format.Principal
	controls   map[string]*format.ControlAction
	ctlSince   map[string]regSince
	teams      map[string]*format.TeamAction
	teamSince  map[string]regSince
	holders    map[string][]*roleEntry // control + "\x00" + role
	last       int64                   // the last record folded
	lastTime   string
}

type roleEntry struct {
	principal, team, justification string
	since                          regSince
}

func newRegisterFold(atSeq int64, atTime string) *registerFold {
	return &registerFold{atSeq: atSeq, atTime: atTime, principals: map[string]format.Principal{}, controls: map[string]*format.ControlAction{},
		ctlSince: map[string]regSince{}, teams: map[string]*format.TeamAction{}, teamSince: map[string]regSince{}, holders: map[string][]*roleEntry{}, last: -1}
}

// change folds one change of the log, if it is applied and not past the
// instant asked for.
func (f *registerFold) change(c *verifier.Change) {
	if f.atSeq >= 0 && c.Seq > f.atSeq || f.atTime != "" && c.Time > f.atTime {
		return
	}
	if !c.Applied {
		return
	}
	since := regSince{Seq: c.Seq, Time: c.Time, Run: c.Run}
	switch c.Kind {
	case verifier.ChangeEnrolment:
		if c.Principal != nil {
			if _, ok := f.principals[c.Principal.ID]; !ok {
				f.principals[c.Principal.ID] = *c.Principal
			}
		}
	case verifier.ChangeControl:
		if c.ControlDef != nil {
			f.controls[c.Control], f.ctlSince[c.Control] = c.ControlDef, since
		}
	case verifier.ChangeTeam:
		if c.TeamDef != nil {
			f.teams[c.Team], f.teamSince[c.Team] = c.TeamDef, since
		}
	case verifier.ChangeRole:
		k := c.Control + "\x00" + c.Role
		switch c.Op {
		case "assign":
			f.holders[k] = append(f.holders[k], &roleEntry{principal: c.Holder, team: c.Team, justification: c.Justification, since: since})
		case "unassign":
			kept := f.holders[k][:0]
			for _, h := range f.holders[k] {
				if h.principal != c.Holder || h.team != c.Team {
					kept = append(kept, h)
				}
			}
			f.holders[k] = kept
		}
	}
}

func (f *registerFold) principal(id string) *regPrincipal {
	p := f.principals[id]
	return &regPrincipal{ID: id, Name: p.Name, Kind: p.Kind}
}

// controls returns the register as printed: controls in ID order, roles in
// SPEC order, holders in the order assigned; then the teams.
func (f *registerFold) register() ([]*regControl, []*regTeam) {
	var out []*regControl
	for _, id := range slices.Sorted(maps.Keys(f.controls)) {
		d := f.controls[id]
		c := &regControl{Control: id, Name: d.Name, Material: d.Material, Classes: d.Classes, Parameters: d.Parameters, Since: f.ctlSince[id]}
		if c.Classes == nil {
			c.Classes = []string{}
		}
		if c.Parameters == nil {
			c.Parameters = []format.Parameter{}
		}
		for _, r := range verifier.ControlRoles {
			rr := &regRole{Role: r, Holders: []*regHolder{}}
			for _, h := range f.holders[id+"\x00"+r] {
				rh := &regHolder{Since: h.since, Justification: h.justification}
				if h.principal != "" {
					rh.Principal = f.principal(h.principal)
				} else {
					rh.Team = h.team
					if t := f.teams[h.team]; t != nil {
						rh.TeamName, rh.Accountable = t.Name, f.principal(t.Accountable)
					}
				}
				rr.Holders = append(rr.Holders, rh)
			}
			c.Roles = append(c.Roles, rr)
		}
		out = append(out, c)
	}
	var teams []*regTeam
	for _, id := range slices.Sorted(maps.Keys(f.teams)) {
		d := f.teams[id]
		t := &regTeam{Team: id, Name: d.Name, Accountable: f.principal(d.Accountable), Since: f.teamSince[id], Members: []*regPrincipal{}}
		for _, m := range d.Members {
			t.Members = append(t.Members, f.principal(m))
		}
		teams = append(teams, t)
	}
	return out, teams
}

func runRegister(ctx context.Context, e *env, args []string) int {
	fs := e.newFlagSet("register")
	at := fs.String("at", "", "")
	seq := fs.String("seq", "", "")
	asJSON := fs.Bool("json", false, "")
	asCSV := fs.Bool("csv", false, "")
	trustArg := fs.String("trust", "", "")
	unsafe := fs.Bool("unsafe-no-trust", false, "")
	pos, code, ok := e.parse("register", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return e.usageError("register", "register takes exactly one BUNDLE (a file, or - for stdin); got %d arguments", len(pos))
	}
	if flagSet(fs, "at") && flagSet(fs, "seq") {
		return e.usageError("register", "--at and --seq exclude each other")
	}
	if *asJSON && *asCSV {
		return e.usageError("register", "--json and --csv exclude each other")
	}
	atSeq := int64(-1)
	if flagSet(fs, "seq") {
		n, err := strconv.ParseInt(*seq, 10, 64)
		if err != nil || n < 0 {
			return e.usageError("register", "--seq needs a record sequence number (0 or more), not %s", display.Quote(*seq))
		}
		atSeq = n
	}
	if flagSet(fs, "at") {
		if _, err := format.ParseTime(*at); err != nil {
			return e.usageError("register", "--at needs a time of the form 2026-11-02T09:00:00.000Z (UTC, milliseconds), not %s", display.Quote(*at))
		}
	}
	trust, mode, code := e.trustFlags("register", flagSet(fs, "trust"), *trustArg, *unsafe, "register needs --trust FP, or --unsafe-no-trust to read an unauthenticated bundle: a register from an unauthenticated bundle is not a fact")
	if code != 0 {
		return code
	}
	in, code := e.openBundle(pos[0])
	if code != 0 {
		return code
	}
	defer in.close()
	f := newRegisterFold(atSeq, *at)
	res, code := e.verifyBundle(ctx, in, trust, verifier.Options{Changes: f.change, Observer: verifier.ObserverFunc(func(ev *verifier.Event) {
		if (f.atSeq < 0 || ev.Seq <= f.atSeq) && (f.atTime == "" || ev.Time <= f.atTime) {
			f.last, f.lastTime = ev.Seq, ev.Time
		}
	})})
	if code != 0 {
		return code
	}
	w := bufio.NewWriterSize(e.stdout, 1<<16)
	controls, teams := f.register()
	switch {
	case *asJSON:
		writeRegisterJSON(w, f, controls, teams, res, mode)
	case *asCSV:
		writeRegisterCSV(w, controls)
	default:
		writeRegisterText(w, in.name, f, controls, teams, res, mode)
	}
	if err := w.Flush(); err != nil {
		return e.errorf(exitInput, "cannot write the register: %v", err)
	}
	if atSeq >= 0 && f.last < atSeq {
		return e.errorf(exitFail, "%s has no record %d; the register shown is as of its last record %d", in.name, atSeq, f.last)
	}
	return exitOK
}

func asOf(f *registerFold) string {
	switch {
	case f.atSeq >= 0:
		return fmt.Sprintf("as of record %d (%s)", f.last, display.Escape(f.lastTime))
	case f.atTime != "":
		return fmt.Sprintf("as of %s (last record %d)", f.atTime, f.last)
	}
	return fmt.Sprintf("at the end of the bundle (record %d, %s)", f.last, display.Escape(f.lastTime))
}

func principalText(p *regPrincipal) string {
	if p == nil {
		return "?"
	}
	kind := p.Kind
	if kind == "" {
		kind = "not enrolled"
	}
	return fmt.Sprintf("%s %s (%s)", display.Escape(p.ID), display.Quote(p.Name), display.Escape(kind))
}

func sinceText(s regSince) string {
	return fmt.Sprintf("since %s, record %d, run %s", display.Escape(s.Time), s.Seq, display.Escape(s.Run))
}

func writeRegisterText(w io.Writer, name string, f *registerFold, controls []*regControl, teams []*regTeam, res *verifier.Result, mode trustMode) {
	fmt.Fprintf(w, "register of %s %s\n", name, asOf(f))
	if mode == trustUnsafe {
		fmt.Fprintf(w, "%s\n", unauthenticatedBanner)
	}
	if len(controls) == 0 {
		fmt.Fprintf(w, "\nno control is defined\n")
	}
	for _, c := range controls {
		material := "not material"
		if c.Material {
			material = "material"
		}
		fmt.Fprintf(w, "\ncontrol %s %s, %s, %s\n", display.Escape(c.Control), display.Quote(c.Name), material, sinceText(c.Since))
		var classes []string
		for _, k := range c.Classes {
			classes = append(classes, display.Escape(k))
		}
		if len(classes) > 0 {
			fmt.Fprintf(w, "  governs     %s\n", strings.Join(classes, ", "))
		}
		for _, p := range c.Parameters {
			v := display.Escape(p.Value)
			if p.Currency != "" {
				v += " " + display.Escape(p.Currency)
			}
			fmt.Fprintf(w, "  parameter   %s = %s (%s)\n", display.Escape(p.Name), v, display.Escape(p.Type))
		}
		for _, r := range c.Roles {
			if len(r.Holders) == 0 {
				fmt.Fprintf(w, "  %-10s  NO HOLDER\n", r.Role)
				continue
			}
			for _, h := range r.Holders {
				who := principalText(h.Principal)
				if h.Principal == nil {
					who = fmt.Sprintf("team %s %s, accountable %s", display.Escape(h.Team), display.Quote(h.TeamName), principalText(h.Accountable))
				}
				fmt.Fprintf(w, "  %-10s  %s, %s\n", r.Role, who, sinceText(h.Since))
				fmt.Fprintf(w, "              justification %s\n", display.Quote(h.Justification))
			}
		}
	}
	if len(teams) > 0 {
		fmt.Fprintf(w, "\nteams\n")
	}
	for _, t := range teams {
		var ms []string
		for _, m := range t.Members {
			ms = append(ms, display.Escape(m.ID))
		}
		fmt.Fprintf(w, "  %s %s, accountable %s, %s\n    members %s\n", display.Escape(t.Team), display.Quote(t.Name), principalText(t.Accountable), sinceText(t.Since), strings.Join(ms, ", "))
	}
	total := len(res.Findings) + res.FindingsOmitted
	fmt.Fprintf(w, "\nverification  %s, %s; %s\n", strings.ToUpper(res.Verdict), display.Count(int64(total), "finding"), authenticityText(res, mode))
	switch {
	case res.Authenticity == verifier.AuthFailed:
		fmt.Fprintf(w, "NOT AUTHENTIC: the bundle is not the one pinned; the register above is not a fact\n")
	case mode == trustUnsafe:
		fmt.Fprintf(w, "%s\n", unauthenticatedBanner)
	}
	if total > 0 {
		fmt.Fprintf(w, "details       countersign verify --trust FP %s\n", name)
	}
}

func writeRegisterJSON(w io.Writer, f *registerFold, controls []*regControl, teams []*regTeam, res *verifier.Result, mode trustMode) {
	trust := "pinned"
	if mode == trustUnsafe {
		trust = "unsafe-no-trust"
	}
	if controls == nil {
		controls = []*regControl{}
	}
	if teams == nil {
		teams = []*regTeam{}
	}
	doc := struct {
		Format   string          `json:"format"`
		Version  int             `json:"version"`
		Trust    string          `json:"trust"`
		AsOf     map[string]any  `json:"as_of"`
		Controls []*regControl   `json:"controls"`
		Teams    []*regTeam      `json:"teams"`
		Result   json.RawMessage `json:"result"`
	}{Format: registerFormat, Version: registerVersion, Trust: trust, AsOf: map[string]any{"seq": f.last, "time": f.lastTime}, Controls: controls, Teams: teams}
	if f.atTime != "" {
		doc.AsOf["at"] = f.atTime
	}
	rb, err := json.Marshal(res)
	if err != nil {
		panic(err) // the result is plain data
	}
	doc.Result = rb
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	w.Write(display.JSON(b))
	io.WriteString(w, "\n")
}

// csvCell neutralises a cell a spreadsheet would read as a formula (one
// beginning with =, +, - or @, or a tab or carriage return before one),
// and escapes what a terminal would obey.
func csvCell(s string) string {
	s = display.Escape(s)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func writeRegisterCSV(w io.Writer, controls []*regControl) {
	cw := csv.NewWriter(w)
	cw.Write([]string{"control", "control_name", "material", "role", "holder_type", "holder", "holder_name", "holder_kind", "accountable", "accountable_name", "since_seq", "since_time", "run", "justification"})
	for _, c := range controls {
		for _, r := range c.Roles {
			base := []string{csvCell(c.Control), csvCell(c.Name), strconv.FormatBool(c.Material), r.Role}
			if len(r.Holders) == 0 {
				cw.Write(append(base, "none", "", "", "", "", "", "", "", "", ""))
				continue
			}
			for _, h := range r.Holders {
				row := append([]string{}, base...)
				if h.Principal != nil {
					row = append(row, "principal", csvCell(h.Principal.ID), csvCell(h.Principal.Name), csvCell(h.Principal.Kind), "", "")
				} else {
					acc, accName := "", ""
					if h.Accountable != nil {
						acc, accName = csvCell(h.Accountable.ID), csvCell(h.Accountable.Name)
					}
					row = append(row, "team", csvCell(h.Team), csvCell(h.TeamName), "", acc, accName)
				}
				row = append(row, strconv.FormatInt(h.Since.Seq, 10), csvCell(h.Since.Time), csvCell(h.Since.Run), csvCell(h.Justification))
				cw.Write(row)
			}
		}
	}
	cw.Flush()
}
