// Package store persists the touchbase domain in a bbolt file.
//
// A DB is one bbolt file, opened by one process at a time (bbolt holds a file
// lock; a second process waits a second and gives up). Every command runs in
// one transaction through View or Update, so it is applied whole or not at
// all. Records live in one bucket per kind, keyed by an 8-byte big-endian ID;
// the secondary indexes (owner, follow-up date, email, names, activity time,
// claim time, outbox due time, renewal due date) are buckets of their own,
// written in the same transaction as the record.
package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/touchbase/touchbase"
)

// ErrSchemaNewer is returned by Open for a file written by a newer version
// of touchbase than this one: it would not understand the records, so it
// refuses to touch them.
var ErrSchemaNewer = errors.New("store: database schema is newer than this program")

// Bucket names. Record buckets hold encoded records; index buckets hold keys
// only (the value is empty unless said otherwise).
var (
	metaBucket = []byte("meta") // "version" → 8-byte schema version

	repsBucket  = []byte("reps")  // rep id → Rep
	teamsBucket = []byte("teams") // NameKey(name) → Team

	leadsBucket     = []byte("leads")      // id → Lead
	leadOwnerBucket = []byte("lead_owner") // owner 0x00 id
	leadDueBucket   = []byte("lead_due")   // "2006-01-02" id, open leads only
	leadEmailBucket = []byte("lead_email") // lower(email) 0x00 id

	oppsBucket       = []byte("opportunities") // id → Opportunity
	oppOwnerBucket   = []byte("opp_owner")     // owner 0x00 id
	oppDueBucket     = []byte("opp_due")       // "2006-01-02" id, open opportunities only
	oppAccountBucket = []byte("opp_account")   // account id, opportunity id

	accountsBucket = []byte("accounts") // id → Account
	contactsBucket = []byte("contacts") // id → Contact

	campaignsBucket     = []byte("campaigns")      // id → Campaign
	campaignNamesBucket = []byte("campaign_names") // NameKey(name) → id

	activitiesBucket  = []byte("activities")    // time key (nanos, id) → Activity (from version 6 without its ID and time)
	activityIDsBucket = []byte("activity_ids")  // id → time key
	activityLead      = []byte("activity_lead") // lead id, time key
	activityOpp       = []byte("activity_opp")  // opportunity id, time key

	handoffsBucket = []byte("handoffs") // id → Handoff

	namesBucket = []byte("names") // word 0x00 kind short id → 1 if word is the whole name, else empty (0 before version 6)

	// Schema version 2.
	claimsBucket       = []byte("claims")         // claim key → time key of the claim
	claimsByTimeBucket = []byte("claims_by_time") // time key, claim key

	outboxBucket     = []byte("outbox")      // id → Message
	outboxKeysBucket = []byte("outbox_keys") // Message.Key → id
	outboxDueBucket  = []byte("outbox_due")  // time key of NextAttempt, id; messages not sent and not failed only

	// Schema version 3.
	renewalsBucket       = []byte("renewals")        // id → Renewal
	renewalAccountBucket = []byte("renewal_account") // account id, renewal id
	renewalOwnerBucket   = []byte("renewal_owner")   // owner 0x00 id
	renewalDueBucket     = []byte("renewal_due")     // "2006-01-02" id, pending renewals only

	// Schema version 4.
	conversationsBucket = []byte("conversations") // key → Conversation

	// Schema version 5.
	leadOwnerDueBucket = []byte("lead_owner_due") // owner 0x00 "2006-01-02" id; open leads with a follow-up only
	oppOwnerDueBucket  = []byte("opp_owner_due")  // the same for open opportunities
)

// allBuckets is every bucket of the current schema; Open creates the missing
// ones.
var allBuckets = [][]byte{
	metaBucket,
	repsBucket, teamsBucket,
	leadsBucket, leadOwnerBucket, leadDueBucket, leadEmailBucket,
	oppsBucket, oppOwnerBucket, oppDueBucket, oppAccountBucket,
	accountsBucket, contactsBucket,
	campaignsBucket, campaignNamesBucket,
	activitiesBucket, activityIDsBucket, activityLead, activityOpp,
	handoffsBucket,
	namesBucket,
	claimsBucket, claimsByTimeBucket,
	outboxBucket, outboxKeysBucket, outboxDueBucket,
	renewalsBucket, renewalAccountBucket, renewalOwnerBucket, renewalDueBucket,
	conversationsBucket,
	leadOwnerDueBucket, oppOwnerDueBucket,
}

