package verifier

import (
	"slices"
	"time"

	"github.com/countersign/countersign/format"
)

// RuleAlert60s: every refusal of an act for a role the actor does not
// hold on a control is alerted, and the alert delivered, within 60
// seconds of the attempt (AG-259 4.4).
const RuleAlert60s = "SOD-ALERT-60S"

// MaxAlerts bounds the alerts awaiting delivery at once (SPEC.md §10).
const MaxAlerts = 1 << 16

// alertWindow is how long after the refused act its alert must be
// delivered.
const alertWindow = 60 * time.Second

// alertState is what the rule keeps: the alertable refusal of the record
// just judged, awaiting its alert, and the alerts awaiting delivery.
type alertState struct {
	expect   *alertable
	waiting  map[int64]*awaited
	overflow bool
}

// alertable is an alertable refusal: the refused act's record, the record
// that refuses it (its outcome, or the note itself), the act's time and,
// for an act decided by an outcome, its actor.
type alertable struct {
	act, decided int64
	time         string
	actor        string
	byOutcome    bool
}

// awaited is an alert with no delivered delivery yet.
type awaited struct {
	act     int64
	actTime string
	failed  int64 // the last failed delivery not yet retried, or -1
}

func (s *State) alertRule() *alertState {
	if s.alerts == nil {
		s.alerts = &alertState{waiting: map[int64]*awaited{}}
	}
	return s.alerts
}

// alertCode reports whether a refusal code alerts by itself (SPEC.md
// §6.9); not-in-pool alerts on a run of a change class naming a control.
func alertCode(code string) bool { return code == "role-not-assigned" || code == "conflicting-role" }

// isAlertable reports whether the refused outcome being judged decides an
// alertable refusal.
func (j *judgement) isAlertable(o *format.Outcome) bool {
	if o.Result != format.ResultRefused || j.att == nil {
		return false
	}
	if alertCode(o.Code) {
		return true
	}
	if o.Code != "not-in-pool" || j.run == nil || j.run.Action == nil || !format.IsChangeClass(j.run.Class) {
		return false
	}
	c, ok := j.run.Action.Text("control")
	return ok && c != ""
}

// within reports whether record time at is at most the window after act.
func within(act, at string) bool {
	a, err1 := format.ParseTime(act)
	b, err2 := format.ParseTime(at)
	return err1 == nil && err2 == nil && b.Sub(a) <= alertWindow
}

