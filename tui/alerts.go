package tui

import (
	"fmt"

	"github.com/countersign/countersign/format"
	"github.com/countersign/countersign/internal/display"
	"github.com/countersign/countersign/verifier"
)

// Alerts, from the verifier's notices stream: each alert on a refused act
// and its deliveries, kept by the act's record so that the run and record
// details can say whether the refusal was alerted, when the alert was
// delivered and how long after the act. Bounded like the other streams.

const maxAlertsKept = 100_000

// alertEntry is one alert and its deliveries as the records say them.
type alertEntry struct {
	Seq, Act   int64
	Time       string
	Principal  string
	Control    string
	Role       string
	Text       string
	Deliveries []verifier.Notice
}

type alertStore struct {
	byAct   map[int64]*alertEntry
	bySeq   map[int64]*alertEntry
	dropped int64
}

func newAlertStore() *alertStore {
	return &alertStore{byAct: map[int64]*alertEntry{}, bySeq: map[int64]*alertEntry{}}
}

// addNotice takes one note, alert or delivery of the verifier's stream.
func (st *Store) addNotice(n *verifier.Notice) {
	a := st.alerts
	switch n.Kind {
	case verifier.NoticeAlert:
		if len(a.bySeq) >= maxAlertsKept {
			a.dropped++
			return
		}
		e := &alertEntry{Seq: n.Seq, Act: n.Alert.Attempt, Time: n.Time, Principal: n.Alert.Principal, Control: n.Alert.Control, Role: n.Alert.Role, Text: n.Alert.Text}
		a.bySeq[n.Seq] = e
		if a.byAct[e.Act] == nil {
			a.byAct[e.Act] = e
		}
	case verifier.NoticeDelivery:
		if e := a.bySeq[n.Delivery.Alert]; e != nil && len(e.Deliveries) < 64 {
			e.Deliveries = append(e.Deliveries, *n)
		}
	}
}

// alertLines says, for the record at seq claiming time actTime, the alert
// on it (a refused act) or what it is part of (an alert). The caller holds
// no lock.
func (st *Store) alertLines(seq int64, actTime string) []string {
	st.mu.RLock()
	defer st.mu.RUnlock()
	a := st.alerts
	if e := a.byAct[seq]; e != nil {
		return e.lines(actTime)
	}
	if e := a.bySeq[seq]; e != nil {
		return []string{fmt.Sprintf("the alert on the refused act at record %d", e.Act)}
	}
	return nil
}

// lines describe an alert and its deliveries, the delay measured from the
// refused act's record at act (SPEC.md §6.9 gives 60 seconds).
func (e *alertEntry) lines(actTime string) []string {
	who := "names no actor"
	if e.Principal != "" {
		who = display.Escape(e.Principal) + " acting in " + display.Escape(e.Role) + " on " + display.Escape(e.Control)
	}
	out := []string{fmt.Sprintf("alert record %d: %s", e.Seq, who)}
	if len(e.Deliveries) == 0 {
		out = append(out, "no delivery recorded")
	}
	for _, d := range e.Deliveries {
		l := fmt.Sprintf("delivery record %d: %s via %s %s", d.Seq, display.Escape(d.Delivery.Status), display.Escape(d.Delivery.Channel),
			display.Quote(d.Delivery.Detail))
		if delay := alertDelay(actTime, d.Time); delay != "" {
			l += ", " + delay + " after the act"
		}
		out = append(out, l)
	}
	return out
}

// alertDelay is the time from the act's claimed time to a delivery's, in
// words ("" when a time does not read).
func alertDelay(actTime, at string) string {
	a, err1 := format.ParseTime(actTime)
	b, err2 := format.ParseTime(at)
	if err1 != nil || err2 != nil {
		return ""
	}
	ms := b.Sub(a).Milliseconds()
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%d.%03d s", ms/1000, ms%1000)
}
