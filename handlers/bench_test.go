package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
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
