package touchbase

import (
	"fmt"
	"strings"
	"time"
)

// Config is what a workspace may set: the stage list and its gates, the BANT
// threshold, the cadence, the business calendar and the default currency.
type Config struct {
	Stages        []Stage  `json:"stages" yaml:"stages"`
	BANTThreshold int      `json:"bant_threshold" yaml:"bant_threshold"`
	Cadence       Cadence  `json:"cadence" yaml:"cadence"`
	Calendar      Calendar `json:"calendar" yaml:"calendar"`
	Currency      string   `json:"currency" yaml:"currency"`
	// NurtureDays is how long a nurture lead rests before it comes back.
	NurtureDays int `json:"nurture_days" yaml:"nurture_days"`
	// ReminderAt is the local time ("09:00") of each rep's daily reminder.
	ReminderAt string `json:"reminder_at" yaml:"reminder_at"`
	// QuietHours is when nothing is sent to a rep, in their own time: a
	// reminder caught up after downtime waits for the morning instead.
	QuietHours QuietHours `json:"quiet_hours" yaml:"quiet_hours"`
	// DigestSchedule is the default cron expression of a team's weekly
	// digest, in the team's time zone.
	DigestSchedule string `json:"digest_schedule" yaml:"digest_schedule"`
	// RenewalNotices are the days before a renewal date on which its owner
	// is reminded.
	RenewalNotices []int `json:"renewal_notices" yaml:"renewal_notices"`
}

// QuietHours is a daily span of local time, "20:00" to "08:00"; an empty
// Start means none.
type QuietHours struct {
	Start string `json:"start" yaml:"start"`
	End   string `json:"end" yaml:"end"`
}

// parseClock reads "09:00" as minutes after midnight.
func parseClock(s string) (int, bool) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

// Quiet reports whether local time t falls in the quiet hours.
func (q QuietHours) Quiet(t time.Time) bool {
	start, ok1 := parseClock(q.Start)
	end, ok2 := parseClock(q.End)
	if !ok1 || !ok2 || start == end {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if start < end {
		return m >= start && m < end
	}
	return m >= start || m < end
}

// ReminderTime returns the moment of the daily reminder on day d in loc.
func (c *Config) ReminderTime(d Date, loc *time.Location) time.Time {
	m, ok := parseClock(c.ReminderAt)
	if !ok {
		m = 9 * 60
	}
	return d.In(loc).Add(time.Duration(m) * time.Minute)
}

// DefaultConfig returns the embedded defaults: Salesforce Japan's eight
// stages, 2 of 4 BANT, five touches at 2, 3, 5, 7 business days, USD, and a
// 90-day nurture.
func DefaultConfig() *Config {
	return &Config{
		Stages:         DefaultStages(),
		BANTThreshold:  2,
		Cadence:        DefaultCadence(),
		Currency:       "USD",
		NurtureDays:    90,
		ReminderAt:     "09:00",
		QuietHours:     QuietHours{Start: "20:00", End: "08:00"},
		DigestSchedule: "0 9 * * 1",
		RenewalNotices: []int{90, 60, 30},
	}
}

// Validate reports every problem of c in one error, or nil.
func (c *Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(c.Stages) < 2 {
		add("stages: need at least two (the last one is the won stage)")
	}
	for i, s := range c.Stages {
		if strings.TrimSpace(s.Name) == "" {
			add("stage %d: the name is empty", i+1)
		}
		if s.Probability < 0 || s.Probability > 100 {
			add("stage %d %q: probability %d is not between 0 and 100", i+1, s.Name, s.Probability)
		}
		if s.AvgDays < 0 {
			add("stage %d %q: avg_days %d is negative", i+1, s.Name, s.AvgDays)
		}
		for _, g := range s.Gates {
			if !g.Valid() {
				add("stage %d %q: unknown gate %q", i+1, s.Name, g)
			}
		}
	}
	if c.BANTThreshold < 1 || c.BANTThreshold > 4 {
		add("bant_threshold: %d is not between 1 and 4", c.BANTThreshold)
	}
	if c.Cadence.Touches < 1 {
		add("cadence.touches: %d, need at least 1", c.Cadence.Touches)
	}
	for i, g := range c.Cadence.Gaps {
		if g < 1 {
			add("cadence.gaps[%d]: %d, need at least 1 business day", i, g)
		}
	}
	if _, ok := CurrencyExponent(c.Currency); !ok {
		add("currency: %q is not a known ISO 4217 code (USD, JPY, EUR, ...)", c.Currency)
	}
	if c.NurtureDays < 1 {
		add("nurture_days: %d, need at least 1", c.NurtureDays)
	}
	if _, ok := parseClock(c.ReminderAt); !ok {
		add("reminder_at: %q is not a time of day like 09:00", c.ReminderAt)
	}
	for _, v := range []string{c.QuietHours.Start, c.QuietHours.End} {
		if _, ok := parseClock(v); !ok && v != "" {
			add("quiet_hours: %q is not a time of day like 20:00", v)
		}
	}
	for _, n := range c.RenewalNotices {
		if n < 1 {
			add("renewal_notices: %d, need days before the renewal (at least 1)", n)
		}
	}
	if len(problems) > 0 {
		return Errorf(EINVALID, "configuration: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Won returns the 1-based position of the won stage: the last one.
func (c *Config) Won() int { return len(c.Stages) }

// Probability returns the win probability of an opportunity: its stage's
// while open, 100 when won and 0 when lost.
func (c *Config) Probability(o *Opportunity) int {
	switch {
	case o.Status == OpportunityWon:
		return 100
	case o.Status == OpportunityLost:
		return 0
	case o.Stage >= 1 && o.Stage <= len(c.Stages):
		return c.Stages[o.Stage-1].Probability
	}
	return 0
}

// StageName returns the name of the 1-based stage n.
func (c *Config) StageName(n int) string {
	if n >= 1 && n <= len(c.Stages) {
		return c.Stages[n-1].Name
	}
	return fmt.Sprintf("stage %d", n)
}
