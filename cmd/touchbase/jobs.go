package main

import (
	"context"
	"fmt"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
)

// runJobs runs one scheduled job once: `touchbase jobs run JOB [--now T]`.
// With Slack or Teams settings (as for serve), what it enqueued is delivered
// before it returns; without, the messages are printed and stay in the
// outbox for the next `serve`.
func (m *Main) runJobs(ctx context.Context, args []string) error {
	if len(args) < 2 || args[0] != "run" {
		return fmt.Errorf("usage: touchbase jobs run <reminders|stalled|nurture|renewals|digest|claims> [--now RFC3339] [--db FILE]")
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
	// Everything this run does happens at --now: what it enqueues is due then.
	m.Now = func() time.Time { return now }
	cfg, db, err := m.open(*dbPath)
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
	if m.Getenv("SLACK_BOT_TOKEN") != "" || m.Getenv("TEAMS_APP_ID") != "" {
		st, err := m.readSettings()
		if err != nil {
			return err
		}
		var outs []*handlers.Outbox
		if st.slack {
			_, o := m.slackOutbox(st, db)
			outs = append(outs, o)
		}
		if st.teams {
			_, o := m.teamsOutbox(st, db)
			outs = append(outs, o)
		}
		for _, o := range outs {
			if _, err := o.Flush(ctx); err != nil {
				return err
			}
		}
		fmt.Fprintln(m.Stdout, "delivered")
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
