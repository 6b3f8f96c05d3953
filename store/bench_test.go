package store_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// benchOwners is how many reps the benchmark records are spread over.
const benchOwners = 20

// seedBatches stores n records made by create, 5,000 per transaction.
func seedBatches(b *testing.B, db *store.DB, n int, create func(tx touchbase.Tx, i int) error) {
	b.Helper()
	for start := 0; start < n; start += 5000 {
		MustUpdate(b, db, func(tx touchbase.Tx) error {
			for i := start; i < min(start+5000, n); i++ {
				if err := create(tx, i); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// benchTouch is the write of /log: read lead id, store a call at at, and
// update the lead's touches and follow-up (moving its indexes).
func benchTouch(id uint64, at time.Time) func(tx touchbase.Tx) error {
	return func(tx touchbase.Tx) error {
		l, err := tx.Lead(id)
		if err != nil {
			return err
		}
		a := &touchbase.Activity{Kind: touchbase.ActivityCall, Owner: l.Owner, At: at,
			LeadID: id, Note: "asked for pricing, sending quote", NextStep: "send quote", NextDate: l.NextFollowUp.AddDays(3)}
		if err := tx.CreateActivity(a); err != nil {
			return err
		}
		l.Touches++
		l.LastTouch, l.UpdatedAt, l.NextFollowUp = a.At, a.At, a.NextDate
		return tx.UpdateLead(l)
	}
}

// Ensure logging a touch is one cheap transaction: read the lead, store the
// activity, update the lead's touches and follow-up (moving its indexes).
func BenchmarkCreateActivity(b *testing.B) {
	const leads = 1000
	db := MustOpenDB(b)
	seedBatches(b, db, leads, func(tx touchbase.Tx, i int) error { return tx.CreateLead(benchLead(i)) })
	start := time.Date(2027, time.March, 1, 9, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := uint64(i%leads + 1)
		MustUpdate(b, db, benchTouch(id, start.Add(time.Duration(i)*time.Second)))
		i++
	}
}

// Ensure many writers share the disk: the same touch as
// BenchmarkCreateActivity from 200 goroutines at once, which the group
// commit writes with one fsync per group. ns/op is the time per touch
// across all of them (so writes/s is 1e9 / ns/op).
func BenchmarkCreateActivityConcurrent200(b *testing.B) {
	const leads = 1000
	db := MustOpenDB(b)
	seedBatches(b, db, leads, func(tx touchbase.Tx, i int) error { return tx.CreateLead(benchLead(i)) })
	start := time.Date(2027, time.March, 1, 9, 0, 0, 0, time.UTC)
	var n atomic.Int64
	b.SetParallelism(max(1, 200/runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			id := uint64(i%leads + 1)
			MustUpdate(b, db, benchTouch(id, start.Add(time.Duration(i)*time.Second)))
		}
	})
}

// Ensure /pipeline stays fast: every open opportunity of 100,000, when all
// are open and when a fifth are (the rest won or lost).
func BenchmarkOpportunitiesOpen100k(b *testing.B) {
	const n = 100_000
	for _, open := range []int{100, 20} {
		b.Run(fmt.Sprintf("open=%d%%", open), func(b *testing.B) {
			db := MustOpenDB(b)
			seedBatches(b, db, n, func(tx touchbase.Tx, i int) error {
				status := touchbase.OpportunityOpen
				if i%100 >= open {
					status = [...]touchbase.OpportunityStatus{touchbase.OpportunityWon, touchbase.OpportunityLost}[i%2]
				}
				return tx.CreateOpportunity(benchOpportunity(i, status))
			})
			b.ReportAllocs()
			for b.Loop() {
				MustView(b, db, func(tx touchbase.Tx) error {
					os, err := tx.Opportunities(touchbase.OpportunityFilter{Open: true})
					if err != nil {
						return err
					} else if got, want := len(os), n*open/100; got != want {
						b.Fatalf("len=%d, want %d", got, want)
					}
					return nil
				})
			}
		})
	}
}

// Ensure the follow-up reminders walk only what is due: 100,000 open leads
// due over 100 days, asked for the first 10 days and for all of them.
func BenchmarkLeadsDue100k(b *testing.B) {
	const n = 100_000
	db := MustOpenDB(b)
	seedBatches(b, db, n, func(tx touchbase.Tx, i int) error { return tx.CreateLead(benchLead(i)) })
	for _, days := range []int{10, 100} {
		b.Run(fmt.Sprintf("due=%d%%", days), func(b *testing.B) {
			by := touchbase.NewDate(2027, time.March, 1).AddDays(days - 1)
			b.ReportAllocs()
			for b.Loop() {
				MustView(b, db, func(tx touchbase.Tx) error {
					ls, err := tx.Leads(touchbase.LeadFilter{DueBy: by})
					if err != nil {
						return err
					} else if got, want := len(ls), n*days/100; got != want {
						b.Fatalf("len=%d, want %d", got, want)
					}
					return nil
				})
			}
		})
	}
}

// Ensure the renewals coming up are found by walking only what is due: 10,000
// pending renewals due over the next year, asked for the next 90 days.
func BenchmarkRenewalsDue(b *testing.B) {
	const n = 10_000
	today := touchbase.NewDate(2027, time.March, 1)
	by := today.AddDays(90)
	db := MustOpenDB(b)
	want := 0
	seedBatches(b, db, n, func(tx touchbase.Tx, i int) error {
		r := benchRenewal(i, today)
		if !r.Due.After(by) {
			want++
		}
		return tx.CreateRenewal(r)
	})
	b.ReportAllocs()
	for b.Loop() {
		MustView(b, db, func(tx touchbase.Tx) error {
			rs, err := tx.Renewals(touchbase.RenewalFilter{DueBy: by})
			if err != nil {
				return err
			} else if got := len(rs); got != want {
				b.Fatalf("len=%d, want %d", got, want)
			}
			return nil
		})
	}
}

// Ensure a message's trip through the outbox stays cheap: a command's
// transaction enqueues it, then the sender's finds it due and records it sent,
// as two transactions. The sent messages stay behind, as they do in use.
func BenchmarkEnqueueAndDeliver(b *testing.B) {
	db := MustOpenDB(b)
	start := time.Date(2027, time.March, 1, 9, 0, 0, 0, time.UTC)
	body := []byte(`{"text":"Lead 42 Taro Yamada (Acme KK) moved to working; next follow-up 2027-03-04."}`)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		now := start.Add(time.Duration(i) * time.Second)
		MustUpdate(b, db, func(tx touchbase.Tx) error {
			_, err := tx.Enqueue(&touchbase.Message{Key: fmt.Sprintf("notice/cmd-%d/0", i), To: "U001", Body: body, CreatedAt: now})
			return err
		})
		MustUpdate(b, db, func(tx touchbase.Tx) error {
			ms, err := tx.DueMessages(now, 10)
			if err != nil {
				return err
			} else if len(ms) != 1 {
				b.Fatalf("due=%d, want 1", len(ms))
			}
			m := ms[0]
			m.Attempts, m.SentAt, m.Ref = 1, now, "1700000000.000100"
			return tx.UpdateMessage(m)
		})
		i++
	}
}

// benchOpportunity returns a realistic opportunity: a few stage changes,
// BANT notes, an amount.
func benchOpportunity(i int, status touchbase.OpportunityStatus) *touchbase.Opportunity {
	created := time.Date(2027, time.January, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return &touchbase.Opportunity{
		AccountID: uint64(i/3 + 1), ContactID: uint64(i + 1), LeadID: uint64(i + 1),
		Name:        fmt.Sprintf("ERP rollout %d", i),
		AmountMinor: int64(1_000_000 + i*1000), Currency: "JPY",
		CloseDate: touchbase.NewDate(2027, time.June, 1+i%28),
		Stage:     1 + i%7, Status: status, Owner: fmt.Sprintf("U%03d", i%benchOwners),
		Source: "Nov webinar",
		BANT: touchbase.BANT{
			Budget:    touchbase.BANTItem{Answer: touchbase.Yes, Note: "5m"},
			Authority: touchbase.BANTItem{Answer: touchbase.No, Note: "CIO decides"},
			Need:      touchbase.BANTItem{Answer: touchbase.Yes, Note: "replace legacy ERP"},
		},
		Touches: 3, LastTouch: created.Add(48 * time.Hour), NextFollowUp: touchbase.NewDate(2027, time.March, 1+i%28),
		StageEnteredAt: created.Add(72 * time.Hour),
		History: []touchbase.StageChange{
			{At: created, By: "U001", Kind: touchbase.StageCreated, To: 1},
			{At: created.Add(24 * time.Hour), By: "U001", Kind: touchbase.StageAdvance, From: 1, To: 2},
			{At: created.Add(72 * time.Hour), By: "U001", Kind: touchbase.StageAdvance, From: 2, To: 3},
		},
		CreatedAt: created, UpdatedAt: created.Add(72 * time.Hour),
	}
}

// benchRenewal returns a realistic pending renewal of a one-year contract
// due on one of the 365 days from today.
func benchRenewal(i int, today touchbase.Date) *touchbase.Renewal {
	due := today.AddDays(i % 365)
	return &touchbase.Renewal{
		AccountID: uint64(i + 1), OpportunityID: uint64(i + 1), Owner: fmt.Sprintf("U%03d", i%benchOwners),
		ARRMinor: int64(1_000_000 + i*1000), Currency: "JPY",
		Start: due.AddMonths(-12), Due: due, TermMonths: 12, Status: touchbase.RenewalPending,
		CreatedAt: due.AddMonths(-12).In(time.UTC).Add(9 * time.Hour),
	}
}

// benchLead returns a realistic open lead due on one of 100 days from
// 2027-03-01.
func benchLead(i int) *touchbase.Lead {
	created := time.Date(2027, time.January, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
	return &touchbase.Lead{
		Name: fmt.Sprintf("Taro Yamada %d", i), Company: fmt.Sprintf("Acme %d KK", i/2),
		Email: fmt.Sprintf("taro%d@acme.co.jp", i), Phone: "03-1234-5678", Title: "CIO",
		Source: "Nov webinar", Owner: fmt.Sprintf("U%03d", i%benchOwners), Status: touchbase.LeadWorking,
		BANT:    touchbase.BANT{Need: touchbase.BANTItem{Answer: touchbase.Yes, Note: "ERP"}},
		Touches: 2, LastTouch: created.Add(24 * time.Hour),
		NextFollowUp: touchbase.NewDate(2027, time.March, 1).AddDays(i % 100),
		CreatedAt:    created, UpdatedAt: created.Add(24 * time.Hour),
	}
}
