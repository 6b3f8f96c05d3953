package touchbase

import (
	"fmt"
	"strconv"
	"strings"
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

// ParseDate reads a date as a rep types it, relative to today, the rep's
// current day:
//
//   - "2027-03-31", "2027/3/5", "2027.03.31", "20270331", "2027年3月31日";
//   - "2027-03", "2027/03", "2027年3月": the last day of that month;
//   - "3/31", "03-31", "3月31日": that day this year, or next year when it
//     has passed; "3月": the last day of that month, likewise;
//   - "today", "今日", "tomorrow", "明日", "eom", "end of month", "月末";
//   - "fri", "friday", "金", "金曜", "金曜日": the next such day after today
//     (on a Friday, "fri" is a week later);
//   - "next fri", "来週金曜": that day of next week, weeks starting on
//     Monday (on a Monday, "next fri" is 11 days later);
//   - "+3d", "+2w", "+1m", "3日後", "2週間後", "1ヶ月後": days, weeks or
//     calendar months after today (see AddMonths).
//
// Relative words only reach today or later, so "yesterday" is refused; a
// past day is written in full, since close dates may be backfilled. Case and
// width do not matter. Every error about s is an EINVALID *Error whose
// message quotes s and shows how to write a date; a zero today is a bug in
// the caller and gives an EINTERNAL error.
func ParseDate(s string, today Date) (Date, error) {
	if today.IsZero() {
		return Date{}, fmt.Errorf("touchbase: parse date %q: today is not set", s)
	}
	d, reason := parseDate(Fold(s), today)
	if !d.IsZero() {
		return d, nil
	}
	if reason != "" {
		reason = " (" + reason + ")"
	}
	return Date{}, Errorf(EINVALID, "date %q is not a date%s: try 2027-03-31, 2027-03, today, tomorrow, fri, next mon or +3d",
		quotable(s), reason)
}

// parseDate returns the date folded s stands for, or the zero Date and
// perhaps a reason why s is not one.
func parseDate(s string, today Date) (Date, string) {
	switch s {
	case "":
		return Date{}, "it is empty"
	case "today", "今日", "本日", "きょう":
		return today, ""
	case "tomorrow", "tmrw", "明日", "あした", "あす":
		return today.AddDays(1), ""
	case "yesterday", "昨日", "きのう":
		return Date{}, "write past days in full, as 2027-03-31"
	case "eom", "end of month", "月末":
		return NewDate(today.Year(), today.Month()+1, 0), ""
	}
	if w, ok := parseWeekday(s); ok {
		n := (int(w) - int(today.Weekday()) + 7) % 7
		if n == 0 {
			n = 7
		}
		return today.AddDays(n), ""
	}
	for _, next := range [...]string{"next ", "来週の", "来週 ", "来週"} {
		if w, ok := parseWeekday(strings.TrimPrefix(s, next)); ok && strings.HasPrefix(s, next) {
			monday := today.AddDays(7 - (int(today.Weekday())+6)%7)
			return monday.AddDays((int(w) + 6) % 7), ""
		}
	}
	if d, ok := parseOffset(s, today); ok {
		if d.Year() > 9999 {
			return Date{}, "it is too far ahead"
		}
		return d, ""
	}
	return parseCalendar(s, today)
}

// parseWeekday reads a day of the week: "fri", "friday", "金", "金曜",
// "金曜日".
func parseWeekday(s string) (time.Weekday, bool) {
	switch s {
	case "sun", "sunday", "日", "日曜", "日曜日":
		return time.Sunday, true
	case "mon", "monday", "月", "月曜", "月曜日":
		return time.Monday, true
	case "tue", "tues", "tuesday", "火", "火曜", "火曜日":
		return time.Tuesday, true
	case "wed", "wednesday", "水", "水曜", "水曜日":
		return time.Wednesday, true
	case "thu", "thur", "thurs", "thursday", "木", "木曜", "木曜日":
		return time.Thursday, true
	case "fri", "friday", "金", "金曜", "金曜日":
		return time.Friday, true
	case "sat", "saturday", "土", "土曜", "土曜日":
		return time.Saturday, true
	}
	return 0, false
}

// parseOffset reads "+3d", "+2w", "+1m" and "3日後", "2週間後", "1ヶ月後".
func parseOffset(s string, today Date) (Date, bool) {
	rest, plus := strings.CutPrefix(s, "+")
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == 0 || i > 4 {
		return Date{}, false
	}
	n, _ := strconv.Atoi(rest[:i])
	unit := rest[i:]
	if plus {
		switch unit {
		case "d":
			return today.AddDays(n), true
		case "w":
			return today.AddDays(7 * n), true
		case "m":
			return today.AddMonths(n), true
		}
		return Date{}, false
	}
	switch unit {
	case "日後":
		return today.AddDays(n), true
	case "週間後", "週後":
		return today.AddDays(7 * n), true
	case "ヶ月後", "ヵ月後", "か月後", "カ月後", "ケ月後":
		return today.AddMonths(n), true
	}
	return Date{}, false
}

// parseCalendar reads the calendar forms of ParseDate: numbers with the
// separators between them.
func parseCalendar(s string, today Date) (Date, string) {
	var nums []string // digit runs
	var seps []string // what follows each digit run
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j == i {
			return Date{}, ""
		}
		k := j
		for k < len(s) && (s[k] < '0' || s[k] > '9') {
			k++
		}
		nums, seps = append(nums, s[i:j]), append(seps, s[j:k])
		i = k
	}
	n := len(nums)
	if n == 0 || n > 3 {
		return Date{}, ""
	}
	sep := strings.Join(seps, "|")
	year := len(nums[0]) == 4
	ok := func(seps ...string) bool {
		for _, v := range seps {
			if sep == v {
				return true
			}
		}
		return false
	}
	switch {
	case n == 1 && len(nums[0]) == 8 && sep == "":
		return calendarDate(nums[0][:4], nums[0][4:6], nums[0][6:], today)
	case n == 3 && year && ok("-|-|", "/|/|", ".|.|", "年|月|日", "年|月|"):
		return calendarDate(nums[0], nums[1], nums[2], today)
	case n == 2 && year && ok("-|", "/|", "年|月"):
		return calendarDate(nums[0], nums[1], "", today)
	case n == 2 && !year && ok("/|", "-|", "月|日", "月|"):
		return calendarDate("", nums[0], nums[1], today)
	case n == 1 && !year && sep == "月":
		return calendarDate("", nums[0], "", today)
	}
	return Date{}, ""
}

