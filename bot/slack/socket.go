package slack

import (
	"context"
	"log/slog"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/touchbase/touchbase"
)

// RunSocketMode receives Slack's requests over a Socket Mode connection
// (no public URL needed) until ctx is done; slack-go reconnects when Slack
// asks. Each request gets the same treatment as in HTTP mode, with the
// answer carried by the acknowledgement.
func (b *Bot) RunSocketMode(ctx context.Context, client *socketmode.Client) error {
	errc := make(chan error, 1)
	go func() { errc <- client.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			return <-errc
		case err := <-errc:
			return err
		case e, ok := <-client.Events:
			if !ok {
				return <-errc
			}
			b.socketEvent(ctx, client, e)
		}
	}
}

// socketEvent handles one Socket Mode event. A request (an envelope) is
// logged under its envelope id as request id, when that is fit to be one.
func (b *Bot) socketEvent(ctx context.Context, client *socketmode.Client, e socketmode.Event) {
	if e.Request != nil {
		ctx = touchbase.WithRequestID(ctx, touchbase.RequestIDOr(e.Request.EnvelopeID))
		start := time.Now()
		defer func() {
			b.Logger.LogAttrs(ctx, slog.LevelInfo, "socket mode request", slog.String("type", string(e.Type)), slog.Duration("took", time.Since(start)))
		}()
	}
	defer func() {
		if p := recover(); p != nil {
			b.Logger.ErrorContext(ctx, "panic in Socket Mode request", slog.Any("panic", p), slog.String("type", string(e.Type)))
		}
	}()
	ack := func(payload any) {
		if e.Request == nil {
			return
		}
		var err error
		if payload == nil {
			err = client.AckCtx(ctx, e.Request.EnvelopeID, nil)
		} else {
			err = client.AckCtx(ctx, e.Request.EnvelopeID, payload)
		}
		if err != nil {
			b.Logger.WarnContext(ctx, "socket mode ack", slog.Any("error", err))
		}
	}
	switch e.Type {
	case socketmode.EventTypeSlashCommand:
		sc, ok := e.Data.(slackgo.SlashCommand)
		if !ok {
			ack(nil)
			return
		}
		if resp := b.slashCommand(ctx, slashRequestOf(&sc)); resp != nil {
			ack(resp)
		} else {
			ack(nil)
		}
	case socketmode.EventTypeInteractive:
		cb, ok := e.Data.(slackgo.InteractionCallback)
		if !ok {
			ack(nil)
			return
		}
		ack(b.interaction(ctx, &cb))
	case socketmode.EventTypeEventsAPI:
		ev, ok := e.Data.(slackevents.EventsAPIEvent)
		if !ok {
			ack(nil)
			return
		}
		// Applied before the ack, as in HTTP mode.
		b.event(ctx, ev)
		ack(nil)
	case socketmode.EventTypeConnected:
		b.Logger.InfoContext(ctx, "socket mode connected")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		attrs := []slog.Attr{slog.String("event", string(e.Type))}
		if ce, ok := e.Data.(*slackgo.ConnectionErrorEvent); ok {
			attrs = append(attrs, slog.Int("attempt", ce.Attempt), slog.Duration("backoff", ce.Backoff), slog.Any("error", ce.ErrorObj))
		}
		b.Logger.LogAttrs(ctx, slog.LevelWarn, "socket mode", attrs...)
	}
}
