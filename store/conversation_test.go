package store_test

import (
	"testing"
	"time"

	"github.com/touchbase/touchbase"
)

// Ensure a conversation reference is kept per key, the latest replacing
// the one before, and a key never seen is ENOTFOUND.
func TestTx_Conversation(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if _, err := tx.Conversation("teams:29:1"); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			t.Fatalf("Conversation(unseen)=%v, want ENOTFOUND", err)
		}
		if err := tx.PutConversation(&touchbase.Conversation{}); touchbase.ErrorCode(err) != touchbase.EINVALID {
			t.Fatalf("PutConversation(no key)=%v, want EINVALID", err)
		}
		for _, id := range []string{"a:1", "a:2"} {
			if err := tx.PutConversation(&touchbase.Conversation{Key: "teams:29:1", ServiceURL: "https://smba.example/", ConversationID: id, UpdatedAt: time.Unix(1, 0)}); err != nil {
				return err
			}
		}
		return nil
	})
	MustView(t, db, func(tx touchbase.Tx) error {
		c, err := tx.Conversation("teams:29:1")
		if err != nil || c.ConversationID != "a:2" || c.ServiceURL != "https://smba.example/" {
			t.Fatalf("Conversation=%+v, %v, want the latest", c, err)
		}
		return nil
	})
}

// Ensure a message is found by its key, sent or not, and an unknown key is
// ENOTFOUND.
func TestTx_MessageByKey(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if _, err := tx.Enqueue(&touchbase.Message{Key: "reminders/U1/2026-11-24", To: "U1", Body: []byte("{}"), CreatedAt: time.Unix(1, 0)}); err != nil {
			return err
		}
		m, err := tx.MessageByKey("reminders/U1/2026-11-24")
		if err != nil || m.To != "U1" {
			t.Fatalf("MessageByKey=%+v, %v", m, err)
		}
		m.SentAt = time.Unix(2, 0)
		if err := tx.UpdateMessage(m); err != nil {
			return err
		}
		if m, err := tx.MessageByKey("reminders/U1/2026-11-24"); err != nil || m.SentAt.IsZero() {
			t.Fatalf("sent MessageByKey=%+v, %v", m, err)
		}
		if _, err := tx.MessageByKey("nope"); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			t.Fatalf("MessageByKey(nope)=%v, want ENOTFOUND", err)
		}
		return nil
	})
}
