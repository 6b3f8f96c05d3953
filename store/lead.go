package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/touchbase/touchbase"
)

// Lead returns the lead id, or ENOTFOUND.
func (tx *tx) Lead(id uint64) (*touchbase.Lead, error) {
	return getByID(tx.bucket(leadsBucket), id, "lead", decodeLead)
}

// CreateLead stores a new lead and its index entries. A lead with ID 0 gets
// the next ID; a given ID is kept, and ECONFLICT if it is taken.
func (tx *tx) CreateLead(l *touchbase.Lead) error {
	return tx.CreateLeads([]*touchbase.Lead{l})
}

// CreateLeads stores new leads as CreateLead does, and ECONFLICT, writing
// none of them, when a given ID is taken or given twice. It writes each
// bucket in key order (see putInOrder).
func (tx *tx) CreateLeads(ls []*touchbase.Lead) error {
	return createBatch(tx, leadsBucket, "lead", ls, func(l *touchbase.Lead) *uint64 { return &l.ID }, encodeLead, func(l *touchbase.Lead) []entry { return leadEntries(l, allLeadIndexes) })
}

// UpdateLead replaces a stored lead, or returns ENOTFOUND. Its index entries
// move with it: they are computed from the stored lead and the new one.
func (tx *tx) UpdateLead(l *touchbase.Lead) error {
	b, key := tx.bucket(leadsBucket), u64(l.ID)
	v := b.Get(key)
	if v == nil {
		return touchbase.Errorf(touchbase.ENOTFOUND, "lead %d not found", l.ID)
	}
	old := new(touchbase.Lead)
	if err := decodeLead(v, old); err != nil {
		return fmt.Errorf("store: decode lead %d: %w", l.ID, err)
	}
	nv, err := encodeLead(l)
	if err != nil {
		return fmt.Errorf("store: encode lead %x: %w", key, err)
	}
	if err := b.replace(key, v, nv); err != nil {
		return fmt.Errorf("store: put lead %x: %w", key, err)
	}
	// Only the indexes whose inputs changed move: a touch changes a lead's
	// dates, not its owner, email or names (the costly entries to work out).
	which := leadIndexesChanged(old, l)
	if which == 0 {
		return nil
	}
	return tx.reindex(leadEntries(old, which), leadEntries(l, which))
}

// leadIndexes is a set of a lead's indexes.
type leadIndexes uint8

const (
	byLeadOwner leadIndexes = 1 << iota
	byLeadDue
	byLeadOwnerDue
	byLeadEmail
	byLeadName

	allLeadIndexes = byLeadOwner | byLeadDue | byLeadOwnerDue | byLeadEmail | byLeadName
)

// leadIndexesChanged returns the indexes whose entries for old and for l may
// differ: those made of a field that changed. (A lead keeps its ID.)
func leadIndexesChanged(old, l *touchbase.Lead) leadIndexes {
	var w leadIndexes
	if old.Owner != l.Owner {
		w |= byLeadOwner | byLeadOwnerDue
	}
	if old.Status.Open() != l.Status.Open() || old.NextFollowUp != l.NextFollowUp {
		w |= byLeadDue | byLeadOwnerDue
	}
	if old.Email != l.Email {
		w |= byLeadEmail
	}
	if old.Name != l.Name || old.Company != l.Company {
		w |= byLeadName
	}
	return w
}

// leadEntries returns the index entries of l in the indexes of which.
func leadEntries(l *touchbase.Lead, which leadIndexes) []entry {
	es := make([]entry, 0, 8)
	if which&byLeadOwner != 0 && l.Owner != "" {
		es = append(es, entry{leadOwnerBucket, strKey(l.Owner, l.ID), nil})
	}
	if which&byLeadDue != 0 && l.Status.Open() && !l.NextFollowUp.IsZero() {
		es = append(es, entry{leadDueBucket, dateKey(l.NextFollowUp, l.ID), nil})
	}
	if which&byLeadOwnerDue != 0 {
		if k := ownerDueKey(l.Owner, l.Status.Open(), l.NextFollowUp, l.ID); k != nil {
			es = append(es, entry{leadOwnerDueBucket, k, nil})
		}
	}
	if which&byLeadEmail != 0 {
		if e := emailKey(l.Email); e != "" {
			es = append(es, entry{leadEmailBucket, strKey(e, l.ID), nil})
		}
	}
	if which&byLeadName == 0 {
		return es
	}
	return append(es, nameEntries(kindLead, l.ID, l.Name, l.Company)...)
}

