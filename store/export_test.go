package store

import (
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/touchbase/touchbase"
)

// SchemaVersion is the schema version this code writes.
var SchemaVersion = schemaVersion

// StoredSchemaVersion returns the schema version recorded in db's file.
func StoredSchemaVersion(db *DB) (uint64, error) {
	var v uint64
	err := db.db.View(func(btx *bbolt.Tx) error {
		v = idSuffix(btx.Bucket(metaBucket).Get(versionKey))
		return nil
	})
	return v, err
}

// SetStoredSchemaVersion records v as db's schema version, as a newer
// program would.
func SetStoredSchemaVersion(db *DB, v uint64) error {
	return db.db.Update(func(btx *bbolt.Tx) error {
		return btx.Bucket(metaBucket).Put(versionKey, u64(v))
	})
}

// The record codecs, for fuzzing.
var (
	EncodeLead         = encodeLead
	DecodeLead         = decodeLead
	EncodeOpportunity  = encodeOpportunity
	DecodeOpportunity  = decodeOpportunity
	EncodeActivity     = encodeActivity
	DecodeActivity     = decodeActivity
	EncodeTeam         = encodeTeam
	DecodeTeam         = decodeTeam
	EncodeMessage      = encodeMessage
	DecodeMessage      = decodeMessage
	EncodeRenewal      = encodeRenewal
	DecodeRenewal      = decodeRenewal
	EncodeConversation = encodeConversation
	DecodeConversation = decodeConversation
)

// DecodeTouch decodes an activity as Tx.Touches does, with a walk's shared
// owners.
func DecodeTouch(b []byte, a *touchbase.Activity) error { return decodeTouch(b, a, names{}) }

// addedIn lists, for each schema version from 2 on, the buckets and meta
// keys its migration adds.
var addedIn = map[uint64]struct{ buckets, metaKeys [][]byte }{
	2: {[][]byte{claimsBucket, claimsByTimeBucket, outboxBucket, outboxKeysBucket, outboxDueBucket}, [][]byte{outboxDepthKey}},
	3: {[][]byte{renewalsBucket, renewalAccountBucket, renewalOwnerBucket, renewalDueBucket}, nil},
	4: {[][]byte{conversationsBucket}, nil},
	5: {[][]byte{leadOwnerDueBucket, oppOwnerDueBucket}, nil},
}

// DowngradeTo turns db's file into what schema version v wrote, as a file
// from before version v+1 would be: it drops what the later migrations add
// and records version v. The records of version v are left as they are.
func DowngradeTo(db *DB, v uint64) error {
	return db.db.Update(func(btx *bbolt.Tx) error {
		meta := btx.Bucket(metaBucket)
		for w := v + 1; w <= schemaVersion; w++ {
			added, ok := addedIn[w]
			if !ok {
				return fmt.Errorf("downgrade: say what version %d adds", w)
			}
			for _, name := range added.buckets {
				if err := btx.DeleteBucket(name); err != nil {
					return fmt.Errorf("downgrade: bucket %s: %w", name, err)
				}
			}
			for _, k := range added.metaKeys {
				if err := meta.Delete(k); err != nil {
					return err
				}
			}
		}
		return meta.Put(versionKey, u64(v))
	})
}

// BucketNames returns the names of db's top-level buckets, in order.
func BucketNames(db *DB) ([]string, error) {
	var names []string
	err := db.db.View(func(btx *bbolt.Tx) error {
		return btx.ForEach(func(name []byte, _ *bbolt.Bucket) error {
			names = append(names, string(name))
			return nil
		})
	})
	return names, err
}

// Dump returns every key and value of db's file, bucket by bucket, in
// order, as text: two files that dump the same hold the same data.
func Dump(db *DB) (string, error) {
	var b strings.Builder
	err := db.db.View(func(btx *bbolt.Tx) error {
		return btx.ForEach(func(name []byte, bk *bbolt.Bucket) error {
			fmt.Fprintf(&b, "%s (sequence %d)\n", name, bk.Sequence())
			return bk.ForEach(func(k, v []byte) error {
				fmt.Fprintf(&b, "  %x = %x\n", k, v)
				return nil
			})
		})
	})
	return b.String(), err
}

// Waiting returns how many Updates wait for the committer.
func Waiting(db *DB) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.queue)
}

// Closing reports whether Close has begun on db.
func Closing(db *DB) bool {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.closing
}
