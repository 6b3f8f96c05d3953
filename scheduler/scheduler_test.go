package scheduler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
	"github.com/touchbase/touchbase/store"
	"github.com/touchbase/touchbase/store/storetest"
)

// MustOpenDB opens a real store, checked and closed when the test ends.
var MustOpenDB = storetest.MustOpenDB

type fixture struct {
	t   *testing.T
	db  *store.DB
	h   *handlers.Handler
	s   *scheduler.Scheduler
	now time.Time
}

func newFixture(t *testing.T, now time.Time) *fixture {
	f := &fixture{t: t, db: MustOpenDB(t), now: now}
	cfg := touchbase.DefaultConfig()
	f.h = handlers.NewHandler(f.db, cfg)
	f.h.Now = func() time.Time { return f.now }
	f.s = scheduler.New(f.db, cfg)
	f.s.Now = func() time.Time { return f.now }
	return f
}

var (
	tokyo   = mustZone("Asia/Tokyo")
	newYork = mustZone("America/New_York")
)

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// as runs a command as a rep in a zone.
func (f *fixture) as(rep, zone, line string) *handlers.Reply {
	f.t.Helper()
	r, err := f.h.Handle(context.Background(), handlers.User{ID: rep, Name: rep, TimeZone: zone}, line)
	if err != nil {
		f.t.Fatalf("%s: %q: %v", rep, line, err)
	}
	return r
}

// run runs a job at t and returns what it enqueued.
func (f *fixture) run(job string, t time.Time) int {
	f.t.Helper()
	n, err := f.s.Run(context.Background(), job, t)
	if err != nil {
		f.t.Fatalf("Run(%s, %v): %v", job, t, err)
	}
	return n
}