// emailKey returns email as the email index holds it.
func emailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Leads returns the leads matching f, in ID order. It walks the most
// selective index f allows (email, follow-up date, owner) and reads the whole
// bucket only when f names none of them.
func (tx *tx) Leads(f touchbase.LeadFilter) ([]*touchbase.Lead, error) {
	b := tx.bucket(leadsBucket)
	var out []*touchbase.Lead
	keep := func(k, _ []byte) error {
		id := idSuffix(k)
		v := b.Get(u64(id))
		if v == nil {
			return fmt.Errorf("store: lead index points at missing lead %d", id)
		} else if f.Open && !leadOpen(v) {
			return nil
		}
		l := new(touchbase.Lead)
		if err := decodeLead(v, l); err != nil {
			return fmt.Errorf("store: decode lead %d: %w", id, err)
		}
		if matchLead(l, f) {
			out = append(out, l)
		}
		return nil
	}
	var err error
	switch {
	case f.Email != "":
		err = walkPrefix(tx.bucket(leadEmailBucket), strPrefix(emailKey(f.Email)), keep)
	case f.Owner != "" && !f.DueBy.IsZero():
		err = walkOwnerDue(tx.bucket(leadOwnerDueBucket), f.Owner, f.DueBy, keep)
		slices.SortFunc(out, func(a, b *touchbase.Lead) int { return cmp.Compare(a.ID, b.ID) })
	case !f.DueBy.IsZero():
		err = walkDue(tx.bucket(leadDueBucket), f.DueBy, keep)
		slices.SortFunc(out, func(a, b *touchbase.Lead) int { return cmp.Compare(a.ID, b.ID) })
	case f.Owner != "":
		err = walkPrefix(tx.bucket(leadOwnerBucket), strPrefix(f.Owner), keep)
	default:
		err = b.ForEach(func(k, v []byte) error {
			if f.Open && !leadOpen(v) {
				return nil
			}
			l := new(touchbase.Lead)
			if err := decodeLead(v, l); err != nil {
				return fmt.Errorf("store: decode lead %d: %w", idSuffix(k), err)
			}
			if matchLead(l, f) {
				out = append(out, l)
			}
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matchLead reports whether l passes every condition of f.
func matchLead(l *touchbase.Lead, f touchbase.LeadFilter) bool {
	switch {
	case f.Owner != "" && l.Owner != f.Owner:
		return false
	case f.Open && !l.Status.Open():
		return false
	case !f.DueBy.IsZero() && (!l.Status.Open() || l.NextFollowUp.IsZero() || l.NextFollowUp.After(f.DueBy)):
		return false
	case f.Email != "" && emailKey(l.Email) != emailKey(f.Email):
		return false
	}
	return true
}

// strPrefix returns the prefix of every strKey of s.
func strPrefix(s string) []byte { return append([]byte(s), 0) }

// walkDue calls fn for each key of a follow-up index dated on or before d,
// in date order: a cursor walk from the start that stops at the first later
// date.
func walkDue(b bucket, d touchbase.Date, fn func(k, v []byte) error) error {
	end := []byte(d.String())
	c := b.Cursor()
	for k, v := c.First(); k != nil && bytes.Compare(k[:len(k)-8], end) <= 0; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// EachLead calls fn for every lead, in ID order, decoded into one Lead that
// each call overwrites, with the owners and sources shared between leads:
// the walk holds one lead at a time.
func (tx *tx) EachLead(fn func(*touchbase.Lead) error) error {
	l, ns := new(touchbase.Lead), names{}
	return tx.bucket(leadsBucket).ForEach(func(k, v []byte) error {
		*l = touchbase.Lead{}
		if err := decodeLeadNames(v, l, ns); err != nil {
			return fmt.Errorf("store: decode lead %d: %w", idSuffix(k), err)
		}
		return fn(l)
	})
}
