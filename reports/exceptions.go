package reports

// This file follows the exceptions of the verifier's change log (kinds
// exception, small-org and small-org-review; SPEC.md §6.11) into the
// Exceptions section. An exception is in force from the first instant of
// its starts date to midnight at the end of its expires date in the
// organisation's zone; a small-organisation exception from its execution
// until it lapses (its review date passed with no valid review, or a
// SOD-SMALL-ORG finding that the people holding control roles reached 5)
// or a review ends it. What the verifier finds relying on one that no
// longer covers is counted on its row. Rows are written when the bundle
// ends, in the order of the executions that made them: what is kept
// follows the exceptions of the bundle (each a four-eyes run, bounded by
// the verifier's register), not its records.

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// excEntry is one exception being followed.
type excEntry struct {
	row       ExceptionRow
	seq       int64
	applied   bool
	from      time.Time
	until     time.Time // zero while a small-organisation exception is in force
	deadline  time.Time // a small-organisation exception's current review date's end
	ended     string    // how a small-organisation exception lapsed or ended
	heldAfter []int64   // records at which its holder still held the roles once it ended
	reviews   []excReview
}

type excReview struct {
	seq          int64
	at           time.Time
	date, op     string
	next         string
	nextDeadline time.Time
}

type excTracker struct {
	entries   []*excEntry
	bySeq     map[int64]*excEntry
	approvers map[string]string // run -> its accepted sign-offs' signers
}

func newExcTracker() *excTracker {
	return &excTracker{bySeq: map[int64]*excEntry{}, approvers: map[string]string{}}
}

// exceptionClasses are the action classes whose runs make exceptions.
var exceptionClasses = map[string]bool{format.ClassException: true, format.ClassSmallOrg: true, format.ClassSmallOrgReview: true}

// excApprovers notes who signed off a run that makes an exception.
func (c *collector) excApprovers(tl *verifier.RunTimeline) {
	if tl.Proposal == nil || !exceptionClasses[tl.Proposal.Class] {
		return
	}
	var who []string
	for _, a := range tl.Attempts {
		if a.Act == format.ActSignoff && a.Outcome != nil && a.Outcome.Result == format.ResultAccepted && a.Signer != nil {
			who = append(who, a.Signer.Name+" ("+a.Signer.Principal+")")
		}
	}
	c.exc.approvers[tl.Run] = strings.Join(dedupe(who), ", ")
}

// localDay is the first instant of date (YYYY-MM-DD) in the zone, and of
// the day after it.
func (c *collector) localDay(date string) (time.Time, time.Time, bool) {
	d, err := time.ParseInLocation("2006-01-02", date, c.loc)
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	return d, time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, c.loc), true
}

