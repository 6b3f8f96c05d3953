package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/touchbase/touchbase"
)

// MessageByKey returns the message enqueued under key, or ENOTFOUND.
func (tx *tx) MessageByKey(key string) (*touchbase.Message, error) {
	id := tx.bucket(outboxKeysBucket).Get([]byte(key))
	if id == nil {
		return nil, touchbase.Errorf(touchbase.ENOTFOUND, "no message %s", key)
	}
	return getByID(tx.bucket(outboxBucket), idSuffix(id), "message", decodeMessage)
}

// Enqueue stores m in the outbox and reports true, or reports false and
// stores nothing when a message with m.Key is there already (sent, failed or
// pending). A message with ID 0 gets the next ID; a given ID is kept, and
// ECONFLICT if it is taken. A zero NextAttempt is set to CreatedAt, so a new
// message is due at once. An empty or over-long Key is EINVALID.
func (tx *tx) Enqueue(m *touchbase.Message) (bool, error) {
	if m.Key == "" || len(m.Key) > maxKeyLen {
		return false, touchbase.Errorf(touchbase.EINVALID, "a message needs a key of 1 to %d bytes", maxKeyLen)
	}
	if tx.bucket(outboxKeysBucket).Get([]byte(m.Key)) != nil {
		return false, nil
	}
	b := tx.bucket(outboxBucket)
	if err := assignID(b, &m.ID, "message", keyExists(b)); err != nil {
		return false, err
	}
	if m.NextAttempt.IsZero() {
		m.NextAttempt = m.CreatedAt
	}
	if err := put(b, u64(m.ID), m, "message", encodeMessage); err != nil {
		return false, err
	}
	if err := tx.bucket(outboxKeysBucket).Put([]byte(m.Key), u64(m.ID)); err != nil {
		return false, fmt.Errorf("store: index message %d key: %w", m.ID, err)
	}
	if err := tx.reindex(nil, messageEntries(m)); err != nil {
		return false, err
	}
	if err := tx.addOutboxDepth(messagePending(m)); err != nil {
		return false, err
	}
	return true, nil
}

// UpdateMessage replaces a stored message, or returns ENOTFOUND; a changed
// Key is ECONFLICT, since the key is what keeps a message from being sent
// twice. The due index follows the message: a sent or failed one leaves it,
// and a new NextAttempt moves it.
func (tx *tx) UpdateMessage(m *touchbase.Message) error {
	old, err := getByID(tx.bucket(outboxBucket), m.ID, "message", decodeMessage)
	if err != nil {
		return err
	}
	if m.Key != old.Key {
		return touchbase.Errorf(touchbase.ECONFLICT, "message %d: its key %q cannot change to %q", m.ID, old.Key, m.Key)
	}
	if err := put(tx.bucket(outboxBucket), u64(m.ID), m, "message", encodeMessage); err != nil {
		return err
	}
	if err := tx.reindex(messageEntries(old), messageEntries(m)); err != nil {
		return err
	}
	return tx.addOutboxDepth(messagePending(m) - messagePending(old))
}

// DueMessages returns the pending messages whose NextAttempt is at or before
// now, in NextAttempt order and by ID among equal times: a cursor walk of the
// due index that stops at the first later time or after limit messages (no
// limit when limit <= 0).
func (tx *tx) DueMessages(now time.Time, limit int) ([]*touchbase.Message, error) {
	b := tx.bucket(outboxBucket)
	end := timeKey(now)
	var out []*touchbase.Message
	c := tx.bucket(outboxDueBucket).Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k[:8], end) <= 0; k, _ = c.Next() {
		if limit > 0 && len(out) >= limit {
			break
		}
		id := idSuffix(k)
		v := b.Get(u64(id))
		if v == nil {
			return nil, fmt.Errorf("store: outbox index points at missing message %d", id)
		}
		m := new(touchbase.Message)
		if err := decodeMessage(v, m); err != nil {
			return nil, fmt.Errorf("store: decode message %d: %w", id, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// OutboxDepth returns how many messages are neither sent nor failed. It
// reads a counter kept in step with the due index rather than the index's
// Stats, which count only committed pages and so miss what this transaction
// wrote.
func (tx *tx) OutboxDepth() (int, error) {
	v := tx.bucket(metaBucket).Get(outboxDepthKey)
	if v == nil {
		return 0, nil
	} else if len(v) != 8 {
		return 0, fmt.Errorf("store: outbox depth: %d bytes, want 8", len(v))
	}
	return int(binary.BigEndian.Uint64(v)), nil
}

// addOutboxDepth adds delta to the outbox depth counter.
func (tx *tx) addOutboxDepth(delta int) error {
	if delta == 0 {
		return nil
	}
	n, err := tx.OutboxDepth()
	if err != nil {
		return err
	}
	if n+delta < 0 {
		return fmt.Errorf("store: outbox depth %d%+d below zero", n, delta)
	}
	if err := tx.bucket(metaBucket).Put(outboxDepthKey, u64(uint64(n+delta))); err != nil {
		return fmt.Errorf("store: outbox depth: %w", err)
	}
	return nil
}

// messagePending returns 1 when m is neither sent nor failed, else 0.
func messagePending(m *touchbase.Message) int {
	if m.SentAt.IsZero() && !m.Failed {
		return 1
	}
	return 0
}

// messageEntries returns the due index entry of m: one while it is pending,
// none once it is sent or failed.
func messageEntries(m *touchbase.Message) []entry {
	if messagePending(m) == 0 {
		return nil
	}
	return []entry{{outboxDueBucket, concat(timeKey(m.NextAttempt), u64(m.ID)), nil}}
}
