package touchbase

import "time"

// OpportunityStatus is open, won or lost.
type OpportunityStatus string

// Opportunity statuses.
const (
	OpportunityOpen OpportunityStatus = "open"
	OpportunityWon  OpportunityStatus = "won"
	OpportunityLost OpportunityStatus = "lost"
)

// OpportunityKind says whether an opportunity is a new sale or more business
// from an existing customer.
type OpportunityKind string

// Opportunity kinds; the zero value is a new sale.
const (
	KindNew       OpportunityKind = ""
	KindUpsell    OpportunityKind = "upsell"
	KindCrossSell OpportunityKind = "cross_sell"
)

// Opportunity is a concrete chance to sell to an account.
type Opportunity struct {
	ID        uint64          `json:"id"`
	Kind      OpportunityKind `json:"kind,omitempty"`
	AccountID uint64          `json:"account_id"`
	ContactID uint64          `json:"contact_id,omitempty"`
	LeadID    uint64          `json:"lead_id,omitempty"`
	Name      string          `json:"name"`
	// AmountMinor is in the minor unit of Currency (cents, yen); 0 = not known yet.
	AmountMinor int64             `json:"amount_minor"`
	Currency    string            `json:"currency"`
	CloseDate   Date              `json:"close_date"`
	Stage       int               `json:"stage"` // 1-based position in the stage list
	Status      OpportunityStatus `json:"status"`
	// LostReason is why it was lost.
	LostReason string `json:"lost_reason"`
	Owner      string `json:"owner"`
	// Source is the campaign the lead came from, for conversion by source.
	Source       string    `json:"source,omitempty"`
	BANT         BANT      `json:"bant"`
	Touches      int       `json:"touches"`
	LastTouch    time.Time `json:"last_touch,omitzero"`
	NextFollowUp Date      `json:"next_follow_up"`
	// StageEnteredAt is when the current stage was entered, for stalled deals.
	StageEnteredAt time.Time     `json:"stage_entered_at"`
	History        []StageChange `json:"history"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
	ClosedAt       time.Time     `json:"closed_at,omitzero"`
}

// StageChangeKind says how a stage changed.
type StageChangeKind string

// Stage change kinds.
const (
	StageCreated  StageChangeKind = "created"
	StageAdvance  StageChangeKind = "advance"
	StageBack     StageChangeKind = "back" // moved to an earlier stage
	StageWon      StageChangeKind = "won"
	StageLost     StageChangeKind = "lost"
	StageSentBack StageChangeKind = "sent_back" // returned to Inside Sales
)

// StageChange is one entry of an opportunity's stage history.
type StageChange struct {
	At     time.Time       `json:"at"`
	By     string          `json:"by"`
	Kind   StageChangeKind `json:"kind"`
	From   int             `json:"from"`
	To     int             `json:"to"`
	Reason string          `json:"reason,omitempty"`
}

// Amount returns the opportunity's amount as Money.
func (o *Opportunity) Amount() Money { return Money{Minor: o.AmountMinor, Currency: o.Currency} }

// Open reports whether o is still being worked.
func (o *Opportunity) Open() bool { return o.Status == OpportunityOpen }

// Weighted returns the amount times the probability of stage p (percent),
// rounded down to the minor unit.
func Weighted(amount int64, p int) int64 { return amount * int64(p) / 100 }
