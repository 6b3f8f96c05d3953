package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/touchbase/touchbase"
)

// Activity returns the activity id, or ENOTFOUND.
func (tx *tx) Activity(id uint64) (*touchbase.Activity, error) {
	tk := tx.bucket(activityIDsBucket).Get(u64(id))
	if tk == nil {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "activity %d not found", id)
	}
	// The time key, or (in files written before) the whole key.
	key := concat(tk[:8], u64(id))
	v := tx.bucket(activitiesBucket).Get(key)
	if v == nil {
		return nil, fmt.Errorf("store: activity index points at missing activity %d", id)
	}
	a := new(touchbase.Activity)
	if err := decodeActivity(v, a); err != nil {
		return nil, fmt.Errorf("store: decode activity %d: %w", id, err)
	}
	fillFromKey(key, a)
	return a, nil
}

// encodeStoredActivity encodes a as the activities bucket holds it (schema
// version 6 on): without its ID and time, which its key already holds. A
// time the key cannot hold exactly (zero, or outside what UnixNano can
// hold, which the key clamps) stays in the value.
func encodeStoredActivity(a *touchbase.Activity) ([]byte, error) {
	lean := *a
	lean.ID = 0
	if a.At.After(minNanoTime) && a.At.Before(maxNanoTime) {
		lean.At = time.Time{}
	}
	return encodeActivity(&lean)
}

// fillFromKey gives a, decoded from the value under key k of the
// activities bucket, the ID and time that the value leaves to the key.
// Activities written before schema version 6 hold both in their value, and
// they agree with the key.
func fillFromKey(k []byte, a *touchbase.Activity) {
	if a.ID == 0 {
		a.ID = idSuffix(k)
	}
	if a.At.IsZero() {
		if n := int64(binary.BigEndian.Uint64(k[:8]) ^ (1 << 63)); n != math.MinInt64 && n != math.MaxInt64 {
			a.At = time.Unix(0, n).UTC()
		}
	}
}

// CreateActivity stores a new activity and indexes it by lead and by
// opportunity. One with ID 0 gets the next ID; a given ID is kept, and
// ECONFLICT if it is taken.
func (tx *tx) CreateActivity(a *touchbase.Activity) error {
	return tx.CreateActivities([]*touchbase.Activity{a})
}

// CreateActivities stores new activities as CreateActivity does, and
// ECONFLICT, writing none of them, when a given ID is taken or given twice.
// It writes each bucket in key order (see putInOrder).
func (tx *tx) CreateActivities(as []*touchbase.Activity) error {
	b, ids := tx.bucket(activitiesBucket), tx.bucket(activityIDsBucket)
	exists := func(id uint64) bool { return ids.Get(u64(id)) != nil }
	for _, a := range as {
		if err := assignID(b, &a.ID, "activity", exists); err != nil {
			return err
		}
	}
	// One allocation holds every key: bbolt copies the keys it is given,
	// but keeps the values, so a key written as another's value (the ID
	// index) must stay as it is until the transaction ends.
	keys := make([]byte, 0, len(as)*activityKeysSize)
	recs, byID := make([]entry, 0, len(as)), make([]entry, 0, len(as))
	var byLead, byOpp []entry
	for _, a := range as {
		v, err := encodeStoredActivity(a)
		if err != nil {
			return fmt.Errorf("store: encode activity %d: %w", a.ID, err)
		}
		// The key in the activities bucket is the time key of a.At, then
		// the ID, so the bucket is in time order and a time range is one
		// cursor seek.
		keys = append(keys, timeKey(a.At)...)
		keys = binary.BigEndian.AppendUint64(keys, a.ID)
		key := keys[len(keys)-16:]
		recs = append(recs, entry{activitiesBucket, key, v})
		// The ID index holds the time key alone: with the ID it is the
		// activity's key. (Files written before hold the whole key.)
		byID = append(byID, entry{activityIDsBucket, key[8:], key[:8]})
		if a.LeadID != 0 {
			keys = binary.BigEndian.AppendUint64(keys, a.LeadID)
			keys = append(keys, key...)
			byLead = append(byLead, entry{activityLead, keys[len(keys)-24:], nil})
		}
		if a.OpportunityID != 0 {
			keys = binary.BigEndian.AppendUint64(keys, a.OpportunityID)
			keys = append(keys, key...)
			byOpp = append(byOpp, entry{activityOpp, keys[len(keys)-24:], nil})
		}
	}
	if k := repeatedKey(byID); k != nil {
		return touchbase.Errorf(touchbase.ECONFLICT, "activity %d is given twice", idSuffix(k))
	}
	// Every key ends with an activity's ID, which assignID found unused
	// (or took from the sequence) and repeatedKey unique: all are new.
	for _, es := range [][]entry{recs, byID, byLead, byOpp} {
		if err := tx.putInOrder(es, true); err != nil {
			return err
		}
	}
	return nil
}

