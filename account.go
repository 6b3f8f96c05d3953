package touchbase

import "time"

// Account is a company: the basic unit of B2B sales.
type Account struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner"`
	Source    string    `json:"source,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// CustomerSince is the day the first deal was won (zero for a
	// prospect); SuccessOwner the Customer Success rep who keeps it.
	CustomerSince Date   `json:"customer_since,omitzero"`
	SuccessOwner  string `json:"success_owner,omitempty"`
}

// RenewalStatus is where a contract's renewal stands.
type RenewalStatus string

// Renewal statuses.
const (
	RenewalPending RenewalStatus = "pending"
	RenewalRenewed RenewalStatus = "renewed"
	RenewalChurned RenewalStatus = "churned"
)

// Renewal is one term of a customer's contract coming up for renewal: won
// deals start one (due at start + term), and each renewal starts the next.
type Renewal struct {
	ID            uint64        `json:"id"`
	AccountID     uint64        `json:"account_id"`
	OpportunityID uint64        `json:"opportunity_id,omitempty"` // the deal that started the contract
	Owner         string        `json:"owner"`                    // the Customer Success rep
	ARRMinor      int64         `json:"arr_minor"`                // contract value per year, minor unit
	Currency      string        `json:"currency"`
	Start         Date          `json:"start"`
	Due           Date          `json:"due"` // the renewal date: start + term
	TermMonths    int           `json:"term_months"`
	Status        RenewalStatus `json:"status"`
	DecidedAt     time.Time     `json:"decided_at,omitzero"`
	Reason        string        `json:"reason,omitempty"` // why it churned
	CreatedAt     time.Time     `json:"created_at"`
}

// ContactRole is a contact's part in the buying decision.
type ContactRole string

// Contact roles.
const (
	RoleDecisionMaker ContactRole = "decision_maker"
	RoleInfluencer    ContactRole = "influencer"
	RoleUser          ContactRole = "user"
)

// Contact is a person at an account.
type Contact struct {
	ID        uint64      `json:"id"`
	AccountID uint64      `json:"account_id"`
	Name      string      `json:"name"`
	Title     string      `json:"title,omitempty"`
	Email     string      `json:"email,omitempty"`
	Phone     string      `json:"phone,omitempty"`
	Role      ContactRole `json:"role,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

// Campaign is a marketing activity that produces leads; its name is the
// leads' source.
type Campaign struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind,omitempty"` // seminar, webinar, white paper, ...
	CreatedAt time.Time `json:"created_at"`
}
