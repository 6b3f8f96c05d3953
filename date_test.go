package touchbase_test

import (
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
)

// date returns the Date of s, written 2006-01-02.
func date(tb testing.TB, s string) touchbase.Date {
	tb.Helper()
	var d touchbase.Date
	if err := d.UnmarshalText([]byte(s)); err != nil {
		tb.Fatal(err)
	}
	return d
}

const wednesday = "2027-03-10" // today in most cases below

var parseDateTests = []struct {
	in, today, want string
}{
	// Ensure full dates are read with -, / or . and with or without zeros,
	// in the past too, since close dates may be backfilled.
	{"2027-03-31", wednesday, "2027-03-31"},
	{"2027/03/31", wednesday, "2027-03-31"},
	{"2027-3-5", wednesday, "2027-03-05"},
	{"2027.3.5", wednesday, "2027-03-05"},
	{"20270331", wednesday, "2027-03-31"},
	{"2026-12-01", wednesday, "2026-12-01"},
	{"2028-02-29", wednesday, "2028-02-29"},
	{"2027年3月31日", wednesday, "2027-03-31"},
	{"2027年03月05日", wednesday, "2027-03-05"},

	// Ensure a year and month mean the last day of that month.
	{"2027-03", wednesday, "2027-03-31"},
	{"2027/02", wednesday, "2027-02-28"},
	{"2028-02", wednesday, "2028-02-29"},
	{"2027年4月", wednesday, "2027-04-30"},

	// Ensure a month and day are this year, or next year once passed.
	{"3/31", wednesday, "2027-03-31"},
	{"03-31", wednesday, "2027-03-31"},
	{"3/10", wednesday, "2027-03-10"},
	{"3/9", wednesday, "2028-03-09"},
	{"03-01", wednesday, "2028-03-01"},
	{"12/25", wednesday, "2027-12-25"},
	{"2/29", wednesday, "2028-02-29"},
	{"3月31日", wednesday, "2027-03-31"},
	{"1月5日", wednesday, "2028-01-05"},
	{"3月31", wednesday, "2027-03-31"},
	{"3月", wednesday, "2027-03-31"},
	{"2月", wednesday, "2028-02-29"},

	// Ensure relative words are read in English and Japanese.
	{"today", wednesday, "2027-03-10"},
	{"Today", wednesday, "2027-03-10"},
	{"今日", wednesday, "2027-03-10"},
	{"tomorrow", wednesday, "2027-03-11"},
	{"明日", wednesday, "2027-03-11"},
	{"eom", wednesday, "2027-03-31"},
	{"end of month", wednesday, "2027-03-31"},
	{"月末", "2027-02-28", "2027-02-28"},

	// Ensure a weekday is the next such day strictly after today.
	{"fri", wednesday, "2027-03-12"},
	{"Fri", wednesday, "2027-03-12"},
	{"FRIDAY", wednesday, "2027-03-12"},
	{"wed", wednesday, "2027-03-17"},
	{"mon", wednesday, "2027-03-15"},
	{"thurs", wednesday, "2027-03-11"},
	{"fri", "2027-03-12", "2027-03-19"},
	{"金", wednesday, "2027-03-12"},
	{"金曜", wednesday, "2027-03-12"},
	{"金曜日", wednesday, "2027-03-12"},
	{"日曜日", wednesday, "2027-03-14"},

	// Ensure "next" is that day of next calendar week, weeks starting Monday.
	{"next mon", wednesday, "2027-03-15"},
	{"next fri", wednesday, "2027-03-19"},
	{"next wed", wednesday, "2027-03-17"},
	{"next sun", wednesday, "2027-03-21"},
	{"next fri", "2027-03-08", "2027-03-19"}, // a Monday: 11 days later
	{"next mon", "2027-03-14", "2027-03-15"}, // a Sunday: tomorrow
	{"next  Friday", wednesday, "2027-03-19"},
	{"来週金曜", wednesday, "2027-03-19"},
	{"来週の月曜日", wednesday, "2027-03-15"},
	{"来週 金", wednesday, "2027-03-19"},

	// Ensure offsets count days, weeks and calendar months.
	{"+0d", wednesday, "2027-03-10"},
	{"+3d", wednesday, "2027-03-13"},
	{"+2w", wednesday, "2027-03-24"},
	{"+1m", wednesday, "2027-04-10"},
	{"+1m", "2027-01-31", "2027-02-28"},
	{"+12m", wednesday, "2028-03-10"},
	{"3日後", wednesday, "2027-03-13"},
	{"2週間後", wednesday, "2027-03-24"},
	{"1ヶ月後", wednesday, "2027-04-10"},
	{"1か月後", wednesday, "2027-04-10"},

	// Ensure full-width input is read like half-width.
	{"２０２７－０３－３１", wednesday, "2027-03-31"},
	{"２０２７／３／３１", wednesday, "2027-03-31"},
	{"３月３１日", wednesday, "2027-03-31"},
	{"＋３ｄ", wednesday, "2027-03-13"},
	{"ＦＲＩ", wednesday, "2027-03-12"},
	{"ｎｅｘｔ　ｍｏｎ", wednesday, "2027-03-15"},
}

