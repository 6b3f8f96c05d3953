package handlers

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
)

// Poster delivers messages on one chat platform for the Outbox.
type Poster interface {
	// Accept reports whether to is a recipient of this platform: the
	// outbox is shared by every platform.
	Accept(to string) bool
	// Post delivers m. It may record progress on m (m.Ref, once the
	// platform accepted the text, so that a retry does not post it again).
	// A returned error may say how to retry: see RetryAfter and Permanent.
	Post(ctx context.Context, m *touchbase.Message, r *Reply) error
	// Find looks for m on the platform after a crash left the outcome of
	// its last post unknown, and returns its reference when it is there.
	Find(ctx context.Context, m *touchbase.Message) (ref string, ok bool)
}

// RetryAfter is implemented by errors of a platform that asked to wait
// (HTTP 429 with Retry-After).
type RetryAfter interface{ RetryAfter() time.Duration }

// Permanent is implemented by errors that no retry fixes (a channel that
// does not exist, a revoked token).
type Permanent interface{ Permanent() bool }

// Outbox delivers the outbox through a platform's Poster: the one outbound
// path of touchbase, used by handoff notices, reminders and digests. A
// message is marked sent only once the platform accepted it; a rate limit
// waits the time the platform asks for (and pauses the whole outbox, since
// the limit is the workspace's); other transient failures back off
// exponentially; errors that no retry can fix fail the message at once. A
// post is recorded as started before it is made, so that after a crash the
// next attempt asks the platform whether the message arrived before sending
// it again.
type Outbox struct {
	DB     DB
	Poster Poster
	Now    func() time.Time
	Logger *slog.Logger
	// MaxAttempts is how many failed deliveries make a message failed.
	MaxAttempts int
	// Poll is how often the outbox is checked when nothing wakes it.
	Poll time.Duration
	// Observe, when set, is told of every delivery attempt: the message's
	// key and the outcome ("sent", "retry", "rate_limited", "failed").
	Observe func(key, outcome string)

	wake       chan struct{}
	pauseUntil time.Time
}

// NewOutbox returns an Outbox delivering db's messages through p.
func NewOutbox(db DB, p Poster) *Outbox {
	return &Outbox{
		DB: db, Poster: p, Now: time.Now,
		Logger:      slog.New(slog.DiscardHandler),
		MaxAttempts: 12,
		Poll:        2 * time.Second,
		wake:        make(chan struct{}, 1),
	}
}

// inFlight starts the Error of a message whose post was started and whose
// outcome is not known: the process died during the post, or the post failed
// in a way that does not say whether the platform took the message (a lost
// answer, a timeout, a 5xx). Its next attempt asks the platform first.
const inFlight = "sending"

// unsure reports whether m's last post may have reached the platform.
func unsure(m *touchbase.Message) bool { return m.Ref == "" && strings.HasPrefix(m.Error, inFlight) }