// Keys of the meta bucket.
var (
	versionKey     = []byte("version")      // 8-byte schema version
	outboxDepthKey = []byte("outbox_depth") // 8-byte count of the keys of outbox_due
)

// migrations[i] moves a file from schema version i to i+1, inside the
// transaction that opens it: a failed migration leaves the file as it was.
// Add a version by appending; never edit a released step.
var migrations = []func(*bbolt.Tx) error{
	// 0 → 1: the first schema. The buckets are created by Open.
	func(*bbolt.Tx) error { return nil },
	// 1 → 2: delivery claims and the outbox. The buckets are new and empty,
	// so there is nothing to carry over; the outbox depth starts at 0.
	func(btx *bbolt.Tx) error {
		for _, name := range [][]byte{claimsBucket, claimsByTimeBucket, outboxBucket, outboxKeysBucket, outboxDueBucket} {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return btx.Bucket(metaBucket).Put(outboxDepthKey, u64(0))
	},
	// 2 → 3: renewals. The buckets are new and empty: the won opportunities
	// of an older file get no renewals made up for them, since their terms
	// were never recorded. The fields new in version 3 (Lead.QualifiedAt,
	// Account.CustomerSince and the rest) need no step: older records
	// simply lack them and decode as zero.
	func(btx *bbolt.Tx) error {
		for _, name := range [][]byte{renewalsBucket, renewalAccountBucket, renewalOwnerBucket, renewalDueBucket} {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	},
	// 3 → 4: conversation references, for platforms that need one to send
	// a message on their own (Teams). New and empty.
	func(btx *bbolt.Tx) error {
		_, err := btx.CreateBucketIfNotExists(conversationsBucket)
		return err
	},
	// 4 → 5: one rep's follow-ups due, by owner and date, so the morning
	// reminder of each rep reads only their own. Built from the records.
	func(btx *bbolt.Tx) error {
		leads, err := btx.CreateBucketIfNotExists(leadOwnerDueBucket)
		if err != nil {
			return err
		}
		opps, err := btx.CreateBucketIfNotExists(oppOwnerDueBucket)
		if err != nil {
			return err
		}
		if btx.Bucket(leadsBucket) == nil {
			return nil // a new file: nothing to index
		}
		if err := btx.Bucket(leadsBucket).ForEach(func(_, v []byte) error {
			l := new(touchbase.Lead)
			if err := decodeLead(v, l); err != nil {
				return err
			}
			if k := ownerDueKey(l.Owner, l.Status.Open(), l.NextFollowUp, l.ID); k != nil {
				return leads.Put(k, nil)
			}
			return nil
		}); err != nil {
			return fmt.Errorf("index leads by owner and due date: %w", err)
		}
		return btx.Bucket(oppsBucket).ForEach(func(_, v []byte) error {
			o := new(touchbase.Opportunity)
			if err := decodeOpportunity(v, o); err != nil {
				return err
			}
			if k := ownerDueKey(o.Owner, o.Open(), o.NextFollowUp, o.ID); k != nil {
				return opps.Put(k, nil)
			}
			return nil
		})
	},
	// 5 → 6: a smaller file. The name index's keys end with the ID in as
	// few bytes as hold it and a whole name's first word has no entry of
	// its own (see nameEntries); it is rebuilt from the records. New
	// activities leave their ID and time to their key; those already
	// written hold both and still decode, so they are left as they are.
	func(btx *bbolt.Tx) error {
		if btx.Bucket(namesBucket) == nil {
			return nil // a new file: nothing to index
		}
		if err := btx.DeleteBucket(namesBucket); err != nil {
			return fmt.Errorf("drop the name index: %w", err)
		}
		names, err := btx.CreateBucket(namesBucket)
		if err != nil {
			return err
		}
		var es []entry
		accountNames := make(map[uint64]string)
		if err := btx.Bucket(accountsBucket).ForEach(func(_, v []byte) error {
			a := new(touchbase.Account)
			if err := decodeAccount(v, a); err != nil {
				return err
			}
			accountNames[a.ID] = a.Name
			es = append(es, nameEntries(kindAccount, a.ID, a.Name)...)
			return nil
		}); err != nil {
			return fmt.Errorf("index account names: %w", err)
		}
		if err := btx.Bucket(leadsBucket).ForEach(func(_, v []byte) error {
			l := new(touchbase.Lead)
			if err := decodeLead(v, l); err != nil {
				return err
			}
			es = append(es, nameEntries(kindLead, l.ID, l.Name, l.Company)...)
			return nil
		}); err != nil {
			return fmt.Errorf("index lead names: %w", err)
		}
		if err := btx.Bucket(oppsBucket).ForEach(func(_, v []byte) error {
			o := new(touchbase.Opportunity)
			if err := decodeOpportunity(v, o); err != nil {
				return err
			}
			es = append(es, nameEntries(kindOpportunity, o.ID, o.Name, accountNames[o.AccountID])...)
			return nil
		}); err != nil {
			return fmt.Errorf("index opportunity names: %w", err)
		}
		// In key order, into pages left as full as an in-order bucket's.
		slices.SortFunc(es, func(a, b entry) int { return bytes.Compare(a.key, b.key) })
		names.FillPercent = appendFill
		for _, e := range es {
			if err := names.Put(e.key, e.value); err != nil {
				return fmt.Errorf("index names: %w", err)
			}
		}
		return nil
	},
}

// schemaVersion is the version this code writes.
var schemaVersion = uint64(len(migrations))

// DB is the touchbase database: one bbolt file.
type DB struct {
	db   *bbolt.DB
	path string

	// The group commit (see Update): callers queue, the committer runs.
	mu      sync.Mutex
	queue   []*update
	closing bool
	wake    chan struct{} // a nudge to the committer; buffered 1
	stopped chan struct{} // closed when the committer has returned

	commits, committed atomic.Uint64 // bbolt commits, and the Updates they held

	// Linger is how long the committer waits at most, after committing a
	// group of several Updates, for the next group to fill (see gather); 0
	// starts the next group at once. NewDB sets DefaultLinger. Set it
	// before Open.
	Linger time.Duration
}

// DefaultLinger is the Linger of a new DB. A write waits at most that much
// longer, and only while others are writing too: nothing a rep would
// notice, where a Slack command has 3 seconds.
const DefaultLinger = 2 * time.Millisecond

// CommitStats returns how many bbolt transactions the group commit has
// committed and how many Updates they held: their ratio is how many writes
// share each fsync.
func (db *DB) CommitStats() (commits, updates uint64) {
	return db.commits.Load(), db.committed.Load()
}

// NewDB returns a DB for the file at path; Open opens it.
func NewDB(path string) *DB {
	return &DB{path: path, Linger: DefaultLinger}
}

// Path returns the file's path.
func (db *DB) Path() string { return db.path }

// Open opens the file, creating it if needed, creates the missing buckets and
// migrates the schema forward. It refuses a file of a newer schema with
// ErrSchemaNewer, and gives up after a second if another process holds the
// file.
func (db *DB) Open() error {
	if db.path == "" {
		return errors.New("store: open: no path")
	}
	if err := os.MkdirAll(filepath.Dir(db.path), 0o700); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	bdb, err := bbolt.Open(db.path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("store: open %s: %w", db.path, err)
	}
	if err := bdb.Update(migrate); err != nil {
		_ = bdb.Close()
		return fmt.Errorf("store: open %s: %w", db.path, err)
	}
	db.mu.Lock()
	db.db, db.closing = bdb, false
	db.wake, db.stopped = make(chan struct{}, 1), make(chan struct{})
	db.mu.Unlock()
	go db.commitLoop()
	return nil
}

// migrate creates the buckets and brings the schema up to schemaVersion.
func migrate(btx *bbolt.Tx) error {
	meta, err := btx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return fmt.Errorf("create bucket meta: %w", err)
	}
	var v uint64
	if b := meta.Get(versionKey); b != nil {
		if len(b) != 8 {
			return fmt.Errorf("schema version: %d bytes, want 8", len(b))
		}
		v = binary.BigEndian.Uint64(b)
	}
	if v > schemaVersion {
		return fmt.Errorf("%w: the file is at version %d and this program knows up to %d; run a newer touchbase", ErrSchemaNewer, v, schemaVersion)
	}
	for ; v < schemaVersion; v++ {
		if err := migrations[v](btx); err != nil {
			return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
		}
	}
	for _, name := range allBuckets {
		if _, err := btx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return meta.Put(versionKey, u64(schemaVersion))
}

// Close commits the Updates already waiting, then closes the file; Updates
// called after Close began are refused. Closing a DB that is not open does
// nothing.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.db == nil || db.closing {
		db.mu.Unlock()
		return nil
	}
	db.closing = true
	close(db.wake) // under mu: no Update sends on it after this
	db.mu.Unlock()
	<-db.stopped
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// View runs fn in a read-only transaction. The Tx must not be used after fn
// returns, nor from another goroutine.
func (db *DB) View(ctx context.Context, fn func(touchbase.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.db == nil {
		return errors.New("store: view: database not open")
	}
	var fnErr error
	err := db.db.View(func(btx *bbolt.Tx) error {
		fnErr = fn(&tx{tx: btx})
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	} else if err != nil {
		return fmt.Errorf("store: view: %w", err)
	}
	return nil
}

// Update runs fn in a read-write transaction and commits it, durably, when
// fn returns nil; Update returns only after the commit. An error from fn (or
// a panic, which Update raises again) takes back everything fn wrote and is
// returned as is, so its touchbase error code reaches the caller.
//
// Updates are committed in groups: one goroutine runs every fn that is
// waiting, one after another in the order they came, in one bbolt
// transaction, and commits them with one fsync. That is what lets many
// writers share the disk, whose fsync is the cost of a commit. Each fn is
// still all-or-nothing and runs exactly once: the writes of one that fails
// are taken back from its undo log, and the others of the group are kept. A
// fn sees the writes of those before it in the group, as it would had they
// committed alone. After a group of several, the committer waits up to
// Linger for the next one to fill (see gather). fn must not call Update
// itself.
func (db *DB) Update(ctx context.Context, fn func(touchbase.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &update{ctx: ctx, fn: fn, done: make(chan struct{})}
	db.mu.Lock()
	if db.db == nil || db.closing {
		db.mu.Unlock()
		return errors.New("store: update: database not open")
	}
	db.queue = append(db.queue, r)
	select {
	case db.wake <- struct{}{}:
	default: // the committer is already woken
	}
	db.mu.Unlock()
	<-r.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// update is one call of Update waiting for the committer.
type update struct {
	ctx      context.Context
	fn       func(touchbase.Tx) error
	err      error
	panicked any
	done     chan struct{}
}

// commitLoop is the committer: it commits whatever Updates are waiting, as
// one group, until the DB closes and nothing is left.
func (db *DB) commitLoop() {
	defer close(db.stopped)
	var group []*update
	t := &tx{}
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for range db.wake {
		for {
			db.mu.Lock()
			group, db.queue = db.queue, group[:0]
			closing := db.closing
			db.mu.Unlock()
			if len(group) == 0 {
				if closing {
					return
				}
				break
			}
			db.commitGroup(t, group)
			n := len(group)
			clear(group)
			db.gather(n, linger)
		}
	}
}

// gather lets the next group fill, after a group of n Updates: it waits
// until twice as many are queued, or for Linger at most. After a group of
// one (a writer alone, the usual case outside busy hours) it does not wait,
// nor once Close has begun.
//
// The wait pays for itself only under load, and only a group of several
// says there is load. A commit costs two fsyncs, during which the
// committer's goroutine holds one of the process's Ps, and it rewrites
// every page its writes touched: the more writes share a commit, the less
// each pays. Waiting for twice the last group lets groups grow until Linger
// bounds them. With 200 concurrent /log commands on 2 cores (cmd/loadgen),
// a group grows from 12-17 writes to 50-60, a request costs 112-116 µs of
// CPU instead of 124-139 µs, and the server answers 15,600-16,300 requests
// a second instead of 11,800-12,800, with a p99 of 23-24 ms instead of
// 32-35 ms.
func (db *DB) gather(n int, t *time.Timer) {
	if n < 2 || db.Linger <= 0 {
		return
	}
	t.Reset(db.Linger)
	defer t.Stop()
	for {
		db.mu.Lock()
		enough := len(db.queue) >= 2*n || db.closing
		db.mu.Unlock()
		if enough {
			return
		}
		select {
		case _, open := <-db.wake:
			if !open {
				return
			}
		case <-t.C:
			return
		}
	}
}

// commitGroup runs the group's fns in one bbolt transaction and commits the
// writes of those that succeeded.
func (db *DB) commitGroup(t *tx, group []*update) {
	defer func() {
		for _, r := range group {
			close(r.done)
		}
	}()
	btx, err := db.db.Begin(true)
	if err != nil {
		for _, r := range group {
			r.err = fmt.Errorf("store: update: %w", err)
		}
		return
	}
	*t = tx{tx: btx, undo: t.undo[:0]}
	kept := 0 // fns that succeeded and wrote
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = err // its caller has gone: do not write for it
			continue
		}
		r.panicked, r.err = run(t, r.fn)
		if r.err == nil && r.panicked == nil {
			if len(t.undo) > 0 {
				kept++
			}
		} else if err := t.rollback(); err != nil {
			// The failed fn's writes cannot be told from the others:
			// give up the whole group, which none of them has seen
			// committed.
			_ = btx.Rollback()
			for _, o := range group[:i] {
				if o.err == nil && o.panicked == nil {
					o.err = err
				}
			}
			if r.panicked == nil {
				r.err = err
			}
			for _, o := range group[i+1:] {
				o.err = err
			}
			return
		}
		t.undo = t.undo[:0]
	}
	if kept == 0 {
		// Nothing to write (every fn failed, or only read): no commit,
		// and no fsync, to do.
		_ = btx.Rollback()
		return
	}
	if err := btx.Commit(); err != nil {
		for _, r := range group {
			if r.err == nil && r.panicked == nil {
				r.err = fmt.Errorf("store: update: %w", err)
			}
		}
		return
	}
	db.commits.Add(1)
	db.committed.Add(uint64(kept))
}

// run calls fn on t, catching a panic so the committer survives it; the
// panic is raised again in the caller of Update.
func run(t *tx, fn func(touchbase.Tx) error) (panicked any, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = p
		}
	}()
	return nil, fn(t)
}

// Backup writes a consistent copy of the whole database to w while it keeps
// serving (the copy is one read transaction), and returns the bytes written.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if db.db == nil {
		return 0, errors.New("store: backup: database not open")
	}
	var n int64
	err := db.db.View(func(btx *bbolt.Tx) error {
		var err error
		n, err = btx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("store: backup: %w", err)
	}
	return n, nil
}

