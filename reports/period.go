package reports

import (
	"fmt"
	"time"

	"github.com/countersign/countersign/format"

	// The organisation's zone is read on machines that may have no zone
	// database (an air-gapped inspector's): the binary carries its own.
	_ "time/tzdata"
)

// periodSpec is the period asked for, before the bundle's zone is known.
type periodSpec struct {
	whole    bool
	label    string
	year     int
	month    time.Month
	from, to [3]int // year, month, day; to inclusive
	byDays   bool
}

// parsePeriod reads --month YYYY-MM, or --from/--to YYYY-MM-DD (both
// inclusive days), or nothing (the whole bundle).
func parsePeriod(month, from, to string) (periodSpec, error) {
	switch {
	case month != "" && (from != "" || to != ""):
		return periodSpec{}, fmt.Errorf("give --month or --from and --to, not both")
	case month != "":
		t, err := time.Parse("2006-01", month)
		if err != nil || t.Format("2006-01") != month {
			return periodSpec{}, fmt.Errorf("--month %q is not a month: want YYYY-MM, as 2026-11", month)
		}
		return periodSpec{label: month, year: t.Year(), month: t.Month()}, nil
	case from != "" || to != "":
		if from == "" || to == "" {
			return periodSpec{}, fmt.Errorf("--from and --to go together")
		}
		f, err := time.Parse("2006-01-02", from)
		if err != nil || f.Format("2006-01-02") != from {
			return periodSpec{}, fmt.Errorf("--from %q is not a day: want YYYY-MM-DD", from)
		}
		t, err := time.Parse("2006-01-02", to)
		if err != nil || t.Format("2006-01-02") != to {
			return periodSpec{}, fmt.Errorf("--to %q is not a day: want YYYY-MM-DD", to)
		}
		if t.Before(f) {
			return periodSpec{}, fmt.Errorf("--to %s is before --from %s", to, from)
		}
		return periodSpec{label: from + " to " + to, byDays: true,
			from: [3]int{f.Year(), int(f.Month()), f.Day()}, to: [3]int{t.Year(), int(t.Month()), t.Day()}}, nil
	}
	return periodSpec{whole: true, label: "the whole bundle"}, nil
}

// bounds are the period's start and end (exclusive) in loc.
func (p periodSpec) bounds(loc *time.Location) (time.Time, time.Time) {
	if p.byDays {
		s := time.Date(p.from[0], time.Month(p.from[1]), p.from[2], 0, 0, 0, 0, loc)
		e := time.Date(p.to[0], time.Month(p.to[1]), p.to[2], 0, 0, 0, 0, loc).AddDate(0, 0, 1)
		return s, e
	}
	s := time.Date(p.year, p.month, 1, 0, 0, 0, 0, loc)
	return s, s.AddDate(0, 1, 0)
}

// placer decides, record by record in sequence order, which records the
// period holds: from the first record whose claimed time lies in the
// period up to, not including, the first later record whose time is at
// or after the period's end. The range is contiguous by construction; a
// time running backwards is an INT-TIME finding and does not reopen it.
type placer struct {
	whole      bool
	start, end time.Time
	placed     int64 // the highest sequence number placed
	first      int64 // -1 until the period's first record
	last       int64
	endSeq     int64 // the first record past the period, -1 until seen
	onFirst    func()
	onEnd      func()
}

func newPlacer(whole bool) *placer {
	return &placer{whole: whole, placed: -1, first: -1, last: -1, endSeq: -1}
}

// place decides record seq, of claimed time t, when it is new.
func (p *placer) place(seq int64, t string) {
	if seq <= p.placed {
		return
	}
	p.placed = seq
	if p.whole {
		if p.first < 0 {
			p.first = seq
			if p.onFirst != nil {
				p.onFirst()
			}
		}
		p.last = seq
		return
	}
	if p.endSeq >= 0 {
		return
	}
	tm, err := format.ParseTime(t)
	if err != nil {
		// A record without a readable time stays where the last one was.
		if p.first >= 0 {
			p.last = seq
		}
		return
	}
	switch {
	case !tm.Before(p.end):
		if p.first < 0 && p.onFirst != nil {
			p.onFirst()
		}
		p.endSeq = seq
		if p.onEnd != nil {
			p.onEnd()
		}
	case p.first >= 0:
		p.last = seq
	case !tm.Before(p.start):
		p.first, p.last = seq, seq
		if p.onFirst != nil {
			p.onFirst()
		}
	}
}

// in reports whether the already placed record seq lies in the period.
func (p *placer) in(seq int64) bool {
	return p.first >= 0 && seq >= p.first && (p.endSeq < 0 || seq < p.endSeq) && seq <= p.placed
}

// where says where a finding naming records lies.
func (p *placer) where(records []int64) string {
	if len(records) == 0 {
		return WhereBundle
	}
	lo := records[0]
	for _, r := range records {
		lo = min(lo, r)
	}
	switch {
	case p.in(lo):
		return WhereInPeriod
	case p.first < 0 && p.endSeq < 0:
		return WhereBefore
	case p.first >= 0 && lo < p.first, p.first < 0 && lo < p.endSeq:
		return WhereBefore
	}
	return WhereAfter
}
