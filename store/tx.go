package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"go.etcd.io/bbolt"

	"github.com/touchbase/touchbase"
)

var _ touchbase.Tx = (*tx)(nil)

// tx implements touchbase.Tx over one bbolt transaction. Every record it
// returns is decoded inside the transaction: no []byte of bbolt's escapes.
type tx struct {
	tx *bbolt.Tx
	// undo is what the Update running on tx has written so far, to take
	// back if it fails (see bucket); empty in a View.
	undo []undo
	// open holds the first buckets the transaction opened, each with a
	// cursor for its lookups: a bbolt Get or Cursor allocates a cursor
	// and grows its stack every time, and a read transaction opens a new
	// *bbolt.Bucket on every Tx.Bucket. Both last as long as the bbolt
	// transaction, which a group commit shares between Updates; rolling
	// one Update back leaves them valid.
	open  [openBuckets]openBucket
	nopen int
}

// openBuckets is how many buckets a tx keeps open: more than a command
// reads or writes. A transaction that opens more (an export) opens the
// rest each time, as bbolt does.
const openBuckets = 12

// openBucket is a bucket the transaction opened, and its cursor for Get
// and for the undo log, made on first use.
type openBucket struct {
	name []byte
	b    *bbolt.Bucket
	c    *bbolt.Cursor
}

// bucket returns the named bucket; Open created them all.
func (tx *tx) bucket(name []byte) bucket {
	for i := range tx.open[:tx.nopen] {
		if o := &tx.open[i]; bytes.Equal(o.name, name) {
			return bucket{Bucket: o.b, tx: tx, open: o}
		}
	}
	b := tx.tx.Bucket(name)
	if b == nil {
		return bucket{tx: tx}
	}
	if tx.tx.Writable() {
		b.FillPercent = fillPercent(name)
	}
	if tx.nopen == len(tx.open) {
		return bucket{Bucket: b, tx: tx}
	}
	o := &tx.open[tx.nopen]
	*o = openBucket{name: name, b: b}
	tx.nopen++
	return bucket{Bucket: b, tx: tx, open: o}
}

// u64 returns v as 8 big-endian bytes, so keys sort in numeric order.
func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// concat returns a new slice holding the parts one after another.
func concat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// idSuffix returns the 8-byte ID that ends an index key.
func idSuffix(k []byte) uint64 { return binary.BigEndian.Uint64(k[len(k)-8:]) }

// strKey returns s 0x00 id: the key of a string index (owner, email), whose
// 0x00 keeps "U1" from matching "U12" in a prefix walk.
func strKey(s string, id uint64) []byte {
	return concat([]byte(s), []byte{0}, u64(id))
}

// ownerDueKey returns owner 0x00 "2006-01-02" id for an open record with an
// owner and a follow-up date, and nil otherwise.
func ownerDueKey(owner string, open bool, due touchbase.Date, id uint64) []byte {
	if owner == "" || !open || due.IsZero() {
		return nil
	}
	return concat([]byte(owner), []byte{0}, []byte(due.String()), u64(id))
}

// walkOwnerDue walks owner's entries of an owner-due index up to day d.
func walkOwnerDue(b bucket, owner string, d touchbase.Date, fn func(k, v []byte) error) error {
	prefix := concat([]byte(owner), []byte{0})
	end := []byte(d.String())
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k[len(prefix):len(k)-8], end) <= 0; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// dateKey returns "2006-01-02" id: date strings sort as days do.
func dateKey(d touchbase.Date, id uint64) []byte {
	return concat([]byte(d.String()), u64(id))
}

// Activity times outside what UnixNano can hold are clamped to its ends.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// timeKey returns the 8-byte key of instant t: its Unix nanoseconds with the
// sign bit flipped, so that big-endian byte order is time order even before
// 1970.
func timeKey(t time.Time) []byte {
	var n int64
	switch {
	case t.Before(minNanoTime):
		n = math.MinInt64
	case t.After(maxNanoTime):
		n = math.MaxInt64
	default:
		n = t.UnixNano()
	}
	return u64(uint64(n) ^ (1 << 63))
}

