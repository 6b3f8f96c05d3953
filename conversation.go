package touchbase

import "time"

// Conversation is where a chat platform can reach a rep or a channel on its
// own initiative (Teams' conversation reference): kept from the last message
// that came from there, so reminders, handoffs and digests can be sent later.
type Conversation struct {
	// Key is the rep id or channel the conversation reaches ("teams:…").
	Key            string    `json:"key"`
	ServiceURL     string    `json:"service_url"`
	ConversationID string    `json:"conversation_id"`
	TenantID       string    `json:"tenant_id,omitempty"`
	BotID          string    `json:"bot_id,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
}
