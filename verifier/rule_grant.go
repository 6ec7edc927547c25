package verifier

import (
	"math/big"

	"github.com/countersign/countersign/format"
)

// RuleGrant: every action is covered by a grant of the policy in force.
const RuleGrant = "SOD-GRANT"

var ruleGrant = Rule{
	ID:         RuleGrant,
	Statement:  "every proposal, counted sign-off and execution is covered by a grant of the policy version in force, within its limits; an action a limit cannot judge is covered by none",
	References: []string{"seed 000 (versioned grants, role limits)", "SPEC.md §6.8"},
	check: func(j *judgement) {
		if e, ok := j.body.(*format.Execution); ok && j.run != nil && j.run.Class == format.ClassPolicy && j.run.Action != nil {
			if ch, err := format.DecodeChange(j.run.Action, modeOf(j.st.Lax)); err == nil && j.on("SOD-GRANT.5") {
				for _, g := range ch.(*format.PolicyAction).Grants {
					if g.Currency != "" && !format.ValidCurrency(g.Currency) || g.MaxAmount != "" && !format.ValidAmount(g.MaxAmount) {
						j.emitf(RuleGrant, []int64{j.run.ProposalSeq, j.rec.Seq}, "policy executed by run %s grants %s a limit it cannot judge: max_amount %q, currency %q", clip(e.Run), clip(g.Principal), clip(g.MaxAmount), clip(g.Currency))
					}
				}
			}
			if ch, err := format.DecodeChange(j.run.Action, modeOf(j.st.Lax)); err == nil {
				for _, p := range limitProblems(j, ch.(*format.PolicyAction)) {
					j.emitf(RuleGrant, []int64{j.run.ProposalSeq, j.rec.Seq}, "policy executed by run %s: %s; the policy does not take effect", clip(e.Run), p)
				}
			}
		}
		if _, ok := j.body.(*format.Execution); ok && j.run != nil && !format.IsChangeClass(j.run.Class) && j.on("SOD-GRANT.8") {
			dailyExceeded(j, j.run)
		}
		a, r := accepted(j)
		if a == nil {
			return
		}
		recs := []int64{r.ProposalSeq, a.seq, j.rec.Seq}
		role, cond := "", ""
		switch {
		case a.typ == format.TypeProposal:
			role, cond = format.GrantMaker, "SOD-GRANT.1"
			recs = recs[1:]
			if r.Limited && !r.AmountOK && j.on("SOD-GRANT.4") {
				j.emitf(RuleGrant, recs, "run %s is of class %s, which the policy limits by amount, but its action has no top-level amount a limit can judge (a non-negative decimal string), or names an amount or total elsewhere", r.ID, clip(r.Class))
			}
		case a.act == format.ActSignoff:
			role, cond = format.GrantChecker, "SOD-GRANT.2"
		case a.act == format.ActExecute:
			role, cond = format.GrantMaker, "SOD-GRANT.3"
		default:
			return
		}
		if !j.on(cond) {
			return
		}
		if code := j.st.grantFor(a.actor, role, r, j.on("SOD-GRANT.7")); code != "" {
			j.emitf(RuleGrant, recs, "%s acted as %s in run %s without a %s grant covering %s %s %s (%s)", a.actor, role, r.ID, role, clip(r.Class), r.Amount, r.Currency, code)
		}
	},
}

// limitProblems lists the grants of p whose limits are bound to something
// that is not an amount parameter of a control in the register, or that
// also set a maximum or another currency (SOD-GRANT.6, SPEC.md §6.11).
func limitProblems(j *judgement, p *format.PolicyAction) []string {
	if !j.on("SOD-GRANT.6") {
		return nil
	}
	var out []string
	for _, g := range p.Grants {
		for _, ref := range []*format.ParamRef{g.Limit, g.DailyLimit} {
			if ref == nil {
				continue
			}
			prm := j.st.param(ref)
			switch {
			case prm == nil:
				out = append(out, "the limit of "+clip(g.Principal)+"'s grant names "+clip(ref.Control)+"/"+clip(ref.Parameter)+", which is no amount parameter of a control in the register")
			case g.MaxAmount != "" || g.Currency != "" && g.Currency != prm.Currency:
				out = append(out, "the grant of "+clip(g.Principal)+" binds its limit to "+ref.Control+"/"+ref.Parameter+" but also sets max_amount "+clip(g.MaxAmount)+" or currency "+clip(g.Currency))
			}
		}
	}
	return out
}

// dailyExceeded judges the daily aggregate at an execution (SOD-GRANT.8):
// with this run's amount, the maker's executed total of the class and
// currency for the local day of the execution exceeds the daily limit of
// every covering grant of the maker that has one, and no covering grant
// is without one.
func dailyExceeded(j *judgement, r *RunState) {
	s := j.st
	if !r.AmountOK || r.Currency == "" {
		return
	}
	grants, _ := s.grantsFor(r.Proposer, format.GrantMaker, r, true)
	if len(grants) == 0 {
		return
	}
	total := s.dailyTotal(r, j.rec.Time)
	amt, err := format.ParseDecimal(r.Amount)
	if err != nil {
		return
	}
	total = new(big.Rat).Add(total, amt)
	var limit string
	for _, g := range grants {
		if g.DailyLimit == nil {
			return
		}
		p := s.param(g.DailyLimit)
		if p == nil {
			continue
		}
		if lim, err := format.ParseDecimal(p.Value); err == nil && total.Cmp(lim) <= 0 {
			return
		}
		limit = p.Value
	}
	j.emitf(RuleGrant, []int64{r.ProposalSeq, j.rec.Seq}, "run %s brings %s's executed %s of %s on %s to %s %s, over the daily limit %s", r.ID, r.Proposer, clip(r.Class), r.Currency, s.localDay(j.rec.Time), total.FloatString(2), r.Currency, limit)
}

// dailyTotal is the maker's executed total of the run's class and currency
// on the local day of time t, before this run.
func (s *State) dailyTotal(r *RunState, t string) *big.Rat {
	g := s.Reg
	if day := s.localDay(t); day != g.day {
		return new(big.Rat)
	}
	if v := g.daily[dailyKey{r.Proposer, r.Class, r.Currency}]; v != nil {
		return v
	}
	return new(big.Rat)
}

// addDaily adds an executed run's amount to its maker's total for the
// local day of the execution; a new day starts every total afresh. One
// total is kept per maker, class and currency of the day (SPEC.md §10).
func (s *State) addDaily(j *judgement, r *RunState) {
	t := j.rec.Time
	if !r.AmountOK || r.Currency == "" {
		return
	}
	amt, err := format.ParseDecimal(r.Amount)
	if err != nil {
		return
	}
	g := s.Reg
	day := s.localDay(t)
	if day != g.day {
		g.day, g.daily = day, map[dailyKey]*big.Rat{}
	}
	k := dailyKey{r.Proposer, r.Class, r.Currency}
	if g.daily[k] == nil {
		if len(g.daily) >= MaxRegister && j.on("SOD-ATTEMPT-OUTCOME.8") {
			// Past the bound the total cannot be kept: fail closed,
			// reported once.
			if g.dailyFull {
				return
			}
			g.dailyFull = true
			j.emitf(RuleAttemptOutcome, nil, "more than %d daily totals on %s at record %d; the verifier keeps no more", MaxRegister, day, j.rec.Seq)
			return
		}
		g.daily[k] = new(big.Rat)
	}
	g.daily[k].Add(g.daily[k], amt)
}
