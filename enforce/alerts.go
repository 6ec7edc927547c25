package enforce

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/countersign/countersign/format"
)

// Alerts (SPEC.md §6.9, AG-259 4.4). A refusal of an act for a role the
// actor does not hold on a control is an alertable refusal: an outcome
// refusing an act, or a note, with code role-not-assigned or
// conflicting-role, and an outcome refusing an act with code not-in-pool
// on a run of a change class whose action names a control. The core
// writes an alert record right after it, in the same write, so every
// refusal recorded through Core.write alerts, whichever check made it.
// The alert is then handed to Config.Alerter from a goroutine of its own,
// outside the core's lock, and each answer is recorded as an
// alert_delivery; a failure is retried with backoff until one is
// delivered or the core closes.

// Alert is what the core hands to Config.Alerter. Principal, Control,
// Role and Text are the alert record's; Principal, Control and Role are
// "" where the core cannot tell (a refusal recorded as a note).
type Alert struct {
	// Seq is the alert record's sequence number: the same alert handed
	// over again (a retry, or after a restart) has the same Seq.
	Seq int64
	// Attempt is the sequence number of the refused act's record: the
	// attempt or proposal, or the note recording the refusal.
	Attempt int64
	// Code is the refusal code.
	Code      string
	Principal string
	Control   string
	Role      string
	Text      string
	// Time is the alert record's time, that of the refusal.
	Time string
}

// Alerter delivers an alert to whoever watches for attempts to exercise
// an unassigned role (a pager, a chat channel, a security event queue)
// and returns the channel it used and a detail (a message ID, say), both
// recorded in the bundle. An error records a failed delivery, retried
// later. It must return once ctx is done; an answer after that is
// ignored and the delivery counts as failed. It may be called again for
// an alert it has already delivered (after a timeout, or a restart before
// the delivery was recorded), so the receiving end should treat Alert.Seq
// as the alert's identity. It must not call the core.
type Alerter func(ctx context.Context, a Alert) (channel, detail string, err error)

const (
	// DefaultAlertTimeout is how long one call of the alerter may take
	// when Config.AlertTimeout is zero.
	DefaultAlertTimeout = 10 * time.Second
	// MaxAlertTimeout is the longest Config.AlertTimeout allowed: a first
	// delivery must be able to land within 60 seconds of the refusal.
	MaxAlertTimeout = 50 * time.Second
	// alertBackoff is the wait before the first retry; it doubles up to
	// alertBackoffMax, and retries go on while the core is open.
	alertBackoff    = time.Second
	alertBackoffMax = 30 * time.Second
)

// Alert delivery statuses and the details the core records itself.
const (
	deliveryDelivered = "delivered"
	deliveryFailed    = "failed"
	detailNoAlerter   = "no alerter configured"
	detailRestarted   = "core restarted"
	detailClosing     = "core closing"
)

// ErrNoAlerter is returned by AwaitAlerts when alerts await delivery and
// no Config.Alerter is set to deliver them.
var ErrNoAlerter = errors.New("alerts await delivery and no alerter is configured")

// alertable reports whether a refusal with code of an act in a run of
// class with action alerts, and the control the act was on: a change
// action's top-level control, the finding control of a change of an audit
// finding, the control governing any other class ("" when none). A note
// (no run) alerts by its code alone.
func (c *Core) alertable(code, class string, action []byte) (bool, string) {
	if class == "" && action == nil {
		switch code {
		case CodePersonnelConflict, CodeRoleNotAssigned, CodeConflictingRole:
			return true, "" // a note (SPEC.md §6.9)
		}
		return false, ""
	}
	if code != CodeRoleNotAssigned && code != CodeConflictingRole && code != CodeNotInPool {
		return false, ""
	}
	named, control := "", ""
	if format.IsChangeClass(class) {
		if a, err := format.ParseAction(action); err == nil {
			named, _ = a.Text("control")
		}
		control = named
		if class == format.ClassAuditFinding {
			if ch, ok := decodeChangeAction(action).(*format.AuditFindingChangeAction); ok && c.st.findings[ch.Finding] != nil {
				control = c.st.findings[ch.Finding].control
			}
		}
	} else {
		control = c.st.reg.governs[class]
	}
	switch code {
	case CodeRoleNotAssigned, CodeConflictingRole:
		return true, control
	case CodeNotInPool:
		// Only on a change naming its control (SPEC.md §6.9).
		return named != "", control
	}
	return false, ""
}

