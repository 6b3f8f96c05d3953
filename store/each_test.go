package store_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/touchbase/touchbase"
)

// Ensure the walks that reuse one record hand out each record exactly as
// the lists return it: nothing of one record leaks into the next (a field
// set on one and unset on the next, a longer history before a shorter one),
// and Touches leaves out only the notes.
func TestTx_EachRecord(t *testing.T) {
	db := MustOpenDB(t)
	created := at(1, 9)
	leads := []*touchbase.Lead{
		filled[touchbase.Lead](),
		{Name: "Taro", Owner: "U1", Source: "Webinar", Status: touchbase.LeadNew, CreatedAt: created},
		{Name: "Hanako", Owner: "U1", Source: "Webinar", Status: touchbase.LeadWorking, Touches: 2, CreatedAt: created},
	}
	leads[0].ID = 0
	opps := []*touchbase.Opportunity{
		filled[touchbase.Opportunity](),
		{Name: "ERP", Owner: "U2", Stage: 1, Status: touchbase.OpportunityOpen, CreatedAt: created},
		{Name: "CRM", Owner: "U2", Stage: 3, Status: touchbase.OpportunityOpen, CreatedAt: created,
			History: []touchbase.StageChange{{At: created, By: "U2", Kind: touchbase.StageCreated, To: 1}}},
	}
	opps[0].ID, opps[0].AccountID = 0, 0
	for i := range 20 { // longer than the walk's first History
		opps[0].History = append(opps[0].History, touchbase.StageChange{At: at(2, i), By: "U2", Kind: touchbase.StageAdvance, From: i, To: i + 1})
	}
	acts := []*touchbase.Activity{
		{Kind: touchbase.ActivityCall, Owner: "U1", At: at(2, 10), LeadID: 1, Note: "pricing", NextStep: "quote", NextDate: day(4)},
		{Kind: touchbase.ActivityEmail, At: at(3, 10), LeadID: 2},
		{Kind: touchbase.ActivityMeeting, Owner: "U2", At: at(4, 10), OpportunityID: 1, NextDate: day(9)},
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for _, l := range leads {
			if err := tx.CreateLead(l); err != nil {
				return err
			}
		}
		for _, o := range opps {
			if err := tx.CreateOpportunity(o); err != nil {
				return err
			}
		}
		for _, a := range acts {
			if err := tx.CreateActivity(a); err != nil {
				return err
			}
		}
		return nil
	})

	MustView(t, db, func(tx touchbase.Tx) error {
		want, err := tx.Leads(touchbase.LeadFilter{})
		if err != nil {
			return err
		}
		i := 0
		if err := tx.EachLead(func(l *touchbase.Lead) error {
			if !reflect.DeepEqual(l, want[i]) {
				t.Errorf("EachLead %d=%+v, want %+v", i, l, want[i])
			}
			i++
			return nil
		}); err != nil {
			return err
		}
		if i != len(leads) {
			t.Errorf("EachLead walked %d leads, want %d", i, len(leads))
		}

		wantOpps, err := tx.Opportunities(touchbase.OpportunityFilter{})
		if err != nil {
			return err
		}
		i = 0
		if err := tx.EachOpportunity(func(o *touchbase.Opportunity) error {
			if !reflect.DeepEqual(o, wantOpps[i]) {
				t.Errorf("EachOpportunity %d=%+v, want %+v", i, o, wantOpps[i])
			}
			i++
			return nil
		}); err != nil {
			return err
		}
		if i != len(opps) {
			t.Errorf("EachOpportunity walked %d opportunities, want %d", i, len(opps))
		}

		for _, f := range []touchbase.ActivityFilter{{}, {LeadID: 1}, {Since: day(3)}, {Owner: "U2"}} {
			var want []touchbase.Activity
			if err := tx.Activities(f, func(a *touchbase.Activity) error {
				a.Note, a.NextStep = "", ""
				want = append(want, *a)
				return nil
			}); err != nil {
				return err
			}
			var got []touchbase.Activity
			if err := tx.Touches(f, func(a *touchbase.Activity) error { got = append(got, *a); return nil }); err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Touches(%+v)=%+v, want %+v", f, got, want)
			}
		}
		return nil
	})
}

// Ensure an error from a walk's fn stops it and is returned as is.
func TestTx_EachRecord_Stop(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for i := range 3 {
			if err := tx.CreateLead(&touchbase.Lead{Name: "L", Status: touchbase.LeadNew}); err != nil {
				return err
			}
			if err := tx.CreateOpportunity(&touchbase.Opportunity{Name: "O", Stage: 1, Status: touchbase.OpportunityOpen}); err != nil {
				return err
			}
			if err := tx.CreateActivity(&touchbase.Activity{Kind: touchbase.ActivityCall, At: at(1+i, 9), LeadID: 1}); err != nil {
				return err
			}
		}
		return nil
	})
	errStop := errors.New("stop")
	walks := map[string]func(tx touchbase.Tx, n *int) error{
		"EachLead": func(tx touchbase.Tx, n *int) error {
			return tx.EachLead(func(*touchbase.Lead) error { *n++; return errStop })
		},
		"EachOpportunity": func(tx touchbase.Tx, n *int) error {
			return tx.EachOpportunity(func(*touchbase.Opportunity) error { *n++; return errStop })
		},
		"Touches": func(tx touchbase.Tx, n *int) error {
			return tx.Touches(touchbase.ActivityFilter{}, func(*touchbase.Activity) error { *n++; return errStop })
		},
	}
	for name, walk := range walks {
		n := 0
		err := db.View(t.Context(), func(tx touchbase.Tx) error { return walk(tx, &n) })
		if !errors.Is(err, errStop) {
			t.Fatalf("%s=%v, want %v", name, err, errStop)
		} else if n != 1 {
			t.Fatalf("%s called fn %d times, want 1", name, n)
		}
	}
}