// calendarDate returns the date of year, month and day, each digits or ""
// when not given: no year means the first such day from today on, no day
// the last day of the month.
func calendarDate(year, month, day string, today Date) (Date, string) {
	if len(month) > 2 || len(day) > 2 {
		return Date{}, ""
	}
	m, _ := strconv.Atoi(month)
	if m < 1 || m > 12 {
		return Date{}, fmt.Sprintf("there is no month %d", m)
	}
	dd := 0
	if day != "" {
		dd, _ = strconv.Atoi(day)
		// Day 0 and February 30 are in no year; February 29 is in some.
		if dd < 1 || dd > NewDate(2000, time.Month(m)+1, 0).Day() {
			return Date{}, fmt.Sprintf("there is no %s %d", time.Month(m), dd)
		}
	}
	// on returns the date in year y, or the zero Date when the month has no
	// such day that year.
	on := func(y int) Date {
		last := NewDate(y, time.Month(m)+1, 0)
		if dd == 0 {
			return last
		}
		if dd > last.Day() {
			return Date{}
		}
		return NewDate(y, time.Month(m), dd)
	}
	if year != "" {
		y, _ := strconv.Atoi(year)
		if y < 1900 {
			return Date{}, "the year is too early"
		}
		if d := on(y); !d.IsZero() {
			return d, ""
		}
		return Date{}, fmt.Sprintf("there is no %s %d in %d", time.Month(m), dd, y)
	}
	y := today.Year()
	this := on(y)
	if !this.IsZero() && !this.Before(today) {
		return this, ""
	}
	if d := on(y + 1); !d.IsZero() {
		return d, ""
	}
	if !this.IsZero() {
		return Date{}, fmt.Sprintf("%s %d has passed and there is none in %d", time.Month(m), dd, y+1)
	}
	return Date{}, fmt.Sprintf("there is no %s %d in %d or %d", time.Month(m), dd, y, y+1)
}
