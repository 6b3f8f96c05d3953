// Package teams is the Microsoft Teams platform of touchbase, through the Bot
// Framework: it authenticates each incoming activity's token, runs the
// command language typed to the bot (or an Adaptive Card's submit) through
// the handlers, answers with Adaptive Cards, keeps each conversation's
// reference, and delivers the outbox's Teams messages (reminders, handoffs,
// digests) through the connector.
package teams

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Bot is touchbase in Teams.
type Bot struct {
	Handler   *handlers.Handler
	DB        handlers.DB
	Auth      *Authenticator
	Connector *Connector
	// Outbox is woken after a command leaves messages in it.
	Outbox *handlers.Outbox
	Now    func() time.Time
	Logger *slog.Logger
}

// NewBot returns a Bot.
func NewBot(h *handlers.Handler, db handlers.DB, auth *Authenticator, conn *Connector) *Bot {
	return &Bot{Handler: h, DB: db, Auth: auth, Connector: conn, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}
}

// maxActivity bounds an incoming activity; Teams' are far smaller.
const maxActivity = 256 << 10

// ServeHTTP is POST /api/messages. The token is checked before anything is
// read into the store: 401 for a missing or invalid token, 403 for a valid
// token meant for another bot or service. The request gets an id when the
// server did not give it one (see touchbase.RequestID); the activity's own
// id is not used, as it is unique only within its conversation.
func (b *Bot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if touchbase.RequestID(ctx) == "" {
		id := touchbase.NewRequestID()
		ctx = touchbase.WithRequestID(ctx, id)
		r = r.WithContext(ctx)
		w.Header().Set("X-Request-Id", id)
	}
	defer func() {
		if p := recover(); p != nil {
			b.Logger.ErrorContext(ctx, "panic in Teams activity", slog.Any("panic", p))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActivity))
	if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
		http.Error(w, "activity too large", http.StatusRequestEntityTooLarge)
		return
	} else if err != nil {
		// The client went away mid-body: what arrived is not the activity.
		b.Logger.Warn("incomplete Teams activity", slog.Any("error", err))
		http.Error(w, "activity incomplete", http.StatusBadRequest)
		return
	}
	var a Activity
	// An activity without a serviceUrl cannot be answered, and no genuine
	// token names an empty one: it is malformed, not forbidden.
	if err := json.Unmarshal(body, &a); err != nil || a.ServiceURL == "" {
		// Authenticate first even so: an unauthenticated caller learns
		// nothing about what we accept.
		// (A genuine token fails only the serviceUrl check here.)
		if verr := b.Auth.Verify(ctx, r.Header.Get("Authorization"), ""); verr != nil && !errors.Is(verr, ErrForbidden) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Error(w, "malformed activity", http.StatusBadRequest)
		return
	}
	if err := b.Auth.Verify(ctx, r.Header.Get("Authorization"), a.ServiceURL); err != nil {
		b.Logger.WarnContext(ctx, "refused Teams activity", slog.Any("reason", err))
		if errors.Is(err, ErrForbidden) {
			w.WriteHeader(http.StatusForbidden)
		} else {
			w.WriteHeader(http.StatusUnauthorized)
		}
		return
	}
	status := b.activity(ctx, &a)
	if a.Type == "invoke" && status == http.StatusOK {
		// An Adaptive Card action (Action.Execute) waits for an invoke
		// response; the answer itself was sent as a reply.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"statusCode":200,"type":"application/vnd.microsoft.activity.message","value":"Done."}`)
		return
	}
	w.WriteHeader(status)
}

// activity handles an authenticated activity and returns the HTTP status.
func (b *Bot) activity(ctx context.Context, a *Activity) int {
	if a.From.ID == "" || a.Conversation.ID == "" || a.ServiceURL == "" {
		return http.StatusBadRequest
	}
	if err := b.remember(ctx, a); err != nil {
		b.Logger.ErrorContext(ctx, "keep conversation reference", slog.Any("error", err))
	}
	switch a.Type {
	case "message", "invoke":
	default:
		return http.StatusOK // conversationUpdate, typing, reactions: nothing to do
	}
	line, ok := b.commandOf(a)
	if !ok {
		b.reply(ctx, a, &handlers.Reply{Title: "That card is not one of touchbase's; nothing changed."})
		return http.StatusOK
	}
	u := handlers.User{ID: RepID(a.From), Name: a.From.Name, TimeZone: a.TimeZone(), Channel: ChannelKey(a.Conversation)}
	if line == "" {
		line = "help"
	}
	key := ""
	if a.ID != "" {
		key = "teams/" + a.Conversation.ID + "/" + a.ID
	}
	r, err := b.Handler.HandleOnce(ctx, u, line, key)
	switch {
	case err == handlers.ErrAlreadyApplied:
		return http.StatusOK
	case err != nil:
		r = b.errorReply(ctx, err)
	}
	if len(r.Notices) > 0 && b.Outbox != nil {
		b.Outbox.Wake()
	}
	b.reply(ctx, a, r)
	return http.StatusOK
}

