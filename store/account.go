package store

import (
	"fmt"

	"github.com/touchbase/touchbase"
)

// Account returns the account id, or ENOTFOUND.
func (tx *tx) Account(id uint64) (*touchbase.Account, error) {
	return getByID(tx.bucket(accountsBucket), id, "account", decodeAccount)
}

// CreateAccount stores a new account and indexes its name. One with ID 0
// gets the next ID; a given ID is kept, and ECONFLICT if it is taken. When an
// import brings opportunities before their account, they are indexed under
// the account's name now.
func (tx *tx) CreateAccount(a *touchbase.Account) error {
	return tx.CreateAccounts([]*touchbase.Account{a})
}

// CreateAccounts stores new accounts as CreateAccount does, and ECONFLICT,
// writing none of them, when a given ID is taken or given twice. It writes
// each bucket in key order (see putInOrder).
func (tx *tx) CreateAccounts(as []*touchbase.Account) error {
	err := createBatch(tx, accountsBucket, "account", as, func(a *touchbase.Account) *uint64 { return &a.ID }, encodeAccount, func(a *touchbase.Account) []entry {
		return nameEntries(kindAccount, a.ID, a.Name)
	})
	if err != nil {
		return err
	}
	for _, a := range as {
		err := walkPrefix(tx.bucket(oppAccountBucket), u64(a.ID), func(k, _ []byte) error {
			return tx.reindex(nil, nameEntries(kindOpportunity, idSuffix(k), a.Name))
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateAccount stores a changed account (ENOTFOUND when missing). A new
// name moves the account's name entries, and those of its opportunities,
// which are found by their account's name too.
func (tx *tx) UpdateAccount(a *touchbase.Account) error {
	old, err := tx.Account(a.ID)
	if err != nil {
		return err
	}
	if err := put(tx.bucket(accountsBucket), u64(a.ID), a, "account", encodeAccount); err != nil {
		return err
	}
	if old.Name == a.Name {
		return nil
	}
	if err := tx.reindex(nameEntries(kindAccount, a.ID, old.Name), nameEntries(kindAccount, a.ID, a.Name)); err != nil {
		return err
	}
	return walkPrefix(tx.bucket(oppAccountBucket), u64(a.ID), func(k, _ []byte) error {
		o, err := tx.Opportunity(idSuffix(k))
		if err != nil {
			return err
		}
		return tx.reindex(nameEntries(kindOpportunity, o.ID, o.Name, old.Name), nameEntries(kindOpportunity, o.ID, o.Name, a.Name))
	})
}

// Accounts returns every account in ID order.
func (tx *tx) Accounts() ([]*touchbase.Account, error) {
	return list(tx.bucket(accountsBucket), "account", decodeAccount)
}

// accountName returns the name of account id, or "" if there is none.
func (tx *tx) accountName(id uint64) string {
	if id == 0 {
		return ""
	}
	a, err := tx.Account(id)
	if err != nil {
		return ""
	}
	return a.Name
}

// Contact returns the contact id, or ENOTFOUND.
func (tx *tx) Contact(id uint64) (*touchbase.Contact, error) {
	return getByID(tx.bucket(contactsBucket), id, "contact", decodeContact)
}

// CreateContact stores a new contact. One with ID 0 gets the next ID; a given
// ID is kept, and ECONFLICT if it is taken.
func (tx *tx) CreateContact(c *touchbase.Contact) error {
	b := tx.bucket(contactsBucket)
	if err := assignID(b, &c.ID, "contact", keyExists(b)); err != nil {
		return err
	}
	return put(b, u64(c.ID), c, "contact", encodeContact)
}

// Contacts returns every contact in ID order.
func (tx *tx) Contacts() ([]*touchbase.Contact, error) {
	return list(tx.bucket(contactsBucket), "contact", decodeContact)
}

// Campaign returns the campaign whose name has the NameKey of name, or
// ENOTFOUND.
func (tx *tx) Campaign(name string) (*touchbase.Campaign, error) {
	v := tx.bucket(campaignNamesBucket).Get([]byte(touchbase.NameKey(name)))
	if v == nil {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "campaign %q not found", name)
	}
	id := idSuffix(v)
	c, err := tx.campaignByID(id)
	if err != nil {
		return nil, fmt.Errorf("store: campaign %q: %w", name, err)
	}
	return c, nil
}

func (tx *tx) campaignByID(id uint64) (*touchbase.Campaign, error) {
	return getByID(tx.bucket(campaignsBucket), id, "campaign", decodeCampaign)
}

// CreateCampaign stores a new campaign. Its name must have a NameKey no other
// campaign has (ECONFLICT), since names are how reps and leads refer to it.
func (tx *tx) CreateCampaign(c *touchbase.Campaign) error {
	key := []byte(touchbase.NameKey(c.Name))
	if len(key) == 0 {
		return touchbase.Errorf(touchbase.EINVALID, "a campaign needs a name")
	}
	names := tx.bucket(campaignNamesBucket)
	if v := names.Get(key); v != nil {
		return touchbase.Errorf(touchbase.ECONFLICT, "campaign %q already exists", c.Name)
	}
	b := tx.bucket(campaignsBucket)
	if err := assignID(b, &c.ID, "campaign", keyExists(b)); err != nil {
		return err
	}
	if err := put(b, u64(c.ID), c, "campaign", encodeCampaign); err != nil {
		return err
	}
	if err := names.Put(key, u64(c.ID)); err != nil {
		return fmt.Errorf("store: index campaign %d: %w", c.ID, err)
	}
	return nil
}

// Campaigns returns every campaign in ID order.
func (tx *tx) Campaigns() ([]*touchbase.Campaign, error) {
	return list(tx.bucket(campaignsBucket), "campaign", decodeCampaign)
}
