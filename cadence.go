package touchbase

import (
	"slices"
	"time"
)

// Calendar says which days are business days: Monday to Friday, less the
// holidays it lists.
type Calendar struct {
	Holidays []Date `json:"holidays,omitempty" yaml:"holidays,omitempty"`
}

// BusinessDay reports whether d is a working day.
func (c Calendar) BusinessDay(d Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !slices.Contains(c.Holidays, d)
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