// BackupFile writes a backup to path, checked, in place of whatever path
// held: see WriteBackup.
func (db *DB) BackupFile(ctx context.Context, path string) error {
	return WriteBackup(path, func(w io.Writer) error {
		_, err := db.Backup(ctx, w)
		return err
	})
}

// WriteBackup writes a backup file at path from what copy writes (a
// database file's bytes, from Backup here or from a running touchbase). It
// writes path+".tmp", syncs it, runs VerifyFile on it and only then renames
// it over path, so path holds either what it held before or a whole,
// checked database.
func WriteBackup(path string, copy func(io.Writer) error) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = copy(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	if err = VerifyFile(tmp); err != nil {
		return fmt.Errorf("store: backup %s: the copy is not sound, so it was not kept: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("store: backup %s: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return nil
}

// syncDir syncs a directory, so that a rename in it survives a crash.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// VerifyFile opens the database file at path read-only, without changing a
// byte of it, and checks that it is one touchbase can open: a bbolt file
// that passes bbolt's consistency check, with a schema this program knows.
// Another process may hold the file; VerifyFile then waits up to a second.
func VerifyFile(path string) error {
	bdb, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer bdb.Close()
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return bdb.View(func(btx *bbolt.Tx) error {
		// A file cut short (a copy interrupted) still opens; its pages past
		// the end are not there to read.
		if btx.Size() > st.Size() {
			return fmt.Errorf("%s is cut short: %d bytes of %d", path, st.Size(), btx.Size())
		}
		meta := btx.Bucket(metaBucket)
		if meta == nil {
			return fmt.Errorf("%s is a bbolt file but not a touchbase database", path)
		}
		b := meta.Get(versionKey)
		if len(b) != 8 {
			return fmt.Errorf("%s has no schema version", path)
		}
		if v := binary.BigEndian.Uint64(b); v > schemaVersion {
			return fmt.Errorf("%w: %s is at version %d and this program knows up to %d", ErrSchemaNewer, path, v, schemaVersion)
		}
		var first error
		for err := range btx.Check() { // drained: the checker reads the file until it closes the channel
			if first == nil {
				first = fmt.Errorf("%s: %w", path, err)
			}
		}
		return first
	})
}

// Check runs bbolt's consistency check over the whole file and returns the
// first problem found.
func (db *DB) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if db.db == nil {
		return errors.New("store: check: database not open")
	}
	var first error
	err := db.db.View(func(btx *bbolt.Tx) error {
		// Drain the channel: the checker runs until it closes it.
		for err := range btx.Check() {
			if first == nil {
				first = err
			}
		}
		return nil
	})
	if err == nil {
		err = first
	}
	if err != nil {
		return fmt.Errorf("store: check: %w", err)
	}
	return nil
}
