package store_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/touchbase/touchbase"
)

// Ensure an opportunity round-trips through create, get and update.
func TestTx_Opportunity(t *testing.T) {
	db := MustOpenDB(t)
	want := &touchbase.Opportunity{AccountID: 7, Name: "ERP rollout", AmountMinor: 5_000_000, Currency: "JPY",
		CloseDate: day(31), Stage: 1, Status: touchbase.OpportunityOpen, Owner: "U2", Source: "Nov webinar",
		BANT:         touchbase.BANT{Need: touchbase.BANTItem{Answer: touchbase.Yes, Note: "ERP"}, Authority: touchbase.BANTItem{Answer: touchbase.No}},
		NextFollowUp: day(6), StageEnteredAt: at(2, 9),
		History:   []touchbase.StageChange{{At: at(2, 9), By: "U1", Kind: touchbase.StageCreated, To: 1}},
		CreatedAt: at(2, 9), UpdatedAt: at(2, 9)}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateOpportunity(want) })
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Opportunity(want.ID)
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("Opportunity=%+v, want %+v", got, want)
		}
		return nil
	})

	want.Stage, want.StageEnteredAt = 2, at(4, 9)
	want.History = append(want.History, touchbase.StageChange{At: at(4, 9), By: "U2", Kind: touchbase.StageAdvance, From: 1, To: 2})
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateOpportunity(want) })
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Opportunity(want.ID)
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("Opportunity=%+v, want %+v", got, want)
		}
		return nil
	})
}

// oppIDs returns the IDs of the opportunities matching f.
func oppIDs(tb testing.TB, tx touchbase.Tx, f touchbase.OpportunityFilter) []uint64 {
	tb.Helper()
	os, err := tx.Opportunities(f)
	if err != nil {
		tb.Fatalf("Opportunities(%+v): %v", f, err)
	}
	ids := []uint64{}
	for _, o := range os {
		ids = append(ids, o.ID)
	}
	return ids
}

// Ensure Opportunities filters by owner, openness, due date and account, in
// ID order.
func TestTx_Opportunities_Filter(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for _, o := range []*touchbase.Opportunity{
			{Name: "a", AccountID: 1, Owner: "U1", Status: touchbase.OpportunityOpen, NextFollowUp: day(9)},
			{Name: "b", AccountID: 2, Owner: "U2", Status: touchbase.OpportunityOpen, NextFollowUp: day(2)},
			{Name: "c", AccountID: 1, Owner: "U1", Status: touchbase.OpportunityWon, NextFollowUp: day(1)},
			{Name: "d", AccountID: 1, Owner: "U1", Status: touchbase.OpportunityLost},
			{Name: "e", AccountID: 3, Owner: "U1", Status: touchbase.OpportunityOpen},
		} {
			if err := tx.CreateOpportunity(o); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name string
		f    touchbase.OpportunityFilter
		want []uint64
	}{
		{"all", touchbase.OpportunityFilter{}, []uint64{1, 2, 3, 4, 5}},
		{"open", touchbase.OpportunityFilter{Open: true}, []uint64{1, 2, 5}},
		{"owner", touchbase.OpportunityFilter{Owner: "U1"}, []uint64{1, 3, 4, 5}},
		{"owner open", touchbase.OpportunityFilter{Owner: "U1", Open: true}, []uint64{1, 5}},
		{"due", touchbase.OpportunityFilter{DueBy: day(31)}, []uint64{1, 2}},
		{"due early", touchbase.OpportunityFilter{DueBy: day(2)}, []uint64{2}},
		{"account", touchbase.OpportunityFilter{AccountID: 1}, []uint64{1, 3, 4}},
		{"account open", touchbase.OpportunityFilter{AccountID: 1, Open: true}, []uint64{1}},
		{"account and owner", touchbase.OpportunityFilter{AccountID: 2, Owner: "U1"}, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			MustView(t, db, func(tx touchbase.Tx) error {
				if got := oppIDs(t, tx, tt.f); !slices.Equal(got, tt.want) {
					t.Fatalf("Opportunities=%v, want %v", got, tt.want)
				}
				return nil
			})
		})
	}
}