var ruleAlert60s = Rule{
	ID:         RuleAlert60s,
	Statement:  "every refusal of an act for a role its actor does not hold on a control is followed by an alert naming it, and the alert is delivered within 60 seconds of the attempt; a failed delivery is retried",
	References: []string{"AG-259 4.4", "SPEC.md §6.9", "SPEC.md §8.3"},
	check: func(j *judgement) {
		a := j.st.alertRule()
		exp := a.expect
		a.expect = nil
		al, isAlert := j.body.(*format.Alert)
		if exp != nil && !(isAlert && al.Attempt == exp.act && j.rec.Seq == exp.decided+1) {
			if j.on("SOD-ALERT-60S.1") {
				j.emitf(RuleAlert60s, refusalRecords(exp), "the refusal at record %d is not followed by an alert naming record %d", exp.decided, exp.act)
			}
			exp = nil
		}
		switch b := j.body.(type) {
		case *format.Alert:
			if exp == nil {
				if j.on("SOD-ALERT-60S.4") {
					j.emitf(RuleAlert60s, nil, "alert %d names record %d, which is not the alertable refusal recorded right before it", j.rec.Seq, b.Attempt)
				}
				return
			}
			if exp.byOutcome && b.Principal != exp.actor && j.on("SOD-ALERT-60S.4") {
				j.emitf(RuleAlert60s, nil, "alert %d names principal %q; the refused act at record %d is %s's", j.rec.Seq, clip(b.Principal), exp.act, exp.actor)
			}
			if len(a.waiting) >= j.lim.maxAlerts() && j.on("SOD-ALERT-60S.5") {
				if !a.overflow {
					a.overflow = true
					j.emitf(RuleAlert60s, nil, "more than %d alerts await delivery at once at record %d; later ones are not tracked", j.lim.maxAlerts(), j.rec.Seq)
				}
				return
			}
			a.waiting[j.rec.Seq] = &awaited{act: exp.act, actTime: exp.time, failed: -1}
		case *format.AlertDelivery:
			w := a.waiting[b.Alert]
			switch {
			case w == nil:
				if j.on("SOD-ALERT-60S.4") {
					j.emitf(RuleAlert60s, nil, "alert_delivery %d names record %d, which is no alert awaiting delivery (not an alert, or one already delivered)", j.rec.Seq, b.Alert)
				}
			case b.Status == "delivered":
				if !within(w.actTime, j.rec.Time) && j.on("SOD-ALERT-60S.2") {
					j.emitf(RuleAlert60s, []int64{w.act, b.Alert, j.rec.Seq}, "alert %d was first delivered at %s, more than 60 seconds after the refused act at record %d (%s)", b.Alert, j.rec.Time, w.act, w.actTime)
				}
				delete(a.waiting, b.Alert)
			case b.Status == "failed":
				w.failed = j.rec.Seq
			default:
				if j.on("SOD-ALERT-60S.4") {
					j.emitf(RuleAlert60s, nil, "alert_delivery %d has status %q, neither delivered nor failed", j.rec.Seq, clip(b.Status))
				}
			}
		case *format.Outcome:
			if j.isAlertable(b) {
				a.expect = &alertable{act: b.Attempt, decided: j.rec.Seq, time: j.att.time, actor: j.att.actor, byOutcome: true}
			}
		case *format.Note:
			if alertCode(b.Code) || b.Code == "personnel-conflict" {
				a.expect = &alertable{act: j.rec.Seq, decided: j.rec.Seq, time: j.rec.Time}
			}
		}
	},
	end: func(s *State, off map[string]bool, emit func(Finding)) {
		a := s.alerts
		if a == nil {
			return
		}
		if a.expect != nil && !off["SOD-ALERT-60S.1"] {
			emit(Finding{Rule: RuleAlert60s, Message: "the refusal at record " + itoa(a.expect.decided) + " ends the bundle with no alert naming record " + itoa(a.expect.act),
				Records: refusalRecords(a.expect)})
		}
		seqs := make([]int64, 0, len(a.waiting))
		for seq := range a.waiting {
			seqs = append(seqs, seq)
		}
		slices.Sort(seqs)
		for _, seq := range seqs {
			w := a.waiting[seq]
			if w.failed >= 0 && !off["SOD-ALERT-60S.3"] {
				emit(Finding{Rule: RuleAlert60s, Message: "the delivery of alert " + itoa(seq) + " failed at record " + itoa(w.failed) + " and was not retried",
					Records: []int64{seq, w.failed}})
			}
			if !within(w.actTime, s.Time) && !off["SOD-ALERT-60S.2"] {
				emit(Finding{Rule: RuleAlert60s, Message: "alert " + itoa(seq) + " was never delivered, and the bundle ends more than 60 seconds after the refused act at record " + itoa(w.act),
					Records: []int64{w.act, seq}})
			}
		}
	},
}

// refusalRecords are the records a finding on an alertable refusal
// cites: the act and its outcome, or the note.
func refusalRecords(e *alertable) []int64 {
	if e.act == e.decided {
		return []int64{e.decided}
	}
	return []int64{e.act, e.decided}
}

// maxAlerts is the bound on alerts awaiting delivery (0: MaxAlerts).
func (l *limits) maxAlerts() int {
	if l.alerts > 0 {
		return l.alerts
	}
	return MaxAlerts
}