// roleOf is the role an act of a run of class exercises: approve for a
// sign-off; audit for the proposal or execute attempt of a change of an
// audit finding, build for those of any other change run; operate
// otherwise.
func roleOf(act, class string) string {
	switch {
	case act == format.ActSignoff:
		return "approve"
	case class == format.ClassAuditFinding:
		return "audit"
	case format.IsChangeClass(class) && act != format.ActExercise:
		return "build"
	}
	return "operate"
}

// alertWho is what the alert of a refusal recorded as a note names: the
// principal refused, and the control and role of the act.
type alertWho struct{ principal, control, role string }

// built is a record a write has built so far: what the alert hook needs
// of the entries before a refusal.
type built struct {
	seq   int64
	typ   string
	actor string
	body  any
}

// alertFor returns the alert to write right after the record just built
// (the last of recs), or nil when it is no alertable refusal.
func (c *Core) alertFor(recs []built) *format.Alert {
	last := recs[len(recs)-1]
	switch b := last.body.(type) {
	case *format.Note:
		if ok, _ := c.alertable(b.Code, "", nil); !ok {
			return nil
		}
		who := c.noteAlert[b]
		text := fmt.Sprintf("refused (%s), recorded as a note: %s", b.Code, b.Text)
		if b.Code == CodePersonnelConflict {
			text = fmt.Sprintf("personnel conflict, recorded as a note: %s", b.Text)
		}
		return &format.Alert{Attempt: last.seq, Principal: who.principal, Control: who.control, Role: who.role, Text: text}
	case *format.Outcome:
		if b.Result != format.ResultRefused {
			return nil
		}
		actor, act, runID, class := "", "", "", ""
		var action []byte
		for _, r := range recs {
			if r.seq != b.Attempt {
				continue
			}
			actor = r.actor
			switch x := r.body.(type) {
			case *format.Proposal:
				runID, class, action = x.Run, x.Class, []byte(x.Action)
			case *format.Attempt:
				act, runID = x.Act, x.Run
			}
		}
		if actor == "" {
			p := c.st.pending[b.Attempt]
			if p == nil {
				return nil
			}
			actor, act, runID = p.actor, p.act, p.run
		}
		if class == "" {
			if r := c.st.runs[runID]; r != nil {
				class, action = r.class, r.action
			}
		}
		ok, control := c.alertable(b.Code, class, action)
		if !ok {
			return nil
		}
		what := "the proposal"
		if act != "" {
			what = "a " + act + " attempt"
		}
		role := roleOf(act, class)
		if class == format.ClassRole && act == "" {
			// A refused role change: the role it would have given.
			if a, err := format.ParseAction(action); err == nil {
				if r, ok := a.Text("role"); ok && validRole(r) {
					role = r
				}
			}
		}
		text := fmt.Sprintf("%s was refused %s of run %s (%s): %s", actor, what, runID, b.Code, b.Detail)
		if control != "" {
			text = fmt.Sprintf("%s was refused %s of run %s on control %s, role %s (%s): %s", actor, what, runID, control, role, b.Code, b.Detail)
		}
		return &format.Alert{Attempt: b.Attempt, Principal: actor, Control: control, Role: role, Text: text}
	}
	return nil
}

// pendingAlert is an alert the journal holds with no delivered delivery.
type pendingAlert struct {
	format.Alert
	seq  int64
	code string
	time string
}

