package scheduler

import (
	"time"

	"github.com/touchbase/touchbase"
)

// local is a rep's clock: their zone, their business calendar, and whether
// now is a moment to message them.
type local struct {
	loc   *time.Location
	cal   touchbase.Calendar
	today touchbase.Date
	now   time.Time
}

// localFor is the clock of a rep in zone; team, when the rep has one, gives
// the business calendar (its zone's holidays and its own days off).
func (s *Scheduler) localFor(zone string, team *touchbase.Team, now time.Time) local {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	cal := touchbase.CalendarFor(zone, team, s.Config.Calendar.Holidays)
	t := now.In(loc)
	return local{loc: loc, cal: cal, today: touchbase.DateOf(t), now: t}
}

// workingMorning reports whether the daily messages may go out now: a
// business day, at or after the reminder time, and outside quiet hours.
func (s *Scheduler) workingMorning(l local) bool {
	if !l.cal.BusinessDay(l.today) {
		return false
	}
	if l.now.Before(s.Config.ReminderTime(l.today, l.loc)) {
		return false
	}
	return !s.Config.QuietHours.Quiet(l.now)
}
