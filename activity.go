package touchbase

import (
	"slices"
	"time"
)

// ActivityKind is the kind of a touch.
type ActivityKind string

// Activity kinds. Demo and proposal are meetings with a name of their own.
const (
	ActivityCall     ActivityKind = "call"
	ActivityEmail    ActivityKind = "email"
	ActivityMeeting  ActivityKind = "meeting"
	ActivityNote     ActivityKind = "note"
	ActivityDemo     ActivityKind = "demo"
	ActivityProposal ActivityKind = "proposal"
)

// ActivityKinds lists the kinds in the order help shows them.
var ActivityKinds = []ActivityKind{ActivityCall, ActivityEmail, ActivityMeeting, ActivityNote, ActivityDemo, ActivityProposal}

// Valid reports whether k is a known kind.
func (k ActivityKind) Valid() bool { return slices.Contains(ActivityKinds, k) }

// Activity is one touch with a customer: who (the rep), with whom (a lead or
// an opportunity), when, what was said and the next step.
type Activity struct {
	ID            uint64       `json:"id"`
	Kind          ActivityKind `json:"kind"`
	Owner         string       `json:"owner"`
	At            time.Time    `json:"at"`
	LeadID        uint64       `json:"lead_id"`
	OpportunityID uint64       `json:"opportunity_id"`
	Note          string       `json:"note"`
	NextStep      string       `json:"next_step,omitempty"`
	NextDate      Date         `json:"next_date,omitzero"`
}
