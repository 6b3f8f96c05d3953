package scheduler

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// lookback is how far back a missed digest is still posted (late, with a
// note): a digest missed entirely while touchbase was down is not lost.
const lookback = 15 * 24 * time.Hour

// digests posts each team's weekly digest to its channel at the team's
// schedule (Monday 09:00 in the team's zone by default), covering the
// seven days up to that morning. Each digest is enqueued under the key
// digest/TEAM/DAY, which is never enqueued twice; one that should
// have gone out while touchbase was down is posted late with a note.
func (s *Scheduler) digests(ctx context.Context, now time.Time) (int, error) {
	var teams []*touchbase.Team
	var reps []*touchbase.Rep
	err := s.DB.View(ctx, func(tx touchbase.Tx) (err error) {
		if teams, err = tx.Teams(); err != nil {
			return err
		}
		reps, err = tx.Reps()
		return err
	})
	if err != nil {
		return 0, err
	}
	names := map[string]string{}
	for _, r := range reps {
		names[r.ID] = "@" + r.Name
	}
	name := func(id string) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "@" + id
	}
	n := 0
	var errs []error
	for _, t := range teams {
		if t.Channel == "" {
			continue
		}
		loc := time.UTC
		if t.TimeZone != "" {
			l, err := time.LoadLocation(t.TimeZone)
			if err != nil {
				errs = append(errs, fmt.Errorf("digest of %s: %w", t.Name, err))
				continue
			}
			loc = l
		}
		spec := cmp.Or(t.DigestSchedule, s.Config.DigestSchedule)
		// Nothing is owed for weeks before the team existed.
		from := now.Add(-lookback)
		if t.CreatedAt.After(from) {
			from = t.CreatedAt
		}
		runs, err := runsSince(spec, loc, from, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("digest of %s: %w", t.Name, err))
			continue
		}
		for _, due := range runs {
			added, err := s.teamDigest(ctx, t, loc, due, now, name)
			if err != nil {
				errs = append(errs, fmt.Errorf("digest of %s: %w", t.Name, err))
			}
			if added {
				n++
			}
		}
	}
	return n, errors.Join(errs...)
}

// runsSince returns the times in (from, now] at which spec fires, in loc.
func runsSince(spec string, loc *time.Location, from, now time.Time) ([]time.Time, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, touchbase.Errorf(touchbase.EINVALID, "digest schedule %q is not a cron expression (minute hour day month weekday), e.g. \"0 9 * * 1\"", spec)
	}
	var runs []time.Time
	for t := sched.Next(from.In(loc)); !t.IsZero() && !t.After(now); t = sched.Next(t) {
		runs = append(runs, t)
	}
	return runs, nil
}

func (s *Scheduler) teamDigest(ctx context.Context, t *touchbase.Team, loc *time.Location, due, now time.Time, name func(string) string) (bool, error) {
	key := fmt.Sprintf("digest/%s/%s", touchbase.NameKey(t.Name), touchbase.DateOf(due))
	// Cheap look first: computing a digest reads everything.
	done := false
	if err := s.DB.View(ctx, func(tx touchbase.Tx) error {
		_, err := tx.MessageByKey(key)
		done = err == nil
		if touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
			return nil
		}
		return err
	}); err != nil || done {
		return false, err
	}
	// The week of whole days up to the scheduled morning.
	end := touchbase.DateOf(due).In(loc)
	d, err := handlers.ComputeDigest(ctx, s.DB, s.Config, end, loc)
	if err != nil {
		return false, err
	}
	r := handlers.DigestReply(s.Config, d, t, name)
	if late := now.Sub(due); late > time.Hour {
		r.Warnings = append(r.Warnings, fmt.Sprintf("Posted late: this digest was due %s, while touchbase was not running.", due.Format("Mon Jan 2 15:04 MST")))
	}
	png, err := handlers.DigestChart(s.Config, d, "Weekly digest · "+t.Name).PNG()
	if err != nil {
		s.Logger.WarnContext(ctx, "digest chart", slog.String("team", t.Name), slog.Any("error", err))
	} else {
		r.Image = &handlers.Image{Name: "funnel-" + touchbase.DateOf(due).String() + ".png", Title: "Funnel and pipeline, week to " + touchbase.DateOf(due).AddDays(-1).String(), PNG: png}
	}
	// Enqueue adds nothing when a run at the same time got there first.
	return s.send(ctx, key, t.Channel, now, func(touchbase.Tx) (*handlers.Reply, error) { return r, nil })
}

// CheckSchedule reports whether spec is a cron expression the digest job
// can run on (minute hour day-of-month month weekday).
func CheckSchedule(spec string) error {
	_, err := cron.ParseStandard(spec)
	return err
}
