// Command touchbase runs the touchbase sales assistant: in a terminal
// (console), and its maintenance jobs (export, import, backup, compact).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/touchbase/touchbase"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain()
	err := m.Run(ctx, os.Args[1:])
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	} else if err != nil {
		fmt.Fprintln(m.Stderr, "touchbase:", errorText(err))
		os.Exit(1)
	}
}

// errorText is what the command line shows of an error: the message users
// may read, or the full error when it is internal (the operator needs it).
func errorText(err error) string {
	if touchbase.ErrorCode(err) == touchbase.EINTERNAL {
		return err.Error()
	}
	return touchbase.ErrorMessage(err)
}

// Main is the program: its streams, environment and what it opened, so that
// tests can run it whole.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// StdinIsTerminal reports whether Stdin is interactive.
	StdinIsTerminal func() bool
	Logger          *slog.Logger
	// ServeLogger is the logger of serve (nil: Logger).
	ServeLogger *slog.Logger
	// Now is the clock of everything Run starts.
	Now func() time.Time

	closers []func() error
	metrics *metrics // while serving
	routes  []string // the patterns serve serves, once it listens

	mu    sync.Mutex
	addr  string        // where serve listens, once it does
	ready chan struct{} // closed when addr is set
}

func (m *Main) now() time.Time { return m.Now() }

func (m *Main) setAddr(a string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.addr = a
	close(m.ready)
}

// Addr waits until serve listens and returns its address (for tests that
// run the real program on :0).
func (m *Main) Addr(ctx context.Context) (string, error) {
	select {
	case <-m.ready:
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.addr, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// NewMain returns a Main on the process's streams and environment.
func NewMain() *Main {
	return &Main{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		StdinIsTerminal: func() bool {
			fi, err := os.Stdin.Stat()
			return err == nil && fi.Mode()&os.ModeCharDevice != 0
		},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		// serve logs JSON at info level for a log pipeline; the terminal
		// commands log only warnings, as text. Both add the request id
		// (Run wraps them in a touchbase.LogHandler).
		ServeLogger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
		Now:         time.Now,
		ready:       make(chan struct{}),
	}
}

// Close releases what Run opened, in reverse order.
func (m *Main) Close() error {
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.closers = nil
	return errors.Join(errs...)
}

const usage = `touchbase — a chat assistant for B2B sales teams.

Usage:
  touchbase demo    [--now RFC3339] [--chart FILE] [--seed N]
  touchbase serve   [--db FILE] [--now RFC3339]
  touchbase jobs run <reminders|stalled|nurture|renewals|digest|claims> [--db FILE] [--now RFC3339]
  touchbase console [--db FILE] [--user ID] [--name NAME] [--tz ZONE] [--now RFC3339]
  touchbase export  [--db FILE] [--format json|csv] [--out DIR]
  touchbase import  [--db FILE] [--no-compact] FILE   (with touchbase stopped; then compacts the file)
  touchbase backup  [--db FILE] FILE     (while serving too: asks the running touchbase)
  touchbase restore [--db FILE] FILE     (with touchbase stopped; keeps the file it replaces)
  touchbase compact [--db FILE]          (with touchbase stopped; rewrites the file smaller, keeps the old one)
  touchbase teams-package --app-id GUID [--out touchbase-teams.zip]
  touchbase healthcheck [--addr HOST:PORT]
  touchbase config  check FILE | print [--config FILE]   (serve, console, jobs, export take --config FILE too)
  touchbase version

The database is --db, else $TOUCHBASE_DB, else touchbase.db in the current directory.
serve runs in Teams too (POST /api/messages) when TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID
are set; TEAMS_OPENID_METADATA_URL and TEAMS_TOKEN_URL override Microsoft's endpoints.
serve runs in Slack: Socket Mode when SLACK_APP_TOKEN (xapp-) is set, HTTP mode otherwise on
TOUCHBASE_ADDR (default :3000) with /slack/commands, /slack/interactions, /slack/events and /healthz.
It needs SLACK_BOT_TOKEN (xoxb-) and, in HTTP mode, SLACK_SIGNING_SECRET; SLACK_API_URL overrides
Slack's Web API base URL.
Amounts typed without a currency are in $TOUCHBASE_CURRENCY (an ISO 4217 code; default USD).
`

// Run runs the subcommand in args.
func (m *Main) Run(ctx context.Context, args []string) error {
	if m.Logger == nil {
		m.Logger = slog.New(slog.DiscardHandler)
	}
	m.Logger = slog.New(touchbase.NewLogHandler(m.Logger.Handler()))
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "serve":
		return m.runServe(ctx, args[1:])
	case "healthcheck":
		return m.runHealthcheck(ctx, args[1:])
	case "teams-package":
		return m.runTeamsPackage(args[1:])
	case "demo":
		return m.runDemo(ctx, args[1:])
	case "jobs":
		return m.runJobs(ctx, args[1:])
	case "console":
		return m.runConsole(ctx, args[1:])
	case "export":
		return m.runExport(ctx, args[1:])
	case "config":
		return m.runConfig(ctx, args[1:])
	case "import":
		return m.runImport(ctx, args[1:])
	case "backup":
		return m.runBackup(ctx, args[1:])
	case "restore":
		return m.runRestore(ctx, args[1:])
	case "compact":
		return m.runCompact(ctx, args[1:])
	case "version", "--version":
		fmt.Fprintln(m.Stdout, "touchbase", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprintf(m.Stderr, "touchbase: unknown command %q\n\n%s", args[0], usage)
	return flag.ErrHelp
}