// Wake asks the outbox to look at the outbox now (after a command enqueued
// something), without blocking.
func (s *Outbox) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is done.
func (s *Outbox) Run(ctx context.Context) error {
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
			s.Logger.ErrorContext(ctx, "outbox delivery", slog.Any("error", err))
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
func (s *Outbox) Flush(ctx context.Context) (time.Duration, error) {
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
			if tried[m.ID] || !s.Poster.Accept(m.To) {
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
// pause everything when the platform rate-limited the call. Everything it
// logs carries the request id of the command or job run that enqueued m.
func (s *Outbox) deliver(ctx context.Context, m *touchbase.Message) time.Duration {
	if m.RequestID != "" {
		ctx = touchbase.WithRequestID(ctx, m.RequestID)
	}
	outcome := "retry"
	defer func() {
		if s.Observe != nil {
			s.Observe(m.Key, outcome)
		}
	}()
	reply, err := DecodeReply(m.Body)
	if err != nil {
		m.Failed, m.Error, outcome = true, err.Error(), "failed"
		s.Logger.ErrorContext(ctx, "message cannot be read", slog.String("key", m.Key), slog.Any("error", err))
		s.record(ctx, m)
		return 0
	}
	err = s.post(ctx, m, reply)
	now := s.Now()
	var rl RetryAfter
	switch {
	case err == nil:
		m.SentAt, m.Error, outcome = now.UTC(), "", "sent"
		s.Logger.LogAttrs(ctx, slog.LevelInfo, "message delivered", slog.String("key", m.Key), slog.String("kind", kindOf(m.Key)),
			slog.Int("retries", m.Attempts), slog.Duration("waited", now.Sub(m.CreatedAt)))
	case errors.As(err, &rl):
		// Not the message's fault: it keeps its attempts.
		wait := max(rl.RetryAfter(), time.Second)
		s.pauseUntil = now.Add(wait)
		m.NextAttempt, m.Error, outcome = now.Add(wait).UTC(), err.Error(), "rate_limited"
		s.Logger.WarnContext(ctx, "rate limited", slog.String("key", m.Key), slog.Duration("retry_after", wait))
		s.record(ctx, m)
		return wait
	case isPermanent(err):
		m.Failed, m.Error, outcome = true, err.Error(), "failed"
		s.Logger.ErrorContext(ctx, "message cannot be delivered", slog.String("key", m.Key), slog.String("to", m.To), slog.Any("error", err))
	default:
		// A failure that is not a refusal may hide a success whose answer
		// was lost: the next attempt looks for the message before posting.
		m.Attempts++
		m.Error = inFlight + ": " + err.Error()
		if m.Attempts >= s.MaxAttempts {
			m.Failed, outcome = true, "failed"
			s.Logger.ErrorContext(ctx, "message given up", slog.String("key", m.Key), slog.Int("attempts", m.Attempts), slog.Any("error", err))
		} else {
			m.NextAttempt = now.Add(backoff(m.Attempts)).UTC()
			s.Logger.WarnContext(ctx, "message delivery failed, will retry", slog.String("key", m.Key), slog.Int("attempts", m.Attempts), slog.Any("error", err))
		}
	}
	s.record(ctx, m)
	return 0
}

// kindOf is the kind of a message, from its key: "notice", "reminders",
// "digest", "stalled", "renewal".
func kindOf(key string) string {
	k, _, _ := strings.Cut(key, "/")
	return k
}

// post records that the post starts, asks the platform first when the
// last attempt's outcome was lost, and posts.
func (s *Outbox) post(ctx context.Context, m *touchbase.Message, r *Reply) error {
	if unsure(m) {
		// The last attempt's outcome is not known (the process died, or
		// the answer was lost): the platform may have the message already.
		if ref, ok := s.Poster.Find(ctx, m); ok {
			s.Logger.InfoContext(ctx, "message was delivered before a restart; not sending it again", slog.String("key", m.Key))
			m.Ref = ref
			if r.Image == nil {
				return nil
			}
			s.record(ctx, m)
		}
	}
	if m.Ref == "" {
		// Recorded before the call, so that after a crash the next attempt
		// knows to look for the message first.
		m.Error = inFlight
		s.record(ctx, m)
	}
	return s.Poster.Post(ctx, m, r)
}

func isPermanent(err error) bool {
	var p Permanent
	return errors.As(err, &p) && p.Permanent()
}

// record writes the outcome of a delivery. If that write fails the message
// stays due and is tried again; the log says so.
func (s *Outbox) record(ctx context.Context, m *touchbase.Message) {
	err := s.DB.Update(context.WithoutCancel(ctx), func(tx touchbase.Tx) error { return tx.UpdateMessage(m) })
	if err != nil {
		s.Logger.ErrorContext(ctx, "record delivery", slog.String("key", m.Key), slog.Any("error", err))
	}
}

// backoff is 2^n seconds, at most ten minutes.
func backoff(attempts int) time.Duration {
	return min(time.Second<<min(attempts, 10), 10*time.Minute)
}
