package format

import "time"

// TimeLayout is the layout of every time in a bundle (§1).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in the bundle's time form, in UTC.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a bundle time.
func ParseTime(s string) (time.Time, error) {
	if !ValidTime(s) {
		return time.Time{}, malformed("time %q", s)
	}
	return time.Parse(TimeLayout, s)
}
