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
	"sync/atomic"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/teams"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
)

// settings are the environment of `touchbase serve`: Slack, Teams, or both.
type settings struct {
	addr string
	// Slack, when SLACK_BOT_TOKEN is set.
	slack                                          bool
	botToken, appToken, signingSecret, slackAPIURL string
	// Teams, when TEAMS_APP_ID is set.
	teams                                  bool
	teamsAppID, teamsPassword, teamsTenant string
	teamsMetadataURL, teamsTokenURL        string
}

// readSettings reads the environment and reports every problem, one clear
// line each.
func (m *Main) readSettings() (settings, error) {
	env := func(k string) string { return strings.TrimSpace(m.Getenv(k)) }
	s := settings{
		addr:     cmp.Or(env("TOUCHBASE_ADDR"), ":3000"),
		botToken: env("SLACK_BOT_TOKEN"), appToken: env("SLACK_APP_TOKEN"), signingSecret: env("SLACK_SIGNING_SECRET"), slackAPIURL: env("SLACK_API_URL"),
		teamsAppID: env("TEAMS_APP_ID"), teamsPassword: env("TEAMS_APP_PASSWORD"), teamsTenant: env("TEAMS_TENANT_ID"),
		teamsMetadataURL: env("TEAMS_OPENID_METADATA_URL"), teamsTokenURL: env("TEAMS_TOKEN_URL"),
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	s.teams = s.teamsAppID != "" || s.teamsPassword != "" || s.teamsTenant != ""
	s.slack = s.botToken != "" || !s.teams
	if s.slack {
		switch {
		case s.botToken == "":
			add("SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page (or set TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID for Teams)")
		case !strings.HasPrefix(s.botToken, "xoxb-"):
			add("SLACK_BOT_TOKEN does not start with xoxb-: use the Bot User OAuth Token, not a user or app token")
		}
		if s.appToken != "" && !strings.HasPrefix(s.appToken, "xapp-") {
			add("SLACK_APP_TOKEN does not start with xapp-: use an App-Level Token with the connections:write scope")
		}
		if s.appToken == "" && s.signingSecret == "" {
			add("SLACK_SIGNING_SECRET is not set: HTTP mode needs the Signing Secret from the app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)")
		}
		if s.slackAPIURL != "" {
			if !strings.HasPrefix(s.slackAPIURL, "http://") && !strings.HasPrefix(s.slackAPIURL, "https://") {
				add("SLACK_API_URL %q is not an http(s) URL: e.g. https://slack.com/api/", s.slackAPIURL)
			} else if !strings.HasSuffix(s.slackAPIURL, "/") {
				s.slackAPIURL += "/"
			}
		}
	}
	if s.teams {
		if s.teamsAppID == "" {
			add("TEAMS_APP_ID is not set: the Microsoft App ID of the Azure Bot")
		}
		if s.teamsPassword == "" {
			add("TEAMS_APP_PASSWORD is not set: a client secret of the bot's app registration")
		}
		if s.teamsTenant == "" {
			add("TEAMS_TENANT_ID is not set: the directory (tenant) id of the single-tenant bot")
		}
		for k, v := range map[string]string{"TEAMS_OPENID_METADATA_URL": s.teamsMetadataURL, "TEAMS_TOKEN_URL": s.teamsTokenURL} {
			if v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
				add("%s %q is not an http(s) URL", k, v)
			}
		}
	}
	if _, _, err := net.SplitHostPort(s.addr); err != nil {
		add("TOUCHBASE_ADDR %q is not host:port: e.g. :3000 or 127.0.0.1:3000", s.addr)
	}
	if len(problems) > 0 {
		return s, errors.New(strings.Join(problems, "\n"))
	}
	return s, nil
}

// slackOutbox returns the Slack client of s and the outbox delivered
// through it.
func (m *Main) slackOutbox(s settings, db handlers.DB, opts ...slackgo.Option) (*slackgo.Client, *handlers.Outbox) {
	if m.metrics != nil {
		opts = append(opts, slackgo.OptionHTTPClient(m.metrics.client("slack", 30*time.Second)))
	}
	if s.slackAPIURL != "" {
		opts = append(opts, slackgo.OptionAPIURL(s.slackAPIURL))
	}
	client := slackgo.New(s.botToken, opts...)
	out := slack.NewSender(db, client)
	out.Logger, out.Now = m.Logger, m.now
	if p, ok := out.Poster.(*slack.Poster); ok {
		p.Logger = m.Logger
	}
	if m.metrics != nil {
		out.Observe = m.metrics.observeDelivery
	}
	return client, out
}

// teamsOutbox returns the Teams connector of s and the outbox delivered
// through it.
func (m *Main) teamsOutbox(s settings, db handlers.DB) (*teams.Connector, *handlers.Outbox) {
	tokens := &teams.TokenSource{AppID: s.teamsAppID, Password: s.teamsPassword, TenantID: s.teamsTenant, TokenURL: s.teamsTokenURL, Now: m.now}
	conn := &teams.Connector{Tokens: tokens}
	out := handlers.NewOutbox(db, &teams.Poster{DB: db, Connector: conn})
	out.Logger, out.Now = m.Logger, m.now
	if m.metrics != nil {
		client := m.metrics.client("teams", 15*time.Second)
		tokens.HTTPClient, conn.HTTPClient, out.Observe = client, client, m.metrics.observeDelivery
	}
	return conn, out
}

