package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Sender is the outbox delivered to Slack.
type Sender = handlers.Outbox

// NewSender returns the outbox of db delivered through client.
func NewSender(db handlers.DB, client *slackgo.Client) *Sender {
	return handlers.NewOutbox(db, &Poster{Client: client, Logger: slog.New(slog.DiscardHandler)})
}

// Poster posts outbox messages to Slack: the text as Block Kit, then the
// image (the digest's chart) through Slack's external upload flow.
type Poster struct {
	Client *slackgo.Client
	Logger *slog.Logger
}

var _ handlers.Poster = (*Poster)(nil)

// Accept takes every recipient but other platforms' ("teams:…").
func (p *Poster) Accept(to string) bool { return !strings.HasPrefix(to, "teams:") }

// Post sends the message, then its image if it has one. The message's
// channel and ts are kept on m as soon as Slack accepts it, so when only the
// image failed, a retry uploads the image and does not post the text again.
func (p *Poster) Post(ctx context.Context, m *touchbase.Message, r *handlers.Reply) error {
	if m.Ref == "" {
		opts := []slackgo.MsgOption{
			slackgo.MsgOptionText(FallbackText(r), false),
			slackgo.MsgOptionBlocks(Blocks(r)...),
			// The key travels with the message, so a delivery whose outcome
			// was lost can be recognised in the conversation.
			slackgo.MsgOptionMetadata(slackgo.SlackMetadata{EventType: "touchbase_message", EventPayload: map[string]any{"key": m.Key}}),
		}
		channel, ts, err := p.Client.PostMessageContext(ctx, conversation(m.To), opts...)
		if err != nil {
			return classify(err)
		}
		m.Ref = channel + "/" + ts
		if r.Image == nil {
			return nil
		}
	}
	if r.Image == nil {
		return nil
	}
	channel, _, _ := strings.Cut(m.Ref, "/")
	_, err := p.Client.UploadFileContext(ctx, slackgo.UploadFileParameters{
		Filename: r.Image.Name, Title: r.Image.Title, AltTxt: r.Image.Title,
		Reader: bytes.NewReader(r.Image.PNG), FileSize: len(r.Image.PNG), Channel: channel,
	})
	return classify(err)
}

// Find looks in the conversation for a message touchbase posted under m's
// key since m was created, and returns its "channel/ts".
func (p *Poster) Find(ctx context.Context, m *touchbase.Message) (string, bool) {
	channel := conversation(m.To)
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		// A direct message: history is read from the IM channel.
		ch, _, _, err := p.Client.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
		if err != nil {
			p.Logger.WarnContext(ctx, "cannot check for an earlier delivery", slog.String("key", m.Key), slog.Any("error", err))
			return "", false
		}
		channel = ch.ID
	}
	if strings.HasPrefix(channel, "#") {
		p.Logger.WarnContext(ctx, "cannot check a channel named by name for an earlier delivery; posting", slog.String("key", m.Key), slog.String("to", m.To))
		return "", false
	}
	oldest := m.CreatedAt.Add(-time.Minute)
	h, err := p.Client.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{
		ChannelID: channel, Oldest: fmt.Sprintf("%d.000000", oldest.Unix()), Limit: 200, IncludeAllMetadata: true,
	})
	if err != nil {
		p.Logger.WarnContext(ctx, "cannot check for an earlier delivery", slog.String("key", m.Key), slog.Any("error", err))
		return "", false
	}
	for _, msg := range h.Messages {
		if msg.Metadata.EventType == "touchbase_message" && msg.Metadata.EventPayload["key"] == m.Key {
			return channel + "/" + msg.Timestamp, true
		}
	}
	return "", false
}

// conversation turns a recipient as touchbase stores it into what
// chat.postMessage takes: a user or channel id ("U123", "<#C123|sales>" →
// "C123"), or a channel name ("#is-tokyo").
func conversation(to string) string {
	if strings.HasPrefix(to, "<#") {
		id, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(to, "<#"), ">"), "|")
		return id
	}
	return to
}

// slackError says whether a retry can fix a Slack error.
type slackError struct {
	err       error
	permanent bool
}

func (e *slackError) Error() string   { return e.err.Error() }
func (e *slackError) Unwrap() error   { return e.err }
func (e *slackError) Permanent() bool { return e.permanent }

// classify wraps err with how to retry it.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slackgo.RateLimitedError
	if errors.As(err, &rl) {
		return &rateLimited{err: err, after: rl.RetryAfter}
	}
	return &slackError{err: err, permanent: permanent(err)}
}

// rateLimited is a Slack 429.
type rateLimited struct {
	err   error
	after time.Duration
}

func (e *rateLimited) Error() string             { return e.err.Error() }
func (e *rateLimited) Unwrap() error             { return e.err }
func (e *rateLimited) RetryAfter() time.Duration { return e.after }

// permanent reports errors that no retry fixes.
func permanent(err error) bool {
	var se slackgo.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "invalid_auth",
			"account_inactive", "token_revoked", "no_permission", "missing_scope", "invalid_blocks", "msg_too_long",
			"cannot_dm_bot", "user_disabled":
			return true
		}
		return false
	}
	// 4xx other than timeouts and rate limits will not change on retry;
	// 5xx and network errors may.
	var sc slackgo.StatusCodeError
	return errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != 408 && sc.Code != 429
}
