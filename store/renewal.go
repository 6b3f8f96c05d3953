package store

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/touchbase/touchbase"
)

// Renewal returns the renewal id, or ENOTFOUND.
func (tx *tx) Renewal(id uint64) (*touchbase.Renewal, error) {
	return getByID(tx.bucket(renewalsBucket), id, "renewal", decodeRenewal)
}

// CreateRenewal stores a new renewal and its index entries. A renewal
// belongs to an account: one without an AccountID is EINVALID. The account
// need not exist yet, so that an import may bring renewals before accounts.
// One with ID 0 gets the next ID; a given ID is kept, and ECONFLICT if it is
// taken.
func (tx *tx) CreateRenewal(r *touchbase.Renewal) error {
	if r.AccountID == 0 {
		return touchbase.Errorf(touchbase.EINVALID, "a renewal needs an account")
	}
	b := tx.bucket(renewalsBucket)
	if err := assignID(b, &r.ID, "renewal", keyExists(b)); err != nil {
		return err
	}
	if err := put(b, u64(r.ID), r, "renewal", encodeRenewal); err != nil {
		return err
	}
	return tx.reindex(nil, renewalEntries(r))
}

// UpdateRenewal replaces a stored renewal, or returns ENOTFOUND; taking its
// account away is EINVALID. Its index entries move with it: a renewal
// decided (renewed or churned) leaves the due index, and a new due date or
// owner moves its entries.
func (tx *tx) UpdateRenewal(r *touchbase.Renewal) error {
	old, err := tx.Renewal(r.ID)
	if err != nil {
		return err
	}
	if r.AccountID == 0 {
		return touchbase.Errorf(touchbase.EINVALID, "renewal %d needs an account", r.ID)
	}
	if err := put(tx.bucket(renewalsBucket), u64(r.ID), r, "renewal", encodeRenewal); err != nil {
		return err
	}
	return tx.reindex(renewalEntries(old), renewalEntries(r))
}

// renewalEntries returns the index entries of r.
func renewalEntries(r *touchbase.Renewal) []entry {
	es := make([]entry, 0, 3)
	if r.AccountID != 0 {
		es = append(es, entry{renewalAccountBucket, concat(u64(r.AccountID), u64(r.ID)), nil})
	}
	if r.Owner != "" {
		es = append(es, entry{renewalOwnerBucket, strKey(r.Owner, r.ID), nil})
	}
	if r.Status == touchbase.RenewalPending && !r.Due.IsZero() {
		es = append(es, entry{renewalDueBucket, dateKey(r.Due, r.ID), nil})
	}
	return es
}

// Renewals returns the renewals matching f, in ID order. It walks the most
// selective index f allows (account, due date, owner) and reads the whole
// bucket only when f names none of them; then it skips decided renewals
// before decoding them when f asks for pending ones.
func (tx *tx) Renewals(f touchbase.RenewalFilter) ([]*touchbase.Renewal, error) {
	b := tx.bucket(renewalsBucket)
	pendingOnly := f.Pending || !f.DueBy.IsZero()
	var out []*touchbase.Renewal
	keep := func(id uint64, v []byte) error {
		if pendingOnly && !renewalPending(v) {
			return nil
		}
		r := new(touchbase.Renewal)
		if err := decodeRenewal(v, r); err != nil {
			return fmt.Errorf("store: decode renewal %d: %w", id, err)
		}
		if matchRenewal(r, f) {
			out = append(out, r)
		}
		return nil
	}
	byIndex := func(k, _ []byte) error {
		id := idSuffix(k)
		v := b.Get(u64(id))
		if v == nil {
			return fmt.Errorf("store: renewal index points at missing renewal %d", id)
		}
		return keep(id, v)
	}
	var err error
	switch {
	case f.AccountID != 0:
		err = walkPrefix(tx.bucket(renewalAccountBucket), u64(f.AccountID), byIndex)
	case !f.DueBy.IsZero():
		err = walkDue(tx.bucket(renewalDueBucket), f.DueBy, byIndex)
		slices.SortFunc(out, func(a, b *touchbase.Renewal) int { return cmp.Compare(a.ID, b.ID) })
	case f.Owner != "":
		err = walkPrefix(tx.bucket(renewalOwnerBucket), strPrefix(f.Owner), byIndex)
	default:
		err = b.ForEach(func(k, v []byte) error { return keep(idSuffix(k), v) })
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matchRenewal reports whether r passes every condition of f.
func matchRenewal(r *touchbase.Renewal, f touchbase.RenewalFilter) bool {
	pending := r.Status == touchbase.RenewalPending
	switch {
	case f.AccountID != 0 && r.AccountID != f.AccountID:
		return false
	case f.Owner != "" && r.Owner != f.Owner:
		return false
	case f.Pending && !pending:
		return false
	case !f.DueBy.IsZero() && (!pending || r.Due.IsZero() || r.Due.After(f.DueBy)):
		return false
	}
	return true
}
