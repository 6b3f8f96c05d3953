// Package slack is the Slack platform of touchbase: it verifies and decodes
// Slack's requests (HTTP or Socket Mode), runs them through the handlers,
// renders the platform-neutral replies as Block Kit, opens modals, publishes
// the App Home, and delivers the outbox.
package slack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Bot is touchbase in one Slack workspace.
type Bot struct {
	Handler *handlers.Handler
	Client  *slackgo.Client
	Sender  *Sender
	// SigningSecret verifies HTTP requests; unused in Socket Mode.
	SigningSecret string
	Now           func() time.Time
	Logger        *slog.Logger
	// AckTimeout is how long a command may run before Slack is answered
	// with "working on it" and the answer follows through response_url;
	// Slack gives 3 seconds in all.
	AckTimeout time.Duration
	// HTTPClient posts to response_url.
	HTTPClient *http.Client

	mu    sync.Mutex
	users map[string]cachedUser
	wg    sync.WaitGroup // answers still being posted to response_url

	answers sync.Pool // *[]byte: buffers for writing answers (writeJSON)
}

type cachedUser struct {
	user    handlers.User
	fetched time.Time
}

// NewBot returns a Bot running commands on h and calling Slack through client.
func NewBot(h *handlers.Handler, client *slackgo.Client, sender *Sender) *Bot {
	return &Bot{
		Handler: h, Client: client, Sender: sender,
		Now:        time.Now,
		Logger:     slog.New(slog.DiscardHandler),
		AckTimeout: 2500 * time.Millisecond,
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		users:      map[string]cachedUser{},
	}
}

// Wait waits for answers still being posted to response_url (at shutdown).
func (b *Bot) Wait() { b.wg.Wait() }

// user returns the rep behind a Slack user id, with their time zone from
// users.info, looked up on first contact and refreshed daily. When Slack
// cannot answer, the rep works in UTC until the next try.
func (b *Bot) user(ctx context.Context, id, name string) handlers.User {
	now := b.Now()
	b.mu.Lock()
	cu, ok := b.users[id]
	b.mu.Unlock()
	if ok && now.Sub(cu.fetched) < 24*time.Hour {
		return cu.user
	}
	u := handlers.User{ID: id, Name: name}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	info, err := b.Client.GetUserInfoContext(ctx, id)
	fetched := now
	if err != nil {
		b.Logger.WarnContext(ctx, "users.info failed; using UTC", slog.String("user", id), slog.Any("error", err))
		fetched = now.Add(-24*time.Hour + 5*time.Minute) // retry in five minutes
		if ok {
			u = cu.user
		}
	} else {
		u.TimeZone = info.TZ
		if n := info.Profile.DisplayName; n != "" {
			u.Name = n
		} else if info.Name != "" {
			u.Name = info.Name
		}
	}
	if u.Name == "" {
		u.Name = id
	}
	b.mu.Lock()
	b.users[id] = cachedUser{user: u, fetched: fetched}
	b.mu.Unlock()
	return u
}

// errorReply turns a refusal into what the rep reads, in one place: the
// message for refusals, a short apology with a reference for internal
// errors (logged here, once).
func (b *Bot) errorReply(ctx context.Context, err error) *handlers.Reply {
	if touchbase.ErrorCode(err) != touchbase.EINTERNAL {
		return &handlers.Reply{Title: ":x: " + touchbase.ErrorMessage(err)}
	}
	ref := newRef()
	b.Logger.ErrorContext(ctx, "command failed", slog.String("ref", ref), slog.Any("error", err))
	return &handlers.Reply{Title: ":x: " + touchbase.ErrorMessage(err) + " (reference " + ref + ")"}
}

func newRef() string {
	p := make([]byte, 4)
	_, _ = rand.Read(p)
	return hex.EncodeToString(p)
}

func ephemeralOf(r *handlers.Reply) *ephemeral {
	return &ephemeral{ResponseType: "ephemeral", Text: FallbackText(r), Blocks: kitBlocks(r)}
}

// postResponse posts an answer to a response_url.
func (b *Bot) postResponse(ctx context.Context, url string, r *handlers.Reply) {
	if url == "" {
		return
	}
	e := ephemeralOf(r)
	body := e.appendJSON(make([]byte, 0, e.sizeHint()))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		b.Logger.ErrorContext(ctx, "response_url", slog.Any("error", err))
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.HTTPClient.Do(req)
	if err != nil {
		b.Logger.WarnContext(ctx, "response_url post failed", slog.Any("error", err))
		return
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		b.Logger.WarnContext(ctx, "response_url post refused", slog.Int("status", resp.StatusCode))
	}
}

// slashRequest is what touchbase reads of a slash command: from the form
// Slack posts in HTTP mode, from slack-go's SlashCommand in Socket Mode.
type slashRequest struct {
	userID, userName, channelID string
	command, text               string
	responseURL, triggerID      string
}

func slashRequestOf(sc *slackgo.SlashCommand) slashRequest {
	return slashRequest{
		userID: sc.UserID, userName: sc.UserName, channelID: sc.ChannelID,
		command: sc.Command, text: sc.Text, responseURL: sc.ResponseURL, triggerID: sc.TriggerID,
	}
}

