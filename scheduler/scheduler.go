// Package scheduler runs touchbase's scheduled jobs with robfig/cron: each
// rep's morning reminder, stalled-deal flags, nurture recycling, renewal
// reminders and each team's weekly digest.
//
// Every job is idempotent and keyed: a message goes into the outbox under a
// key (job, recipient, day) in the same transaction that decides to send it,
// and a key already in the outbox is never enqueued again. So the jobs run
// often (every few minutes) and each run does only what is due and not yet
// done: a restart, two runs at once or a crash after sending never sends
// twice, and downtime over 09:00 is caught up when the process returns.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Scheduler runs the jobs on a cron.
type Scheduler struct {
	DB     handlers.DB
	Config *touchbase.Config
	Now    func() time.Time
	Logger *slog.Logger
	// Wake is called after a run enqueued messages, so they go out at once.
	Wake func()
	// Every is the cron spec of the job pass; each pass runs every job.
	Every string
	// Observe, when set, is told of every job run: how many messages it
	// enqueued, how long it took, and its error.
	Observe func(job string, enqueued int, took time.Duration, err error)

	cron    *cron.Cron
	started sync.WaitGroup // the pass at start
}

// Job names, as `touchbase jobs run` takes them.
const (
	JobReminders = "reminders"
	JobStalled   = "stalled"
	JobNurture   = "nurture"
	JobRenewals  = "renewals"
	JobDigest    = "digest"
	JobClaims    = "claims"
)

// Jobs lists the jobs in the order a pass runs them: nurture first, so a
// recycled lead is in that morning's reminder.
var Jobs = []string{JobNurture, JobReminders, JobStalled, JobRenewals, JobDigest, JobClaims}

// ClaimsKept is how long the claim of a delivery (a Slack event id, a
// button press, a Teams activity) is remembered: far longer than any
// platform retries a delivery, and short enough that the claims of years
// do not pile up in the database.
const ClaimsKept = 30 * 24 * time.Hour

// ClaimPruner is a store that can forget the claims made before a time;
// the claims job prunes through it.
type ClaimPruner interface {
	PruneClaims(ctx context.Context, before time.Time) (int, error)
}

// New returns a Scheduler on db.
func New(db handlers.DB, cfg *touchbase.Config) *Scheduler {
	return &Scheduler{
		DB: db, Config: cfg, Now: time.Now,
		Logger: slog.New(slog.DiscardHandler),
		Wake:   func() {},
		Every:  "*/5 * * * *",
	}
}

// Start starts the cron; Stop stops it.
func (s *Scheduler) Start(ctx context.Context) error {
	l := cronLogger{s.Logger}
	s.cron = cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)))
	id, err := s.cron.AddFunc(s.Every, func() { s.Pass(ctx) })
	if err != nil {
		return fmt.Errorf("scheduler: every %q: %w", s.Every, err)
	}
	// A pass at start catches up what came due while the process was down.
	// It is the cron's own wrapped job, so a tick during it is skipped
	// rather than run beside it.
	pass := s.cron.Entry(id).WrappedJob
	s.cron.Start()
	s.started.Go(pass.Run)
	return nil
}

// Stop stops the cron and waits (at most until ctx is done) for a running
// pass, the one at start included, to finish.
func (s *Scheduler) Stop(ctx context.Context) {
	if s.cron == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		<-s.cron.Stop().Done()
		s.started.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Pass runs every job once at the current time.
func (s *Scheduler) Pass(ctx context.Context) {
	now := s.Now()
	for _, job := range Jobs {
		if ctx.Err() != nil {
			return
		}
		_, _ = s.Run(ctx, job, now) // logged by Run
	}
}

// Run runs one job as of now and returns how many messages it enqueued.
// The run has a request id of its own: its log lines and the messages it
// enqueues (and so their deliveries) carry it.
func (s *Scheduler) Run(ctx context.Context, job string, now time.Time) (int, error) {
	ctx = touchbase.WithRequestID(ctx, touchbase.NewRequestID())
	start := time.Now()
	var n int
	var err error
	switch job {
	case JobReminders:
		n, err = s.reminders(ctx, now)
	case JobStalled:
		n, err = s.stalled(ctx, now)
	case JobNurture:
		n, err = s.nurture(ctx, now)
	case JobRenewals:
		n, err = s.renewals(ctx, now)
	case JobDigest:
		n, err = s.digests(ctx, now)
	case JobClaims:
		err = s.pruneClaims(ctx, now)
	default:
		return 0, touchbase.Errorf(touchbase.EINVALID, "there is no job %q: the jobs are reminders, stalled, nurture, renewals, digest and claims", job)
	}
	if err != nil {
		s.Logger.LogAttrs(ctx, slog.LevelError, "job failed", slog.String("job", job), slog.Int("enqueued", n), slog.Duration("took", time.Since(start)), slog.Any("error", err))
	} else {
		s.Logger.LogAttrs(ctx, slog.LevelInfo, "job ran", slog.String("job", job), slog.Int("enqueued", n), slog.Duration("took", time.Since(start)))
	}
	if s.Observe != nil {
		s.Observe(job, n, time.Since(start), err)
	}
	if n > 0 {
		s.Wake()
	}
	return n, err
}

// send builds a message and enqueues it under key in one transaction, and
// reports whether it was new. build may return nil: nothing to send.
func (s *Scheduler) send(ctx context.Context, key, to string, now time.Time, build func(touchbase.Tx) (*handlers.Reply, error)) (bool, error) {
	added := false
	err := s.DB.Update(ctx, func(tx touchbase.Tx) error {
		r, err := build(tx)
		if err != nil || r == nil {
			return err
		}
		added, err = enqueue(tx, key, to, r, now, touchbase.RequestID(ctx))
		return err
	})
	return added, err
}

// enqueue adds a message unless its key is in the outbox already;
// requestID is the job run's.
func enqueue(tx touchbase.Tx, key, to string, r *handlers.Reply, now time.Time, requestID string) (bool, error) {
	body, err := handlers.EncodeReply(r)
	if err != nil {
		return false, err
	}
	return tx.Enqueue(&touchbase.Message{Key: key, To: to, Body: body, CreatedAt: now.UTC(), NextAttempt: now.UTC(), RequestID: requestID})
}

type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, slog.Any("error", err))...)
}

// pruneClaims forgets the delivery claims older than ClaimsKept. It reads
// only what it deletes, so a pass with nothing to prune costs a seek.
func (s *Scheduler) pruneClaims(ctx context.Context, now time.Time) error {
	p, ok := s.DB.(ClaimPruner)
	if !ok {
		return nil
	}
	n, err := p.PruneClaims(ctx, now.Add(-ClaimsKept))
	if n > 0 {
		s.Logger.LogAttrs(ctx, slog.LevelInfo, "claims pruned", slog.Int("claims", n))
	}
	return err
}