// dayKey returns the timeKey of the start of day d in UTC.
func dayKey(d touchbase.Date) []byte { return timeKey(d.In(time.UTC)) }

// walkPrefix calls fn for each key of b that starts with prefix, in order.
func walkPrefix(b bucket, prefix []byte, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// assignID gives a new record its ID: when *id is 0 it takes the bucket's
// next sequence; otherwise (an import) it keeps *id, refuses one that exists
// with ECONFLICT, and raises the sequence to it so later creates never collide.
// exists reports whether an ID is taken (for buckets not keyed by ID).
func assignID(b bucket, id *uint64, kind string, exists func(uint64) bool) error {
	if *id == 0 {
		n, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("store: next %s id: %w", kind, err)
		}
		*id = n
		return nil
	}
	if exists(*id) {
		return touchbase.Errorf(touchbase.ECONFLICT, "%s %d already exists", kind, *id)
	}
	if *id > b.Sequence() {
		if err := b.SetSequence(*id); err != nil {
			return fmt.Errorf("store: %s sequence: %w", kind, err)
		}
	}
	return nil
}

// keyExists returns an exists function for a bucket keyed by 8-byte ID.
func keyExists(b bucket) func(uint64) bool {
	return func(id uint64) bool { return b.Get(u64(id)) != nil }
}

// getByID decodes the record id of bucket b into a new T, or returns
// ENOTFOUND naming kind.
func getByID[T any](b bucket, id uint64, kind string, decode func([]byte, *T) error) (*T, error) {
	v := b.Get(u64(id))
	if v == nil {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "%s %d not found", kind, id)
	}
	r := new(T)
	if err := decode(v, r); err != nil {
		return nil, fmt.Errorf("store: decode %s %d: %w", kind, id, err)
	}
	return r, nil
}

// list decodes every record of b, in key order.
func list[T any](b bucket, kind string, decode func([]byte, *T) error) ([]*T, error) {
	var out []*T
	err := b.ForEach(func(k, v []byte) error {
		r := new(T)
		if err := decode(v, r); err != nil {
			return fmt.Errorf("store: decode %s %x: %w", kind, k, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// put encodes r and stores it under key.
func put[T any](b bucket, key []byte, r *T, kind string, encode func(*T) ([]byte, error)) error {
	v, err := encode(r)
	if err != nil {
		return fmt.Errorf("store: encode %s %x: %w", kind, key, err)
	}
	if err := b.Put(key, v); err != nil {
		return fmt.Errorf("store: put %s %x: %w", kind, key, err)
	}
	return nil
}

// entry is one key of a secondary index.
type entry struct {
	bucket []byte
	key    []byte
	value  []byte
}

// reindex moves a record's index entries from old to new: it deletes those
// no longer wanted and writes those new or changed, leaving the rest alone.
func (tx *tx) reindex(old, new []entry) error {
	for _, o := range old {
		if !containsKey(new, o) {
			if err := tx.bucket(o.bucket).Delete(o.key); err != nil {
				return fmt.Errorf("store: index %s: %w", o.bucket, err)
			}
		}
	}
	for _, n := range new {
		if i := indexKey(old, n); i >= 0 && bytes.Equal(old[i].value, n.value) {
			continue
		}
		if err := tx.bucket(n.bucket).Put(n.key, n.value); err != nil {
			return fmt.Errorf("store: index %s: %w", n.bucket, err)
		}
	}
	return nil
}

func containsKey(es []entry, e entry) bool { return indexKey(es, e) >= 0 }

func indexKey(es []entry, e entry) int {
	for i, x := range es {
		if bytes.Equal(x.bucket, e.bucket) && bytes.Equal(x.key, e.key) {
			return i
		}
	}
	return -1
}
