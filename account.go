package touchbase

import "time"

// Account is a company: the basic unit of B2B sales.
type Account struct {
	ID        uint64    `json:"id"`
	Name      string    `json:"name"`
	Owner     string    `json:"owner"`
	Source    string    `json:"source,omitempty"`
	CreatedAt time.Time `json:"created_at"`
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
