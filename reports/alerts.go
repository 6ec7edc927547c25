package reports

// This file joins each refusal to its alert and the alert's deliveries
// (SPEC.md §6.9, AG-259 4.4), and turns refusals recorded as notes into
// Refusals rows. The alert record follows the refusal; its deliveries can
// come much later (a failed one retried, a restart), so a refusal row
// that may alert waits, in memory, until its alert is delivered or the
// bundle ends; every other row is written at once. Rows are therefore in
// the order they are settled, which the renderers keep.

import (
	"fmt"
	"sort"
	"time"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/verifier"
)

// maxAwaiting bounds the refusal rows and alerts kept while they await
// their alert or its delivery; past it a row is written with what is
// known so far, and says so.
const maxAwaiting = verifier.MaxAlerts

// alertable reports whether a refusal code can raise an alert (SPEC.md
// §6.9: not-in-pool only on a change of a control, which a row waits to
// learn from the alert record itself).
func alertable(code string) bool {
	return code == "role-not-assigned" || code == "conflicting-role" || code == "not-in-pool"
}

// alertInfo is an alert and how its deliveries went.
type alertInfo struct {
	seq, act   int64
	failed     int
	lastDetail string
	delivered  *verifier.Notice
}

// alerts follows the alerts of the bundle.
type alerts struct {
	byAct   map[int64]*alertInfo // refused act's record -> its alert
	bySeq   map[int64]*alertInfo // alert record -> the same
	waiting map[int64]*RefusalRow
	full    bool
}

func newAlerts() *alerts {
	return &alerts{byAct: map[int64]*alertInfo{}, bySeq: map[int64]*alertInfo{}, waiting: map[int64]*RefusalRow{}}
}

// refusal takes a refusal row: written at once unless it may still get
// an alert or a delivery.
func (c *collector) refusal(row *RefusalRow) {
	row.Alert, row.Delivered, row.AlertDelayMs, row.Delivery = -1, -1, -1, "none recorded"
	a := c.al.byAct[row.Seq]
	if a != nil {
		c.settle(row, a)
	}
	if !alertable(row.Code) || a != nil && a.delivered != nil {
		c.forget(row.Seq)
		c.rep.Refusals.add(row)
		return
	}
	if len(c.al.waiting) >= maxAwaiting {
		row.Delivery += "; too many refusals awaiting alerts at once to follow this one"
		c.rep.Refusals.add(row)
		return
	}
	c.al.waiting[row.Seq] = row
}

// settle fills a row with its alert as known so far.
func (c *collector) settle(row *RefusalRow, a *alertInfo) {
	row.Alert = a.seq
	switch d := a.delivered; {
	case d != nil:
		row.Delivered, row.DeliveredTime = d.Seq, d.Time
		row.AlertDelayMs = millis(row.Time, d.Time)
		row.Delivery = fmt.Sprintf("delivered via %s (%s)", d.Delivery.Channel, d.Delivery.Detail)
		if a.failed > 0 {
			row.Delivery += fmt.Sprintf(" after %d failed", a.failed)
		}
	case a.failed > 0:
		row.Delivery = fmt.Sprintf("not delivered: %d failed, the last: %s", a.failed, a.lastDetail)
	default:
		row.Delivery = "not delivered"
	}
}

// forget drops what is kept of the alert on act once its row is written.
func (c *collector) forget(act int64) {
	if a := c.al.byAct[act]; a != nil {
		delete(c.al.byAct, act)
		delete(c.al.bySeq, a.seq)
	}
}

// notice is the notices stream: notes that record refusals become rows;
// alerts and deliveries settle the rows awaiting them.
func (c *collector) notice(n *verifier.Notice) {
	c.place(n.Seq, n.Time)
	switch n.Kind {
	case verifier.NoticeNote:
		if n.Note.Code == "" || c.o.Run != "" || !c.p.in(n.Seq) {
			return
		}
		c.refusal(&RefusalRow{Seq: n.Seq, Hash: n.Hash, Time: n.Time, Act: "note", Code: n.Note.Code, Detail: n.Note.Text,
			Outcome: n.Seq, OutHash: n.Hash, OutTime: n.Time, Intact: n.Intact})
	case verifier.NoticeAlert:
		if len(c.al.bySeq) >= maxAwaiting {
			c.al.full = true
			return
		}
		a := &alertInfo{seq: n.Seq, act: n.Alert.Attempt}
		c.al.bySeq[n.Seq] = a
		if c.al.byAct[n.Alert.Attempt] == nil {
			c.al.byAct[n.Alert.Attempt] = a
		}
	case verifier.NoticeDelivery:
		a := c.al.bySeq[n.Delivery.Alert]
		if a == nil || a.delivered != nil {
			return
		}
		if n.Delivery.Status != "delivered" {
			a.failed++
			a.lastDetail = n.Delivery.Detail
			return
		}
		d := *n
		a.delivered = &d
		if row := c.al.waiting[a.act]; row != nil && c.al.byAct[a.act] == a {
			c.settle(row, a)
			delete(c.al.waiting, a.act)
			c.forget(a.act)
			c.rep.Refusals.add(row)
		}
	}
}

// endAlerts writes the rows still awaiting an alert or its delivery when
// the bundle ends, in sequence order.
func (c *collector) endAlerts() {
	acts := make([]int64, 0, len(c.al.waiting))
	for act := range c.al.waiting {
		acts = append(acts, act)
	}
	sort.Slice(acts, func(i, j int) bool { return acts[i] < acts[j] })
	for _, act := range acts {
		row := c.al.waiting[act]
		if a := c.al.byAct[act]; a != nil {
			c.settle(row, a)
		} else if c.al.full {
			row.Delivery += " (too many alerts at once to follow them all)"
		}
		c.rep.Refusals.add(row)
	}
	c.al.waiting = map[int64]*RefusalRow{}
}

// millis is the time from a to b in milliseconds, both bundle times (-1
// when unreadable).
func millis(a, b string) int64 {
	ta, err1 := format.ParseTime(a)
	tb, err2 := format.ParseTime(b)
	if err1 != nil || err2 != nil {
		return -1
	}
	return int64(tb.Sub(ta) / time.Millisecond)
}