// runServe runs touchbase until ctx is done: in Slack (Socket Mode when
// SLACK_APP_TOKEN is set, HTTP mode otherwise), in Teams (POST
// /api/messages) when TEAMS_APP_ID is set, or both; plus /healthz, the
// scheduler and each platform's outbox. It shuts down in order: stop
// intake, stop the scheduler, finish answers in flight, flush the outboxes,
// then (in Close) the database.
func (m *Main) runServe(ctx context.Context, args []string) error {
	fs, dbPath := m.flagSet("serve")
	now := fs.String("now", "", "start the clock at this RFC 3339 time, running on from there: to rehearse a morning's reminders or a Monday's digest on a copy of the data (Slack's and Teams' requests are checked on this clock too, so real ones are refused)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *now != "" {
		start, err := m.parseNow(*now)
		if err != nil {
			return err
		}
		clock, began := m.Now, m.Now()
		m.Now = func() time.Time { return start.Add(clock().Sub(began)) }
	}
	s, err := m.readSettings()
	if err != nil {
		return err
	}
	if m.ServeLogger != nil {
		m.Logger = m.ServeLogger
	}
	m.Logger = slog.New(touchbase.NewLogHandler(m.Logger.Handler()))
	cfg, db, err := m.open(*dbPath)
	if err != nil {
		return err
	}
	m.metrics = newMetrics(db)
	h := handlers.NewHandler(db, cfg)
	h.Logger, h.Now, h.Observe = m.Logger, m.now, m.metrics.observeCommand

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var outboxes []*handlers.Outbox
	wakeAll := func() {
		for _, o := range outboxes {
			o.Wake()
		}
	}
	// Every route is registered through handle, so that the metrics label
	// requests by it and the tests know what is served.
	mux := http.NewServeMux()
	var routes []string
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, h)
		routes = append(routes, pattern)
	}
	handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
	handle("GET /metrics", m.metrics.handler())
	// Ready: the store answers, and Slack (when used) accepted the token.
	var slackReady atomic.Bool
	slackReady.Store(!s.slack)
	handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		if err := db.View(ctx, func(tx touchbase.Tx) error { _, err := tx.OutboxDepth(); return err }); err != nil {
			http.Error(w, "store not ready", http.StatusServiceUnavailable)
			return
		}
		if !slackReady.Load() {
			http.Error(w, "Slack auth.test has not passed", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	}))
	errc := make(chan error, 3)
	var slackBot *slack.Bot
	var sm *socketmode.Client
	if s.slack {
		var opts []slackgo.Option
		if s.appToken != "" {
			opts = append(opts, slackgo.OptionAppLevelToken(s.appToken))
		}
		client, sender := m.slackOutbox(s, db, opts...)
		outboxes = append(outboxes, sender)
		go func() {
			for attempt := 0; ctx.Err() == nil; attempt++ {
				actx, cancel := context.WithTimeout(ctx, 10*time.Second)
				_, err := client.AuthTestContext(actx)
				cancel()
				if err == nil {
					slackReady.Store(true)
					return
				}
				m.Logger.Error("Slack auth.test failed; check SLACK_BOT_TOKEN", slog.Any("error", err))
				select {
				case <-ctx.Done():
				case <-time.After(min(time.Duration(attempt+1)*5*time.Second, time.Minute)):
				}
			}
		}()
		slackBot = slack.NewBot(h, client, sender)
		slackBot.SigningSecret, slackBot.Logger, slackBot.Now = s.signingSecret, m.Logger, m.now
		if s.appToken == "" {
			endpoints := slackBot.Routes()
			for _, p := range slack.Patterns() {
				handle(p, endpoints)
			}
		} else {
			sm = socketmode.New(client)
		}
	}
	if s.teams {
		conn, out := m.teamsOutbox(s, db)
		auth := teams.NewAuthenticator(s.teamsAppID, s.teamsMetadataURL)
		auth.Now, auth.Logger = m.now, m.Logger
		outboxes = append(outboxes, out)
		tb := teams.NewBot(h, db, auth, conn)
		tb.Outbox, tb.Logger, tb.Now = out, m.Logger, m.now
		handle("POST /api/messages", tb)
	}
	for _, o := range outboxes {
		wg.Go(func() { _ = o.Run(ctx) })
	}
	sched := scheduler.New(db, cfg)
	sched.Logger, sched.Now, sched.Wake, sched.Observe = m.Logger, m.now, wakeAll, m.metrics.observeJob
	if err := sched.Start(ctx); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("listen on TOUCHBASE_ADDR %s: %w", s.addr, err)
	}
	srv := &http.Server{Handler: logRequests(m.Logger, m.metrics.instrument(mux, routes)), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 15 * time.Second}
	m.routes = routes
	stopAdmin, aerr := m.serveAdmin(db)
	if aerr != nil {
		m.Logger.Warn("hot backup unavailable; touchbase backup works only with touchbase stopped", slog.Any("error", aerr))
		stopAdmin = func() {}
	}
	m.setAddr(ln.Addr().String())
	go func() { errc <- srv.Serve(ln) }()
	if sm != nil {
		go func() { errc <- slackBot.RunSocketMode(ctx, sm) }()
	}
	m.Logger.Info("touchbase serving", slog.Bool("slack", s.slack), slog.Bool("socket_mode", sm != nil), slog.Bool("teams", s.teams),
		slog.String("addr", ln.Addr().String()), slog.String("db", db.Path()))

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
	stopAdmin()
	sched.Stop(shutdownCtx)
	cancel()
	if slackBot != nil {
		slackBot.Wait()
	}
	wg.Wait()
	for _, o := range outboxes {
		if _, ferr := o.Flush(shutdownCtx); ferr != nil {
			m.Logger.Warn("outbox not flushed at shutdown; it is sent at the next start", slog.Any("error", ferr))
		}
	}
	return err
}
