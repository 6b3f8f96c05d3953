package store

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/touchbase/touchbase"
)

// Opportunity returns the opportunity id, or ENOTFOUND.
func (tx *tx) Opportunity(id uint64) (*touchbase.Opportunity, error) {
	return getByID(tx.bucket(oppsBucket), id, "opportunity", decodeOpportunity)
}

// CreateOpportunity stores a new opportunity and its index entries. One with
// ID 0 gets the next ID; a given ID is kept, and ECONFLICT if it is taken.
func (tx *tx) CreateOpportunity(o *touchbase.Opportunity) error {
	return tx.CreateOpportunities([]*touchbase.Opportunity{o})
}

// CreateOpportunities stores new opportunities as CreateOpportunity does,
// and ECONFLICT, writing none of them, when a given ID is taken or given
// twice. It writes each bucket in key order (see putInOrder).
func (tx *tx) CreateOpportunities(os []*touchbase.Opportunity) error {
	return createBatch(tx, oppsBucket, "opportunity", os, func(o *touchbase.Opportunity) *uint64 { return &o.ID }, encodeOpportunity, func(o *touchbase.Opportunity) []entry { return tx.opportunityEntries(o, true) })
}

// UpdateOpportunity replaces a stored opportunity, or returns ENOTFOUND. Its
// index entries move with it.
func (tx *tx) UpdateOpportunity(o *touchbase.Opportunity) error {
	old, err := tx.Opportunity(o.ID)
	if err != nil {
		return err
	}
	if err := put(tx.bucket(oppsBucket), u64(o.ID), o, "opportunity", encodeOpportunity); err != nil {
		return err
	}
	// The name words move only when the name or the account does.
	names := old.Name != o.Name || old.AccountID != o.AccountID
	return tx.reindex(tx.opportunityEntries(old, names), tx.opportunityEntries(o, names))
}

// opportunityEntries returns the index entries of o, with those of its names
// or without. Its names are its own and its account's, so "/log call Acme"
// finds Acme's deals.
func (tx *tx) opportunityEntries(o *touchbase.Opportunity, names bool) []entry {
	es := make([]entry, 0, 8)
	if o.Owner != "" {
		es = append(es, entry{oppOwnerBucket, strKey(o.Owner, o.ID), nil})
	}
	if o.Open() && !o.NextFollowUp.IsZero() {
		es = append(es, entry{oppDueBucket, dateKey(o.NextFollowUp, o.ID), nil})
	}
	if k := ownerDueKey(o.Owner, o.Open(), o.NextFollowUp, o.ID); k != nil {
		es = append(es, entry{oppOwnerDueBucket, k, nil})
	}
	if o.AccountID != 0 {
		es = append(es, entry{oppAccountBucket, concat(u64(o.AccountID), u64(o.ID)), nil})
	}
	if !names {
		return es
	}
	return append(es, nameEntries(kindOpportunity, o.ID, o.Name, tx.accountName(o.AccountID))...)
}

// Opportunities returns the opportunities matching f, in ID order. It walks
// the most selective index f allows (account, follow-up date, owner) and reads
// the whole bucket only when f names none of them; then it skips closed
// opportunities before decoding them when f asks for open ones.
func (tx *tx) Opportunities(f touchbase.OpportunityFilter) ([]*touchbase.Opportunity, error) {
	b := tx.bucket(oppsBucket)
	var out []*touchbase.Opportunity
	keep := func(id uint64, v []byte) error {
		if f.Open && !opportunityOpen(v) {
			return nil
		}
		o := new(touchbase.Opportunity)
		if err := decodeOpportunity(v, o); err != nil {
			return fmt.Errorf("store: decode opportunity %d: %w", id, err)
		}
		if matchOpportunity(o, f) {
			out = append(out, o)
		}
		return nil
	}
	byIndex := func(k, _ []byte) error {
		id := idSuffix(k)
		v := b.Get(u64(id))
		if v == nil {
			return fmt.Errorf("store: opportunity index points at missing opportunity %d", id)
		}
		return keep(id, v)
	}
	var err error
	switch {
	case f.AccountID != 0:
		err = walkPrefix(tx.bucket(oppAccountBucket), u64(f.AccountID), byIndex)
	case f.Owner != "" && !f.DueBy.IsZero():
		err = walkOwnerDue(tx.bucket(oppOwnerDueBucket), f.Owner, f.DueBy, byIndex)
		slices.SortFunc(out, func(a, b *touchbase.Opportunity) int { return cmp.Compare(a.ID, b.ID) })
	case !f.DueBy.IsZero():
		err = walkDue(tx.bucket(oppDueBucket), f.DueBy, byIndex)
		slices.SortFunc(out, func(a, b *touchbase.Opportunity) int { return cmp.Compare(a.ID, b.ID) })
	case f.Owner != "":
		err = walkPrefix(tx.bucket(oppOwnerBucket), strPrefix(f.Owner), byIndex)
	default:
		err = b.ForEach(func(k, v []byte) error { return keep(idSuffix(k), v) })
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matchOpportunity reports whether o passes every condition of f.
func matchOpportunity(o *touchbase.Opportunity, f touchbase.OpportunityFilter) bool {
	switch {
	case f.Owner != "" && o.Owner != f.Owner:
		return false
	case f.Open && !o.Open():
		return false
	case !f.DueBy.IsZero() && (!o.Open() || o.NextFollowUp.IsZero() || o.NextFollowUp.After(f.DueBy)):
		return false
	case f.AccountID != 0 && o.AccountID != f.AccountID:
		return false
	}
	return true
}

// EachOpportunity calls fn for every opportunity, in ID order, decoded into
// one Opportunity (and one History) that each call overwrites, with the
// owners and sources shared between opportunities.
func (tx *tx) EachOpportunity(fn func(*touchbase.Opportunity) error) error {
	o, ns := new(touchbase.Opportunity), names{}
	hist := make([]touchbase.StageChange, 0, 16)
	return tx.bucket(oppsBucket).ForEach(func(k, v []byte) error {
		*o = touchbase.Opportunity{History: hist[:0]}
		if err := decodeOpportunityNames(v, o, ns); err != nil {
			return fmt.Errorf("store: decode opportunity %d: %w", idSuffix(k), err)
		}
		if len(o.History) > 0 {
			hist = o.History // keep what it grew to
		} else {
			o.History = nil // as a new record has it
		}
		return fn(o)
	})
}