// outbox returns the messages waiting, keyed.
func (f *fixture) outbox() map[string]*handlers.Reply {
	f.t.Helper()
	out := map[string]*handlers.Reply{}
	err := f.db.View(context.Background(), func(tx touchbase.Tx) error {
		ms, err := tx.DueMessages(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 0)
		for _, m := range ms {
			r, err := handlers.DecodeReply(m.Body)
			if err != nil {
				return err
			}
			out[m.Key+" → "+m.To] = r
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func keys(m map[string]*handlers.Reply) string {
	var ks []string
	for k := range m {
		if !strings.HasPrefix(k, "notice/") {
			ks = append(ks, k)
		}
	}
	for i := range ks {
		for j := i + 1; j < len(ks); j++ {
			if ks[j] < ks[i] {
				ks[i], ks[j] = ks[j], ks[i]
			}
		}
	}
	return strings.Join(ks, "; ")
}

// Ensure each rep gets their reminder at 09:00 in their own zone, on their
// own business days: a rep in Tokyo and one in New York, on the Japanese
// holiday of 2026-11-23, a weekend, and the New York DST change.
func TestReminders_ZonesHolidaysDST(t *testing.T) {
	// Friday 2026-11-20, set up in the morning.
	f := newFixture(t, time.Date(2026, 11, 20, 8, 0, 0, 0, tokyo))
	f.as("taro", "Asia/Tokyo", `/lead "Ken" company:Gamma`)
	f.now = time.Date(2026, 11, 20, 8, 0, 0, 0, newYork)
	f.as("amy", "America/New_York", `/lead "Bob" company:Initech`)

	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		// Friday 08:59 in Tokyo: not yet. 09:00: Taro's reminder.
		{time.Date(2026, 11, 20, 8, 59, 0, 0, tokyo), ""},
		{time.Date(2026, 11, 20, 9, 0, 0, 0, tokyo), "reminders/taro/2026-11-20 → taro"},
		// Friday 09:00 in New York: Amy's; Taro's is not sent again.
		{time.Date(2026, 11, 20, 9, 0, 0, 0, newYork), "reminders/amy/2026-11-20 → amy; reminders/taro/2026-11-20 → taro"},
		// Saturday and Sunday: nothing.
		{time.Date(2026, 11, 21, 10, 0, 0, 0, tokyo), ""},
		{time.Date(2026, 11, 22, 10, 0, 0, 0, newYork), ""},
		// Monday 2026-11-23 is 勤労感謝の日 in Japan: Amy gets hers, Taro none.
		{time.Date(2026, 11, 23, 10, 0, 0, 0, tokyo), ""},
		{time.Date(2026, 11, 23, 9, 30, 0, 0, newYork), "reminders/amy/2026-11-23 → amy"},
	} {
		before := f.outbox()
		f.run(scheduler.JobReminders, tt.at)
		after := f.outbox()
		for k := range before {
			delete(after, k)
		}
		if got := keys(after); got != tt.want && !(tt.want != "" && keys(f.outbox()) == tt.want) {
			t.Fatalf("at %v: new messages %q, want %q", tt.at, got, tt.want)
		}
	}

	// DST: New York moves to EDT on Sunday 2027-03-14; Monday's 09:00 is
	// 13:00 UTC, not 14:00.
	f.now = time.Date(2027, 3, 15, 7, 0, 0, 0, newYork)
	f.run(scheduler.JobReminders, time.Date(2027, 3, 15, 12, 59, 0, 0, time.UTC))
	if _, ok := f.outbox()["reminders/amy/2027-03-15 → amy"]; ok {
		t.Fatal("reminder sent at 08:59 EDT")
	}
	f.run(scheduler.JobReminders, time.Date(2027, 3, 15, 13, 0, 0, 0, time.UTC))
	if _, ok := f.outbox()["reminders/amy/2027-03-15 → amy"]; !ok {
		t.Fatal("no reminder at 09:00 EDT")
	}
}

// Ensure the reminder lists what is due, overdue first, and leaves out what
// was snoozed or logged; nothing due sends nothing.
func TestReminders_Content(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 16, 10, 0, 0, 0, tokyo)) // Monday
	f.as("taro", "Asia/Tokyo", `/lead "Ken" company:Gamma`)
	f.as("taro", "Asia/Tokyo", `/lead "Jun" company:Delta`)
	f.as("taro", "Asia/Tokyo", `/lead "Aya" company:Epsilon`)
	f.now = time.Date(2026, 11, 18, 8, 0, 0, 0, tokyo) // Wednesday
	f.as("taro", "Asia/Tokyo", `/tb snooze Delta +3d`)
	f.as("taro", "Asia/Tokyo", `/log call Epsilon "left a voicemail"`)
	f.run(scheduler.JobReminders, time.Date(2026, 11, 18, 9, 0, 0, 0, tokyo))
	r := f.outbox()["reminders/taro/2026-11-18 → taro"]
	if r == nil {
		t.Fatalf("no reminder: %v", keys(f.outbox()))
	}
	if len(r.Items) != 1 || !strings.Contains(r.Items[0].Text, "Ken (Gamma)") || !strings.Contains(r.Items[0].Text, "2 days overdue") {
		t.Fatalf("items=%+v, want only Gamma, 2 days overdue", r.Items)
	}
	if r.Items[0].Actions[0].Command != "log call lead#1" {
		t.Fatalf("actions=%+v, want Log call first", r.Items[0].Actions)
	}
	// Nothing due on Thursday for a rep who logged everything: no message.
	f.now = time.Date(2026, 11, 19, 8, 0, 0, 0, tokyo)
	f.as("taro", "Asia/Tokyo", `/log call Gamma hello`)
	if n := f.run(scheduler.JobReminders, time.Date(2026, 11, 19, 9, 0, 0, 0, tokyo)); n != 0 {
		t.Fatalf("enqueued %d with nothing due", n)
	}
}

// Ensure a record whose five touches are done offers keep going, nurture
// or disqualify; and a nurture lead comes back on its recycle date.
func TestReminders_CadenceEndAndNurture(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 9, 10, 0, 0, 0, tokyo))
	f.as("taro", "Asia/Tokyo", `/lead "Ken" company:Gamma`)
	f.as("taro", "Asia/Tokyo", `/lead "Jun" company:Delta`)
	for range 5 {
		f.as("taro", "Asia/Tokyo", `/log call Gamma no answer next:today`)
	}
	f.as("taro", "Asia/Tokyo", `/tb nurture Delta until:2026-11-11`)
	f.run(scheduler.JobNurture, time.Date(2026, 11, 10, 9, 0, 0, 0, tokyo))
	f.run(scheduler.JobReminders, time.Date(2026, 11, 10, 9, 0, 0, 0, tokyo))
	r := f.outbox()["reminders/taro/2026-11-10 → taro"]
	if r == nil || len(r.Items) != 1 {
		t.Fatalf("reminder=%+v, want Gamma only (Delta rests until the 11th)", r)
	}
	if !strings.Contains(r.Items[0].Text, "cadence of 5 is done") {
		t.Fatalf("item=%q, want the cadence-end question", r.Items[0].Text)
	}
	var labels []string
	for _, a := range r.Items[0].Actions {
		labels = append(labels, a.Label)
	}
	if got := strings.Join(labels, ", "); got != "Keep going: log call, Move to nurture, Disqualify" {
		t.Fatalf("actions=%s", got)
	}
	f.run(scheduler.JobNurture, time.Date(2026, 11, 11, 9, 0, 0, 0, tokyo))
	f.run(scheduler.JobReminders, time.Date(2026, 11, 11, 9, 0, 0, 0, tokyo))
	r = f.outbox()["reminders/taro/2026-11-11 → taro"]
	if r == nil || !strings.Contains(r.Items[len(r.Items)-1].Text+r.Items[0].Text, "Jun (Delta)") {
		t.Fatalf("reminder=%+v, want Delta back from nurture", r)
	}
}

