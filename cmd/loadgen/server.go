package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// server is a server under load, listening on 127.0.0.1.
type server struct {
	name string
	url  string    // where slash commands go
	db   *store.DB // the full server's database; nil for verify-only
	srv  *http.Server
	wait func() // waits for commands still running after their answer
	// closeDB closes what the server used, after it stopped serving.
	closeDB func() error
}

// newHTTPServer returns an http.Server with the settings of touchbase serve.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
}

// serve starts srv on 127.0.0.1:0 and returns its base URL.
func serve(srv *http.Server) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// Close stops intake, lets answers in flight finish (bounded), and closes
// the database.
func (s *server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if s.wait != nil {
		s.wait()
	}
	if s.closeDB != nil {
		err = errors.Join(err, s.closeDB())
	}
	return err
}

// startFull starts the HTTP wiring of touchbase serve on a new database in
// dir, seeded through the handlers, calling Slack at stub.
func startFull(ctx context.Context, dir, secret string, stub *slackStub) (*server, error) {
	db := store.NewDB(filepath.Join(dir, "touchbase.db"))
	if err := db.Open(); err != nil {
		return nil, err
	}
	h := handlers.NewHandler(db, touchbase.DefaultConfig())
	if err := seed(ctx, h); err != nil {
		_ = db.Close()
		return nil, err
	}
	client := slackgo.New("xoxb-loadgen", slackgo.OptionAPIURL(stub.URL()+"/api/"))
	bot := slack.NewBot(h, client, nil)
	bot.SigningSecret = secret

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/slack/", bot.Routes())
	s := &server{name: "full", db: db, srv: newHTTPServer(mux), wait: bot.Wait, closeDB: db.Close}
	base, err := serve(s.srv)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	s.url = base + "/slack/commands"
	return s, nil
}

// seed adds the leads as their owners would, one command each.
func seed(ctx context.Context, h *handlers.Handler) error {
	for i := range leads {
		id := repID(i % reps)
		u := handlers.User{ID: id, Name: repName(id), TimeZone: stubTimeZone}
		line := fmt.Sprintf(`/lead "Person %d" company:"Company %d KK"`, i, i)
		if _, err := h.Handle(ctx, u, line); err != nil {
			return fmt.Errorf("seed %s: %w", line, err)
		}
	}
	return nil
}

// startVerifyOnly starts the baseline: the server settings, routing,
// signature check, form parsing and command parsing of the full server, and
// a fixed answer of similar size; no handler, no store.
func startVerifyOnly(secret string) (*server, error) {
	answer, err := fixedAnswer()
	if err != nil {
		return nil, err
	}
	commands := http.NewServeMux()
	commands.HandleFunc("POST /slack/commands", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := slack.Verify(r.Header, body, secret, time.Now()); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil || form.Get("command") == "" || form.Get("user_id") == "" {
			http.Error(w, "malformed slash command", http.StatusBadRequest)
			return
		}
		if _, err := handlers.ParseCommand(strings.TrimSpace(form.Get("command") + " " + form.Get("text"))); err != nil {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": ":x: " + touchbase.ErrorMessage(err)})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/slack/", commands)
	s := &server{name: "verify-only", srv: newHTTPServer(mux)}
	base, err := serve(s.srv)
	if err != nil {
		return nil, err
	}
	s.url = base + "/slack/commands"
	return s, nil
}

// fixedAnswer is what the full server answers a /log (the same blocks and
// buttons, about 900 bytes), rendered once.
func fixedAnswer() ([]byte, error) {
	r := &handlers.Reply{
		Title: "Logged call with Person 123 (Company 123 KK) — touch 1 of 5. Next follow-up: Fri 2026-01-09.",
		Lines: []string{"“asked for pricing”"},
		Actions: []handlers.Action{
			{Label: "Snooze 1 day", Command: "snooze lead#124 tomorrow"},
			{Label: "Qualify", Command: "qualify lead#124"},
			{Label: "Move to nurture", Command: "nurture lead#124"},
		},
	}
	b, err := json.Marshal(struct {
		ResponseType    string          `json:"response_type,omitempty"`
		Text            string          `json:"text"`
		Blocks          []slackgo.Block `json:"blocks,omitempty"`
		ReplaceOriginal bool            `json:"replace_original"`
	}{"ephemeral", slack.FallbackText(r), slack.Blocks(r), false})
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// The stub's users are all in Tokyo.
const stubTimeZone = "Asia/Tokyo"

// slackStub is the Slack Web API as far as the full server calls it
// (users.info, auth.test, chat.postMessage), plus a response_url; it answers
// on 127.0.0.1, so nothing leaves the machine.
type slackStub struct {
	srv  *http.Server
	base string
}

func startSlackStub() (*slackStub, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/users.info", func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("user")
		writeStubJSON(w, map[string]any{"ok": true, "user": map[string]any{
			"id": id, "team_id": "T0LOADGEN", "name": repName(id), "real_name": "Rep " + id,
			"tz": stubTimeZone, "tz_label": "Japan Standard Time", "tz_offset": 9 * 3600,
			"profile": map[string]any{"display_name": repName(id), "real_name": "Rep " + id},
		}})
	})
	mux.HandleFunc("/api/auth.test", func(w http.ResponseWriter, r *http.Request) {
		writeStubJSON(w, map[string]any{"ok": true, "url": "https://loadgen.slack.com/", "team": "loadgen",
			"user": "touchbase", "team_id": "T0LOADGEN", "user_id": "U0BOT", "bot_id": "B0BOT"})
	})
	mux.HandleFunc("/api/chat.postMessage", func(w http.ResponseWriter, r *http.Request) {
		writeStubJSON(w, map[string]any{"ok": true, "channel": r.FormValue("channel"), "ts": "1767225600.000100"})
	})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeStubJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	})
	mux.HandleFunc("POST /response", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})
	s := &slackStub{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}}
	base, err := serve(s.srv)
	if err != nil {
		return nil, err
	}
	s.base = base
	return s, nil
}

// URL returns the stub's base URL, without a trailing slash.
func (s *slackStub) URL() string { return s.base }

// Close stops the stub.
func (s *slackStub) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

func writeStubJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}
