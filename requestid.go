package touchbase

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
)

// A request id names one piece of work that came from outside — a Slack
// request, a Socket Mode envelope, a Teams activity, a scheduled job run —
// in every log line it causes, down to the delivery of the messages it put
// in the outbox (which keep it in Message.RequestID, across a restart).
// It is given at the edge, where the work comes in, and travels in the
// context.

type requestIDKey struct{}

// WithRequestID returns a copy of ctx that carries the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "" when it carries none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// NewRequestID returns a fresh random request id: 16 hex digits.
func NewRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	var id [16]byte
	hex.Encode(id[:], b[:])
	return string(id[:])
}

// MaxRequestIDLen bounds a request id taken from outside.
const MaxRequestIDLen = 64

// ValidRequestID reports whether id, received from outside (an X-Request-Id
// header, a Socket Mode envelope id), is fit to be logged and stored as a
// request id: 1 to 64 letters, digits, '-', '_' or '.'. Anything else —
// spaces, quotes, control characters that could forge a log line, an
// unbounded length — is replaced by a fresh id rather than cleaned.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// RequestIDOr returns id when it is a valid request id, else a fresh one.
func RequestIDOr(id string) string {
	if ValidRequestID(id) {
		return id
	}
	return NewRequestID()
}

// LogHandler is a slog.Handler that adds the request id of the context
// ("request_id") to every record logged with one, and hands the record on
// to Next. Log with the …Context methods (InfoContext, LogAttrs) wherever a
// context is at hand, so the line carries the id. The attribute goes after
// the record's own, inside any group opened with WithGroup.
type LogHandler struct {
	Next slog.Handler
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler returns a LogHandler over next; over a LogHandler it
// returns that one, so wrapping twice adds the id once.
func NewLogHandler(next slog.Handler) *LogHandler {
	if h, ok := next.(*LogHandler); ok {
		return h
	}
	return &LogHandler{Next: next}
}

// Enabled reports whether Next handles records at level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.Next.Enabled(ctx, level)
}

// Handle adds the request id of ctx, if any, and passes r to Next.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		// A record may share its attributes with copies: add to a clone.
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Next.Handle(ctx, r)
}

// WithAttrs returns a LogHandler whose Next has attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{Next: h.Next.WithAttrs(attrs)}
}

// WithGroup returns a LogHandler whose Next opens group name.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{Next: h.Next.WithGroup(name)}
}