// Ensure a stalled deal is flagged to its owner once per stage entry.
func TestStalled(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 2, 10, 0, 0, 0, tokyo))
	f.as("ae", "Asia/Tokyo", `/deal Acme "ERP rollout" amount:¥5m`)
	if n := f.run(scheduler.JobStalled, time.Date(2026, 11, 9, 9, 0, 0, 0, tokyo)); n != 0 {
		t.Fatalf("flagged after 7 days: %d", n) // Discovery's average is 7 days: not over it yet
	}
	for range 2 {
		f.run(scheduler.JobStalled, time.Date(2026, 11, 10, 10, 0, 0, 0, tokyo))
	}
	var got []string
	for k, r := range f.outbox() {
		if strings.HasPrefix(k, "stalled/") {
			got = append(got, k+": "+r.Title)
		}
	}
	if len(got) != 1 || !strings.Contains(got[0], "→ ae") || !strings.Contains(got[0], "in Discovery for 8 days (the average is 7)") {
		t.Fatalf("stalled notices=%q, want one to ae", got)
	}
}

// Ensure renewal reminders at 90, 60 and 30 days, and after downtime only
// the nearest one that has come.
func TestRenewals(t *testing.T) {
	f := newFixture(t, time.Date(2026, 1, 5, 10, 0, 0, 0, tokyo))
	f.as("ae", "Asia/Tokyo", `/deal Acme "ERP rollout" amount:¥5m`)
	f.as("ae", "Asia/Tokyo", `/qualify Acme a:yes b:yes`)
	f.as("ae", "Asia/Tokyo", `/stage Acme won term:12m`) // renewal due 2027-01-05
	f.as("ae", "Asia/Tokyo", `/deal Beta "Support" amount:¥1m`)
	f.as("ae", "Asia/Tokyo", `/qualify Beta a:yes b:yes`)
	f.as("ae", "Asia/Tokyo", `/stage Beta won term:11m`) // due 2026-12-05
	for _, tt := range []struct {
		at   time.Time
		want []string
	}{
		{time.Date(2026, 9, 4, 9, 0, 0, 0, tokyo), nil},                                        // Acme: 123 days, Beta: 92
		{time.Date(2026, 9, 7, 9, 0, 0, 0, tokyo), []string{"renewal/2/90"}},                   // Beta: 89 days left
		{time.Date(2026, 11, 25, 9, 0, 0, 0, tokyo), []string{"renewal/1/60", "renewal/2/30"}}, // after downtime: Acme 41 → 60 (not 90); Beta 10 → 30
	} {
		f.run(scheduler.JobRenewals, tt.at)
		for _, w := range tt.want {
			if _, ok := f.outbox()[w+" → ae"]; !ok {
				t.Fatalf("at %v: no %s in %s", tt.at, w, keys(f.outbox()))
			}
		}
	}
	if _, ok := f.outbox()["renewal/1/90 → ae"]; ok {
		t.Fatal("a missed 90-day notice was sent after the 60-day one came")
	}
}

