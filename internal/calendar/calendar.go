// Package calendar is the date arithmetic of SPEC.md's time rules: civil
// dates in the organisation's time zone, business days with recorded
// holidays, calendar months clamped to the month's end, and the instants
// at which a date-bounded rule starts and stops applying.
//
// Every function is exact and total over the dates SPEC allows (years 1 to
// 9999). Time zones come from the zone database built into the binary
// (time/tzdata), so a machine without zoneinfo files computes the same
// dates as one with them.
package calendar

import (
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // the same zone data on every machine, air-gapped ones included
)

// Date is a civil date, with no time of day and no zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrDate reports a text that is not a date of the form YYYY-MM-DD.
var ErrDate = errors.New("not a date of the form YYYY-MM-DD")

// Parse reads a date written YYYY-MM-DD: four digits, two, two, a real day
// of the proleptic Gregorian calendar, year 0001 to 9999.
func Parse(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("%q: %w", s, ErrDate)
	}
	num := func(b string) (int, bool) {
		n := 0
		for _, c := range b {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return Date{}, fmt.Errorf("%q: %w", s, ErrDate)
	}
	return Date{y, time.Month(m), d}, nil
}

// String writes the date as YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.days() < e.days() }

// Sub returns the number of days from e to d (d − e).
func (d Date) Sub(e Date) int { return int(d.days() - e.days()) }

// AddDays returns the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date { return fromDays(d.days() + int64(n)) }

// Weekday is the day of the week of d.
func (d Date) Weekday() time.Weekday {
	// 0001-01-01 was a Monday.
	return time.Weekday((d.days()%7 + 7 + 1) % 7)
}

// AddMonths returns the same day n calendar months after d, clamped to the
// last day of the month reached: 30 November plus 3 months is 28 February
// (29 in a leap year), never 2 March as time.AddDate gives.
func (d Date) AddMonths(n int) Date {
	m := int(d.Month) - 1 + n
	y := d.Year + m/12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	day := d.Day
	if last := daysIn(y, time.Month(m+1)); day > last {
		day = last
	}
	return Date{y, time.Month(m + 1), day}
}

// On returns the local date of the instant t in loc.
func On(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

// Start returns the instant the day d begins in loc: its first moment of
// local time. On a day whose midnight a DST change skips, that is the
// first local time that exists.
func (d Date) Start(loc *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	// time.Date normalises a skipped midnight forward or backward; make
	// sure the instant is on day d and the earliest of it.
	for On(t, loc) != d {
		if On(t, loc).Before(d) {
			t = t.Add(30 * time.Minute)
		} else {
			t = t.Add(-30 * time.Minute)
		}
	}
	for On(t.Add(-time.Minute), loc) == d {
		t = t.Add(-time.Minute)
	}
	return t
}

// End returns the instant day d ends in loc: the start of the next day.
// "Valid through d" means valid at every instant before End.
func (d Date) End(loc *time.Location) time.Time { return d.AddDays(1).Start(loc) }

// Business says which days are business days: Monday to Friday, except
// the holidays recorded.
type Business struct {
	Holidays map[Date]bool
}

// IsBusinessDay reports whether d is a business day.
func (b Business) IsBusinessDay(d Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !b.Holidays[d]
}

// NthAfter returns the n-th business day after d, d itself not counted
// (n >= 1): the 5th business day after Friday 2026-01-02 is Friday
// 2026-01-09.
func (b Business) NthAfter(d Date, n int) Date {
	for n > 0 {
		d = d.AddDays(1)
		if b.IsBusinessDay(d) {
			n--
		}
	}
	return d
}

// Zone loads an IANA time-zone name from the built-in database; "UTC" is
// UTC. It refuses "Local" and the empty name, which would depend on the
// machine.
func Zone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not an IANA zone name", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not in the zone database", name)
	}
	return loc, nil
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// days counts days from 0001-01-01 (day 0).
func (d Date) days() int64 {
	y := int64(d.Year - 1)
	n := y*365 + y/4 - y/100 + y/400
	for m := time.January; m < d.Month; m++ {
		n += int64(daysIn(d.Year, m))
	}
	return n + int64(d.Day-1)
}

func fromDays(n int64) Date {
	// 400 years have 146097 days.
	y := int64(1) + 400*(n/146097)
	n %= 146097
	if n < 0 {
		n += 146097
		y -= 400
	}
	for {
		l := int64(365)
		if isLeap(int(y)) {
			l = 366
		}
		if n < l {
			break
		}
		n -= l
		y++
	}
	m := time.January
	for {
		l := int64(daysIn(int(y), m))
		if n < l {
			break
		}
		n -= l
		m++
	}
	return Date{int(y), m, int(n) + 1}
}
