package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/touchbase/touchbase"
)

// maxKeyLen is the longest claim or message key the store takes: bbolt's
// key limit less the 8-byte time key the claim index puts before it.
const maxKeyLen = bbolt.MaxKeySize - 8

// Claim records key as claimed at at and reports true, or reports false and
// writes nothing when key was claimed before. An empty or over-long key is
// EINVALID. The claim and its time index entry are written in tx, so a
// rolled-back command leaves the key unclaimed and its retry is applied.
func (tx *tx) Claim(key string, at time.Time) (bool, error) {
	if key == "" || len(key) > maxKeyLen {
		return false, touchbase.Errorf(touchbase.EINVALID, "a claim needs a key of 1 to %d bytes", maxKeyLen)
	}
	b := tx.bucket(claimsBucket)
	if b.Get([]byte(key)) != nil {
		return false, nil
	}
	tk := timeKey(at)
	if err := b.Put([]byte(key), tk); err != nil {
		return false, fmt.Errorf("store: put claim %q: %w", key, err)
	}
	if err := tx.bucket(claimsByTimeBucket).Put(concat(tk, []byte(key)), nil); err != nil {
		return false, fmt.Errorf("store: index claim %q: %w", key, err)
	}
	return true, nil
}

// pruneBatch is how many claims one PruneClaims transaction deletes at most,
// so that pruning a large backlog never holds the writer for long.
const pruneBatch = 1000

// PruneClaims deletes the claims made before before and returns how many it
// deleted. It walks the claim time index from its start, so it reads only
// what it deletes, and it commits every pruneBatch claims: a cancelled
// context stops it between batches, keeping what was pruned so far (a
// claim's key, once forgotten, is simply claimable again).
func (db *DB) PruneClaims(ctx context.Context, before time.Time) (int, error) {
	if db.db == nil {
		return 0, errors.New("store: prune claims: database not open")
	}
	end := timeKey(before)
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n := 0
		err := func() error {
			btx, err := db.db.Begin(true)
			if err != nil {
				return err
			}
			claims, index := btx.Bucket(claimsBucket), btx.Bucket(claimsByTimeBucket)
			c := index.Cursor()
			// Seek to the first key after each delete rather than calling
			// Next: a cursor's position after Delete is not one to rely on.
			for k, _ := c.First(); k != nil && n < pruneBatch && bytes.Compare(k[:8], end) < 0; k, _ = c.First() {
				k = bytes.Clone(k)
				if err := claims.Delete(k[8:]); err != nil {
					_ = btx.Rollback()
					return err
				}
				if err := index.Delete(k); err != nil {
					_ = btx.Rollback()
					return err
				}
				n++
			}
			if n == 0 {
				return btx.Rollback() // nothing to prune: no commit, no fsync
			}
			return btx.Commit()
		}()
		if err != nil {
			return total, fmt.Errorf("store: prune claims: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
