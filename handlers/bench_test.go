package handlers_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// seedOpportunities writes n open opportunities spread over the stages and
// 200 owners, in transactions of 10,000.
func seedOpportunities(tb testing.TB, f *fixture, n int) {
	tb.Helper()
	for start := 0; start < n; start += 10000 {
		err := f.db.Update(context.Background(), func(tx touchbase.Tx) error {
			for i := start; i < min(start+10000, n); i++ {
				a := &touchbase.Account{Name: fmt.Sprintf("Account %d", i), Owner: fmt.Sprintf("rep%d", i%200), CreatedAt: monday}
				if err := tx.CreateAccount(a); err != nil {
					return err
				}
				o := &touchbase.Opportunity{
					AccountID: a.ID, Name: fmt.Sprintf("Deal %d", i), AmountMinor: int64(1+i%50) * 100000, Currency: "JPY",
					Stage: 1 + i%7, Status: touchbase.OpportunityOpen, Owner: a.Owner,
					StageEnteredAt: monday.AddDate(0, 0, -(i % 60)), NextFollowUp: touchbase.DateOf(monday).AddDays(i % 30),
					CreatedAt: monday, UpdatedAt: monday,
				}
				if err := tx.CreateOpportunity(o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkPipeline100k measures /pipeline all over 100,000 open
// opportunities: read, sum by stage, weight, and find the stalled ones.
func BenchmarkPipeline100k(b *testing.B) {
	f := newFixture(b)
	seedOpportunities(b, f, 100000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := f.h.Handle(ctx, user("rep0"), "/pipeline all")
		if err != nil {
			b.Fatal(err)
		}
		if r.Title == "" {
			b.Fatal("empty reply")
		}
	}
}

// BenchmarkPipelineRep measures /pipeline @rep: one owner's 500 deals out
// of 100,000, through the owner index.
func BenchmarkPipelineRep(b *testing.B) {
	f := newFixture(b)
	seedOpportunities(b, f, 100000)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.h.Handle(ctx, user("rep7"), "/pipeline"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogActivity measures /log end to end: parse, resolve the name
// through the index, write the activity and the lead in one durable
// (fsync'd) transaction, and answer.
func BenchmarkLogActivity(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	const leads = 1000
	err := f.db.Update(ctx, func(tx touchbase.Tx) error {
		for i := range leads {
			l := &touchbase.Lead{Name: fmt.Sprintf("Person %d", i), Company: fmt.Sprintf("Company %d KK", i), Owner: "sato",
				Status: touchbase.LeadNew, CreatedAt: monday, UpdatedAt: monday, NextFollowUp: touchbase.DateOf(monday)}
			if err := tx.CreateLead(l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	u := user("sato")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f.now = f.now.Add(time.Minute)
		line := fmt.Sprintf(`/log call "company %d" "asked for pricing, sending a quote" next:fri`, i%leads)
		if _, err := f.h.Handle(ctx, u, line); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// timedDB is a store whose Updates add the time their fn took to inside:
// the work the store's single committer does for each command, one fn after
// another.
type timedDB struct {
	*store.DB
	inside atomic.Int64 // nanoseconds
}

func (d *timedDB) Update(ctx context.Context, fn func(touchbase.Tx) error) error {
	return d.DB.Update(ctx, func(tx touchbase.Tx) error {
		start := time.Now()
		defer func() { d.inside.Add(int64(time.Since(start))) }()
		return fn(tx)
	})
}

// BenchmarkLog200 measures /log from 200 reps' commands at once on a
// workspace of 1,000 leads of 50 reps, as cmd/loadgen seeds it: parse,
// resolve the name, write the activity and the lead through the group
// commit, answer. tx-ns/op is the time each command's transaction took on
// the committer, which runs them one after another: the bound on writes a
// second however many cores serve the rest.
func BenchmarkLog200(b *testing.B) {
	const leads, reps = 1000, 50
	tdb := &timedDB{DB: MustOpenDB(b)}
	h := handlers.NewHandler(tdb, touchbase.DefaultConfig())
	h.Now = func() time.Time { return monday }
	ctx := context.Background()
	rep := func(i int) handlers.User {
		id := fmt.Sprintf("U%04d", i%reps)
		return handlers.User{ID: id, Name: "rep" + id[1:], TimeZone: "Asia/Tokyo"}
	}
	for i := range leads {
		if _, err := h.Handle(ctx, rep(i), fmt.Sprintf(`/lead "Person %d" company:"Company %d KK"`, i, i)); err != nil {
			b.Fatal(err)
		}
	}
	tdb.inside.Store(0)
	var n atomic.Int64
	b.SetParallelism(max(1, 200/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1)) % leads
			r, err := h.Handle(ctx, rep(i), fmt.Sprintf(`/log call "company %d" asked for pricing next:fri`, i))
			if err != nil {
				b.Error(err)
				return
			}
			if !strings.HasPrefix(r.Title, "Logged call with Person") {
				b.Errorf("title %q", r.Title)
				return
			}
		}
	})
	b.ReportMetric(float64(tdb.inside.Load())/float64(b.N), "tx-ns/op")
}