// activityKeysSize is the most key bytes one activity takes: its time key
// (16; the ID index's key is its last 8), and a lead and an opportunity
// index key (24 each).
const activityKeysSize = 16 + 24 + 24

// Activities calls fn for each activity matching f, oldest first. A lead or
// an opportunity is one walk of its index; otherwise the walk covers the
// bucket between Since and Until. fn must not create activities: the walk
// is still reading them.
func (tx *tx) Activities(f touchbase.ActivityFilter, fn func(*touchbase.Activity) error) error {
	return tx.walkActivities(f, func(k, v []byte) error {
		a := new(touchbase.Activity)
		if err := decodeActivity(v, a); err != nil {
			return fmt.Errorf("store: decode activity %d: %w", idSuffix(k), err)
		}
		fillFromKey(k, a)
		if !matchActivity(a, f) {
			return nil
		}
		return fn(a)
	})
}

// Touches calls fn for each activity matching f, oldest first, as
// Activities does, decoded into one Activity that each call overwrites,
// without its Note and NextStep, and with the owners shared between
// activities: a walk over millions allocates next to nothing.
func (tx *tx) Touches(f touchbase.ActivityFilter, fn func(*touchbase.Activity) error) error {
	a, ns := new(touchbase.Activity), names{}
	return tx.walkActivities(f, func(k, v []byte) error {
		*a = touchbase.Activity{}
		if err := decodeTouch(v, a, ns); err != nil {
			return fmt.Errorf("store: decode activity %d: %w", idSuffix(k), err)
		}
		fillFromKey(k, a)
		if !matchActivity(a, f) {
			return nil
		}
		return fn(a)
	})
}

// walkActivities calls visit with the key and value of each activity that
// f's walk covers: a lead's or an opportunity's index, or the activities
// between Since and Until. visit checks the rest of f.
func (tx *tx) walkActivities(f touchbase.ActivityFilter, visit func(k, v []byte) error) error {
	b := tx.bucket(activitiesBucket)
	var lo, hi []byte
	if !f.Since.IsZero() {
		lo = dayKey(f.Since)
	}
	if !f.Until.IsZero() {
		hi = dayKey(f.Until)
	}
	byIndex := func(k, _ []byte) error {
		key := k[8:]
		v := b.Get(key)
		if v == nil {
			return fmt.Errorf("store: activity index points at missing activity %d", idSuffix(k))
		}
		return visit(key, v)
	}
	switch {
	case f.LeadID != 0:
		return walkTime(tx.bucket(activityLead), u64(f.LeadID), lo, hi, byIndex)
	case f.OpportunityID != 0:
		return walkTime(tx.bucket(activityOpp), u64(f.OpportunityID), lo, hi, byIndex)
	}
	return walkTime(b, nil, lo, hi, visit)
}

// walkTime calls fn for each key of b that is prefix, then a time key at or
// after lo and before hi (nil: unbounded), then anything.
func walkTime(b bucket, prefix, lo, hi []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	n := len(prefix)
	for k, v := c.Seek(concat(prefix, lo)); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if hi != nil && bytes.Compare(k[n:n+8], hi) >= 0 {
			return nil
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// matchActivity reports whether a passes the conditions of f that its walk
// does not already ensure.
func matchActivity(a *touchbase.Activity, f touchbase.ActivityFilter) bool {
	switch {
	case f.Owner != "" && a.Owner != f.Owner:
		return false
	case f.LeadID != 0 && a.LeadID != f.LeadID:
		return false
	case f.OpportunityID != 0 && a.OpportunityID != f.OpportunityID:
		return false
	}
	return true
}