// exceptionChange takes an exception, small-organisation exception or
// review from the change log.
func (c *collector) exceptionChange(ch *verifier.Change) {
	if c.o.Run != "" && ch.Run != c.o.Run {
		return
	}
	at, _ := format.ParseTime(ch.Time)
	switch ch.Kind {
	case verifier.ChangeException, verifier.ChangeSmallOrg:
		e := &excEntry{seq: ch.Seq, applied: ch.Applied, row: ExceptionRow{Kind: ch.Kind, Exception: ch.Exception, Control: ch.Control, Run: ch.Run,
			Holder: ch.Holder, Beneficiary: ch.Beneficiary, Roles: strings.Join(ch.Roles, ", "), Opened: ch.Time, Starts: ch.Starts,
			Expires: ch.Expires, CumulativeDays: int64(ch.Cumulative), ChainStarts: ch.ChainStarts, UsedAfter: []int64{},
			Records: []int64{ch.Seq}, Hash: ch.Hash}}
		if ch.Kind == verifier.ChangeException {
			if p := c.reg.principals[ch.Holder]; p != nil {
				e.row.Name, e.row.Team = p.name, p.team
			} else if t := c.reg.teams[ch.Holder]; t != nil {
				e.row.Name, e.row.Team = t.def.Name, ch.Holder
			}
			if e.row.Beneficiary == "" {
				e.row.Beneficiary = ch.Holder
			}
			from, _, ok1 := c.localDay(ch.Starts)
			_, until, ok2 := c.localDay(ch.Expires)
			if ok1 && ok2 {
				e.from, e.until = from, until
				e.row.From, e.row.Until = format.FormatTime(from), format.FormatTime(until)
				if s, err := time.Parse("2006-01-02", ch.Starts); err == nil {
					if x, err := time.Parse("2006-01-02", ch.Expires); err == nil {
						e.row.Days = int64(x.Sub(s)/(24*time.Hour)) + 1
					}
				}
			}
		} else {
			e.from, e.row.From = at, ch.Time
			if _, end, ok := c.localDay(ch.Expires); ok {
				e.deadline = end
			}
		}
		c.exc.entries = append(c.exc.entries, e)
		if ch.Applied {
			c.exc.bySeq[ch.Seq] = e
		}
	case verifier.ChangeSmallOrgReview:
		if !ch.Applied {
			return
		}
		for _, e := range slices.Backward(c.exc.entries) {
			if e.row.Kind != verifier.ChangeSmallOrg || e.row.Exception != ch.Exception || !e.applied || !e.until.IsZero() {
				continue
			}
			r := excReview{seq: ch.Seq, at: at, date: c.localDate(at), op: ch.Op, next: ch.Expires}
			if ch.Op == "end" {
				e.until, e.ended = at, fmt.Sprintf("ended by the review of record %d", ch.Seq)
			} else if _, end, ok := c.localDay(ch.Expires); ok {
				r.nextDeadline = end
				e.deadline = end
			}
			e.reviews = append(e.reviews, r)
			e.row.Records = append(e.row.Records, ch.Seq)
			break
		}
	}
}

func (c *collector) localDate(t time.Time) string { return t.In(c.loc).Format("2006-01-02") }

// exceptionRecord follows a record: small-organisation exceptions whose
// review date passed lapse; a SOD-SMALL-ORG finding on a later record
// naming one in force first lapses it (5 or more people); findings naming
// an exception's execution and this record are acts relying on it.
func (c *collector) exceptionRecord(ev *verifier.Event) {
	if len(c.exc.bySeq) == 0 {
		return
	}
	t, err := format.ParseTime(ev.Time)
	if err != nil {
		return
	}
	c.lapseReviews(t)
	for _, f := range ev.Findings {
		if len(f.Records) < 2 || f.Records[len(f.Records)-1] != ev.Seq {
			continue
		}
		e := c.exc.bySeq[f.Records[0]]
		if e == nil || e.seq == ev.Seq {
			continue
		}
		// SOD-EXCEPTION.8 and SOD-SMALL-ORG.4 say "record N is an act on
		// control C ..."; SOD-EXCEPTION.11, that the holder still holds
		// the roles once it ended.
		act := strings.HasPrefix(f.Message, fmt.Sprintf("record %d is an act on control ", ev.Seq))
		ours := f.Rule == verifier.RuleException && e.row.Kind == verifier.ChangeException || f.Rule == verifier.RuleSmallOrg && e.row.Kind == verifier.ChangeSmallOrg
		switch {
		case !ours:
		case e.row.Kind == verifier.ChangeSmallOrg && e.until.IsZero() && !act:
			e.until, e.ended = t, fmt.Sprintf("lapsed at record %d: %s", ev.Seq, f.Message)
		case act && !e.until.IsZero() && !t.Before(e.until):
			if !slices.Contains(e.row.UsedAfter, ev.Seq) {
				e.row.UsedAfter = append(e.row.UsedAfter, ev.Seq)
			}
		case e.row.Kind == verifier.ChangeException && !act && len(f.Records) == 2 && !slices.Contains(e.heldAfter, ev.Seq):
			e.heldAfter = append(e.heldAfter, ev.Seq)
		}
	}
}