// alertState is the part of the replayed state that alerts need: the
// alerts awaiting delivery, and the code of the last refusal recorded.
type alertState struct {
	pending  map[int64]*pendingAlert
	lastSeq  int64
	lastCode string
}

// replay applies an outcome, note, alert or alert_delivery record.
func (s *alertState) replay(rec *format.Record, body any) {
	switch b := body.(type) {
	case *format.Outcome:
		s.lastSeq, s.lastCode = rec.Seq, b.Code
	case *format.Note:
		s.lastSeq, s.lastCode = rec.Seq, b.Code
	case *format.Alert:
		if s.pending == nil {
			s.pending = map[int64]*pendingAlert{}
		}
		code := ""
		if s.lastSeq == rec.Seq-1 {
			code = s.lastCode
		}
		s.pending[rec.Seq] = &pendingAlert{Alert: *b, seq: rec.Seq, code: code, time: rec.Time}
	case *format.AlertDelivery:
		if b.Status == deliveryDelivered {
			delete(s.pending, b.Alert)
		}
	}
}

// handOver is the Alert handed to the alerter for a pending alert.
func (p *pendingAlert) handOver() Alert {
	return Alert{Seq: p.seq, Attempt: p.Attempt, Code: p.code, Principal: p.Principal, Control: p.Control, Role: p.Role, Text: p.Text, Time: p.time}
}

// delivery runs the alerter. Its fields are guarded by Core.mu.
type delivery struct {
	stopping bool
	stop     chan struct{} // closed when Close begins
	changed  chan struct{} // closed and replaced when an alert is delivered
	wg       sync.WaitGroup
}

func newDelivery() *delivery {
	return &delivery{stop: make(chan struct{}), changed: make(chan struct{})}
}

// appendAlert appends, at time at, the alert written right after an
// alertable refusal and, with no alerter configured, its failed delivery.
// It returns the lines and the alert's sequence number.
func (c *Core) appendAlert(at string, a *format.Alert) ([][]byte, int64, error) {
	l, err := c.chain.Append(at, format.TypeAlert, "", a, nil)
	if err != nil {
		return nil, 0, err
	}
	lines, seq := [][]byte{l}, c.chain.Next()-1
	c.sinceSeal++
	if c.cfg.Alerter == nil {
		d := &format.AlertDelivery{Alert: seq, Channel: "", Status: deliveryFailed, Detail: detailNoAlerter}
		l, err := c.chain.Append(at, format.TypeAlertDelivery, "", d, nil)
		if err != nil {
			return nil, 0, err
		}
		lines = append(lines, l)
		c.sinceSeal++
	}
	return lines, seq, nil
}

// startDeliveries hands the alerts at seqs to the alerter, each from a
// goroutine of its own. It runs with c.mu held, after the alerts are
// written and applied.
func (c *Core) startDeliveries(seqs []int64) {
	if c.cfg.Alerter == nil || c.dl.stopping {
		return
	}
	for _, seq := range seqs {
		if p := c.st.al.pending[seq]; p != nil {
			c.dl.wg.Add(1)
			go c.deliver(p.handOver())
		}
	}
}

// deliver calls the alerter for a until a delivery is recorded as
// delivered, retrying failures with backoff while the core is open.
func (c *Core) deliver(a Alert) {
	defer c.dl.wg.Done()
	wait := alertBackoff
	for {
		channel, detail, err := c.callAlerter(a)
		status := deliveryDelivered
		if err != nil {
			status, detail = deliveryFailed, err.Error()
		}
		if !c.recordDelivery(a.Seq, channel, status, detail) || status == deliveryDelivered {
			return
		}
		select {
		case <-c.dl.stop:
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, alertBackoffMax)
	}
}