// Ensure a restart between recording a run and sending, and two runs at
// once, enqueue each reminder once; downtime over 09:00 is caught up the same
// day, and quiet hours hold it back.
func TestReminders_ExactlyOnce(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 8, 0, 0, 0, tokyo))
	f.as("taro", "Asia/Tokyo", `/lead "Ken" company:Gamma`)
	// Down over 09:00; back at 21:00 (quiet hours): nothing yet.
	if n := f.run(scheduler.JobReminders, time.Date(2026, 11, 20, 21, 0, 0, 0, tokyo)); n != 0 {
		t.Fatalf("sent %d in quiet hours", n)
	}
	// Back at 11:30 the same day: caught up.
	at := time.Date(2026, 11, 20, 11, 30, 0, 0, tokyo)
	var wg sync.WaitGroup
	total := make(chan int, 4)
	for range 4 {
		wg.Go(func() {
			n, err := f.s.Run(context.Background(), scheduler.JobReminders, at)
			if err != nil {
				t.Error(err)
			}
			total <- n
		})
	}
	wg.Wait()
	close(total)
	sum := 0
	for n := range total {
		sum += n
	}
	if sum != 1 {
		t.Fatalf("four concurrent runs enqueued %d, want 1", sum)
	}
	// A restarted scheduler on the same store does not enqueue it again.
	again := scheduler.New(f.db, f.h.Config)
	if n, err := again.Run(context.Background(), scheduler.JobReminders, at.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("after restart: enqueued %d, %v, want 0", n, err)
	}
}

// Ensure each team's digest goes to its channel at Monday 09:00 in the
// team's zone with its chart, once; digests missed while touchbase was down
// are posted late with a note, not lost.
func TestDigest(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 9, 10, 0, 0, 0, tokyo))
	f.as("boss", "Asia/Tokyo", `/tb team create "IS Tokyo" inside_sales #is-tokyo tz:Asia/Tokyo`)
	f.as("boss", "Asia/Tokyo", `/tb team add "IS Tokyo" @taro`)
	f.as("boss", "Asia/Tokyo", `/tb team create "FS NY" field_sales tz:America/New_York`) // no channel: no digest
	f.as("taro", "Asia/Tokyo", `/lead "Ken" company:Gamma source:Referral`)
	f.as("taro", "Asia/Tokyo", `/log call Gamma hello`)

	if n := f.run(scheduler.JobDigest, time.Date(2026, 11, 16, 8, 59, 0, 0, tokyo)); n != 0 {
		t.Fatalf("posted %d before Monday 09:00", n)
	}
	for range 2 {
		f.run(scheduler.JobDigest, time.Date(2026, 11, 16, 9, 0, 0, 0, tokyo))
	}
	r := f.outbox()["digest/is tokyo/2026-11-16 → #is-tokyo"]
	if r == nil {
		t.Fatalf("no digest: %s", keys(f.outbox()))
	}
	if !strings.Contains(r.Title, "Mon Nov 9 – Sun Nov 15, 2026") || r.Image == nil || len(r.Image.PNG) == 0 || len(r.Warnings) != 0 {
		t.Fatalf("digest title=%q image=%v warnings=%q", r.Title, r.Image != nil, r.Warnings)
	}
	if !strings.Contains(strings.Join(r.Lines, "\n"), "New leads 1 ▲1") {
		t.Fatalf("digest lines:\n%s", strings.Join(r.Lines, "\n"))
	}
	// Down from Sunday 22 to Tuesday Dec 1: the digest of Nov 23 and Nov 30
	// are both posted, late, with a note.
	f.run(scheduler.JobDigest, time.Date(2026, 12, 1, 11, 0, 0, 0, tokyo))
	for _, day := range []string{"2026-11-23", "2026-11-30"} {
		r := f.outbox()["digest/is tokyo/"+day+" → #is-tokyo"]
		if r == nil || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "Posted late") {
			t.Fatalf("digest of %s = %+v, want it posted late with a note", day, r)
		}
	}
	if n := f.run(scheduler.JobDigest, time.Date(2026, 12, 1, 12, 0, 0, 0, tokyo)); n != 0 {
		t.Fatalf("posted %d again", n)
	}
}

