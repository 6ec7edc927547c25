package reports

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/countersign/countersign/fixtures"
	"github.com/countersign/countersign/verifier"
)

// excLine is the fields of an Exceptions row a test compares.
func excLine(r ExceptionRow) string {
	return fmt.Sprintf("%s %s %s holder=%s roles=%s approver=%s state=%s opened-in-period=%v starts=%s expires=%s from=%s until=%s days=%d cumulative=%d chain=%s reviews=%q used=%v reason=%q records=%v",
		r.Kind, r.Exception, r.Control, r.Holder, r.Roles, r.Approver, r.State, r.OpenedInPeriod, r.Starts, r.Expires, r.From, r.Until, r.Days,
		r.CumulativeDays, r.ChainStarts, r.Reviews, r.UsedAfter, r.Reason, r.Records)
}

// The Exceptions rows of the exception and small-organisation vectors,
// field by field, as SPEC.md §6.11 and each vector's comment state them.
func TestExceptionRowsFromVectors(t *testing.T) {
	const ana = "Ana Ribeiro (risk.ana)"
	const regs = "Alex Morgan (reg.alex), Beatriz Okafor (reg.bea)"
	for _, tt := range []struct {
		vector, month string
		want          []string
	}{
		{"exc-renewed", "", []string{
			"exception exc-1 risk-limit holder=eng.sam roles=build, validate approver=" + ana + " state=active opened-in-period=true starts=2026-12-14 expires=2027-03-13 from=2026-12-14T00:00:00.000Z until=2027-03-14T00:00:00.000Z days=90 cumulative=90 chain=2026-12-14 reviews=\"\" used=[] reason=\"\" records=[189]",
			// London summer time from 28 March: 11 June ends at 23:00 UTC.
			"exception exc-2 risk-limit holder=eng.sam roles=build, validate approver=" + ana + " state=not yet started opened-in-period=true starts=2027-03-14 expires=2027-06-11 from=2027-03-14T00:00:00.000Z until=2027-06-11T23:00:00.000Z days=90 cumulative=180 chain=2026-12-14 reviews=\"\" used=[] reason=\"\" records=[197]",
		}},
		{"exc-expired-still-used", "2027-03", []string{
			"exception exc-1 risk-limit holder=eng.sam roles=build, validate approver=" + ana + " state=expired opened-in-period=false starts=2026-12-14 expires=2027-03-13 from=2026-12-14T00:00:00.000Z until=2027-03-14T00:00:00.000Z days=90 cumulative=90 chain=2026-12-14 reviews=\"\" used=[200] reason=\"expired at 2027-03-14 00:00 GMT; the holder still held the roles after it, at record 200; relied on after it expired by records 200\" records=[189]",
		}},
		{"exc-expired-at-end", "2027-01", []string{
			"exception exc-1 risk-limit holder=eng.sam roles=build, validate approver=" + ana + " state=active opened-in-period=false starts=2026-12-14 expires=2027-03-13 from=2026-12-14T00:00:00.000Z until=2027-03-14T00:00:00.000Z days=90 cumulative=90 chain=2026-12-14 reviews=\"\" used=[] reason=\"\" records=[189]",
		}},
		{"exc-expired-at-end", "2027-04", nil}, // expired before the month
		{"exc-90-days", "2026-12", []string{
			"exception exc-1 risk-limit holder=eng.sam roles=build, validate approver=" + ana + " state=not applied opened-in-period=true starts=2026-12-14 expires=2027-03-14 from=2026-12-14T00:00:00.000Z until=2027-03-15T00:00:00.000Z days=91 cumulative=0 chain= reviews=\"\" used=[] reason=\"did not take effect: see the findings on record 189\" records=[189]",
		}},
		{"small-org-reviewed", "", []string{
			"small-org small-1 risk-limit holder= roles=validate, audit approver=" + regs + " state=active opened-in-period=true starts= expires=2027-05-26 from=2026-11-30T09:00:59.000Z until= days=0 cumulative=0 chain= reviews=\"2027-02-26 (record 86): continue, next by 2027-05-26\" used=[] reason=\"\" records=[66 86]",
		}},
		// It lapsed at the end of 28 February: February's report says so,
		// March's has no row.
		{"small-org-missed-review", "2027-02", []string{
			"small-org small-1 risk-limit holder= roles=validate, audit approver=" + regs + " state=lapsed opened-in-period=false starts= expires=2027-02-28 from=2026-11-30T09:00:59.000Z until=2027-03-01T00:00:00.000Z days=0 cumulative=0 chain= reviews=\"\" used=[] reason=\"lapsed: not reviewed by 2027-02-28\" records=[66]",
		}},
		{"small-org-missed-review", "2027-03", nil},
		{"small-org-five-people", "", []string{
			"small-org small-1 risk-limit holder= roles=validate, audit approver=" + regs + " state=lapsed opened-in-period=true starts= expires=2027-02-28 from=2026-11-30T09:00:59.000Z until=2026-11-30T09:01:29.000Z days=0 cumulative=0 chain= reviews=\"\" used=[97] reason=\"lapsed at record 96: record 96 brings the people holding control roles to 5; small-organisation exception small-1 lapses at once; relied on after that by records 97\" records=[66]",
		}},
	} {
		t.Run(tt.vector+" "+tt.month, func(t *testing.T) {
			o := Options{Kind: KindEvidence}
			if tt.month != "" {
				o = Options{Month: tt.month}
			}
			o.Trust, o.TrustMode = pinnedVector(t, tt.vector)
			rep := build(t, vector(t, tt.vector), o)
			var got []string
			for _, r := range rows(t, rep.Exceptions) {
				got = append(got, excLine(r))
				if r.Hash == "" {
					t.Errorf("row without its record hash: %+v", r)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("exception rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// pinnedVector is the trust pin of a vector's .expect.json.
func pinnedVector(t *testing.T, name string) (verifier.Trust, string) {
	t.Helper()
	b, err := fs.ReadFile(fixtures.Vectors(), name+".expect.json")
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Trust string }
	if err := json.Unmarshal(b, &e); err != nil || e.Trust == "" {
		t.Fatalf("%s.expect.json names no trust: %v", name, err)
	}
	tr, err := verifier.PinGenesis(e.Trust)
	if err != nil {
		t.Fatal(err)
	}
	return tr, TrustPinned
}
