package calendar

import (
	"errors"
	"testing"
	"time"
)

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{
		{"2026-12-02", false}, {"2024-02-29", false}, {"0001-01-01", false}, {"9999-12-31", false},
		{"2026-02-29", true}, {"2100-02-29", true}, {"2026-13-01", true}, {"2026-00-10", true},
		{"2026-04-31", true}, {"0000-01-01", true}, {"2026-1-01", true}, {"2026/01/01", true},
		{"2026-01-01T00:00:00Z", true}, {"", true}, {"２０２６-01-01", true}, {"+026-01-01", true},
	} {
		d, err := Parse(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("Parse(%q) error %v, want error %v", tc.in, err, tc.wantErr)
		}
		if err != nil && !errors.Is(err, ErrDate) {
			t.Errorf("Parse(%q) error %v does not wrap ErrDate", tc.in, err)
		}
		if err == nil && d.String() != tc.in {
			t.Errorf("Parse(%q).String() = %s", tc.in, d)
		}
	}
}

// The day arithmetic agrees with the standard library's proleptic
// Gregorian calendar on every day of 1 to 9999 sampled every 97 days, and
// on every day of 1999 to 2101.
func TestDaysAgainstTime(t *testing.T) {
	check := func(tt time.Time) {
		y, m, dd := tt.Date()
		d := Date{y, m, dd}
		if got := d.Weekday(); got != tt.Weekday() {
			t.Fatalf("%s weekday %s, want %s", d, got, tt.Weekday())
		}
		if got := d.AddDays(1); got != (Date{tt.AddDate(0, 0, 1).Year(), tt.AddDate(0, 0, 1).Month(), tt.AddDate(0, 0, 1).Day()}) {
			t.Fatalf("%s + 1 day = %s", d, got)
		}
		back := fromDays(d.days())
		if back != d {
			t.Fatalf("%s round trip gives %s", d, back)
		}
	}
	for tt := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC); tt.Year() < 10000; tt = tt.AddDate(0, 0, 97) {
		check(tt)
	}
	for tt := time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC); tt.Year() < 2102; tt = tt.AddDate(0, 0, 1) {
		check(tt)
	}
	a, b := date(t, "2026-01-01"), date(t, "2026-03-31")
	if b.Sub(a) != 89 || a.Sub(b) != -89 || !a.Before(b) || b.Before(a) {
		t.Fatalf("2026-03-31 − 2026-01-01 = %d", b.Sub(a))
	}
}

// A quarter is three calendar months, clamped to the month's end.
func TestAddMonths(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2026-11-30", 3, "2027-02-28"},
		{"2027-11-30", 3, "2028-02-29"},
		{"2026-11-29", 3, "2027-02-28"},
		{"2026-08-31", 3, "2026-11-30"},
		{"2026-01-31", 1, "2026-02-28"},
		{"2026-03-15", 3, "2026-06-15"},
		{"2026-10-31", 3, "2027-01-31"},
		{"2026-12-31", 12, "2027-12-31"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2026-05-31", -3, "2026-02-28"},
		{"2026-01-15", -1, "2025-12-15"},
	} {
		if got := date(t, tc.from).AddMonths(tc.n); got.String() != tc.want {
			t.Errorf("%s + %d months = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

// SPEC's worked table of register deadlines: the 5th business day after
// the effective date D, D not counted, across weekends and a recorded
// holiday.
func TestNthBusinessDayAfter(t *testing.T) {
	hol := Business{Holidays: map[Date]bool{date(t, "2026-12-25"): true, date(t, "2026-12-28"): true}}
	plain := Business{}
	for _, tc := range []struct {
		b    Business
		d    string
		want string
	}{
		{plain, "2026-01-02", "2026-01-09"}, // Friday -> next Friday
		{plain, "2026-01-03", "2026-01-09"}, // Saturday -> next Friday
		{plain, "2026-01-04", "2026-01-09"}, // Sunday -> next Friday
		{plain, "2026-01-05", "2026-01-12"}, // Monday -> next Monday
		{hol, "2026-12-22", "2026-12-31"},   // Tue; 23, 24, (25 hol), (26, 27 weekend), (28 hol), 29, 30, 31
		{plain, "2026-12-22", "2026-12-29"},
	} {
		if got := tc.b.NthAfter(date(t, tc.d), 5); got.String() != tc.want {
			t.Errorf("5th business day after %s = %s, want %s", tc.d, got, tc.want)
		}
	}
}

// A day ends at the next local midnight, which moves with DST: the end of
// 28 March 2026 in London is 00:00 GMT, the end of 29 March is 23:00 UTC.
func TestStartEndAcrossDST(t *testing.T) {
	lon, err := Zone("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    string
		end  string
		hour float64 // length of the day in hours
	}{
		{"2026-03-28", "2026-03-29T00:00:00Z", 24},
		{"2026-03-29", "2026-03-29T23:00:00Z", 23},
		{"2026-10-25", "2026-10-26T00:00:00Z", 25},
	} {
		d := date(t, tc.d)
		if got := d.End(lon).UTC().Format(time.RFC3339); got != tc.end {
			t.Errorf("end of %s in London = %s, want %s", tc.d, got, tc.end)
		}
		if h := d.End(lon).Sub(d.Start(lon)).Hours(); h != tc.hour {
			t.Errorf("%s lasts %v hours in London, want %v", tc.d, h, tc.hour)
		}
		if On(d.End(lon).Add(-time.Nanosecond), lon) != d || On(d.End(lon), lon) != d.AddDays(1) {
			t.Errorf("the instant before the end of %s is not on it, or its end is not on the next day", tc.d)
		}
	}
	// A zone whose clocks skipped midnight: Sao Paulo, 2018-11-04 began at
	// 01:00 local time.
	sp, err := Zone("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	d := date(t, "2018-11-04")
	if got := d.Start(sp).UTC().Format(time.RFC3339); got != "2018-11-04T03:00:00Z" {
		t.Errorf("start of %s in Sao Paulo = %s, want 03:00Z (01:00 local)", d, got)
	}
	if On(d.Start(sp), sp) != d || On(d.Start(sp).Add(-time.Nanosecond), sp) == d {
		t.Errorf("start of %s in Sao Paulo is not its first instant", d)
	}
}

func TestZone(t *testing.T) {
	for _, n := range []string{"", "Local", "Europe/Nowhere", "GMT+5"} {
		if _, err := Zone(n); err == nil {
			t.Errorf("Zone(%q) accepted", n)
		}
	}
	for _, n := range []string{"UTC", "Europe/London", "Etc/GMT+5", "America/Argentina/Buenos_Aires"} {
		if _, err := Zone(n); err != nil {
			t.Errorf("Zone(%q): %v", n, err)
		}
	}
}