// Ensure the opportunity indexes follow an update, and a won or lost
// opportunity leaves the follow-up index.
func TestTx_UpdateOpportunity_Indexes(t *testing.T) {
	tests := []struct {
		name   string
		change func(o *touchbase.Opportunity)
		gone   touchbase.OpportunityFilter // finds it before, not after
		found  touchbase.OpportunityFilter // finds it after
	}{
		{"owner", func(o *touchbase.Opportunity) { o.Owner = "U3" },
			touchbase.OpportunityFilter{Owner: "U2"}, touchbase.OpportunityFilter{Owner: "U3"}},
		{"follow-up later", func(o *touchbase.Opportunity) { o.NextFollowUp = day(20) },
			touchbase.OpportunityFilter{DueBy: day(10)}, touchbase.OpportunityFilter{DueBy: day(20)}},
		{"won", func(o *touchbase.Opportunity) { o.Status = touchbase.OpportunityWon },
			touchbase.OpportunityFilter{DueBy: day(31)}, touchbase.OpportunityFilter{Owner: "U2"}},
		{"lost", func(o *touchbase.Opportunity) { o.Status = touchbase.OpportunityLost },
			touchbase.OpportunityFilter{Open: true}, touchbase.OpportunityFilter{AccountID: 1}},
		{"account", func(o *touchbase.Opportunity) { o.AccountID = 2 },
			touchbase.OpportunityFilter{AccountID: 1}, touchbase.OpportunityFilter{AccountID: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpenDB(t)
			o := &touchbase.Opportunity{Name: "ERP rollout", AccountID: 1, Owner: "U2", Status: touchbase.OpportunityOpen, NextFollowUp: day(5)}
			MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateOpportunity(o) })
			MustView(t, db, func(tx touchbase.Tx) error {
				if got, want := oppIDs(t, tx, tt.gone), []uint64{o.ID}; !slices.Equal(got, want) {
					t.Fatalf("before: Opportunities(%+v)=%v, want %v", tt.gone, got, want)
				}
				return nil
			})
			tt.change(o)
			MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateOpportunity(o) })
			MustView(t, db, func(tx touchbase.Tx) error {
				if got, want := oppIDs(t, tx, tt.gone), []uint64{}; !slices.Equal(got, want) {
					t.Fatalf("after: Opportunities(%+v)=%v, want %v", tt.gone, got, want)
				}
				if got, want := oppIDs(t, tx, tt.found), []uint64{o.ID}; !slices.Equal(got, want) {
					t.Fatalf("after: Opportunities(%+v)=%v, want %v", tt.found, got, want)
				}
				return nil
			})
		})
	}
}

// Ensure an opportunity is found by its account's name, whether the account
// came first or (as in an import) after it, and no longer once it moves to
// another account.
func TestTx_Opportunity_AccountName(t *testing.T) {
	db := MustOpenDB(t)
	o := &touchbase.Opportunity{Name: "ERP rollout", AccountID: 10, Status: touchbase.OpportunityOpen}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if err := tx.CreateOpportunity(o); err != nil {
			return err
		}
		return tx.CreateAccount(&touchbase.Account{ID: 10, Name: "Globex"})
	})
	MustView(t, db, func(tx touchbase.Tx) error {
		want := []touchbase.Ref{{Kind: touchbase.RefAccount, ID: 10, Exact: true}, {Kind: touchbase.RefOpportunity, ID: o.ID, Exact: true}}
		if got := search(t, tx, "globex", 10); !slices.Equal(got, want) {
			t.Fatalf("Search=%v, want %v", got, want)
		}
		return nil
	})

	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if err := tx.CreateAccount(&touchbase.Account{ID: 11, Name: "Initech"}); err != nil {
			return err
		}
		o.AccountID = 11
		return tx.UpdateOpportunity(o)
	})
	MustView(t, db, func(tx touchbase.Tx) error {
		if got, want := search(t, tx, "globex", 10), []touchbase.Ref{{Kind: touchbase.RefAccount, ID: 10, Exact: true}}; !slices.Equal(got, want) {
			t.Fatalf("Search(globex)=%v, want %v", got, want)
		}
		want := []touchbase.Ref{{Kind: touchbase.RefAccount, ID: 11, Exact: true}, {Kind: touchbase.RefOpportunity, ID: o.ID, Exact: true}}
		if got := search(t, tx, "initech", 10); !slices.Equal(got, want) {
			t.Fatalf("Search(initech)=%v, want %v", got, want)
		}
		return nil
	})
}

// Ensure renaming an account moves its name entries and its deals', keeps a
// deal named like the old account findable by its own name, and that a
// missing account is ENOTFOUND.
func TestTx_UpdateAccount_Rename(t *testing.T) {
	db := MustOpenDB(t)
	a := &touchbase.Account{Name: "Globex"}
	o := &touchbase.Opportunity{Name: "Globex", Status: touchbase.OpportunityOpen}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if err := tx.CreateAccount(a); err != nil {
			return err
		}
		o.AccountID = a.ID
		if err := tx.CreateOpportunity(o); err != nil {
			return err
		}
		a.Name, a.SuccessOwner = "Initech", "kim"
		return tx.UpdateAccount(a)
	})
	MustView(t, db, func(tx touchbase.Tx) error {
		if got, want := search(t, tx, "globex", 10), []touchbase.Ref{{Kind: touchbase.RefOpportunity, ID: o.ID, Exact: true}}; !slices.Equal(got, want) {
			t.Fatalf("Search(globex)=%v, want %v (the deal's own name)", got, want)
		}
		want := []touchbase.Ref{{Kind: touchbase.RefAccount, ID: a.ID, Exact: true}, {Kind: touchbase.RefOpportunity, ID: o.ID, Exact: true}}
		if got := search(t, tx, "initech", 10); !slices.Equal(got, want) {
			t.Fatalf("Search(initech)=%v, want %v", got, want)
		}
		got, err := tx.Account(a.ID)
		if err != nil || got.SuccessOwner != "kim" {
			t.Fatalf("Account=%+v, %v, want SuccessOwner kim", got, err)
		}
		if err := tx.UpdateAccount(&touchbase.Account{ID: 99, Name: "X"}); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			t.Fatalf("UpdateAccount(missing)=%v, want ENOTFOUND", err)
		}
		return nil
	})
}
