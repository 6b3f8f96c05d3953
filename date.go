package touchbase

import (
	"fmt"
	"time"
)

// Date is a calendar day with no time of day and no zone: a close date, a
// follow-up date. The zero Date means "not set".
type Date struct {
	n int32 // days since 1970-01-01, plus one so that the zero value is unset
}

// NewDate returns the Date of year, month and day; out-of-range values are
// normalised the way time.Date does (January 32 is February 1).
func NewDate(year int, month time.Month, day int) Date {
	t := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return Date{n: int32(t.Unix()/86400) + 1}
}

// DateOf returns the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d.n == 0 }

func (d Date) utc() time.Time { return time.Unix(int64(d.n-1)*86400, 0).UTC() }

// Year, Month and Day of d.
func (d Date) Year() int             { return d.utc().Year() }
func (d Date) Month() time.Month     { return d.utc().Month() }
func (d Date) Day() int              { return d.utc().Day() }
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// AddDays returns d moved by n calendar days.
func (d Date) AddDays(n int) Date {
	if d.IsZero() {
		return d
	}
	return Date{n: d.n + int32(n)}
}

// AddMonths returns d moved by n months, clamped to the last day of the target
// month (January 31 plus one month is the last day of February).
func (d Date) AddMonths(n int) Date {
	y, m := d.Year(), d.Month()+time.Month(n)
	first := NewDate(y, m, 1)
	last := NewDate(first.Year(), first.Month()+1, 0)
	if day := d.Day(); day < last.Day() {
		return NewDate(first.Year(), first.Month(), day)
	}
	return last
}

// Sub returns the number of days from o to d.
func (d Date) Sub(o Date) int { return int(d.n - o.n) }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.n < o.n }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.n > o.n }

// Compare returns -1, 0 or +1 as d is before, equal to or after o.
func (d Date) Compare(o Date) int {
	switch {
	case d.n < o.n:
		return -1
	case d.n > o.n:
		return 1
	}
	return 0
}

// In returns the start of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// String formats d as 2006-01-02, or "" when unset.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.utc().Format(time.DateOnly)
}

// MarshalText encodes d as 2006-01-02 ("" when unset).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes 2006-01-02 ("" leaves d unset).
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	t, err := time.Parse(time.DateOnly, string(b))
	if err != nil {
		return fmt.Errorf("date %q: want YYYY-MM-DD", b)
	}
	*d = DateOf(t)
	return nil
}
