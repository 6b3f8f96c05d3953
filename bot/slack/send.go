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

// Sender delivers the outbox to Slack: the one outbound path of touchbase,
// used by handoff notices, reminders and digests. A message is marked sent
// only once Slack accepted it; a 429 waits the Retry-After Slack asks for
// (and pauses the whole sender, since the limit is the workspace's); other
// transient failures back off exponentially; errors that no retry can fix
// (a channel that does not exist) fail the message at once.
type Sender struct {
	DB     handlers.DB
	Client *slackgo.Client
	Now    func() time.Time
	Logger *slog.Logger
	// MaxAttempts is how many failed deliveries make a message failed.
	MaxAttempts int
	// Poll is how often the outbox is checked when nothing wakes the sender.
	Poll time.Duration
	// Accept says which recipients are Slack's: by default all but the
	// other platforms' ("teams:…"), which share the outbox.
	Accept func(to string) bool

	wake       chan struct{}
	pauseUntil time.Time
}

// NewSender returns a Sender delivering db's outbox through client.
func NewSender(db handlers.DB, client *slackgo.Client) *Sender {
	return &Sender{
		DB: db, Client: client, Now: time.Now,
		Logger:      slog.New(slog.DiscardHandler),
		MaxAttempts: 12,
		Poll:        2 * time.Second,
		wake:        make(chan struct{}, 1),
		Accept:      func(to string) bool { return !strings.HasPrefix(to, "teams:") },
	}
}

