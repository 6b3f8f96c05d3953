package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/touchbase/touchbase/handlers"
)

// event applies one Events API callback: a direct message to the bot (the
// command language without the slash) or the App Home being opened. The
// event id is claimed with the change, so Slack's retries never apply it
// twice.
func (b *Bot) event(ctx context.Context, ev slackevents.EventsAPIEvent) {
	cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent)
	if !ok {
		return
	}
	switch in := ev.InnerEvent.Data.(type) {
	case *slackevents.AppHomeOpenedEvent:
		if in.Tab == "home" || in.Tab == "" {
			b.publishHome(ctx, in.User, "")
		}
	case *slackevents.MessageEvent:
		if in.ChannelType != "im" || in.BotID != "" || in.SubType != "" || strings.TrimSpace(in.Text) == "" {
			return // the bot's own messages, edits, joins: not commands
		}
		b.directMessage(ctx, cb.EventID, in)
	}
}

func (b *Bot) directMessage(ctx context.Context, eventID string, m *slackevents.MessageEvent) {
	u := b.user(ctx, m.User, "")
	key := ""
	if eventID != "" {
		key = "event/" + eventID
	}
	r, err := b.Handler.HandleOnce(ctx, u, unescape(m.Text), key)
	switch {
	case err == handlers.ErrAlreadyApplied:
		return
	case err != nil:
		r = b.errorReply(ctx, err)
	case r.Form != nil:
		r.Lines = append(r.Lines, "Answer in one line, e.g. qualify "+r.Form.Target+" b:yes a:no n:yes t:2027-03, or use /qualify for the form.")
	}
	b.afterCommand(r)
	thread := m.ThreadTimeStamp
	if thread == "" {
		thread = m.TimeStamp
	}
	_, _, err = b.Client.PostMessageContext(ctx, m.Channel,
		slackgo.MsgOptionText(FallbackText(r), false), slackgo.MsgOptionBlocks(Blocks(r)...), slackgo.MsgOptionTS(thread))
	if err != nil {
		b.Logger.WarnContext(ctx, "reply in DM", slog.Any("error", err))
	}
}

// publishHome shows the rep's App Home: today's follow-ups with buttons,
// the open pipeline by stage, the week's touches.
func (b *Bot) publishHome(ctx context.Context, userID, name string) {
	u := b.user(ctx, userID, name)
	r, err := b.Handler.Home(ctx, u)
	if err != nil {
		r = b.errorReply(ctx, err)
	}
	view := slackgo.HomeTabViewRequest{Type: slackgo.VTHomeTab, Blocks: slackgo.Blocks{BlockSet: Blocks(r)}}
	if _, err := b.Client.PublishViewContext(ctx, slackgo.PublishViewContextRequest{UserID: userID, View: view}); err != nil {
		b.Logger.WarnContext(ctx, "views.publish", slog.Any("error", err))
	}
}

// parseEvent decodes an Events API body; the signature was checked before.
func parseEvent(body []byte) (slackevents.EventsAPIEvent, error) {
	return slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
}