// commandOf reads the command of a message: a card's submit (value) or
// the text typed, without the bot's @mention.
func (b *Bot) commandOf(a *Activity) (string, bool) {
	if len(a.Value) > 0 && string(a.Value) != "null" {
		value := a.Value
		// Universal Actions (invoke adaptiveCard/action) wrap the data.
		var inv struct {
			Action struct {
				Data json.RawMessage `json:"data"`
			} `json:"action"`
		}
		if a.Type == "invoke" && json.Unmarshal(a.Value, &inv) == nil && len(inv.Action.Data) > 0 {
			value = inv.Action.Data
		}
		line, ok, err := CommandFromValue(value)
		if err != nil || !ok {
			return "", false
		}
		return line, true
	}
	return CommandText(a.Text), true
}

// remember keeps the conversation reference of the sender (a personal chat
// reaches the rep) and of a channel (it reaches the team), for later
// messages. It writes only when something changed.
func (b *Bot) remember(ctx context.Context, a *Activity) error {
	key := ChannelKey(a.Conversation)
	if a.Conversation.ConversationType == "personal" || a.Conversation.ConversationType == "" {
		key = RepID(a.From)
	}
	c := &touchbase.Conversation{
		Key: key, ServiceURL: a.ServiceURL, ConversationID: a.Conversation.ID,
		TenantID: a.TenantID(), BotID: a.Recipient.ID, UpdatedAt: b.Now().UTC(),
	}
	same := false
	err := b.DB.View(ctx, func(tx touchbase.Tx) error {
		old, err := tx.Conversation(key)
		if err == nil {
			same = old.ServiceURL == c.ServiceURL && old.ConversationID == c.ConversationID && old.BotID == c.BotID && old.TenantID == c.TenantID
		}
		return nil
	})
	if err != nil || same {
		return err
	}
	return b.DB.Update(ctx, func(tx touchbase.Tx) error { return tx.PutConversation(c) })
}

// reply answers a in its conversation with r as an Adaptive Card (a form,
// when r asks for one).
func (b *Bot) reply(ctx context.Context, a *Activity, r *handlers.Reply) {
	card := Card(r)
	if r.Form != nil {
		card = FormCard(r.Form)
	}
	out := &Activity{
		Type: "message", From: a.Recipient, Recipient: a.From, Conversation: a.Conversation, ReplyToID: a.ID,
		Text: r.Title, Attachments: []any{Attachment(card)},
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := b.Connector.Send(ctx, a.ServiceURL, a.Conversation.ID, a.ID, out); err != nil {
		b.Logger.WarnContext(ctx, "reply to Teams", slog.Any("error", err))
	}
}

// errorReply turns a refusal into what the rep reads, in one place; an
// internal error is logged once with a reference.
func (b *Bot) errorReply(ctx context.Context, err error) *handlers.Reply {
	if touchbase.ErrorCode(err) != touchbase.EINTERNAL {
		return &handlers.Reply{Title: "❌ " + touchbase.ErrorMessage(err)}
	}
	p := make([]byte, 4)
	_, _ = rand.Read(p)
	ref := hex.EncodeToString(p)
	b.Logger.ErrorContext(ctx, "command failed", slog.String("ref", ref), slog.Any("error", err))
	return &handlers.Reply{Title: "❌ " + touchbase.ErrorMessage(err) + " (reference " + ref + ")"}
}

// Poster delivers the outbox's Teams messages ("teams:…" recipients) to
// the conversation last seen from there.
type Poster struct {
	DB        handlers.DB
	Connector *Connector
}

var _ handlers.Poster = (*Poster)(nil)

// Accept takes the Teams recipients.
func (p *Poster) Accept(to string) bool { return strings.HasPrefix(to, "teams:") }

// Post sends m as an Adaptive Card into the recipient's conversation.
func (p *Poster) Post(ctx context.Context, m *touchbase.Message, r *handlers.Reply) error {
	var c *touchbase.Conversation
	err := p.DB.View(ctx, func(tx touchbase.Tx) (err error) { c, err = tx.Conversation(m.To); return err })
	if err != nil {
		if touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
			return &ConnectorError{Status: http.StatusNotFound, Body: "no conversation with " + m.To + " yet: they must message the bot once"}
		}
		return err
	}
	// The text as a card; an image (the digest's chart) as an inline image
	// attachment beside it, scaled to what Teams shows.
	text := *r
	text.Image = nil
	attachments := []any{Attachment(Card(&text))}
	if r.Image != nil && len(r.Image.PNG) > 0 {
		img, err := imageAttachment(r.Image)
		if err != nil {
			return &ConnectorError{Status: http.StatusBadRequest, Body: err.Error()}
		}
		attachments = append(attachments, img)
	}
	a := &Activity{Type: "message", From: Account{ID: c.BotID}, Conversation: Conversation{ID: c.ConversationID, TenantID: c.TenantID},
		Text: r.Title, Attachments: attachments}
	id, err := p.Connector.Send(ctx, c.ServiceURL, c.ConversationID, "", a)
	if err != nil {
		return err
	}
	m.Ref = c.ConversationID + "/" + id
	return nil
}

// Find cannot look a message up in Teams: the connector offers no search by
// metadata, so after a crash mid-send the message is sent again.
func (p *Poster) Find(context.Context, *touchbase.Message) (string, bool) { return "", false }
