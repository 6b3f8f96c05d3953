package store

import "go.etcd.io/bbolt"

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
	EncodeLead        = encodeLead
	DecodeLead        = decodeLead
	EncodeOpportunity = encodeOpportunity
	DecodeOpportunity = decodeOpportunity
	EncodeActivity    = encodeActivity
	DecodeActivity    = decodeActivity
	EncodeTeam        = encodeTeam
	DecodeTeam        = decodeTeam
	EncodeMessage     = encodeMessage
	DecodeMessage     = decodeMessage
)

// DowngradeToV1 turns db's file into what schema version 1 wrote, as a file
// from before version 2 would be: it drops what migration 2 adds and records
// version 1. The records of version 1 are left as they are.
func DowngradeToV1(db *DB) error {
	return db.db.Update(func(btx *bbolt.Tx) error {
		for _, name := range [][]byte{claimsBucket, claimsByTimeBucket, outboxBucket, outboxKeysBucket, outboxDueBucket} {
			if err := btx.DeleteBucket(name); err != nil {
				return err
			}
		}
		meta := btx.Bucket(metaBucket)
		if err := meta.Delete(outboxDepthKey); err != nil {
			return err
		}
		return meta.Put(versionKey, u64(1))
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
