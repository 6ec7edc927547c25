package enforce

import (
	"fmt"
	"math/big"
	"time"
	// The zone database is embedded, so an air-gapped machine dates a
	// record's local day as every other does.
	_ "time/tzdata"

	"github.com/countersign/countersign/format"
)

// loadZone loads the organisation's time zone (the genesis tz) from the
// embedded database. "" and "Local" are not zones.
func loadZone(tz string) (*time.Location, error) {
	if tz == "" || tz == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone name", tz)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not in the time-zone database", tz)
	}
	return loc, nil
}

// dayKey is what a daily aggregate sums over: one maker, one class, one
// currency, within one local day.
type dayKey struct {
	principal string
	class     string
	currency  string
}

// dayTotals holds, for the local day of the last execution only, the sum
// of the amounts of executed runs per maker, class and currency. Records
// are in time order, so when the day changes the totals start again: the
// memory is one total per key executed that day.
type dayTotals struct {
	loc  *time.Location // nil when the genesis tz could not be loaded
	day  string
	sums map[dayKey]*big.Rat
}

// localDay returns the date of record time t in the organisation's zone,
// or "" when it cannot be told.
func (d *dayTotals) localDay(t string) string {
	tm, err := format.ParseTime(t)
	if err != nil || d.loc == nil {
		return ""
	}
	return tm.In(d.loc).Format(time.DateOnly)
}

// add counts an executed run's amount at record time t.
func (d *dayTotals) add(t string, k dayKey, amount string) {
	day := d.localDay(t)
	amt, err := format.ParseDecimal(amount)
	if day == "" || err != nil {
		return
	}
	if day != d.day {
		d.day, d.sums = day, map[dayKey]*big.Rat{}
	}
	if d.sums[k] == nil {
		d.sums[k] = new(big.Rat)
	}
	d.sums[k].Add(d.sums[k], amt)
}

// total returns the executed total for k on the local day of time t, and
// false when the day cannot be told.
func (d *dayTotals) total(t string, k dayKey) (*big.Rat, bool) {
	day := d.localDay(t)
	if day == "" {
		return nil, false
	}
	if day != d.day || d.sums[k] == nil {
		return new(big.Rat), true
	}
	return new(big.Rat).Set(d.sums[k]), true
}

// param returns the parameter a grant's limit names, if the register has
// it as an amount.
func (s *state) param(ref *format.ParamRef) (format.Parameter, bool) {
	ctl := s.reg.controls[ref.Control]
	if ctl == nil {
		return format.Parameter{}, false
	}
	p, ok := ctl.params[ref.Parameter]
	return p, ok && p.Type == "amount"
}

// checkGrantLimits returns why a grant's limit or daily_limit cannot be
// judged against the register as it stands, or "".
func (s *state) checkGrantLimits(g format.Grant) string {
	for _, x := range []struct {
		name string
		ref  *format.ParamRef
	}{{"limit", g.Limit}, {"daily_limit", g.DailyLimit}} {
		if x.ref == nil {
			continue
		}
		p, ok := s.param(x.ref)
		switch {
		case !ok:
			return fmt.Sprintf("the %s of %s's %s grant names parameter %s of control %s, which is not an amount parameter in the register", x.name, g.Principal, g.Role, x.ref.Parameter, x.ref.Control)
		case g.Currency != "" && g.Currency != p.Currency:
			return fmt.Sprintf("%s's %s grant is in %s but its %s, %s.%s, is in %s", g.Principal, g.Role, g.Currency, x.name, x.ref.Control, x.ref.Parameter, p.Currency)
		}
	}
	switch {
	case g.Limit != nil && g.MaxAmount != "":
		return fmt.Sprintf("%s's %s grant has both a max_amount and a limit bound to a parameter", g.Principal, g.Role)
	case g.DailyLimit != nil && g.Role != format.GrantMaker:
		return fmt.Sprintf("%s's %s grant has a daily_limit: a daily aggregate sums a maker's executed runs", g.Principal, g.Role)
	}
	return ""
}

// bounded reports whether grant g puts a bound on amounts.
func bounded(g format.Grant) bool { return g.MaxAmount != "" || g.Limit != nil || g.DailyLimit != nil }

// coversAt reports whether grant g covers an action with these amounts at
// an act: its currency, its per-action maximum (max_amount, or the limit
// parameter in force), and its daily aggregate. day is nil at a proposal
// (the single amount is judged against the daily limit) and, at an
// execute attempt, the total the maker's executed runs of the class in
// that currency reached on the local day.
func (s *state) coversAt(g format.Grant, sh amountShape, day func(cur string) (*big.Rat, bool)) bool {
	max, cur := g.MaxAmount, g.Currency
	if g.Limit != nil {
		p, ok := s.param(g.Limit)
		if !ok || cur != "" && cur != p.Currency {
			return false
		}
		max, cur = p.Value, p.Currency
	}
	var daily *format.Parameter
	if g.DailyLimit != nil {
		p, ok := s.param(g.DailyLimit)
		if !ok || cur != "" && cur != p.Currency {
			return false
		}
		daily, cur = &p, p.Currency
	}
	if !covers(format.Grant{MaxAmount: max, Currency: cur}, sh) {
		return false
	}
	if daily == nil {
		return true
	}
	limit, err1 := format.ParseDecimal(daily.Value)
	amt, err2 := format.ParseDecimal(sh.amount)
	if err1 != nil || err2 != nil || !sh.hasAmount {
		return false
	}
	sum := new(big.Rat).Set(amt)
	if day != nil {
		done, ok := day(cur)
		if !ok {
			return false
		}
		sum.Add(sum, done)
	}
	return sum.Cmp(limit) <= 0
}
