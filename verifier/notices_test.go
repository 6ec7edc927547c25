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
