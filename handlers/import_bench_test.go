package handlers_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store/storetest"
)

// bulkExport returns an export of leads leads, opps opportunities (each on
// an account of its own) and n activities, in time order as `touchbase
// export` writes them, spread over the leads and opportunities and 50 reps.
func bulkExport(leads, opps, n int) *handlers.Export {
	x := &handlers.Export{Version: handlers.ExportVersion}
	start := time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)
	rep := func(i int) string { return fmt.Sprintf("U%03d", i%50) }
	for i := range leads {
		l := &touchbase.Lead{
			ID: uint64(i + 1), Name: fmt.Sprintf("Taro Yamada %d", i), Company: fmt.Sprintf("Acme %d KK", i),
			Email: fmt.Sprintf("taro%d@acme.co.jp", i), Title: "CIO", Source: "Nov webinar", Owner: rep(i),
			Status: touchbase.LeadWorking, NextFollowUp: touchbase.DateOf(start).AddDays(i % 90),
			CreatedAt: start, UpdatedAt: start,
		}
		x.Leads = append(x.Leads, &handlers.ExportLead{Lead: l, BANT: handlers.ExportBANT{
			Budget: touchbase.Unknown, Authority: touchbase.Unknown, Need: touchbase.Yes, Timeline: touchbase.Unknown}})
	}
	for i := range opps {
		a := &touchbase.Account{ID: uint64(i + 1), Name: fmt.Sprintf("Beta %d Corp", i), Owner: rep(i), CreatedAt: start}
		x.Accounts = append(x.Accounts, a)
		o := &touchbase.Opportunity{
			ID: uint64(i + 1), AccountID: a.ID, Name: fmt.Sprintf("ERP rollout %d", i), AmountMinor: int64(1+i%50) * 100000,
			Currency: "JPY", Stage: 1 + i%7, Status: touchbase.OpportunityOpen, Owner: a.Owner,
			CloseDate: touchbase.DateOf(start).AddDays(180), NextFollowUp: touchbase.DateOf(start).AddDays(i % 30),
			StageEnteredAt: start, CreatedAt: start, UpdatedAt: start,
		}
		x.Opportunities = append(x.Opportunities, &handlers.ExportOpportunity{Opportunity: o, StageName: "Discovery"})
	}
	kinds := []touchbase.ActivityKind{touchbase.ActivityCall, touchbase.ActivityEmail, touchbase.ActivityMeeting, touchbase.ActivityNote}
	for i := range n {
		a := &touchbase.Activity{
			ID: uint64(i + 1), Kind: kinds[i%len(kinds)], At: start.Add(time.Duration(i) * 30 * time.Second),
			Note: "asked for pricing, sending the quote on Friday",
		}
		// Two touches in three on a lead, the rest on an opportunity.
		if i%3 != 2 || opps == 0 {
			l := x.Leads[(i*7919)%leads].Lead
			a.LeadID, a.Owner = l.ID, l.Owner
		} else {
			o := x.Opportunities[(i*104729)%opps].Opportunity
			a.OpportunityID, a.Owner = o.ID, o.Owner
		}
		if i%4 == 0 {
			a.NextStep, a.NextDate = "send the quote", touchbase.DateOf(a.At).AddDays(3)
		}
		x.Activities = append(x.Activities, a)
	}
	return x
}

// BenchmarkImport1MActivities measures ImportData of 1,000,000 activities
// on 10,000 leads and 5,000 opportunities into an empty database, durable
// (fsync'd) chunk by chunk: validation, writing and every index. It takes
// several seconds per run; run it alone:
//
//	go test -run '^$' -bench Import1M -benchtime 1x ./handlers/
func BenchmarkImport1MActivities(b *testing.B) { benchImport(b, bulkExport(10000, 5000, 1000000)) }

// BenchmarkImport100kActivities is BenchmarkImport1MActivities at a tenth
// of the size, on 1,000 leads and 500 opportunities.
func BenchmarkImport100kActivities(b *testing.B) { benchImport(b, bulkExport(1000, 500, 100000)) }

// benchImport imports x into a new database per run.
func benchImport(b *testing.B, x *handlers.Export) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		db := storetest.MustOpenDBAt(b, filepath.Join(b.TempDir(), "import.db"))
		b.StartTimer()
		if err := handlers.ImportData(ctx, db, x); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x.Activities)*b.N)/b.Elapsed().Seconds(), "activities/s")
}
