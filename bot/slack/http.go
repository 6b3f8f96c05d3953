package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/touchbase/touchbase"
)

// maxBody bounds what a request may send; Slack's payloads are far smaller.
const maxBody = 1 << 20

// route is an endpoint of HTTP mode and the method that serves it.
type route struct {
	pattern string
	serve   func(*Bot, context.Context, http.ResponseWriter, []byte)
}

// routes are the endpoints of HTTP mode.
func routes() []route {
	return []route{
		{"POST /slack/commands", (*Bot).serveCommand},
		{"POST /slack/interactions", (*Bot).serveInteraction},
		{"POST /slack/events", (*Bot).serveEvent},
	}
}

// Patterns returns the method and path of each endpoint Routes serves, as
// http.ServeMux patterns, for a server that mounts them.
func Patterns() []string {
	var out []string
	for _, r := range routes() {
		out = append(out, r.pattern)
	}
	return out
}

// Routes returns the HTTP endpoints of HTTP mode: /slack/commands,
// /slack/interactions and /slack/events. Every request is verified against
// the signing secret over its raw body before anything is parsed; a failure
// is a 401 with no detail (the reason is logged), and nothing is stored.
func (b *Bot) Routes() http.Handler {
	mux := http.NewServeMux()
	for _, r := range routes() {
		serve := r.serve
		mux.HandleFunc(r.pattern, b.verified(func(ctx context.Context, w http.ResponseWriter, body []byte) { serve(b, ctx, w, body) }))
	}
	return mux
}

// verified gives the request an id when the server did not (see
// touchbase.RequestID), reads the body, checks Slack's signature, and
// recovers from a panic so that none reaches the server. next gets the
// request's context with its id: a copy of the request to carry it would
// be one more allocation per request, for a context only next reads.
func (b *Bot) verified(next func(context.Context, http.ResponseWriter, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if touchbase.RequestID(ctx) == "" {
			id := touchbase.NewRequestID()
			ctx = touchbase.WithRequestID(ctx, id)
			w.Header().Set("X-Request-Id", id)
		}
		defer func() {
			if p := recover(); p != nil {
				ref := newRef()
				b.Logger.ErrorContext(ctx, "panic in Slack request", slog.String("ref", ref), slog.Any("panic", p), slog.String("path", r.URL.Path))
				http.Error(w, "internal error "+ref, http.StatusInternalServerError)
			}
		}()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		} else if err != nil {
			// The client went away mid-body: what arrived is not the request.
			b.Logger.Warn("incomplete Slack request", slog.String("path", r.URL.Path), slog.Any("error", err))
			http.Error(w, "request body incomplete", http.StatusBadRequest)
			return
		}
		if err := Verify(r.Header, body, b.SigningSecret, b.Now()); err != nil {
			b.Logger.WarnContext(ctx, "refused unverified request", slog.String("path", r.URL.Path), slog.Any("reason", err))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next(ctx, w, body)
	}
}

// maxPooledAnswer bounds the buffers kept for writing answers: a rare
// answer of 50 blocks should not hold its memory for good.
const maxPooledAnswer = 16 << 10

// writeJSON writes v as JSON, as json.Encoder would (with a newline), and
// an empty 200 for nil. Answers to commands are written by hand into a
// buffer kept for the next one: the response copies what it is given.
func (b *Bot) writeJSON(w http.ResponseWriter, v any) {
	if v == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	e, ok := v.(*ephemeral)
	if !ok {
		_ = json.NewEncoder(w).Encode(v)
		return
	}
	p, _ := b.answers.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
		*p = make([]byte, 0, e.sizeHint())
	}
	buf := append(e.appendJSON((*p)[:0]), '\n')
	_, _ = w.Write(buf)
	if cap(buf) <= maxPooledAnswer {
		*p = buf
		b.answers.Put(p)
	}
}

func (b *Bot) serveCommand(ctx context.Context, w http.ResponseWriter, body []byte) {
	sc, err := parseSlashForm(string(body))
	if err != nil || sc.command == "" || sc.userID == "" {
		b.Logger.WarnContext(ctx, "malformed slash command", slog.Any("error", err))
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	if resp := b.slashCommand(ctx, sc); resp != nil {
		b.writeJSON(w, resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// parseSlashForm reads the slash command Slack posts as a form.
func parseSlashForm(q string) (slashRequest, error) {
	form, err := url.ParseQuery(q)
	return slashRequest{
		userID: form.Get("user_id"), userName: form.Get("user_name"), channelID: form.Get("channel_id"),
		command: form.Get("command"), text: form.Get("text"), responseURL: form.Get("response_url"), triggerID: form.Get("trigger_id"),
	}, err
}

func (b *Bot) serveInteraction(ctx context.Context, w http.ResponseWriter, body []byte) {
	form, err := url.ParseQuery(string(body))
	payload := form.Get("payload")
	if err != nil || payload == "" {
		http.Error(w, "no payload", http.StatusBadRequest)
		return
	}
	var cb slackgo.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil || cb.Type == "" {
		b.Logger.WarnContext(ctx, "malformed interaction", slog.Any("error", err))
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	b.writeJSON(w, b.interaction(ctx, &cb))
}

func (b *Bot) serveEvent(ctx context.Context, w http.ResponseWriter, body []byte) {
	ev, err := parseEvent(body)
	if err != nil {
		b.Logger.WarnContext(ctx, "malformed event", slog.Any("error", err))
		http.Error(w, "malformed event", http.StatusBadRequest)
		return
	}
	switch ev.Type {
	case "":
		http.Error(w, "malformed event: no type", http.StatusBadRequest)
	case slackevents.URLVerification:
		uv, ok := ev.Data.(*slackevents.EventsAPIURLVerificationEvent)
		if !ok || uv.Challenge == "" {
			http.Error(w, "malformed url_verification: no challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, uv.Challenge)
	case slackevents.CallbackEvent:
		// Applied before the 200: what Slack was told arrived is committed.
		// Commands are one short transaction, well inside Slack's 3 seconds.
		b.event(ctx, ev)
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusOK)
	}
}
