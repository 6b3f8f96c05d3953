package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/touchbase/touchbase"
)

// ErrAlreadyApplied is returned when a delivery whose key was claimed
// before (a Slack retry, a button pressed twice) arrives again: nothing is
// changed a second time.
var ErrAlreadyApplied = &touchbase.Error{Code: touchbase.ECONFLICT, Message: "That was already done; nothing changed."}

// notify tells another rep about a change (the receiving owner of a
// handoff): the message goes into the outbox in the same transaction as the
// change, so it is sent once the change is committed and never lost, and is
// also listed on the reply for platforms that show it at once.
func (c *call) notify(tx touchbase.Tx, reply *Reply, to string, r *Reply) error {
	return c.notifyAt(tx, reply, to, r, c.now)
}

// notifyAt is notify for a message that goes out later, at at.
func (c *call) notifyAt(tx touchbase.Tx, reply *Reply, to string, r *Reply, at time.Time) error {
	body, err := EncodeReply(r)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("notice/%s/%d", c.id, len(reply.Notices))
	m := &touchbase.Message{Key: key, To: to, Body: body, CreatedAt: c.now.UTC(), NextAttempt: at.UTC(), RequestID: touchbase.RequestID(c.ctx)}
	if _, err := tx.Enqueue(m); err != nil {
		return err
	}
	reply.Notices = append(reply.Notices, Notice{To: to, Reply: r, At: at})
	return nil
}

// EncodeReply encodes a reply for the outbox.
func EncodeReply(r *Reply) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("handlers: encode reply: %w", err)
	}
	return b, nil
}

// DecodeReply decodes a reply from the outbox.
func DecodeReply(b []byte) (*Reply, error) {
	r := &Reply{}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("handlers: decode reply: %w", err)
	}
	return r, nil
}

// newID returns a random id for a command run that came without a key.
func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
