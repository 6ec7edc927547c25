package verifier

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
)

// The notices stream hands over each note, alert and delivery in sequence
// order with its body, as vector alert-failed-retried records them: a
// refused proposal's alert, a failed delivery and its retry, and a refusal
// recorded as a note, alerted and delivered.
func TestNoticesAlertFailedRetried(t *testing.T) {
	var got []string
	opts := withDefaults(Options{Notices: func(n *Notice) {
		s := fmt.Sprintf("%d %s", n.Seq, n.Kind)
		switch n.Kind {
		case NoticeNote:
			s += " " + n.Note.Code
		case NoticeAlert:
			s += fmt.Sprintf(" on %d", n.Alert.Attempt)
		case NoticeDelivery:
			s += fmt.Sprintf(" of %d %s", n.Delivery.Alert, n.Delivery.Status)
		}
		if !n.Intact || n.Time == "" || n.Hash == "" {
			s += " (not intact or unplaced)"
		}
		got = append(got, s)
	}})
	v := newRun(UnsafeNoTrust(), opts)
	if err := v.run(context.Background(), bytes.NewReader(vectorBundle(t, "alert-failed-retried"))); err != nil {
		t.Fatal(err)
	}
	want := []string{"9 alert on 7", "10 delivery of 9 failed", "12 delivery of 9 delivered", "13 note role-not-assigned", "14 alert on 13", "15 delivery of 14 delivered"}
	for i := range want {
		want[i] = replaceKind(want[i])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("notices:\n%q\nwant\n%q", got, want)
	}
}

// replaceKind spells "delivery" as the kind's name.
func replaceKind(s string) string {
	return string(bytes.Replace([]byte(s), []byte(" delivery "), []byte(" "+NoticeDelivery+" "), 1))
}

// State.Conflicts names the units holding two or more roles on a control
// as the register stands: in vector ctl-team-members-two-roles, none
// before the approver's assignment, team quant with build and approve
// after it, and nothing on the other control.
func TestStateConflicts(t *testing.T) {
	var before, after, other []Conflict
	opts := withDefaults(Options{Observer: ObserverFunc(func(ev *Event) {
		switch ev.Seq {
		case 159:
			before = ev.State.Conflicts("risk-limit")
		case 160:
			after, other = ev.State.Conflicts("risk-limit"), ev.State.Conflicts("thermal")
		}
	})})
	v := newRun(UnsafeNoTrust(), opts)
	if err := v.run(context.Background(), bytes.NewReader(vectorBundle(t, "ctl-team-members-two-roles"))); err != nil {
		t.Fatal(err)
	}
	if len(before) != 0 || len(other) != 0 {
		t.Errorf("conflicts before the assignment %+v, on thermal %+v", before, other)
	}
	if len(after) != 1 || after[0].Kind != "team" || after[0].Unit != "quant" || after[0].Control != "risk-limit" || !slices.Equal(after[0].Roles, []string{"build", "approve"}) {
		t.Errorf("conflicts after the assignment: %+v", after)
	}
}
