package touchbase

import (
	"slices"
	"strings"
	"time"
)

// Calendar says which days are business days: Monday to Friday, less the
// public holidays of its region, the year-end closure if it keeps one, and
// the days a team lists. The zero Calendar is Monday to Friday;
// Calendar{Region: "JP", YearEnd: true} is how most Japanese companies work.
type Calendar struct {
	// Region names the public holidays observed: "JP" (RegionJapan) for
	// Japan's, computed from the holiday law; "" for none.
	Region string `json:"region,omitempty" yaml:"region,omitempty"`
	// YearEnd closes December 29 to January 3, as Japanese companies do
	// although only January 1 is a public holiday.
	YearEnd bool `json:"year_end,omitempty" yaml:"year_end,omitempty"`
	// Holidays are the team's own days off, added to the others.
	Holidays []Date `json:"holidays,omitempty" yaml:"holidays,omitempty"`
}

// CalendarForZone returns the calendar a team in the IANA time zone tz most
// likely keeps: Japan's holidays and year-end closure in Asia/Tokyo, Monday
// to Friday anywhere else.
func CalendarForZone(tz string) Calendar {
	switch tz {
	case "Asia/Tokyo", "Japan": // Japan is the old name of the same zone
		return Calendar{Region: RegionJapan, YearEnd: true}
	}
	return Calendar{}
}

// Validate returns an EINVALID *Error when c names a region it does not know,
// so that a typo does not silently drop a country's holidays.
func (c Calendar) Validate() error {
	if c.Region != "" && !c.japan() {
		return Errorf(EINVALID, "calendar.region: %q is not a region touchbase knows: try JP, or leave it out for Monday to Friday", c.Region)
	}
	return nil
}

// japan reports whether c observes Japan's public holidays.
func (c Calendar) japan() bool { return strings.EqualFold(c.Region, RegionJapan) }

// BusinessDay reports whether d is a working day. It does no more than a few
// comparisons and a table lookup, plus a scan of the team's Holidays.
func (c Calendar) BusinessDay(d Date) bool {
	if w := weekday(d); w == time.Saturday || w == time.Sunday {
		return false
	}
	if jp := c.japan(); jp || c.YearEnd {
		f := dayFlags(d)
		if jp && f&flagJapanHoliday != 0 || c.YearEnd && f&flagYearEnd != 0 {
			return false
		}
	}
	return !slices.Contains(c.Holidays, d)
}

// HolidayName returns the name of the day off d is, weekends aside, for
// messages such as "No reminders today: 勤労感謝の日": the public holiday's
// name, 年末年始 for the year-end closure, or "company holiday" for one of
// the team's Holidays. It reports false when d is no holiday.
func (c Calendar) HolidayName(d Date) (string, bool) {
	if c.japan() {
		if name, ok := japaneseHoliday(d); ok {
			return name, true
		}
	}
	if c.YearEnd && dayFlags(d)&flagYearEnd != 0 {
		return yearEndHoliday, true
	}
	if slices.Contains(c.Holidays, d) {
		return teamHoliday, true
	}
	return "", false
}

// AddBusinessDays returns the n-th business day after d (n >= 0; with n = 0,
// d itself if it is a business day, else the next one).
func (c Calendar) AddBusinessDays(d Date, n int) Date {
	for !c.BusinessDay(d) {
		d = d.AddDays(1)
	}
	for n > 0 {
		d = d.AddDays(1)
		if c.BusinessDay(d) {
			n--
		}
	}
	return d
}

// Cadence is the follow-up rhythm: how many touches a lead or opportunity
// gets, and how many business days apart.
type Cadence struct {
	Touches int   `json:"touches" yaml:"touches"`
	Gaps    []int `json:"gaps" yaml:"gaps"` // business days after touch 1, 2, ...
}

// DefaultCadence is five touches spaced 2, 3, 5 and 7 business days.
func DefaultCadence() Cadence { return Cadence{Touches: 5, Gaps: []int{2, 3, 5, 7}} }

// Next returns the follow-up date after the touches-th touch made on day, and
// whether the cadence still runs. Past the last touch the last gap repeats, so
// an open record is never forgotten: the reminder then proposes to keep going,
// nurture or disqualify.
func (c Cadence) Next(touches int, day Date, cal Calendar) (Date, bool) {
	gap := 5
	if len(c.Gaps) > 0 {
		gap = c.Gaps[min(max(touches, 1), len(c.Gaps))-1]
	}
	return cal.AddBusinessDays(day, gap), touches < c.Touches
}