func TestParseDate(t *testing.T) {
	for _, tt := range parseDateTests {
		got, err := touchbase.ParseDate(tt.in, date(t, tt.today))
		if err != nil {
			t.Errorf("ParseDate(%q) on %s: %v", tt.in, tt.today, err)
		} else if want := date(t, tt.want); got != want {
			t.Errorf("ParseDate(%q) on %s=%v, want %v", tt.in, tt.today, got, want)
		}
	}
}

var parseDateErrorTests = []struct {
	in, today, want string // want is in the message besides the input and "try"
}{
	// Ensure malformed dates are refused.
	{"", wednesday, "it is empty"},
	{"xyz", wednesday, "is not a date"},
	{"next", wednesday, "is not a date"},
	{"next week", wednesday, "is not a date"},
	{"nextfri", wednesday, "is not a date"},
	{"fri day", wednesday, "is not a date"},
	{"2027-3/31", wednesday, "is not a date"},
	{"2027-03-31-01", wednesday, "is not a date"},
	{"27-03-31", wednesday, "is not a date"},
	{"2027-003-31", wednesday, "is not a date"},
	{"3", wednesday, "is not a date"},
	{"3/", wednesday, "is not a date"},
	{"/3/31", wednesday, "is not a date"},
	{"+3", wednesday, "is not a date"},
	{"+3x", wednesday, "is not a date"},
	{"+d", wednesday, "is not a date"},
	{"-3d", wednesday, "is not a date"},
	{"+10000d", wednesday, "is not a date"},
	{"+5bd", wednesday, "is not a date"},

	// Ensure impossible dates are refused with the reason.
	{"2027-02-30", wednesday, "there is no February 30"},
	{"2027-02-29", wednesday, "there is no February 29 in 2027"},
	{"2027-13-01", wednesday, "there is no month 13"},
	{"2027-00-01", wednesday, "there is no month 0"},
	{"2027-04-31", wednesday, "there is no April 31"},
	{"2027-01-00", wednesday, "there is no January 0"},
	{"2027-13", wednesday, "there is no month 13"},
	{"2/30", wednesday, "there is no February 30"},
	{"2/29", "2026-03-01", "there is no February 29 in 2026 or 2027"},
	{"2/29", "2028-03-01", "February 29 has passed and there is none in 2029"},
	{"0001-01-01", wednesday, "the year is too early"},
	{"+9999w", "9999-01-01", "it is too far ahead"},

	// Ensure relative words reach only today or later.
	{"yesterday", wednesday, "write past days in full"},
	{"昨日", wednesday, "write past days in full"},
}

func TestParseDate_Error(t *testing.T) {
	for _, tt := range parseDateErrorTests {
		got, err := touchbase.ParseDate(tt.in, date(t, tt.today))
		if err == nil {
			t.Errorf("ParseDate(%q) on %s=%v, want error", tt.in, tt.today, got)
			continue
		}
		if got, want := touchbase.ErrorCode(err), touchbase.EINVALID; got != want {
			t.Errorf("ParseDate(%q) code=%q, want %q", tt.in, got, want)
		}
		msg := touchbase.ErrorMessage(err)
		for _, want := range []string{`date "` + tt.in + `"`, tt.want, "try "} {
			if !strings.Contains(msg, want) {
				t.Errorf("ParseDate(%q) message=%q, want it to contain %q", tt.in, msg, want)
			}
		}
	}
}

