package store

import (
	"bytes"
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
	6: {nil, nil},
}

// rewrittenIn lists, for the schema versions that changed how records or
// index keys are written, how DowngradeTo writes them back as the version
// before did.
var rewrittenIn = map[uint64]func(*bbolt.Tx) error{
	6: downgradeV6,
}

// downgradeV6 writes the name index and the activities as version 5 did:
// name keys ending with 8-byte IDs, an entry for a whole name's first word,
// 0 for a word only; activities holding their ID and time.
func downgradeV6(btx *bbolt.Tx) error {
	type kv struct{ k, v []byte }
	var names []kv
	if err := btx.Bucket(namesBucket).ForEach(func(k, v []byte) error {
		w, kind, id, ok := parseNameKey(k)
		if !ok {
			return fmt.Errorf("bad name key %x", k)
		}
		old := []byte{0}
		if bytes.Equal(v, wholeName) {
			old = wholeName
		}
		names = append(names, kv{concat(w, []byte{0, kind}, u64(id)), old})
		if i := bytes.IndexByte(w, ' '); i >= 0 {
			names = append(names, kv{concat(w[:i], []byte{0, kind}, u64(id)), []byte{0}})
		}
		return nil
	}); err != nil {
		return err
	}
	if err := btx.DeleteBucket(namesBucket); err != nil {
		return err
	}
	b, err := btx.CreateBucket(namesBucket)
	if err != nil {
		return err
	}
	for _, e := range names {
		// A first word that is also a whole name keeps its mark.
		if prev := b.Get(e.k); prev != nil && bytes.Equal(prev, wholeName) {
			continue
		}
		if err := b.Put(e.k, e.v); err != nil {
			return err
		}
	}
	var acts []kv
	if err := btx.Bucket(activitiesBucket).ForEach(func(k, v []byte) error {
		a := new(touchbase.Activity)
		if err := decodeActivity(v, a); err != nil {
			return err
		}
		fillFromKey(k, a)
		full, err := encodeActivity(a)
		acts = append(acts, kv{bytes.Clone(k), full})
		return err
	}); err != nil {
		return err
	}
	for _, e := range acts {
		if err := btx.Bucket(activitiesBucket).Put(e.k, e.v); err != nil {
			return err
		}
	}
	return nil
}

// DowngradeTo turns db's file into what schema version v wrote, as a file
// from before version v+1 would be: it drops what the later migrations add
// and records version v. The records of version v are left as they are.
func DowngradeTo(db *DB, v uint64) error {
	return db.db.Update(func(btx *bbolt.Tx) error {
		meta := btx.Bucket(metaBucket)
		for w := schemaVersion; w > v; w-- {
			if rewrite := rewrittenIn[w]; rewrite != nil {
				if err := rewrite(btx); err != nil {
					return fmt.Errorf("downgrade: version %d: %w", w, err)
				}
			}
		}
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
