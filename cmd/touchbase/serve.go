package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
)

// slackSettings are the environment of `touchbase serve`.
type slackSettings struct {
	botToken, appToken, signingSecret, apiURL, addr string
}

// readSlackSettings reads the environment and reports every problem, one
// clear line each.
func (m *Main) readSlackSettings() (slackSettings, error) {
	s := slackSettings{
		botToken:      strings.TrimSpace(m.Getenv("SLACK_BOT_TOKEN")),
		appToken:      strings.TrimSpace(m.Getenv("SLACK_APP_TOKEN")),
		signingSecret: strings.TrimSpace(m.Getenv("SLACK_SIGNING_SECRET")),
		apiURL:        strings.TrimSpace(m.Getenv("SLACK_API_URL")),
		addr:          cmp.Or(strings.TrimSpace(m.Getenv("TOUCHBASE_ADDR")), ":3000"),
	}
	var problems []string
	switch {
	case s.botToken == "":
		problems = append(problems, "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page")
	case !strings.HasPrefix(s.botToken, "xoxb-"):
		problems = append(problems, "SLACK_BOT_TOKEN does not start with xoxb-: use the Bot User OAuth Token, not a user or app token")
	}
	if s.appToken != "" && !strings.HasPrefix(s.appToken, "xapp-") {
		problems = append(problems, "SLACK_APP_TOKEN does not start with xapp-: use an App-Level Token with the connections:write scope")
	}
	if s.appToken == "" && s.signingSecret == "" {
		problems = append(problems, "SLACK_SIGNING_SECRET is not set: HTTP mode needs the Signing Secret from the app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	if s.apiURL != "" {
		if !strings.HasPrefix(s.apiURL, "http://") && !strings.HasPrefix(s.apiURL, "https://") {
			problems = append(problems, fmt.Sprintf("SLACK_API_URL %q is not an http(s) URL: e.g. https://slack.com/api/", s.apiURL))
		} else if !strings.HasSuffix(s.apiURL, "/") {
			s.apiURL += "/"
		}
	}
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		problems = append(problems, fmt.Sprintf("TOUCHBASE_ADDR %q is not host:port: e.g. :3000 or 127.0.0.1:3000", s.addr))
	}
	if len(problems) > 0 {
		return s, errors.New(strings.Join(problems, "\n"))
	}
	return s, nil
}

// runServe runs touchbase in Slack until ctx is done: Socket Mode when
// SLACK_APP_TOKEN is set, HTTP mode otherwise, plus /healthz, and the
// outbox sender. It shuts down in order: stop intake, finish answers in
// flight, flush the outbox, then (in Close) the database.
func (m *Main) runServe(ctx context.Context, args []string) error {
	fs, dbPath := m.flagSet("serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := m.readSlackSettings()
	if err != nil {
		return err
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	db, err := m.openDB(*dbPath)
	if err != nil {
		return err
	}
	opts := []slackgo.Option{}
	if s.apiURL != "" {
		opts = append(opts, slackgo.OptionAPIURL(s.apiURL))
	}
	if s.appToken != "" {
		opts = append(opts, slackgo.OptionAppLevelToken(s.appToken))
	}
	client := slackgo.New(s.botToken, opts...)

	h := handlers.NewHandler(db, cfg)
	h.Logger = m.Logger
	h.Now = m.now
	sender := slack.NewSender(db, client)
	sender.Logger, sender.Now = m.Logger, m.now
	bot := slack.NewBot(h, client, sender)
	bot.SigningSecret, bot.Logger, bot.Now = s.signingSecret, m.Logger, m.now

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { _ = sender.Run(ctx) })
	sched := scheduler.New(db, cfg)
	sched.Logger, sched.Now, sched.Wake = m.Logger, m.now, sender.Wake
	if err := sched.Start(ctx); err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	if s.appToken == "" {
		mux.Handle("/slack/", bot.Routes())
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on TOUCHBASE_ADDR %s: %w", s.addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	m.setAddr(ln.Addr().String())
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	mode := "http"
	if s.appToken != "" {
		mode = "socket"
		sm := socketmode.New(client)
		go func() { errc <- bot.RunSocketMode(ctx, sm) }()
	}
	m.Logger.Info("touchbase serving", slog.String("mode", mode), slog.String("addr", ln.Addr().String()), slog.String("db", db.Path()))

	select {
	case <-ctx.Done():
	case err = <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
	}
	// Stop intake, then let answers in flight finish (bounded).
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdownCtx)
	sched.Stop(shutdownCtx)
	cancel()
	bot.Wait()
	wg.Wait()
	if _, ferr := sender.Flush(shutdownCtx); ferr != nil {
		m.Logger.Warn("outbox not flushed at shutdown; it is sent at the next start", slog.Any("error", ferr))
	}
	return err
}
