package touchbase

import "time"

// Message is a chat message waiting in the outbox. A command or a job writes
// it in the same transaction as the change it reports, so a message is never
// lost once the change is committed; a sender delivers it later and records
// the outcome. Key is unique: a message whose key is already in the outbox
// is not added again, so a retried job or command never sends twice.
type Message struct {
	ID  uint64 `json:"id"`
	Key string `json:"key"` // e.g. "notice/cmd-123/0" or "reminders/U123/2026-11-23"
	// To is a rep id (a direct message) or a channel.
	To string `json:"to"`
	// Body is the platform-neutral reply, encoded by the handlers.
	Body      []byte    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
	// Attempts counts deliveries tried; NextAttempt is when to try again.
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	// SentAt is set once the platform accepted it; Ref is the platform's
	// id for it (a Slack message ts).
	SentAt time.Time `json:"sent_at,omitzero"`
	Ref    string    `json:"ref,omitempty"`
	// Error is the last delivery error; Failed marks a message given up on.
	Error  string `json:"error,omitempty"`
	Failed bool   `json:"failed,omitempty"`
	// RequestID is the request id of the command or job run that enqueued
	// the message, so that its delivery, even after a restart, is logged
	// under that id ("" for messages enqueued before it was kept).
	RequestID string `json:"request_id,omitempty"`
}
