package handlers_test

import (
	"context"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Ensure the demo data set is what the demo promises: four teams, a quarter
// of leads with touches (many stopping after one), opportunities open in
// several stages, wins, losses, renewals due soon, renewed and churned; and
// the same seed gives the same data.
func TestSeedDemo(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, tokyo)
	f := newFixture(t)
	d, err := handlers.SeedDemo(context.Background(), f.db, f.h.Config, now, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Teams) != 4 || d.Leads != 320 || d.Activities < 500 {
		t.Fatalf("demo=%+v, want 4 teams, 320 leads, hundreds of activities", d)
	}
	var leads []*touchbase.Lead
	var opps []*touchbase.Opportunity
	var renewals []*touchbase.Renewal
	err = f.db.View(context.Background(), func(tx touchbase.Tx) (err error) {
		if leads, err = tx.Leads(touchbase.LeadFilter{}); err != nil {
			return err
		}
		if opps, err = tx.Opportunities(touchbase.OpportunityFilter{}); err != nil {
			return err
		}
		renewals, err = tx.Renewals(touchbase.RenewalFilter{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	status := map[touchbase.LeadStatus]int{}
	oneTouch := 0
	for _, l := range leads {
		status[l.Status]++
		if l.Touches == 1 {
			oneTouch++
		}
	}
	for _, s := range []touchbase.LeadStatus{touchbase.LeadNew, touchbase.LeadWorking, touchbase.LeadQualified, touchbase.LeadConverted, touchbase.LeadNurture, touchbase.LeadDisqualified} {
		if status[s] == 0 {
			t.Errorf("no %s leads: %v", s, status)
		}
	}
	if oneTouch < len(leads)/4 {
		t.Errorf("%d leads stopped after one touch, want many (almost half of reps stop after one)", oneTouch)
	}
	stages := map[int]int{}
	won, lost := 0, 0
	for _, o := range opps {
		switch o.Status {
		case touchbase.OpportunityOpen:
			stages[o.Stage]++
		case touchbase.OpportunityWon:
			won++
		case touchbase.OpportunityLost:
			lost++
		}
	}
	if len(stages) < 3 || won == 0 || lost == 0 {
		t.Errorf("open by stage=%v won=%d lost=%d, want several stages, wins and losses", stages, won, lost)
	}
	today := touchbase.DateOf(now)
	soon, renewed, churned := 0, 0, 0
	for _, r := range renewals {
		switch {
		case r.Status == touchbase.RenewalPending && r.Due.Sub(today) <= 90:
			soon++
		case r.Status == touchbase.RenewalRenewed:
			renewed++
		case r.Status == touchbase.RenewalChurned:
			churned++
		}
	}
	if soon == 0 || renewed == 0 {
		t.Errorf("renewals due within 90 days=%d renewed=%d churned=%d, want some of each", soon, renewed, churned)
	}

	// Same seed, same data.
	g := newFixture(t)
	if _, err := handlers.SeedDemo(context.Background(), g.db, g.h.Config, now, 7); err != nil {
		t.Fatal(err)
	}
	if f.export() != g.export() {
		t.Fatal("the same seed gave different data")
	}
}