// Ensure a team's own holidays hold back its reps' reminders, on top of
// its zone's public holidays.
func TestReminders_TeamHolidays(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 25, 8, 0, 0, 0, newYork))
	f.as("boss", "America/New_York", `/tb team create "FS NY" field_sales #fs-ny tz:America/New_York`)
	f.as("boss", "America/New_York", `/tb team add "FS NY" @amy`)
	r := f.as("boss", "America/New_York", `/tb team holiday "FS NY" 2026-11-26 2026-11-27`)
	if !strings.Contains(r.Title, "2026-11-26, 2026-11-27") {
		t.Fatalf("reply %q", r.Title)
	}
	f.as("amy", "America/New_York", `/lead "Bob" company:Initech`)
	for _, day := range []int{26, 27} { // Thanksgiving and the day after
		if n := f.run(scheduler.JobReminders, time.Date(2026, 11, day, 9, 30, 0, 0, newYork)); n != 0 {
			t.Fatalf("reminder sent on the team's holiday 11-%d", day)
		}
	}
	if n := f.run(scheduler.JobReminders, time.Date(2026, 11, 30, 9, 30, 0, 0, newYork)); n != 1 {
		t.Fatalf("no reminder on Monday after the holidays: %d", n)
	}
}

// Ensure Start makes a pass at once rather than at the cron's next tick
// (here a year away), so a restart after downtime catches up; and that
// Stop waits for that pass to finish.
func TestScheduler_PassAtStart(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 20, 10, 0, 0, 0, tokyo))
	f.as("taro", "Asia/Tokyo", `/lead "Ken" company:Gamma`)
	f.now = time.Date(2026, 11, 24, 9, 30, 0, 0, tokyo)
	f.s.Every = "0 0 1 1 *"
	woken, release := make(chan struct{}), make(chan struct{})
	f.s.Wake = sync.OnceFunc(func() { close(woken) })
	var mu sync.Mutex
	var ran []string
	f.s.Observe = func(job string, _ int, _ time.Duration, _ error) {
		if job == scheduler.JobStalled {
			<-release // the pass is still running when Stop is called
		}
		mu.Lock()
		defer mu.Unlock()
		ran = append(ran, job)
	}
	if err := f.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatal("no pass at start")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopped := make(chan string)
	go func() {
		f.s.Stop(ctx)
		mu.Lock()
		defer mu.Unlock()
		stopped <- strings.Join(ran, ",")
	}()
	close(release)
	if got, want := <-stopped, strings.Join(scheduler.Jobs, ","); got != want {
		t.Fatalf("jobs run when Stop returned: %s, want the whole pass %s", got, want)
	}
	if got, want := keys(f.outbox()), "reminders/taro/2026-11-24 → taro"; got != want {
		t.Fatalf("outbox=%s, want %s", got, want)
	}
}

