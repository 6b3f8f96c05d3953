package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
	"github.com/touchbase/touchbase/store"
)

// runDemo builds the demo data set in a temporary database, prints the
// weekly digest and one rep's morning reminder as text, and writes the
// digest's chart as a PNG. No Slack account is needed.
func (m *Main) runDemo(ctx context.Context, args []string) error {
	fs, dbPath := m.flagSet("demo")
	nowFlag := fs.String("now", "", "the demo's \"now\", RFC 3339 (default: the current time)")
	chart := fs.String("chart", "touchbase-demo-chart.png", "where to write the digest's chart")
	seed := fs.Uint64("seed", 1, "the data set's random seed (the same seed gives the same data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loc, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return err
	}
	now, err := m.parseNow(*nowFlag)
	if err != nil {
		return err
	}
	now = now.In(loc)
	path := *dbPath
	if path == "" {
		dir, err := os.MkdirTemp("", "touchbase-demo-")
		if err != nil {
			return err
		}
		m.closers = append(m.closers, func() error { return os.RemoveAll(dir) })
		path = filepath.Join(dir, "demo.db")
	} else if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("--db %s exists: the demo fills a new database", path)
	}
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		return err
	}
	m.closers = append(m.closers, db.Close)
	cfg := touchbase.DefaultConfig()
	cfg.Currency = "JPY"
	d, err := handlers.SeedDemo(ctx, db, cfg, now, *seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "touchbase demo: %d teams, %d leads, %d opportunities, %d activities, %d renewals over the quarter to %s.\n\n",
		len(d.Teams), d.Leads, d.Opportunities, d.Activities, d.Renewals, now.Format("Mon 2006-01-02 15:04 MST"))

	// The digest the Inside Sales team reads on Monday morning: the week of
	// whole days up to today.
	var team *touchbase.Team
	for _, t := range d.Teams {
		if t.Function == touchbase.InsideSales {
			team = t
		}
	}
	end := touchbase.DateOf(now).In(loc)
	dg, err := handlers.ComputeDigest(ctx, db, cfg, end, loc)
	if err != nil {
		return err
	}
	r := handlers.DigestReply(cfg, dg, team, func(id string) string { return "@" + id })
	fmt.Fprintf(m.Stdout, "=== The weekly digest in %s ===\n%s\n", team.Channel, r.Text())

	png, err := handlers.DigestChart(cfg, dg, "Weekly digest · "+team.Name).PNG()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*chart, func(f *os.File) error { _, err := f.Write(png); return err }); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "The digest's chart: %s\n\n", *chart)

	// One rep's reminder, as the scheduler sends it at 09:00 on the next
	// business day.
	cal := touchbase.CalendarForZone("Asia/Tokyo")
	day := cal.AddBusinessDays(touchbase.DateOf(now), 0)
	if day != touchbase.DateOf(now) {
		name, _ := cal.HolidayName(touchbase.DateOf(now))
		fmt.Fprintf(m.Stdout, "%s is not a business day in Tokyo (%s): the next reminders go out on %s.\n\n", touchbase.DateOf(now), cmp.Or(name, "weekend"), day)
	}
	morning := cfg.ReminderTime(day, loc)
	s := scheduler.New(db, cfg)
	if _, err := s.Run(ctx, scheduler.JobReminders, morning); err != nil {
		return err
	}
	key := "reminders/" + d.Rep + "/" + day.String()
	return db.View(ctx, func(tx touchbase.Tx) error {
		ms, err := tx.DueMessages(morning.Add(time.Hour), 0)
		if err != nil {
			return err
		}
		for _, msg := range ms {
			if msg.Key != key {
				continue
			}
			r, err := handlers.DecodeReply(msg.Body)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "=== @%s's reminder, %s ===\n%s", d.Rep, morning.Format("Mon Jan 2 15:04 MST"), r.Text())
		}
		return nil
	})
}