// Ensure the error message has exactly the documented form.
func TestParseDate_ErrorMessage(t *testing.T) {
	_, err := touchbase.ParseDate("xyz", date(t, wednesday))
	if got, want := touchbase.ErrorMessage(err), `date "xyz" is not a date: try 2027-03-31, 2027-03, today, tomorrow, fri, next mon or +3d`; got != want {
		t.Fatalf("ErrorMessage=%q, want %q", got, want)
	}
	_, err = touchbase.ParseDate("2027-02-30", date(t, wednesday))
	if got, want := touchbase.ErrorMessage(err), `date "2027-02-30" is not a date (there is no February 30): try 2027-03-31, 2027-03, today, tomorrow, fri, next mon or +3d`; got != want {
		t.Fatalf("ErrorMessage=%q, want %q", got, want)
	}
}

// Ensure a zero today is reported as the caller's bug, not the user's.
func TestParseDate_ZeroToday(t *testing.T) {
	_, err := touchbase.ParseDate("today", touchbase.Date{})
	if got, want := touchbase.ErrorCode(err), touchbase.EINTERNAL; got != want {
		t.Fatalf("ErrorCode=%q, want %q", got, want)
	}
}

// Ensure every weekday name gives a day of that weekday within a week, and
// its "next" form one in next calendar week, from every day of a week.
func TestParseDate_Weekdays(t *testing.T) {
	names := map[time.Weekday][]string{
		time.Sunday:    {"sun", "sunday", "日", "日曜", "日曜日"},
		time.Monday:    {"mon", "monday", "月", "月曜", "月曜日"},
		time.Tuesday:   {"tue", "tues", "tuesday", "火", "火曜", "火曜日"},
		time.Wednesday: {"wed", "wednesday", "水", "水曜", "水曜日"},
		time.Thursday:  {"thu", "thur", "thurs", "thursday", "木", "木曜", "木曜日"},
		time.Friday:    {"fri", "friday", "金", "金曜", "金曜日"},
		time.Saturday:  {"sat", "saturday", "土", "土曜", "土曜日"},
	}
	monday := date(t, "2027-03-08")
	for i := range 7 {
		today := monday.AddDays(i)
		for wd, list := range names {
			for _, name := range list {
				got, err := touchbase.ParseDate(name, today)
				if err != nil {
					t.Fatalf("ParseDate(%q) on %v: %v", name, today, err)
				}
				if got.Weekday() != wd || got.Sub(today) < 1 || got.Sub(today) > 7 {
					t.Errorf("ParseDate(%q) on %v=%v, want the next %v", name, today, got, wd)
				}
				got, err = touchbase.ParseDate("next "+name, today)
				if err != nil {
					t.Fatalf("ParseDate(%q) on %v: %v", "next "+name, today, err)
				}
				if from := monday.AddDays(7); got.Weekday() != wd || got.Before(from) || !got.Before(from.AddDays(7)) {
					t.Errorf("ParseDate(%q) on %v=%v, want %v of the week of %v", "next "+name, today, got, wd, from)
				}
			}
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, tt := range parseDateTests {
		f.Add(tt.in)
	}
	for _, tt := range parseDateErrorTests {
		f.Add(tt.in)
	}
	today := date(f, wednesday)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := touchbase.ParseDate(s, today)
		if err != nil {
			if got, want := touchbase.ErrorCode(err), touchbase.EINVALID; got != want {
				t.Fatalf("ParseDate(%q) code=%q, want %q", s, got, want)
			}
			if msg := touchbase.ErrorMessage(err); !strings.Contains(msg, "try 2027-03-31") {
				t.Fatalf("ParseDate(%q) message=%q, want a hint", s, msg)
			}
			return
		}
		if d.IsZero() {
			t.Fatalf("ParseDate(%q)=zero Date, want a date", s)
		}
		// Ensure what ParseDate returns reads back as itself.
		if got, err := touchbase.ParseDate(d.String(), today); err != nil || got != d {
			t.Fatalf("ParseDate(%q) from %q=%v, %v; want %v", d.String(), s, got, err, d)
		}
	})
}