// modalVerbs open a form when typed without arguments.
var modalVerbs = map[string]bool{"lead": true, "log": true, "deal": true, "convert": true, "qualify": true}

// commandLine turns a slash command into a line of the command language:
// "/log" + "call Acme" → "/log call Acme"; "/tb" + "log call Acme" stays
// under /tb.
func commandLine(command, text string) string {
	return strings.TrimSpace(command + " " + unescape(text))
}

// unescaper undoes Slack's escaping of what the rep typed (&, <, >). It is
// built once: building a Replacer costs more than running it, and a Replacer
// is safe for concurrent use.
var unescaper = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// unescape undoes Slack's escaping of what the rep typed (&, <, >); the
// mentions Slack inserts (<@U123|name>, <#C123|name>) are literal already.
func unescape(s string) string {
	if strings.IndexByte(s, '&') < 0 {
		return s // nothing escaped: most commands
	}
	return unescaper.Replace(s)
}

// slashCommand runs a slash command and returns the immediate answer (nil
// for an empty 200, as after opening a modal). It acknowledges within
// AckTimeout: slower work finishes through response_url.
func (b *Bot) slashCommand(ctx context.Context, sc slashRequest) *ephemeral {
	line := commandLine(sc.command, sc.text)
	cmd, err := handlers.ParseCommand(line)
	if err != nil {
		return ephemeralOf(b.errorReply(ctx, err))
	}
	if modalVerbs[cmd.Verb] && len(cmd.Args) == 0 && len(cmd.Opts) == 0 && sc.triggerID != "" {
		if err := b.openModal(ctx, sc.triggerID, cmd.Verb, nil); err != nil {
			return ephemeralOf(b.errorReply(ctx, err))
		}
		return nil
	}
	run := &slashRun{b: b, ctx: ctx, sc: sc, cmd: cmd, done: make(chan *handlers.Reply, 1)}
	b.wg.Add(1)
	go run.run()
	t := time.NewTimer(b.AckTimeout)
	defer t.Stop()
	var r *handlers.Reply
	select {
	case r = <-run.done:
	case <-t.C:
		run.mu.Lock()
		select {
		case r = <-run.done:
		default:
			run.late = true
		}
		run.mu.Unlock()
		if run.late {
			return &ephemeral{ResponseType: "ephemeral", Text: "Working on it…"}
		}
	}
	if r == nil {
		return nil
	}
	return ephemeralOf(r)
}

// slashRun is a slash command running on a goroutine of its own, and what
// it shares with the request waiting for it: in one allocation.
type slashRun struct {
	b    *Bot
	ctx  context.Context
	sc   slashRequest
	cmd  *handlers.Command
	done chan *handlers.Reply

	mu   sync.Mutex
	late bool // Slack was answered "working on it": post the result
}

func (c *slashRun) run() {
	b := c.b
	defer b.wg.Done()
	// The command outlives the request when it is slow: Slack has been
	// answered, and the rep gets the result through response_url.
	ctx := context.WithoutCancel(c.ctx)
	r := b.runCommand(ctx, c.sc, c.cmd)
	c.mu.Lock()
	if !c.late {
		c.done <- r
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	if r != nil {
		b.postResponse(ctx, c.sc.responseURL, r)
	}
}

// runCommand runs a slash command for slashCommand and returns the answer,
// nil when it opened a modal instead. Looking the rep up is part of it, so
// that a slow users.info counts against AckTimeout rather than before it.
// It runs on a goroutine of its own, where the server's recover does not
// reach: a panic is answered and logged here as an internal error, instead
// of ending the process.
func (b *Bot) runCommand(ctx context.Context, sc slashRequest, cmd *handlers.Command) (r *handlers.Reply) {
	defer func() {
		if p := recover(); p != nil {
			r = b.errorReply(ctx, fmt.Errorf("slack: panic running /%s: %v\n%s", cmd.Verb, p, debug.Stack()))
		}
	}()
	u := b.user(ctx, sc.userID, sc.userName)
	if sc.channelID != "" {
		u.Channel = "<#" + sc.channelID + ">"
	}
	r, err := b.Handler.Run(ctx, u, cmd)
	switch {
	case err != nil:
		r = b.errorReply(ctx, err)
	case r.Form != nil && sc.triggerID != "":
		if err := b.openModal(ctx, sc.triggerID, cmd.Verb, r.Form); err != nil {
			r = b.errorReply(ctx, err)
		} else {
			r = nil
		}
	}
	b.afterCommand(r)
	return r
}

// afterCommand wakes the sender when a command left messages in the outbox.
func (b *Bot) afterCommand(r *handlers.Reply) {
	if r != nil && len(r.Notices) > 0 && b.Sender != nil {
		b.Sender.Wake()
	}
}

func (b *Bot) openModal(ctx context.Context, triggerID, verb string, f *handlers.Form) error {
	view, err := Modal(verb, f)
	if err != nil {
		return err
	}
	if _, err := b.Client.OpenViewContext(ctx, triggerID, view); err != nil {
		return touchbase.Errorf(touchbase.EINTERNAL, "views.open: %v", err)
	}
	return nil
}
