package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// bucket is a bbolt bucket seen through one Update of the store. Its writes
// go through the Update's undo log, so that one Update of a group commit can
// be taken back while the others of the same bbolt transaction stay (see
// DB.Update). Reads are bbolt's own.
//
// Every write of the store goes through a bucket: no code of this package
// calls Put, Delete, NextSequence or SetSequence on a *bbolt.Bucket inside
// an Update (TestWritesGoThroughUndoLog holds the package to it).
type bucket struct {
	*bbolt.Bucket
	tx   *tx
	open *openBucket // nil when tx keeps no more buckets open
}

// cursor returns the bucket's cursor for lookups that complete before they
// return (Get, the undo log), which seek it afresh each time; walks take a
// Cursor of their own.
func (b bucket) cursor() *bbolt.Cursor {
	if b.open == nil {
		return b.Bucket.Cursor()
	}
	if b.open.c == nil {
		b.open.c = b.Bucket.Cursor()
	}
	return b.open.c
}

// Get returns the value of key, or nil when key is missing, as bbolt's Get
// does, through the bucket's one cursor.
func (b bucket) Get(key []byte) []byte {
	k, v := b.cursor().Seek(key)
	if !bytes.Equal(k, key) {
		return nil
	}
	return v
}

// undo is one step back: the value a key had (or that it had none) or the
// sequence a bucket had, before a write of the Update changed it.
type undo struct {
	b      *bbolt.Bucket
	seq    bool // the step is the bucket's sequence, not a key
	key    []byte
	had    bool // key was present, holding old
	old    []byte
	oldSeq uint64
}

// Put writes key → value, remembering what key held before.
func (b bucket) Put(key, value []byte) error {
	b.remember(key)
	return b.Bucket.Put(key, value)
}

// replace writes key → value over old, the value key holds now (read by
// the caller since the Update's last write to b): the undo log keeps old
// without looking key up again.
func (b bucket) replace(key, old, value []byte) error {
	b.tx.undo = append(b.tx.undo, undo{b: b.Bucket, key: bytes.Clone(key), had: true, old: bytes.Clone(old)})
	return b.Bucket.Put(key, value)
}

// putNew writes key → value for a key that cannot be in b yet (it ends
// with the ID of a record being created): the undo log takes it back by
// deleting key, without looking it up first.
func (b bucket) putNew(key, value []byte) error {
	b.tx.undo = append(b.tx.undo, undo{b: b.Bucket, key: bytes.Clone(key)})
	return b.Bucket.Put(key, value)
}

// Delete removes key, remembering what it held.
func (b bucket) Delete(key []byte) error {
	b.remember(key)
	return b.Bucket.Delete(key)
}

// NextSequence advances the bucket's sequence, remembering where it was.
func (b bucket) NextSequence() (uint64, error) {
	b.tx.rememberSequence(b.Bucket)
	return b.Bucket.NextSequence()
}

// SetSequence sets the bucket's sequence, remembering where it was.
func (b bucket) SetSequence(v uint64) error {
	b.tx.rememberSequence(b.Bucket)
	return b.Bucket.SetSequence(v)
}

// remember adds to the undo log what key holds before a write.
func (b bucket) remember(key []byte) {
	// Presence is asked of a cursor: Get cannot tell a key holding an
	// empty value (every index entry) from a missing one. bbolt's slices
	// are valid only until the next write, so the step keeps copies.
	k, v := b.cursor().Seek(key)
	had := k != nil && bytes.Equal(k, key)
	u := undo{b: b.Bucket, key: bytes.Clone(key), had: had}
	if had {
		u.old = bytes.Clone(v)
	}
	b.tx.undo = append(b.tx.undo, u)
}

func (tx *tx) rememberSequence(b *bbolt.Bucket) {
	tx.undo = append(tx.undo, undo{b: b, seq: true, oldSeq: b.Sequence()})
}

// rollback takes back every write remembered, newest first, leaving the
// bbolt transaction as it was when the Update began.
func (tx *tx) rollback() error {
	for i := len(tx.undo) - 1; i >= 0; i-- {
		u := tx.undo[i]
		var err error
		switch {
		case u.seq:
			err = u.b.SetSequence(u.oldSeq)
		case u.had:
			err = u.b.Put(u.key, u.old)
		default:
			err = u.b.Delete(u.key)
		}
		if err != nil {
			return fmt.Errorf("store: take back a write: %w", err)
		}
	}
	tx.undo = tx.undo[:0]
	return nil
}
