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