// lapseReviews lapses each small-organisation exception in force whose
// review date ended at or before t.
func (c *collector) lapseReviews(t time.Time) {
	for _, e := range c.exc.entries {
		if e.applied && e.row.Kind == verifier.ChangeSmallOrg && e.until.IsZero() && !e.deadline.IsZero() && !t.Before(e.deadline) {
			by := e.row.Expires
			if n := len(e.reviews); n > 0 {
				by = e.reviews[n-1].next
			}
			e.until, e.ended = e.deadline, "lapsed: not reviewed by "+by
		}
	}
}

// endExceptions writes the Exceptions rows when the bundle ends.
func (c *collector) endExceptions(end string) {
	if t, err := format.ParseTime(end); err == nil {
		c.lapseReviews(t)
	}
	// The period's bounds; for the whole bundle, its end.
	var ps, pe time.Time
	if c.spec.whole {
		pe, _ = format.ParseTime(end)
		pe = pe.Add(time.Nanosecond)
	} else {
		ps, pe = c.p.start, c.p.end
	}
	sort.SliceStable(c.exc.entries, func(i, j int) bool { return c.exc.entries[i].seq < c.exc.entries[j].seq })
	for _, e := range c.exc.entries {
		where := c.p.where([]int64{e.seq})
		if where == WhereAfter {
			continue
		}
		r := &e.row
		r.OpenedInPeriod = where == WhereInPeriod || c.spec.whole
		r.Approver = c.exc.approvers[r.Run]
		if !e.applied {
			if !r.OpenedInPeriod {
				continue
			}
			r.State, r.Reason = "not applied", "did not take effect: see the findings on record "+fmt.Sprint(e.seq)
			r.CumulativeDays = 0
			c.rep.Exceptions.add(r)
			continue
		}
		if !e.until.IsZero() && !e.until.After(ps) && !c.spec.whole {
			continue // no longer in force when the period began
		}
		if r.Kind == verifier.ChangeSmallOrg {
			c.smallOrgRow(e, pe)
		} else {
			switch {
			case !e.from.Before(pe):
				r.State = "not yet started"
			case !e.until.After(pe):
				r.State = "expired"
				r.Reason = "expired at " + e.until.In(c.loc).Format("2006-01-02 15:04 MST")
			default:
				r.State = "active"
			}
			if len(e.heldAfter) > 0 {
				r.Reason += "; the holder still held the roles after it, at record " + seqsText(e.heldAfter)
			}
			if len(r.UsedAfter) > 0 {
				r.Reason += "; relied on after it expired by records " + seqsText(r.UsedAfter)
			}
			r.Reason = strings.TrimPrefix(r.Reason, "; ")
		}
		c.rep.Exceptions.add(r)
	}
	c.exc = newExcTracker()
}

// smallOrgRow fills a small-organisation exception's state, review date
// and reviews as at pe.
func (c *collector) smallOrgRow(e *excEntry, pe time.Time) {
	r := &e.row
	var reviews []string
	for _, v := range e.reviews {
		if v.at.After(pe) {
			break
		}
		text := fmt.Sprintf("%s (record %d): %s", v.date, v.seq, v.op)
		if v.op != "end" {
			text += ", next by " + v.next
			r.Expires = v.next
		}
		reviews = append(reviews, text)
	}
	r.Reviews = strings.Join(reviews, "; ")
	if e.until.IsZero() || e.until.After(pe) {
		r.State = "active"
		return
	}
	r.Until = format.FormatTime(e.until)
	r.State, r.Reason = "lapsed", e.ended
	if strings.HasPrefix(e.ended, "ended") {
		r.State = "ended"
	}
	if len(r.UsedAfter) > 0 {
		r.Reason += fmt.Sprintf("; relied on after that by records %s", seqsText(r.UsedAfter))
	}
}