// callAlerter makes one call of the alerter, bounded by the timeout. A
// call that does not answer in time, or panics, is a failure.
func (c *Core) callAlerter(a Alert) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.AlertTimeout)
	defer cancel()
	type answer struct {
		channel, detail string
		err             error
	}
	got := make(chan answer, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				got <- answer{err: fmt.Errorf("the alerter panicked: %v", r)}
			}
		}()
		ch, d, err := c.cfg.Alerter(ctx, a)
		got <- answer{ch, d, err}
	}()
	select {
	case x := <-got:
		if x.err == nil && ctx.Err() != nil {
			return "", "", fmt.Errorf("the alerter answered after the timeout of %s", c.cfg.AlertTimeout)
		}
		return x.channel, x.detail, x.err
	case <-ctx.Done():
		return "", "", fmt.Errorf("the alerter did not answer within %s", c.cfg.AlertTimeout)
	}
}

// recordDelivery writes an alert_delivery for the alert at seq. It
// reports whether it was written; nothing is written once the core is
// closed or the alert is no longer pending.
func (c *Core) recordDelivery(seq int64, channel, status, detail string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.st.al.pending[seq] == nil {
		return false
	}
	if _, err := c.write(entry{typ: format.TypeAlertDelivery, body: &format.AlertDelivery{Alert: seq, Channel: channel, Status: status, Detail: detail}}); err != nil {
		return false
	}
	if status == deliveryDelivered {
		close(c.dl.changed)
		c.dl.changed = make(chan struct{})
	}
	return true
}

// failPending records a failed delivery, with detail, for every alert
// awaiting delivery, in one write. It runs with c.mu held.
func (c *Core) failPending(detail string) error {
	seqs := make([]int64, 0, len(c.st.al.pending))
	for seq := range c.st.al.pending {
		seqs = append(seqs, seq)
	}
	if len(seqs) == 0 {
		return nil
	}
	slices.Sort(seqs)
	es := make([]entry, 0, len(seqs))
	for _, seq := range seqs {
		es = append(es, entry{typ: format.TypeAlertDelivery, body: &format.AlertDelivery{Alert: seq, Channel: "", Status: deliveryFailed, Detail: detail}})
	}
	_, err := c.write(es...)
	return err
}

// resumeAlerts runs at Open: every alert the journal holds without a
// delivered delivery is recorded as failed ("core restarted") and handed
// to the alerter again. With no alerter configured nothing is written:
// each such alert already ends with a failed delivery saying so.
func (c *Core) resumeAlerts() error {
	if c.cfg.Alerter == nil || len(c.st.al.pending) == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.failPending(detailRestarted); err != nil {
		return fmt.Errorf("failed to record the alerts pending at the restart: %w", err)
	}
	seqs := make([]int64, 0, len(c.st.al.pending))
	for seq := range c.st.al.pending {
		seqs = append(seqs, seq)
	}
	slices.Sort(seqs)
	c.startDeliveries(seqs)
	return nil
}

// stopAlerts, at Close, stops retries, waits for the calls in flight (each
// bounded by the timeout) to be answered and recorded, and then records
// every alert still awaiting delivery as failed ("core closing").
func (c *Core) stopAlerts() error {
	c.mu.Lock()
	if c.closed || c.dl.stopping {
		c.mu.Unlock()
		return nil
	}
	c.dl.stopping = true
	close(c.dl.stop)
	c.mu.Unlock()
	c.dl.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.cfg.Alerter == nil {
		return nil
	}
	return c.failPending(detailClosing)
}

// AwaitAlerts waits until every alert written so far has been delivered,
// ctx is done (its error is returned), or the core closes (ErrClosed).
// With alerts pending and no Config.Alerter it returns ErrNoAlerter at
// once. A runtime calls it before a planned shutdown, to give pending
// alerts their chance.
func (c *Core) AwaitAlerts(ctx context.Context) error {
	for {
		c.mu.Lock()
		n, changed, closed := len(c.st.al.pending), c.dl.changed, c.closed
		c.mu.Unlock()
		switch {
		case n == 0:
			return nil
		case closed:
			return ErrClosed
		case c.cfg.Alerter == nil:
			return ErrNoAlerter
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}
