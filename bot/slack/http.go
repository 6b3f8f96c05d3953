package slack

import (
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
	serve   func(*Bot, http.ResponseWriter, *http.Request, []byte)
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
		mux.HandleFunc(r.pattern, b.verified(func(w http.ResponseWriter, req *http.Request, body []byte) { serve(b, w, req, body) }))
	}
	return mux
}

// verified gives the request an id when the server did not (see
// touchbase.RequestID), reads the body, checks Slack's signature, and
// recovers from a panic so that none reaches the server.
func (b *Bot) verified(next func(http.ResponseWriter, *http.Request, []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if touchbase.RequestID(r.Context()) == "" {
			id := touchbase.NewRequestID()
			r = r.WithContext(touchbase.WithRequestID(r.Context(), id))
			w.Header().Set("X-Request-Id", id)
		}
		defer func() {
			if p := recover(); p != nil {
				ref := newRef()
				b.Logger.ErrorContext(r.Context(), "panic in Slack request", slog.String("ref", ref), slog.Any("panic", p), slog.String("path", r.URL.Path))
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
			b.Logger.WarnContext(r.Context(), "refused unverified request", slog.String("path", r.URL.Path), slog.Any("reason", err))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		next(w, r, body)
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

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("command") == "" || form.Get("user_id") == "" {
		b.Logger.WarnContext(r.Context(), "malformed slash command", slog.Any("error", err))
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	sc := slackgo.SlashCommand{
		TeamID: form.Get("team_id"), ChannelID: form.Get("channel_id"), UserID: form.Get("user_id"), UserName: form.Get("user_name"),
		Command: form.Get("command"), Text: form.Get("text"), ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"),
	}
	if resp := b.slashCommand(r.Context(), sc); resp != nil {
		b.writeJSON(w, resp)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (b *Bot) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	payload := form.Get("payload")
	if err != nil || payload == "" {
		http.Error(w, "no payload", http.StatusBadRequest)
		return
	}
	var cb slackgo.InteractionCallback
	if err := json.Unmarshal([]byte(payload), &cb); err != nil || cb.Type == "" {
		b.Logger.WarnContext(r.Context(), "malformed interaction", slog.Any("error", err))
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return
	}
	b.writeJSON(w, b.interaction(r.Context(), &cb))
}

func (b *Bot) serveEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := parseEvent(body)
	if err != nil {
		b.Logger.WarnContext(r.Context(), "malformed event", slog.Any("error", err))
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
		b.event(r.Context(), ev)
		w.WriteHeader(http.StatusOK)
	default:
		w.WriteHeader(http.StatusOK)
	}
}
