package scheduler_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/scheduler"
	"github.com/touchbase/touchbase/store"
)

// benchReps is how many reps own the benchmark records: the even ones in
// Tokyo, the odd ones in New York.
const benchReps = 200

// benchDay is the benchmark's morning: Monday 5 April 2027, a business day
// in Japan and in the United States, with New York on daylight-saving time.
// Tokyo's 09:00 is then 20:00 the evening before in New York (quiet hours)
// and New York's 09:00 is 22:00 in Tokyo, so each zone's run reaches only
// its own reps, and a day's reminders are the two runs.
var benchDay = touchbase.NewDate(2027, time.April, 5)

// benchSeedBatch is how many records one seeding transaction writes.
const benchSeedBatch = 10_000

// benchWorkspace describes a generated workspace. Records are made in
// creation order, so the time-keyed activities are appended rather than
// inserted, and every activity falls on a record that existed by then.
type benchWorkspace struct {
	Leads, Opportunities, Activities int
	Accounts, Handoffs, Renewals     int
	// AllOpen makes every lead open (new, working or qualified); otherwise
	// a third of them are converted, nurtured or disqualified.
	AllOpen bool
	// Day is the benchmark day: leads and opportunities are created over
	// the 26 weeks before it, activities fall in the 13 weeks before it,
	// and open records' follow-ups lie within 30 days of it, about 5% of
	// them on or before it.
	Day touchbase.Date
}

var (
	benchSources = []string{"Webinar", "Seminar", "Referral", "White paper", "Website", "Ads", "Trade show"}
	benchNotes   = []string{"left a voicemail", "asked for pricing, sending a quote", "CIO joins next call",
		"budget confirmed for Q3", "no answer", "wants a demo for the team", "comparing with a competitor", ""}
	benchLeadStatus = []touchbase.LeadStatus{touchbase.LeadNew, touchbase.LeadWorking, touchbase.LeadWorking, touchbase.LeadQualified,
		touchbase.LeadWorking, touchbase.LeadConverted, touchbase.LeadNurture, touchbase.LeadDisqualified, touchbase.LeadNew}
	benchHandoffKinds = []touchbase.HandoffKind{touchbase.HandoffMQL, touchbase.HandoffMQL, touchbase.HandoffSQL, touchbase.HandoffWon,
		touchbase.HandoffSentBack, touchbase.HandoffReturned}
)

// benchOwner returns the ID of rep i.
func benchOwner(i int) string { return fmt.Sprintf("U%03d", i%benchReps) }

// benchWeekday returns a weekday within 30 days of day: on or up to 30 days
// before it with probability 5%, else in the 30 days after.
func benchWeekday(r *rand.Rand, day touchbase.Date) touchbase.Date {
	for {
		d := day.AddDays(1 + r.IntN(30))
		if r.IntN(100) < 5 {
			d = day.AddDays(-r.IntN(31))
		}
		if w := d.Weekday(); w != time.Saturday && w != time.Sunday {
			return d
		}
	}
}

// laterWeekday returns a weekday 31 to 60 days after day: where a worked
// follow-up goes, out of the way of the next days' reminders.
func laterWeekday(r *rand.Rand, day touchbase.Date) touchbase.Date {
	for {
		d := day.AddDays(31 + r.IntN(30))
		if w := d.Weekday(); w != time.Saturday && w != time.Sunday {
			return d
		}
	}
}