// Ensure each job run has a request id of its own: on its log line and on
// every message it enqueues, so that their deliveries are logged under it.
func TestRun_RequestID(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 16, 10, 0, 0, 0, tokyo)) // Monday
	f.as("taro", "Asia/Tokyo", `/lead "Ken" company:Gamma`)
	f.as("hana", "Asia/Tokyo", `/lead "Jun" company:Delta`)
	var logs bytes.Buffer
	f.s.Logger = slog.New(touchbase.NewLogHandler(slog.NewJSONHandler(&logs, nil)))
	// A context with an id already: the run makes its own all the same.
	ctx := touchbase.WithRequestID(context.Background(), "caller")
	for _, day := range []int{18, 19} {
		if n, err := f.s.Run(ctx, scheduler.JobReminders, time.Date(2026, 11, day, 9, 0, 0, 0, tokyo)); err != nil || n != 2 {
			t.Fatalf("Run on the %dth: %d, %v, want 2 reminders", day, n, err)
		}
	}
	type line struct {
		Msg       string `json:"msg"`
		Job       string `json:"job"`
		RequestID string `json:"request_id"`
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var r line
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, r)
	}
	if len(lines) != 2 || lines[0].Msg != "job ran" || lines[0].Job != "reminders" || lines[0].RequestID == "" ||
		lines[0].RequestID == "caller" || lines[1].RequestID == lines[0].RequestID {
		t.Fatalf("log=%s, want two job lines with ids of their own", logs.String())
	}
	byDay := map[string]string{} // day → request id of its reminders
	err := f.db.View(context.Background(), func(tx touchbase.Tx) error {
		ms, err := tx.DueMessages(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 0)
		for _, m := range ms {
			if !strings.HasPrefix(m.Key, "reminders/") {
				continue
			}
			day := m.Key[strings.LastIndex(m.Key, "/")+1:]
			if id, ok := byDay[day]; ok && id != m.RequestID {
				t.Errorf("%s: request id %q, want %q like the rest of its run", m.Key, m.RequestID, id)
			}
			byDay[day] = m.RequestID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if byDay["2026-11-18"] != lines[0].RequestID || byDay["2026-11-19"] != lines[1].RequestID {
		t.Fatalf("reminders' request ids %v, want the runs' %q and %q", byDay, lines[0].RequestID, lines[1].RequestID)
	}
}

// Ensure the claims job forgets the claims of deliveries older than
// ClaimsKept, and keeps the recent ones, which still turn a retry away.
func TestRun_Claims(t *testing.T) {
	f := newFixture(t, time.Date(2026, 11, 16, 10, 0, 0, 0, tokyo))
	ctx := context.Background()
	err := f.db.Update(ctx, func(tx touchbase.Tx) error {
		for key, at := range map[string]time.Time{
			"event/old":    f.now.Add(-scheduler.ClaimsKept - time.Minute),
			"event/recent": f.now.Add(-scheduler.ClaimsKept + time.Minute),
		} {
			if _, err := tx.Claim(key, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Run(ctx, scheduler.JobClaims, f.now); err != nil {
		t.Fatal(err)
	}
	// Whether each key may be claimed again, asked in an Update rolled back.
	errAsked := errors.New("asked")
	claimable := map[string]bool{}
	err = f.db.Update(ctx, func(tx touchbase.Tx) error {
		for _, key := range []string{"event/old", "event/recent"} {
			fresh, err := tx.Claim(key, f.now)
			if err != nil {
				return err
			}
			claimable[key] = fresh
		}
		return errAsked
	})
	if err != errAsked {
		t.Fatal(err)
	}
	if !claimable["event/old"] || claimable["event/recent"] {
		t.Fatalf("claimable after the job: %v, want the old claim forgotten and the recent one kept", claimable)
	}
}
