package demo

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/countersign/countersign/enforce"
)

// The demo's pager appends each alert to alerts.log once: an alert handed
// over again (the same Seq, after a timeout or a restart) is answered with
// its first delivery and not written twice; deliveredFor finds an alert by
// the refused act's record, and a note's refusal by the note.
func TestPagerDeliversEachAlertOnce(t *testing.T) {
	p := &pager{file: filepath.Join(t.TempDir(), "alerts.log"), now: time.Now}
	a := enforce.Alert{Seq: 12, Attempt: 10, Code: enforce.CodeConflictingRole, Principal: "eng.erin", Control: "c", Role: "build", Text: "refused", Time: "2026-12-02T06:00:00.000Z"}
	n := enforce.Alert{Seq: 20, Attempt: 19, Code: enforce.CodeRoleNotAssigned, Text: "recorded as a note", Time: "2026-12-02T06:00:01.000Z"}
	for i, x := range []enforce.Alert{a, a, n} {
		ch, detail, err := p.deliver(context.Background(), x)
		want := "alerts.log line 1"
		if i == 2 {
			want = "alerts.log line 2"
		}
		if err != nil || ch != "pager" || detail != want {
			t.Fatalf("delivery %d: %q %q %v, want pager %q", i, ch, detail, err, want)
		}
	}
	b, err := os.ReadFile(p.file)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], `"alert":12`) || !strings.Contains(lines[1], `"attempt":19`) {
		t.Fatalf("alerts.log:\n%s", b)
	}
	if d, ok := p.deliveredFor(&enforce.Refusal{Attempt: 10, Outcome: 11}); !ok || d.alert.Seq != 12 || d.line != 1 {
		t.Fatalf("deliveredFor the refused proposal: %+v %v", d, ok)
	}
	if d, ok := p.deliveredFor(&enforce.Refusal{Outcome: 19}); !ok || d.alert.Seq != 20 || d.line != 2 {
		t.Fatalf("deliveredFor the note: %+v %v", d, ok)
	}
	if _, ok := p.deliveredFor(&enforce.Refusal{Attempt: 3, Outcome: 4}); ok {
		t.Fatal("deliveredFor found an alert for an act no alert names")
	}
}
