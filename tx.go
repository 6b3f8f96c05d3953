package touchbase

import "time"

// Tx is one transaction on the store: everything a command reads and writes
// happens in one Tx, so a command is applied whole or not at all. Methods
// that look one record up return an ENOTFOUND error when it does not exist,
// never a nil record; any other failure is EINTERNAL. Create methods assign
// the next ID when the record's ID is 0 and keep a given ID (import)
// otherwise. Lists come in ID order.
type Tx interface {
	Rep(id string) (*Rep, error)
	PutRep(r *Rep) error
	Reps() ([]*Rep, error)

	// Conversation returns the conversation that reaches key (ENOTFOUND
	// when none was seen); PutConversation keeps the latest one per key.
	Conversation(key string) (*Conversation, error)
	PutConversation(c *Conversation) error

	Team(name string) (*Team, error) // by name, forgivingly (see NameKey)
	PutTeam(t *Team) error
	Teams() ([]*Team, error)

	Lead(id uint64) (*Lead, error)
	CreateLead(l *Lead) error
	// CreateLeads stores many new leads at once, as many CreateLead calls
	// would but much faster (an import): ECONFLICT, and none of them
	// stored, when a given ID is taken or given twice.
	CreateLeads(ls []*Lead) error
	UpdateLead(l *Lead) error
	Leads(f LeadFilter) ([]*Lead, error)
	// EachLead calls fn for every lead, in ID order, decoded into one *Lead
	// that each call overwrites, so that a walk over every lead holds one
	// at a time: fn may keep the strings it reads, never the *Lead. An
	// error from fn stops the walk and is returned.
	EachLead(fn func(*Lead) error) error

	Opportunity(id uint64) (*Opportunity, error)
	CreateOpportunity(o *Opportunity) error
	// CreateOpportunities is CreateLeads for opportunities.
	CreateOpportunities(os []*Opportunity) error
	UpdateOpportunity(o *Opportunity) error
	Opportunities(f OpportunityFilter) ([]*Opportunity, error)
	// EachOpportunity is EachLead for opportunities: the *Opportunity and
	// its History are overwritten by each call.
	EachOpportunity(fn func(*Opportunity) error) error

	Account(id uint64) (*Account, error)
	CreateAccount(a *Account) error
	// CreateAccounts is CreateLeads for accounts.
	CreateAccounts(as []*Account) error
	UpdateAccount(a *Account) error
	Accounts() ([]*Account, error)

	Contact(id uint64) (*Contact, error)
	CreateContact(c *Contact) error
	Contacts() ([]*Contact, error)

	Campaign(name string) (*Campaign, error) // by name, forgivingly
	CreateCampaign(c *Campaign) error
	Campaigns() ([]*Campaign, error)

	Activity(id uint64) (*Activity, error)
	CreateActivity(a *Activity) error
	// CreateActivities is CreateLeads for activities.
	CreateActivities(as []*Activity) error
	// Activities calls fn for each activity matching f, oldest first; an
	// error from fn stops the walk and is returned.
	Activities(f ActivityFilter, fn func(*Activity) error) error
	// Touches is Activities for walks that count activities and keep none:
	// each is decoded into one *Activity that the next call overwrites,
	// and its Note and NextStep are left empty.
	Touches(f ActivityFilter, fn func(*Activity) error) error

	Renewal(id uint64) (*Renewal, error)
	CreateRenewal(r *Renewal) error
	UpdateRenewal(r *Renewal) error
	Renewals(f RenewalFilter) ([]*Renewal, error)

	CreateHandoff(h *Handoff) error
	Handoffs() ([]*Handoff, error)

	// Claim records that the delivery named key (a Slack event id, a button
	// press) is being applied, and reports false when it was claimed
	// before. Claimed in the same transaction as the change, a retried
	// delivery is applied once. Keys older than the store's retention
	// (a week) may be forgotten.
	Claim(key string, at time.Time) (bool, error)

	// Enqueue adds m to the outbox with the next ID, unless a message with
	// the same Key is there already: then it reports false and adds nothing.
	Enqueue(m *Message) (bool, error)
	// DueMessages returns up to limit messages not sent, not failed, and
	// whose NextAttempt is at or before now, oldest first.
	DueMessages(now time.Time, limit int) ([]*Message, error)
	// MessageByKey returns the message enqueued under key, sent or not
	// (ENOTFOUND when none was).
	MessageByKey(key string) (*Message, error)
	// UpdateMessage records a delivery attempt (ENOTFOUND when missing).
	UpdateMessage(m *Message) error
	// OutboxDepth counts the messages not sent and not failed.
	OutboxDepth() (int, error)

	// Search returns the records whose name, company or account name
	// matches query (see NameKey): exact key matches first, then prefixes of
	// the whole name or of one of its words. At most limit, each once.
	Search(query string, limit int) ([]Ref, error)
	// SearchKey is Search for a query already made its NameKey, so that a
	// caller that knows the query before its transaction can work the key
	// out outside it.
	SearchKey(key string, limit int) ([]Ref, error)
}

// RefKind names the kind of record a Ref points at.
type RefKind string

// Record kinds that names resolve to.
const (
	RefLead        RefKind = "lead"
	RefOpportunity RefKind = "opp"
	RefAccount     RefKind = "account"
)

// Ref points at one record.
type Ref struct {
	Kind  RefKind
	ID    uint64
	Exact bool // the query matched the whole name, not a prefix
}

// LeadFilter selects leads; the zero value selects all.
type LeadFilter struct {
	Owner string // only this owner's
	Open  bool   // only new, working and qualified leads
	DueBy Date   // only open leads whose next follow-up is on or before this day (uses the follow-up index)
	Email string // only leads with this email (case-insensitive; uses the email index)
}

// OpportunityFilter selects opportunities; the zero value selects all.
type OpportunityFilter struct {
	Owner     string
	Open      bool
	DueBy     Date
	AccountID uint64
}

// ActivityFilter selects activities; the zero value selects all.
type ActivityFilter struct {
	LeadID        uint64
	OpportunityID uint64
	Owner         string
	Since, Until  Date // at or after Since, before Until (UTC days); zero = unbounded
}

// RenewalFilter selects renewals; the zero value selects all.
type RenewalFilter struct {
	AccountID uint64
	Owner     string
	Pending   bool // only renewals not decided yet
	DueBy     Date // only pending renewals due on or before this day (uses the due index)
}
