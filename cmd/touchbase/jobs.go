package main

import (
	"context"
	"fmt"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
)

// runJobs runs one scheduled job once: `touchbase jobs run JOB [--now T]`.
// With SLACK_BOT_TOKEN set, what it enqueued is delivered to Slack before it
// returns; without, the messages are printed and stay in the outbox for the
// next `serve`.
func (m *Main) runJobs(ctx context.Context, args []string) error {
	if len(args) < 2 || args[0] != "run" {
		return fmt.Errorf("usage: touchbase jobs run <reminders|stalled|nurture|renewals|digest> [--now RFC3339] [--db FILE]")
	}
	job := args[1]
	fs, dbPath := m.flagSet("jobs run " + job)
	nowFlag := fs.String("now", "", "run as of this RFC 3339 time (default: now)")
	if err := fs.Parse(args[2:]); err != nil {
		return err
	}
	now, err := m.parseNow(*nowFlag)
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
	s := scheduler.New(db, cfg)
	s.Logger = m.Logger
	n, err := s.Run(ctx, job, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s: %d message(s) enqueued\n", job, n)
	if token := m.Getenv("SLACK_BOT_TOKEN"); token != "" {
		opts := []slackgo.Option{}
		if u := m.Getenv("SLACK_API_URL"); u != "" {
			opts = append(opts, slackgo.OptionAPIURL(u))
		}
		sender := slack.NewSender(db, slackgo.New(token, opts...))
		sender.Logger, sender.Now = m.Logger, m.now
		if _, err := sender.Flush(ctx); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, "delivered to Slack")
		return nil
	}
	// No Slack: show what waits in the outbox (it is sent by the next serve).
	return db.View(ctx, func(tx touchbase.Tx) error {
		ms, err := tx.DueMessages(now.Add(24*time.Hour), 0)
		if err != nil {
			return err
		}
		for _, msg := range ms {
			r, err := handlers.DecodeReply(msg.Body)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "\n— to %s (%s)\n%s", msg.To, msg.Key, r.Text())
		}
		return nil
	})
}
