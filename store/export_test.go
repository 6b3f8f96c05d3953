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
)
