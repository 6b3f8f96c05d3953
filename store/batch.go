package store

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/touchbase/touchbase"
)

// putInOrder writes es sorted by bucket, then key. With fresh, every key
// is one that cannot be in its bucket yet (see bucket.putNew).
//
// bbolt holds the pages a transaction changes as nodes in memory and splits
// them only at commit, so a key put in the middle of a node moves every key
// after it. The records of an import come in ID or time order, but their
// index entries (names, emails, each lead's activities) land all over their
// buckets: 100,000 activities in one transaction took 18 s, 91% of it
// moving memory, and the first 20,000 leads, accounts and opportunities of
// an import 22 s, their name entries all falling in the one node of an
// empty bucket. In key order each put lands just after the one before.
func (tx *tx) putInOrder(es []entry, fresh bool) error {
	sortEntries(es)
	for start := 0; start < len(es); {
		end := start + 1
		for end < len(es) && bytes.Equal(es[end].bucket, es[start].bucket) {
			end++
		}
		b := tx.bucket(es[start].bucket)
		for _, e := range es[start:end] {
			var err error
			if fresh {
				err = b.putNew(e.key, e.value)
			} else {
				err = b.Put(e.key, e.value)
			}
			if err != nil {
				return fmt.Errorf("store: put %s %x: %w", e.bucket, e.key, err)
			}
		}
		start = end
	}
	return nil
}

// sortEntries sorts es by bucket, then key, unless they are in order
// already (the records of an import usually are, by ID or time).
func sortEntries(es []entry) {
	order := func(a, b entry) int {
		return cmp.Or(bytes.Compare(a.bucket, b.bucket), bytes.Compare(a.key, b.key))
	}
	if !slices.IsSortedFunc(es, order) {
		slices.SortFunc(es, order)
	}
}

// repeatedKey sorts es and returns a key that two of them share, or nil.
func repeatedKey(es []entry) []byte {
	sortEntries(es)
	for i := 1; i < len(es); i++ {
		if bytes.Equal(es[i-1].bucket, es[i].bucket) && bytes.Equal(es[i-1].key, es[i].key) {
			return es[i].key
		}
	}
	return nil
}

// createBatch stores new records of one kind, keyed by 8-byte ID in bucket
// b, and their index entries: it gives each record its ID (see assignID),
// encodes it with encode and indexes it with entries, then writes it all in
// key order. A record given twice is ECONFLICT, and then nothing is
// written.
func createBatch[T any](tx *tx, b []byte, kind string, rs []*T, id func(*T) *uint64, encode func(*T) ([]byte, error), entries func(*T) []entry) error {
	bucket := tx.bucket(b)
	for _, r := range rs {
		if err := assignID(bucket, id(r), kind, keyExists(bucket)); err != nil {
			return err
		}
	}
	recs := make([]entry, len(rs))
	var index []entry
	for i, r := range rs {
		v, err := encode(r)
		if err != nil {
			return fmt.Errorf("store: encode %s %d: %w", kind, *id(r), err)
		}
		recs[i] = entry{b, u64(*id(r)), v}
		index = append(index, entries(r)...)
	}
	if k := repeatedKey(recs); k != nil {
		return touchbase.Errorf(touchbase.ECONFLICT, "%s %d is given twice", kind, idSuffix(k))
	}
	if err := tx.putInOrder(recs, false); err != nil {
		return err
	}
	return tx.putInOrder(index, false)
}