// Wake asks the sender to look at the outbox now (after a command enqueued
// something), without blocking.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (s *Sender) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		}
		wait, err := s.Flush(ctx)
		if err != nil && ctx.Err() == nil {
			s.Logger.Error("outbox delivery", slog.Any("error", err))
		}
		if wait <= 0 || wait > s.Poll {
			wait = s.Poll
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// Flush delivers every message due now, and returns how long until Slack
// allows the next call when it asked to wait (0 otherwise).
func (s *Sender) Flush(ctx context.Context) (time.Duration, error) {
	// Each message is tried at most once per Flush, so a message whose
	// outcome cannot be recorded is not posted again and again.
	tried := map[uint64]bool{}
	for {
		now := s.Now()
		if now.Before(s.pauseUntil) {
			return s.pauseUntil.Sub(now), nil
		}
		var due []*touchbase.Message
		err := s.DB.View(ctx, func(tx touchbase.Tx) (err error) {
			// All that is due: another platform's messages may be waiting
			// at the front, and must not starve Slack's.
			due, err = tx.DueMessages(now, 0)
			return err
		})
		if err != nil || len(due) == 0 {
			return 0, err
		}
		fresh := 0
		for _, m := range due {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			if tried[m.ID] || !s.Accept(m.To) {
				continue
			}
			tried[m.ID] = true
			fresh++
			if wait := s.deliver(ctx, m); wait > 0 {
				return wait, nil
			}
		}
		if fresh == 0 {
			return 0, nil
		}
	}
}

// deliver sends one message and records the outcome; it returns how long to
// pause everything when Slack rate-limited the call.
func (s *Sender) deliver(ctx context.Context, m *touchbase.Message) time.Duration {
	reply, err := handlers.DecodeReply(m.Body)
	if err != nil {
		m.Failed, m.Error = true, err.Error()
		s.record(ctx, m)
		return 0
	}
	err = s.post(ctx, m, reply)
	now := s.Now()
	var rl *slackgo.RateLimitedError
	switch {
	case err == nil:
		m.SentAt, m.Error = now.UTC(), ""
	case errors.As(err, &rl):
		// Not the message's fault: it keeps its attempts.
		wait := max(rl.RetryAfter, time.Second)
		s.pauseUntil = now.Add(wait)
		m.NextAttempt, m.Error = now.Add(wait).UTC(), err.Error()
		s.Logger.Warn("slack rate limit", slog.String("key", m.Key), slog.Duration("retry_after", wait))
		s.record(ctx, m)
		return wait
	case permanent(err):
		m.Failed, m.Error = true, err.Error()
		s.Logger.Error("message cannot be delivered", slog.String("key", m.Key), slog.String("to", m.To), slog.Any("error", err))
	default:
		m.Attempts++
		m.Error = err.Error()
		if m.Attempts >= s.MaxAttempts {
			m.Failed = true
			s.Logger.Error("message given up", slog.String("key", m.Key), slog.Int("attempts", m.Attempts), slog.Any("error", err))
		} else {
			m.NextAttempt = now.Add(backoff(m.Attempts)).UTC()
			s.Logger.Warn("message delivery failed, will retry", slog.String("key", m.Key), slog.Int("attempts", m.Attempts), slog.Any("error", err))
		}
	}
	s.record(ctx, m)
	return 0
}

// post sends the message, then its image if it has one. The message's
// channel and ts are recorded as soon as Slack accepts it, so when only the
// image failed, a retry uploads the image and does not post the text again.
func (s *Sender) post(ctx context.Context, m *touchbase.Message, r *handlers.Reply) error {
	if m.Ref == "" && m.Error == inFlight {
		// The last attempt started and its outcome was never recorded (the
		// process died): Slack may have the message already.
		if ref, ok := s.find(ctx, m); ok {
			m.Ref = ref
			if r.Image == nil {
				return nil
			}
			s.record(ctx, m)
		}
	}
	if m.Ref == "" {
		// Recorded before the call, so that after a crash the next
		// attempt knows to look for the message first.
		m.Error = inFlight
		s.record(ctx, m)
		opts := []slackgo.MsgOption{
			slackgo.MsgOptionText(FallbackText(r), false),
			slackgo.MsgOptionBlocks(Blocks(r)...),
			// The key travels with the message, so a delivery whose outcome
			// was lost can be recognised in the conversation.
			slackgo.MsgOptionMetadata(slackgo.SlackMetadata{EventType: "touchbase_message", EventPayload: map[string]any{"key": m.Key}}),
		}
		channel, ts, err := s.Client.PostMessageContext(ctx, conversation(m.To), opts...)
		if err != nil {
			return err
		}
		m.Ref = channel + "/" + ts
		if r.Image == nil {
			return nil
		}
		s.record(ctx, m)
	}
	if r.Image == nil {
		return nil
	}
	channel, _, _ := strings.Cut(m.Ref, "/")
	_, err := s.Client.UploadFileContext(ctx, slackgo.UploadFileParameters{
		Filename: r.Image.Name, Title: r.Image.Title, AltTxt: r.Image.Title,
		Reader: bytes.NewReader(r.Image.PNG), FileSize: len(r.Image.PNG), Channel: channel,
	})
	return err
}

// inFlight marks a message whose post was started and whose outcome is not
// known yet.
const inFlight = "sending"

// find looks in the conversation for a message touchbase posted under m's
// key since m was created, and returns its "channel/ts".
func (s *Sender) find(ctx context.Context, m *touchbase.Message) (string, bool) {
	channel := conversation(m.To)
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		// A direct message: history is read from the IM channel.
		ch, _, _, err := s.Client.OpenConversationContext(ctx, &slackgo.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
		if err != nil {
			s.Logger.Warn("cannot check for an earlier delivery", slog.String("key", m.Key), slog.Any("error", err))
			return "", false
		}
		channel = ch.ID
	}
	if strings.HasPrefix(channel, "#") {
		s.Logger.Warn("cannot check a channel named by name for an earlier delivery; posting", slog.String("key", m.Key), slog.String("to", m.To))
		return "", false
	}
	oldest := m.CreatedAt.Add(-time.Minute)
	h, err := s.Client.GetConversationHistoryContext(ctx, &slackgo.GetConversationHistoryParameters{
		ChannelID: channel, Oldest: fmt.Sprintf("%d.000000", oldest.Unix()), Limit: 200, IncludeAllMetadata: true,
	})
	if err != nil {
		s.Logger.Warn("cannot check for an earlier delivery", slog.String("key", m.Key), slog.Any("error", err))
		return "", false
	}
	for _, msg := range h.Messages {
		if msg.Metadata.EventType == "touchbase_message" && msg.Metadata.EventPayload["key"] == m.Key {
			s.Logger.Info("message was delivered before a restart; not sending it again", slog.String("key", m.Key))
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

// record writes the outcome of a delivery. If that write fails the message
// stays due and is tried again; the log says so.
func (s *Sender) record(ctx context.Context, m *touchbase.Message) {
	err := s.DB.Update(context.WithoutCancel(ctx), func(tx touchbase.Tx) error { return tx.UpdateMessage(m) })
	if err != nil {
		s.Logger.Error("record delivery", slog.String("key", m.Key), slog.Any("error", err))
	}
}

// backoff is 2^n seconds, at most ten minutes.
func backoff(attempts int) time.Duration {
	return min(time.Second<<min(attempts, 10), 10*time.Minute)
}

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