// seedBench stores n records made by create, benchSeedBatch per transaction.
func seedBench(b testing.TB, db *store.DB, n int, create func(tx touchbase.Tx, i int) error) {
	b.Helper()
	for start := 0; start < n; start += benchSeedBatch {
		err := db.Update(context.Background(), func(tx touchbase.Tx) error {
			for i := start; i < min(start+benchSeedBatch, n); i++ {
				if err := create(tx, i); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// seed writes the workspace to db.
func (w benchWorkspace) seed(b testing.TB, db *store.DB) {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	end := w.Day.In(time.UTC)
	first := end.AddDate(0, 0, -26*7) // the first record's creation
	window := 13 * 7 * 24 * time.Hour // the activities' span, up to end
	owners := make([]string, benchReps)
	for i := range owners {
		owners[i] = benchOwner(i)
	}
	// Record i of n is made at the fraction i/n of its span (in float64:
	// i times a span in nanoseconds overflows an int64).
	at := func(from time.Time, span time.Duration, i, n int) time.Time {
		return from.Add(time.Duration(float64(span) * float64(i) / float64(n)))
	}
	createdAt := func(i, n int) time.Time { return at(first, end.Sub(first), i, n) }
	actAt := func(i int) time.Time { return at(end.Add(-window), window, i, w.Activities) }
	// madeBy returns how many of n records were made by t.
	madeBy := func(t time.Time, n int) int {
		return max(1, min(n, int(float64(n)*float64(t.Sub(first))/float64(end.Sub(first)))))
	}

	// Plan the activities first, so that each record's touch count and
	// last touch agree with them: activity i falls on a lead (target >= 0)
	// or an opportunity (-target-1) that existed at its time.
	target := make([]int32, w.Activities)
	leadTouches, leadLast := make([]int32, w.Leads), make([]int32, w.Leads)
	oppTouches, oppLast := make([]int32, w.Opportunities), make([]int32, w.Opportunities)
	for i := range target {
		t := actAt(i)
		if w.Opportunities > 0 && r.IntN(3) == 0 {
			o := r.IntN(madeBy(t, w.Opportunities))
			target[i] = int32(-o - 1)
			oppTouches[o]++
			oppLast[o] = int32(i)
			continue
		}
		l := r.IntN(madeBy(t, w.Leads))
		target[i] = int32(l)
		leadTouches[l]++
		leadLast[l] = int32(i)
	}

	err := db.Update(context.Background(), func(tx touchbase.Tx) error {
		for i := range benchReps {
			zone := "Asia/Tokyo"
			if i%2 == 1 {
				zone = "America/New_York"
			}
			if err := tx.PutRep(&touchbase.Rep{ID: owners[i], Name: fmt.Sprintf("rep%d", i), TimeZone: zone, CreatedAt: first.AddDate(-1, 0, 0)}); err != nil {
				return err
			}
		}
		return tx.PutTeam(&touchbase.Team{Name: "Inside Sales", Function: touchbase.InsideSales, Channel: "#inside-sales",
			Members: owners[2:], Managers: owners[:2], TimeZone: "Asia/Tokyo", CreatedAt: first.AddDate(-1, 0, 0)})
	})
	if err != nil {
		b.Fatal(err)
	}

	seedBench(b, db, w.Accounts, func(tx touchbase.Tx, i int) error {
		a := &touchbase.Account{Name: fmt.Sprintf("Acme %d KK", i), Owner: owners[i%benchReps], Source: benchSources[i%len(benchSources)],
			CreatedAt: first.AddDate(0, -6, 0)}
		if i%4 == 0 {
			a.CustomerSince, a.SuccessOwner = touchbase.DateOf(first.AddDate(0, -3, 0)), owners[(i+1)%benchReps]
		}
		return tx.CreateAccount(a)
	})

	seedBench(b, db, w.Leads, func(tx touchbase.Tx, i int) error {
		created := createdAt(i, w.Leads)
		l := &touchbase.Lead{
			Name: fmt.Sprintf("Taro Yamada %d", i), Company: fmt.Sprintf("Acme %d KK", i/2), Email: fmt.Sprintf("taro%d@acme%d.co.jp", i, i/2),
			Phone: "03-1234-5678", Title: "CIO", Source: benchSources[r.IntN(len(benchSources))], Owner: owners[i%benchReps],
			Status:  benchLeadStatus[r.IntN(len(benchLeadStatus))],
			BANT:    touchbase.BANT{Need: touchbase.BANTItem{Answer: touchbase.Yes, Note: "replace the legacy ERP"}},
			Touches: int(leadTouches[i]), CreatedAt: created, UpdatedAt: created,
		}
		if w.AllOpen && !l.Status.Open() {
			l.Status = touchbase.LeadWorking
		}
		if l.Touches > 0 {
			l.LastTouch = actAt(int(leadLast[i]))
			l.UpdatedAt = l.LastTouch
		}
		// A closed lead closed within a month of its creation.
		closed := created.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		if closed.After(end) {
			closed = end.Add(-time.Hour)
		}
		switch l.Status {
		case touchbase.LeadQualified:
			l.QualifiedAt = closed
		case touchbase.LeadConverted:
			l.QualifiedAt, l.ConvertedAt, l.UpdatedAt = closed.Add(-time.Hour), closed, closed
			if w.Accounts > 0 {
				l.AccountID = uint64(1 + i%w.Accounts)
			}
		case touchbase.LeadNurture:
			l.UpdatedAt, l.RecycleOn = closed, touchbase.DateOf(closed).AddDays(90)
		case touchbase.LeadDisqualified:
			l.UpdatedAt, l.Reason = closed, "no budget"
		}
		if l.Status.Open() {
			l.NextFollowUp = benchWeekday(r, w.Day)
		}
		return tx.CreateLead(l)
	})

	cfg := touchbase.DefaultConfig()
	won := cfg.Won()
	seedBench(b, db, w.Opportunities, func(tx touchbase.Tx, i int) error {
		created := createdAt(i, w.Opportunities)
		owner := owners[(i*7)%benchReps]
		o := &touchbase.Opportunity{
			AccountID: uint64(1 + i%max(1, w.Accounts)), Name: fmt.Sprintf("ERP rollout %d", i),
			AmountMinor: int64(1+r.IntN(50)) * 1_000_000, Currency: "JPY", Stage: 1, Status: touchbase.OpportunityOpen,
			Owner: owner, Source: benchSources[r.IntN(len(benchSources))],
			BANT: touchbase.BANT{
				Budget:    touchbase.BANTItem{Answer: touchbase.Yes, Note: "5m"},
				Authority: touchbase.BANTItem{Answer: touchbase.No, Note: "CIO decides"},
				Need:      touchbase.BANTItem{Answer: touchbase.Yes, Note: "replace legacy ERP"},
			},
			Touches: int(oppTouches[i]), StageEnteredAt: created, CreatedAt: created, UpdatedAt: created,
			History: []touchbase.StageChange{{At: created, By: owner, Kind: touchbase.StageCreated, To: 1}},
		}
		if i%5 == 0 {
			o.Currency, o.AmountMinor = "USD", o.AmountMinor/100
		}
		if o.Touches > 0 {
			o.LastTouch = actAt(int(oppLast[i]))
		}
		// Walk the stages: 3 to 20 days in each, until the deal is won,
		// lost (one in ten at each stage) or reaches today.
		at := created
		for {
			next := at.Add(time.Duration(3+r.IntN(18)) * 24 * time.Hour)
			if !next.Before(end) {
				break
			}
			if r.IntN(10) == 0 {
				o.Status, o.ClosedAt, o.LostReason = touchbase.OpportunityLost, next, "went with a competitor"
				o.History = append(o.History, touchbase.StageChange{At: next, By: owner, Kind: touchbase.StageLost, From: o.Stage, To: o.Stage, Reason: o.LostReason})
				break
			}
			kind := touchbase.StageAdvance
			if o.Stage+1 == won {
				kind = touchbase.StageWon
			}
			o.History = append(o.History, touchbase.StageChange{At: next, By: owner, Kind: kind, From: o.Stage, To: o.Stage + 1})
			o.Stage, o.StageEnteredAt, at = o.Stage+1, next, next
			if o.Stage == won {
				o.Status, o.ClosedAt = touchbase.OpportunityWon, next
				break
			}
		}
		o.UpdatedAt = o.StageEnteredAt
		if o.ClosedAt.After(o.UpdatedAt) {
			o.UpdatedAt = o.ClosedAt
		}
		o.CloseDate = touchbase.DateOf(o.UpdatedAt).AddDays(30)
		if o.Open() {
			o.NextFollowUp = benchWeekday(r, w.Day)
		}
		return tx.CreateOpportunity(o)
	})

	kinds := touchbase.ActivityKinds
	seedBench(b, db, w.Activities, func(tx touchbase.Tx, i int) error {
		at := actAt(i)
		a := &touchbase.Activity{Kind: kinds[r.IntN(len(kinds))], At: at, Note: benchNotes[r.IntN(len(benchNotes))],
			NextDate: touchbase.DateOf(at).AddDays(2 + r.IntN(6))}
		if t := int(target[i]); t >= 0 {
			a.LeadID, a.Owner = uint64(t+1), owners[t%benchReps]
		} else {
			a.OpportunityID, a.Owner = uint64(-t), owners[((-t-1)*7)%benchReps]
		}
		if a.Note != "" {
			a.NextStep = "call back"
		}
		return tx.CreateActivity(a)
	})

	seedBench(b, db, w.Handoffs, func(tx touchbase.Tx, i int) error {
		h := &touchbase.Handoff{At: end.Add(-time.Duration(r.Int64N(int64(window)))), Kind: benchHandoffKinds[r.IntN(len(benchHandoffKinds))],
			From: owners[r.IntN(benchReps)], To: owners[r.IntN(benchReps)]}
		if w.Leads > 0 {
			h.LeadID = uint64(1 + r.IntN(w.Leads))
		}
		if h.Kind != touchbase.HandoffMQL && h.Kind != touchbase.HandoffReturned && w.Opportunities > 0 {
			h.OpportunityID = uint64(1 + r.IntN(w.Opportunities))
		}
		if h.Kind == touchbase.HandoffSentBack || h.Kind == touchbase.HandoffReturned {
			h.Reason = "not qualified"
		}
		return tx.CreateHandoff(h)
	})

	seedBench(b, db, w.Renewals, func(tx touchbase.Tx, i int) error {
		due := w.Day.AddDays(r.IntN(400) - 35)
		rn := &touchbase.Renewal{AccountID: uint64(1 + i%max(1, w.Accounts)), Owner: owners[(i+1)%benchReps], ARRMinor: int64(1+r.IntN(20)) * 1_000_000,
			Currency: "JPY", Start: due.AddMonths(-12), Due: due, TermMonths: 12, Status: touchbase.RenewalPending,
			CreatedAt: due.AddMonths(-12).In(time.UTC)}
		if due.Before(w.Day) {
			rn.Status, rn.DecidedAt = touchbase.RenewalRenewed, due.In(time.UTC).Add(-time.Duration(r.IntN(10*24))*time.Hour)
			if r.IntN(5) == 0 {
				rn.Status, rn.Reason = touchbase.RenewalChurned, "budget cut"
			}
		}
		return tx.CreateRenewal(rn)
	})
}

// seedTimed seeds w into db and logs how long it took and the file's size.
func seedTimed(b *testing.B, db *store.DB, w benchWorkspace) {
	b.Helper()
	start := time.Now()
	w.seed(b, db)
	size := int64(0)
	if fi, err := os.Stat(db.Path()); err == nil {
		size = fi.Size()
	}
	b.Logf("seeded %d leads, %d opportunities, %d activities in %v; file %d MB", w.Leads, w.Opportunities, w.Activities,
		time.Since(start).Round(100*time.Millisecond), size>>20)
}

// bothBusinessDay reports whether d is a business day in Tokyo and in New York.
func bothBusinessDay(cfg *touchbase.Config, d touchbase.Date) bool {
	for _, zone := range []string{"Asia/Tokyo", "America/New_York"} {
		cal := touchbase.CalendarForZone(zone)
		cal.Holidays = append(cal.Holidays, cfg.Calendar.Holidays...)
		if !cal.BusinessDay(d) {
			return false
		}
	}
	return true
}

// BenchmarkReminders100k measures the morning reminders over 100,000 open
// leads of 200 reps, about 5% of them due: the scan one rep's reminder
// makes, and a whole business day of the job, which sends every rep one.
func BenchmarkReminders100k(b *testing.B) {
	const leads = 100_000
	db := MustOpenDB(b)
	seedTimed(b, db, benchWorkspace{Leads: leads, Activities: 2 * leads, AllOpen: true, Day: benchDay})
	ctx := context.Background()
	cfg := touchbase.DefaultConfig()

	// Ensure finding one rep's due follow-ups among 100,000 open leads
	// stays cheap: the due-date index walk, the owner filter, and each due
	// lead's last note.
	b.Run("scan", func(b *testing.B) {
		n := 0
		b.ReportAllocs()
		for b.Loop() {
			err := db.View(ctx, func(tx touchbase.Tx) error {
				due, err := handlers.DueFollowUps(tx, benchOwner(0), benchDay, benchDay)
				n = len(due)
				return err
			})
			if err != nil {
				b.Fatal(err)
			} else if n == 0 {
				b.Fatal("nothing due")
			}
		}
		b.ReportMetric(float64(n), "due/op")
	})

	// Ensure a business day of reminders stays cheap: the run at 09:00 in
	// Tokyo and the one at 09:00 in New York, one message to each of the 200
	// reps. Keys make a second run of a day a no-op, so each op is the next
	// business day; between ops (not timed) the reps work what was due,
	// which moves its follow-up 31 to 60 days on, so every day has about
	// the same share due. day is the next day to run, kept across the runs
	// that -count makes of "day".
	day, r := benchDay, rand.New(rand.NewPCG(3, 4))
	b.Run("day", func(b *testing.B) {
		s := scheduler.New(db, cfg)
		worked, ops := 0, 0
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, at := range []time.Time{day.In(tokyo).Add(9 * time.Hour), day.In(newYork).Add(9 * time.Hour)} {
				k, err := s.Run(ctx, scheduler.JobReminders, at)
				if err != nil {
					b.Fatal(err)
				}
				n += k
			}
			if n != benchReps {
				b.Fatalf("%s: enqueued %d reminders, want %d", day, n, benchReps)
			}

			b.StopTimer()
			err := db.Update(ctx, func(tx touchbase.Tx) error {
				due, err := tx.Leads(touchbase.LeadFilter{DueBy: day})
				for _, l := range due {
					l.Touches++
					l.LastTouch = day.In(time.UTC).Add(10 * time.Hour)
					l.NextFollowUp = laterWeekday(r, day)
					if err := tx.UpdateLead(l); err != nil {
						return err
					}
				}
				worked += len(due)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			ops++
			for day = day.AddDays(1); !bothBusinessDay(cfg, day); day = day.AddDays(1) {
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(worked)/float64(ops), "due/op")
	})
}

// BenchmarkDigest1M measures the weekly digest over 200,000 leads, 100,000
// opportunities and 1,000,000 activities: ns, B and allocs per digest, and
// the peak heap and peak resident set during it. The heap before the digest
// (what seeding left, logged) is part of the peak: the bench module measures
// the digest's own in a process that holds nothing else.
func BenchmarkDigest1M(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds 1,000,000 activities; not in -short")
	}
	db := MustOpenDB(b)
	seedTimed(b, db, benchWorkspace{Leads: 200_000, Opportunities: 100_000, Activities: 1_000_000,
		Accounts: 20_000, Handoffs: 5_000, Renewals: 2_000, Day: benchDay})
	ctx := context.Background()
	cfg := touchbase.DefaultConfig()
	end := benchDay.In(tokyo) // the digest of Monday 09:00 covers the week up to Monday 00:00

	runtime.GC()
	mem := startMemSampler(2 * time.Millisecond)
	defer mem.stop()
	b.Logf("before the digest: heap %d MB, resident anonymous %d MB", mem.heap.Load()>>20, mem.anon.Load()>>20)
	var peakHeap, peakAnon, peakRSS uint64
	rssOK := true
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if rssOK {
			if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
				b.Logf("no peak RSS: reset the high-water mark: %v", err)
				rssOK = false
			}
		}
		mem.reset()
		b.StartTimer()

		d, err := handlers.ComputeDigest(ctx, db, cfg, end, tokyo)
		if err != nil {
			b.Fatal(err)
		} else if d.This.InsideSales.Touches == 0 || d.This.FieldSales.Pipeline.Count == 0 {
			b.Fatalf("empty digest: %+v", d.This.InsideSales)
		}

		b.StopTimer()
		mem.sample()
		peakHeap, peakAnon = max(peakHeap, mem.heap.Load()), max(peakAnon, mem.anon.Load())
		if rssOK {
			hwm, err := vmHWM()
			if err != nil {
				b.Logf("no peak RSS: %v", err)
				rssOK = false
			}
			peakRSS = max(peakRSS, hwm)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	if rssOK {
		// The resident set counts the pages of the file that bbolt maps and
		// the op reads, as well as the heap; peak-anon-MB is the part that
		// is the process's own memory.
		b.ReportMetric(float64(peakRSS)/(1<<20), "peak-RSS-MB")
	}
	if mem.anonOK {
		b.ReportMetric(float64(peakAnon)/(1<<20), "peak-anon-MB")
	}
}

// memSampler records the highest heap in use (live objects and those not
// yet swept, from runtime/metrics) and the highest anonymous resident set
// (resident minus file-backed pages, from /proc/self/statm) seen by sampling
// every few milliseconds. Sampling allocates nothing, so it does not show
// in the benchmark's allocs/op.
type memSampler struct {
	heap, anon atomic.Uint64 // maxima since reset
	anonOK     bool

	mu    sync.Mutex // guards what sample reads into
	s     []metrics.Sample
	statm *os.File
	buf   [128]byte
	page  uint64

	done chan struct{}
	wg   sync.WaitGroup
}

func startMemSampler(every time.Duration) *memSampler {
	m := &memSampler{s: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}, page: uint64(os.Getpagesize()), done: make(chan struct{})}
	if f, err := os.Open("/proc/self/statm"); err == nil {
		m.statm, m.anonOK = f, true
	}
	m.sample()
	m.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				m.sample()
			}
		}
	})
	return m
}

// sample reads the heap and the resident set once and raises the maxima.
func (m *memSampler) sample() {
	m.mu.Lock()
	defer m.mu.Unlock()
	metrics.Read(m.s)
	raise(&m.heap, m.s[0].Value.Uint64())
	if !m.anonOK {
		return
	}
	// statm: size resident shared ..., in pages.
	n, err := m.statm.ReadAt(m.buf[:], 0)
	if n == 0 && err != nil {
		m.anonOK = false
		return
	}
	var f [3]uint64
	i := 0
	for _, c := range m.buf[:n] {
		switch {
		case c >= '0' && c <= '9':
			f[i] = f[i]*10 + uint64(c-'0')
		case i < len(f)-1:
			i++
		default:
			raise(&m.anon, (f[1]-min(f[1], f[2]))*m.page)
			return
		}
	}
}

// raise sets hi to v if v is higher.
func raise(hi *atomic.Uint64, v uint64) {
	for {
		m := hi.Load()
		if v <= m || hi.CompareAndSwap(m, v) {
			return
		}
	}
}

// reset starts new maxima from the memory in use now.
func (m *memSampler) reset() {
	m.heap.Store(0)
	m.anon.Store(0)
	m.sample()
}

func (m *memSampler) stop() {
	close(m.done)
	m.wg.Wait()
	if m.statm != nil {
		m.statm.Close()
	}
}

// vmHWM returns the process's peak resident set size, in bytes, from
// /proc/self/status.
func vmHWM() (uint64, error) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(status) {
		rest, ok := bytes.CutPrefix(line, []byte("VmHWM:"))
		if !ok {
			continue
		}
		kb, ok := bytes.CutSuffix(bytes.TrimSpace(rest), []byte(" kB"))
		if !ok {
			return 0, fmt.Errorf("VmHWM: unexpected %q", line)
		}
		n, err := strconv.ParseUint(string(bytes.TrimSpace(kb)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmHWM: %w", err)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
