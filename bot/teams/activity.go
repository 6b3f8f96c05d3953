package teams

import (
	"encoding/json"
	"regexp"
	"strings"
)

// Activity is the part of a Bot Framework activity touchbase reads and
// writes.
type Activity struct {
	Type          string          `json:"type"`
	ID            string          `json:"id,omitempty"`
	Timestamp     string          `json:"timestamp,omitempty"`
	LocalTimezone string          `json:"localTimezone,omitempty"`
	ServiceURL    string          `json:"serviceUrl,omitempty"`
	ChannelID     string          `json:"channelId,omitempty"`
	From          Account         `json:"from"`
	Conversation  Conversation    `json:"conversation"`
	Recipient     Account         `json:"recipient"`
	Text          string          `json:"text,omitempty"`
	TextFormat    string          `json:"textFormat,omitempty"`
	Value         json.RawMessage `json:"value,omitempty"`
	Name          string          `json:"name,omitempty"`
	ReplyToID     string          `json:"replyToId,omitempty"`
	Attachments   []any           `json:"attachments,omitempty"`
	ChannelData   json.RawMessage `json:"channelData,omitempty"`
	Entities      []Entity        `json:"entities,omitempty"`
}

// Entity is an entity of an activity; touchbase reads the client's time
// zone from clientInfo.
type Entity struct {
	Type     string `json:"type"`
	Timezone string `json:"timezone,omitempty"`
}

// TimeZone is the sender's IANA time zone: localTimezone, else the
// clientInfo entity's.
func (a *Activity) TimeZone() string {
	if a.LocalTimezone != "" {
		return a.LocalTimezone
	}
	for _, e := range a.Entities {
		if e.Type == "clientInfo" && e.Timezone != "" {
			return e.Timezone
		}
	}
	return ""
}

// TenantID is the tenant of the conversation, from the conversation or
// channelData.tenant.
func (a *Activity) TenantID() string {
	if a.Conversation.TenantID != "" {
		return a.Conversation.TenantID
	}
	var cd struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
	}
	_ = json.Unmarshal(a.ChannelData, &cd)
	return cd.Tenant.ID
}

// Account is a user or the bot.
type Account struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
}

// Conversation is a personal chat, a group chat or a channel.
type Conversation struct {
	ID               string `json:"id"`
	ConversationType string `json:"conversationType,omitempty"`
	TenantID         string `json:"tenantId,omitempty"`
	IsGroup          bool   `json:"isGroup,omitempty"`
	Name             string `json:"name,omitempty"`
}

// RepID is the touchbase rep id of a Teams user: "teams:" and their Azure
// AD object id (stable across chats), else their Teams id.
func RepID(a Account) string {
	if a.AADObjectID != "" {
		return "teams:" + a.AADObjectID
	}
	return "teams:" + a.ID
}

// ChannelKey is how touchbase addresses a Teams conversation.
func ChannelKey(c Conversation) string { return "teams:" + c.ID }

var (
	mentionRE = regexp.MustCompile(`(?s)<at[^>]*>.*?</at>`)
	tagRE     = regexp.MustCompile(`<[^>]+>`)
	entities  = strings.NewReplacer("&nbsp;", " ", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&amp;", "&")
)

// CommandText is the command typed in a message: the bot's @mention (in a
// channel) and any HTML formatting removed.
func CommandText(text string) string {
	text = mentionRE.ReplaceAllString(text, " ")
	text = tagRE.ReplaceAllString(text, " ")
	return strings.TrimSpace(entities.Replace(text))
}
