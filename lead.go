package touchbase

import "time"

// LeadStatus is where a lead stands in qualification.
type LeadStatus string

// Lead statuses: new → working (being touched) → qualified (BANT met) →
// converted; or nurture (not now: recycled later) or disqualified (with a reason).
const (
	LeadNew          LeadStatus = "new"
	LeadWorking      LeadStatus = "working"
	LeadQualified    LeadStatus = "qualified"
	LeadConverted    LeadStatus = "converted"
	LeadNurture      LeadStatus = "nurture"
	LeadDisqualified LeadStatus = "disqualified"
)

// Open reports whether a lead in status s is still being worked: it gets
// follow-ups and counts touches.
func (s LeadStatus) Open() bool {
	return s == LeadNew || s == LeadWorking || s == LeadQualified
}

// Lead is a prospect not yet qualified: a person at a company.
type Lead struct {
	ID           uint64     `json:"id"`
	Name         string     `json:"name"`
	Company      string     `json:"company"`
	Email        string     `json:"email"`
	Phone        string     `json:"phone,omitempty"`
	Title        string     `json:"title"`
	Source       string     `json:"source"`
	Owner        string     `json:"owner"`
	Status       LeadStatus `json:"status"`
	BANT         BANT       `json:"bant"`
	Touches      int        `json:"touches"`
	LastTouch    time.Time  `json:"last_touch,omitzero"`
	NextFollowUp Date       `json:"next_follow_up"`
	// Reason is why the lead was disqualified or returned.
	Reason string `json:"reason,omitempty"`
	// RecycleOn is when a nurture lead comes back as a reminder.
	RecycleOn Date `json:"recycle_on,omitzero"`
	// QualifiedAt is when BANT last reached the threshold (zero while not
	// qualified); ConvertedAt when it became an opportunity. The digest
	// counts SQLs and conversions by these.
	QualifiedAt time.Time `json:"qualified_at,omitzero"`
	ConvertedAt time.Time `json:"converted_at,omitzero"`
	// Set on conversion.
	AccountID     uint64    `json:"account_id,omitempty"`
	ContactID     uint64    `json:"contact_id,omitempty"`
	OpportunityID uint64    `json:"opportunity_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Label is how a lead is named in answers: "Taro Yamada (Acme KK)".
func (l *Lead) Label() string {
	switch {
	case l.Company == "":
		return l.Name
	case l.Name == "":
		return l.Company
	}
	return l.Name + " (" + l.Company + ")"
}
