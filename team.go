package touchbase

import (
	"slices"
	"time"
)

// Function is one of the four functions of The Model.
type Function string

// Functions, in funnel order.
const (
	Marketing       Function = "marketing"
	InsideSales     Function = "inside_sales"
	FieldSales      Function = "field_sales"
	CustomerSuccess Function = "customer_success"
)

// Functions lists the four in funnel order.
var Functions = []Function{Marketing, InsideSales, FieldSales, CustomerSuccess}

// Valid reports whether f is one of the four.
func (f Function) Valid() bool { return slices.Contains(Functions, f) }

// Team is a group of reps of one function with its chat channel. A workspace
// may have several teams of the same function (two regions, say).
type Team struct {
	Name     string   `json:"name"`
	Function Function `json:"function"`
	Channel  string   `json:"channel,omitempty"`
	Members  []string `json:"members"`
	Managers []string `json:"managers"`
	TimeZone string   `json:"time_zone,omitempty"`
	// DigestSchedule is the cron expression of the weekly digest in the
	// team's time zone; "" means Monday 09:00.
	DigestSchedule string `json:"digest_schedule,omitempty"`
	// Holidays are the team's own days off, on top of the public holidays
	// of its time zone's calendar.
	Holidays  []Date    `json:"holidays,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// CalendarFor returns the business calendar of a rep in zone who belongs
// to team (nil for none): the team's zone's public holidays (the rep's own
// zone's when the team has none), the team's own days off, and extra
// (the workspace's configured holidays).
func CalendarFor(zone string, team *Team, extra []Date) Calendar {
	if team != nil && team.TimeZone != "" {
		zone = team.TimeZone
	}
	c := CalendarForZone(zone)
	if team != nil {
		c.Holidays = append(c.Holidays, team.Holidays...)
	}
	c.Holidays = append(c.Holidays, extra...)
	return c
}

// TeamOf returns the first of teams that rep belongs to, or nil.
func TeamOf(teams []*Team, rep string) *Team {
	for _, t := range teams {
		if t.HasMember(rep) {
			return t
		}
	}
	return nil
}

// HasMember reports whether rep is a member or a manager of t.
func (t *Team) HasMember(rep string) bool {
	return slices.Contains(t.Members, rep) || slices.Contains(t.Managers, rep)
}

// IsManager reports whether rep manages t.
func (t *Team) IsManager(rep string) bool { return slices.Contains(t.Managers, rep) }

// Rep is a person who uses touchbase, known by their chat platform's user id.
type Rep struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	TimeZone  string    `json:"time_zone,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// HandoffKind says which way a lead or opportunity changed hands.
type HandoffKind string

// Handoff kinds: forward along the funnel, and the two returns that show
// where hand-offs break.
const (
	HandoffMQL      HandoffKind = "mql"       // Marketing → Inside Sales
	HandoffSQL      HandoffKind = "sql"       // Inside Sales → Field Sales, on conversion
	HandoffWon      HandoffKind = "won"       // Field Sales → Customer Success, on win
	HandoffSentBack HandoffKind = "sent_back" // Field Sales → Inside Sales, with a reason
	HandoffReturned HandoffKind = "returned"  // Inside Sales → Marketing, poor quality
	HandoffReassign HandoffKind = "reassign"  // within a function
)

// Handoff is a change of owner between reps or teams.
type Handoff struct {
	ID            uint64      `json:"id"`
	At            time.Time   `json:"at"`
	Kind          HandoffKind `json:"kind"`
	From          string      `json:"from"`
	To            string      `json:"to"`
	LeadID        uint64      `json:"lead_id,omitempty"`
	OpportunityID uint64      `json:"opportunity_id,omitempty"`
	Reason        string      `json:"reason,omitempty"`
}
