package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// reminders enqueues each rep's morning reminder: one message per rep per
// business day, once it is 09:00 where they are, keyed reminders/REP/DAY.
// Nothing due, no message.
func (s *Scheduler) reminders(ctx context.Context, now time.Time) (int, error) {
	var reps []*touchbase.Rep
	var teams []*touchbase.Team
	if err := s.DB.View(ctx, func(tx touchbase.Tx) (err error) {
		if reps, err = tx.Reps(); err != nil {
			return err
		}
		teams, err = tx.Teams()
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, rep := range reps {
		l := s.localFor(rep.TimeZone, touchbase.TeamOf(teams, rep.ID), now)
		if !s.workingMorning(l) {
			continue
		}
		key := fmt.Sprintf("reminders/%s/%s", rep.ID, l.today)
		// Already sent today: nothing to compute (the job runs every few
		// minutes all day).
		sent := false
		if err := s.DB.View(ctx, func(tx touchbase.Tx) error {
			_, err := tx.MessageByKey(key)
			sent = err == nil
			if touchbase.ErrorCode(err) == touchbase.ENOTFOUND {
				return nil
			}
			return err
		}); err != nil {
			return n, err
		}
		if sent {
			continue
		}
		added, err := s.send(ctx, key, rep.ID, now, func(tx touchbase.Tx) (*handlers.Reply, error) {
			return handlers.Reminder(tx, s.Config, rep.ID, l.today)
		})
		if added {
			n++
		}
		if err != nil {
			return n, fmt.Errorf("scheduler: reminder for %s: %w", rep.ID, err)
		}
	}
	return n, nil
}

// stalled flags each open deal that has been in its stage longer than the
// stage's average, to its owner, once per stage entry.
func (s *Scheduler) stalled(ctx context.Context, now time.Time) (int, error) {
	var opps []*touchbase.Opportunity
	if err := s.DB.View(ctx, func(tx touchbase.Tx) (err error) {
		opps, err = tx.Opportunities(touchbase.OpportunityFilter{Open: true})
		return err
	}); err != nil {
		return 0, err
	}
	reps := map[string]local{}
	n := 0
	for _, o := range opps {
		if o.Stage < 1 || o.Stage > len(s.Config.Stages) {
			continue
		}
		avg := s.Config.Stages[o.Stage-1].AvgDays
		if avg == 0 || now.Sub(o.StageEnteredAt) <= time.Duration(avg)*24*time.Hour {
			continue
		}
		l, ok := reps[o.Owner]
		if !ok {
			l = s.ownerLocal(ctx, o.Owner, now)
			reps[o.Owner] = l
		}
		if !s.workingMorning(l) {
			continue
		}
		key := fmt.Sprintf("stalled/%d/%d/%d", o.ID, o.Stage, o.StageEnteredAt.Unix())
		added, err := s.send(ctx, key, o.Owner, now, func(touchbase.Tx) (*handlers.Reply, error) {
			return handlers.StalledNotice(s.Config, o, now), nil
		})
		if added {
			n++
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func (s *Scheduler) ownerLocal(ctx context.Context, id string, now time.Time) local {
	zone := ""
	var team *touchbase.Team
	_ = s.DB.View(ctx, func(tx touchbase.Tx) error {
		if r, err := tx.Rep(id); err == nil {
			zone = r.TimeZone
		}
		if teams, err := tx.Teams(); err == nil {
			team = touchbase.TeamOf(teams, id)
		}
		return nil
	})
	return s.localFor(zone, team, now)
}

// nurture brings nurture leads whose recycle date has come back into the
// cadence: working, due that day, so they are in the morning's reminder.
func (s *Scheduler) nurture(ctx context.Context, now time.Time) (int, error) {
	today := touchbase.DateOf(now.UTC())
	revived := 0
	err := s.DB.Update(ctx, func(tx touchbase.Tx) error {
		leads, err := tx.Leads(touchbase.LeadFilter{})
		if err != nil {
			return err
		}
		for _, l := range leads {
			if l.Status != touchbase.LeadNurture || l.RecycleOn.IsZero() || l.RecycleOn.After(today) {
				continue
			}
			l.Status, l.NextFollowUp, l.RecycleOn, l.UpdatedAt = touchbase.LeadWorking, l.RecycleOn, touchbase.Date{}, now.UTC()
			if err := tx.UpdateLead(l); err != nil {
				return err
			}
			revived++
		}
		return nil
	})
	// Reviving sends nothing itself: the reminder does.
	_ = revived
	return 0, err
}

// renewals reminds each renewal's owner 90, 60 and 30 days before the
// renewal date (Config.RenewalNotices). After downtime only the latest
// notice that has come is sent, keyed renewal/ID/DAYS.
func (s *Scheduler) renewals(ctx context.Context, now time.Time) (int, error) {
	notices := s.Config.RenewalNotices
	if len(notices) == 0 {
		return 0, nil
	}
	far := 0
	for _, d := range notices {
		far = max(far, d)
	}
	today := touchbase.DateOf(now.UTC())
	var due []*touchbase.Renewal
	if err := s.DB.View(ctx, func(tx touchbase.Tx) (err error) {
		due, err = tx.Renewals(touchbase.RenewalFilter{Pending: true, DueBy: today.AddDays(far)})
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range due {
		l := s.ownerLocal(ctx, r.Owner, now)
		if !s.workingMorning(l) {
			continue
		}
		left := r.Due.Sub(l.today)
		if left < 0 {
			continue
		}
		// The nearest notice that has come: 60 when 45 days are left.
		notice := 0
		for _, d := range notices {
			if left <= d && (notice == 0 || d < notice) {
				notice = d
			}
		}
		if notice == 0 {
			continue
		}
		added, err := s.send(ctx, fmt.Sprintf("renewal/%d/%d", r.ID, notice), r.Owner, now, func(tx touchbase.Tx) (*handlers.Reply, error) {
			acct := fmt.Sprintf("account#%d", r.AccountID)
			if a, err := tx.Account(r.AccountID); err == nil {
				acct = a.Name
			}
			return handlers.RenewalNotice(r, acct, left), nil
		})
		if added {
			n++
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
