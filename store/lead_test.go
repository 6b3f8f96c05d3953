package store_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// Ensure a lead round-trips through create, get and update.
func TestTx_Lead(t *testing.T) {
	db := MustOpenDB(t)
	want := &touchbase.Lead{Name: "Taro Yamada", Company: "Acme KK", Email: "taro@acme.co.jp", Phone: "03-1234-5678",
		Title: "CIO", Source: "Nov webinar", Owner: "U1", Status: touchbase.LeadNew,
		BANT:         touchbase.BANT{Budget: touchbase.BANTItem{Answer: touchbase.Yes, Note: "5m"}},
		NextFollowUp: day(5), CreatedAt: at(1, 9), UpdatedAt: at(1, 9)}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateLead(want) })
	if got, want := want.ID, uint64(1); got != want {
		t.Fatalf("ID=%d, want %d", got, want)
	}
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Lead(want.ID)
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("Lead=%+v, want %+v", got, want)
		}
		return nil
	})

	want.Status, want.Touches, want.LastTouch, want.UpdatedAt = touchbase.LeadWorking, 1, at(2, 10), at(2, 10)
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateLead(want) })
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Lead(want.ID)
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("Lead=%+v, want %+v", got, want)
		}
		return nil
	})
}

// leadIDs returns the IDs of the leads matching f.
func leadIDs(tb testing.TB, tx touchbase.Tx, f touchbase.LeadFilter) []uint64 {
	tb.Helper()
	ls, err := tx.Leads(f)
	if err != nil {
		tb.Fatalf("Leads(%+v): %v", f, err)
	}
	ids := []uint64{}
	for _, l := range ls {
		ids = append(ids, l.ID)
	}
	return ids
}

// Ensure Leads filters by owner, openness, due date and email, in ID order.
func TestTx_Leads_Filter(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for _, l := range []*touchbase.Lead{
			{Name: "a", Owner: "U1", Status: touchbase.LeadNew, NextFollowUp: day(9), Email: "A@Acme.co.jp"},
			{Name: "b", Owner: "U12", Status: touchbase.LeadWorking, NextFollowUp: day(3)},
			{Name: "c", Owner: "U1", Status: touchbase.LeadNurture, NextFollowUp: day(1), RecycleOn: day(30)},
			{Name: "d", Owner: "U1", Status: touchbase.LeadQualified, NextFollowUp: day(5), Email: "a@acme.co.jp"},
			{Name: "e", Owner: "U2", Status: touchbase.LeadConverted},
			{Name: "f", Owner: "U1", Status: touchbase.LeadWorking},
		} {
			if err := tx.CreateLead(l); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name string
		f    touchbase.LeadFilter
		want []uint64
	}{
		{"all", touchbase.LeadFilter{}, []uint64{1, 2, 3, 4, 5, 6}},
		{"owner", touchbase.LeadFilter{Owner: "U1"}, []uint64{1, 3, 4, 6}},
		{"owner open", touchbase.LeadFilter{Owner: "U1", Open: true}, []uint64{1, 4, 6}},
		{"open", touchbase.LeadFilter{Open: true}, []uint64{1, 2, 4, 6}},
		{"due in ID order", touchbase.LeadFilter{DueBy: day(9)}, []uint64{1, 2, 4}},
		{"due on the day", touchbase.LeadFilter{DueBy: day(5)}, []uint64{2, 4}},
		{"due before any", touchbase.LeadFilter{DueBy: day(2)}, []uint64{}},
		{"due and owner", touchbase.LeadFilter{DueBy: day(9), Owner: "U1"}, []uint64{1, 4}},
		{"email any case", touchbase.LeadFilter{Email: " a@ACME.co.jp"}, []uint64{1, 4}},
		{"email and owner", touchbase.LeadFilter{Email: "a@acme.co.jp", Owner: "U12"}, []uint64{}},
		{"nobody's", touchbase.LeadFilter{Owner: "U3"}, []uint64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			MustView(t, db, func(tx touchbase.Tx) error {
				if got := leadIDs(t, tx, tt.f); !slices.Equal(got, tt.want) {
					t.Fatalf("Leads=%v, want %v", got, tt.want)
				}
				return nil
			})
		})
	}
}

// Ensure the lead indexes follow an update: the old owner, date, email and
// name no longer find the lead, the new ones do, and a closed lead leaves
// the follow-up index.
func TestTx_UpdateLead_Indexes(t *testing.T) {
	tests := []struct {
		name   string
		change func(l *touchbase.Lead)
		gone   touchbase.LeadFilter // finds the lead before, not after
		found  touchbase.LeadFilter // finds the lead after
	}{
		{"owner", func(l *touchbase.Lead) { l.Owner = "U2" },
			touchbase.LeadFilter{Owner: "U1"}, touchbase.LeadFilter{Owner: "U2"}},
		{"follow-up later", func(l *touchbase.Lead) { l.NextFollowUp = day(20) },
			touchbase.LeadFilter{DueBy: day(10)}, touchbase.LeadFilter{DueBy: day(20)}},
		{"converted", func(l *touchbase.Lead) { l.Status = touchbase.LeadConverted },
			touchbase.LeadFilter{DueBy: day(10)}, touchbase.LeadFilter{Owner: "U1"}},
		{"disqualified", func(l *touchbase.Lead) { l.Status = touchbase.LeadDisqualified },
			touchbase.LeadFilter{DueBy: day(31)}, touchbase.LeadFilter{}},
		{"nurture", func(l *touchbase.Lead) { l.Status = touchbase.LeadNurture },
			touchbase.LeadFilter{DueBy: day(31)}, touchbase.LeadFilter{Owner: "U1"}},
		{"follow-up cleared", func(l *touchbase.Lead) { l.NextFollowUp = touchbase.Date{} },
			touchbase.LeadFilter{DueBy: day(31)}, touchbase.LeadFilter{Open: true}},
		{"email", func(l *touchbase.Lead) { l.Email = "taro@example.com" },
			touchbase.LeadFilter{Email: "taro@acme.co.jp"}, touchbase.LeadFilter{Email: "TARO@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpenDB(t)
			l := &touchbase.Lead{Name: "Taro Yamada", Company: "Acme", Owner: "U1", Email: "taro@acme.co.jp",
				Status: touchbase.LeadWorking, NextFollowUp: day(5)}
			MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateLead(l) })
			MustView(t, db, func(tx touchbase.Tx) error {
				if got, want := leadIDs(t, tx, tt.gone), []uint64{l.ID}; !slices.Equal(got, want) {
					t.Fatalf("before: Leads(%+v)=%v, want %v", tt.gone, got, want)
				}
				return nil
			})
			tt.change(l)
			MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateLead(l) })
			MustView(t, db, func(tx touchbase.Tx) error {
				if got, want := leadIDs(t, tx, tt.gone), []uint64{}; !slices.Equal(got, want) {
					t.Fatalf("after: Leads(%+v)=%v, want %v", tt.gone, got, want)
				}
				if got, want := leadIDs(t, tx, tt.found), []uint64{l.ID}; !slices.Equal(got, want) {
					t.Fatalf("after: Leads(%+v)=%v, want %v", tt.found, got, want)
				}
				return nil
			})
		})
	}
}

// Ensure UpdateLead leaves every index as creating the changed lead would
// have: each change moves exactly the entries made of what it changed, in
// the owner-and-date index too, and a touch that changes no indexed field
// moves none.
func TestTx_UpdateLead_SameAsCreated(t *testing.T) {
	tests := []struct {
		name   string
		change func(l *touchbase.Lead)
	}{
		{"touched", func(l *touchbase.Lead) { l.Status, l.Touches = touchbase.LeadWorking, 1 }},
		{"owner", func(l *touchbase.Lead) { l.Owner = "U2" }},
		{"owner cleared", func(l *touchbase.Lead) { l.Owner = "" }},
		{"follow-up", func(l *touchbase.Lead) { l.NextFollowUp = day(20) }},
		{"follow-up cleared", func(l *touchbase.Lead) { l.NextFollowUp = touchbase.Date{} }},
		{"closed", func(l *touchbase.Lead) { l.Status = touchbase.LeadDisqualified }},
		{"email", func(l *touchbase.Lead) { l.Email = "taro@example.com" }},
		{"email case", func(l *touchbase.Lead) { l.Email = "Taro@Acme.co.jp" }},
		{"name", func(l *touchbase.Lead) { l.Name = "Jiro Yamada" }},
		{"company", func(l *touchbase.Lead) { l.Company = "Beta KK" }},
		{"everything", func(l *touchbase.Lead) {
			l.Name, l.Company, l.Email, l.Owner, l.Status, l.NextFollowUp = "Jiro", "Beta", "", "U3", touchbase.LeadNurture, day(9)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lead := func() *touchbase.Lead {
				return &touchbase.Lead{Name: "Taro Yamada", Company: "Acme KK", Owner: "U1", Email: "taro@acme.co.jp",
					Status: touchbase.LeadNew, NextFollowUp: day(5)}
			}
			updated, created := MustOpenDB(t), MustOpenDB(t)
			l := lead()
			MustUpdate(t, updated, func(tx touchbase.Tx) error { return tx.CreateLead(l) })
			tt.change(l)
			MustUpdate(t, updated, func(tx touchbase.Tx) error { return tx.UpdateLead(l) })
			want := lead()
			tt.change(want)
			MustUpdate(t, created, func(tx touchbase.Tx) error { return tx.CreateLead(want) })
			got, err := store.Dump(updated)
			if err != nil {
				t.Fatal(err)
			}
			if want, err := store.Dump(created); err != nil {
				t.Fatal(err)
			} else if got != want {
				t.Fatalf("after UpdateLead:\n%s\nwant, as created:\n%s", got, want)
			}
		})
	}
}

// Ensure a renamed lead is found by its new name only.
func TestTx_UpdateLead_Names(t *testing.T) {
	db := MustOpenDB(t)
	l := &touchbase.Lead{Name: "Taro Yamada", Company: "Acme"}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateLead(l) })
	l.Name, l.Company = "Taro Suzuki", "Globex"
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateLead(l) })
	MustView(t, db, func(tx touchbase.Tx) error {
		for _, q := range []string{"yamada", "acme"} {
			if got := search(t, tx, q, 10); len(got) != 0 {
				t.Errorf("Search(%q)=%v, want none", q, got)
			}
		}
		for q, exact := range map[string]bool{"suzuki": false, "globex": true, "taro": false, "taro suzuki": true} {
			want := []touchbase.Ref{{Kind: touchbase.RefLead, ID: l.ID, Exact: exact}}
			if got := search(t, tx, q, 10); !slices.Equal(got, want) {
				t.Errorf("Search(%q)=%v, want %v", q, got, want)
			}
		}
		return nil
	})
}

// Ensure one owner's due leads come from the owner-and-date index, follow
// updates, and are rebuilt by the migration from a version-4 file.
func TestTx_Leads_OwnerDue(t *testing.T) {
	path := t.TempDir() + "/touchbase.db"
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for i, owner := range []string{"sato", "kato", "sato", "sato"} {
			l := &touchbase.Lead{Name: "L", Owner: owner, Status: touchbase.LeadWorking, NextFollowUp: day(1 + i)}
			if i == 3 {
				l.Status = touchbase.LeadNurture // not open: not due
			}
			if err := tx.CreateLead(l); err != nil {
				return err
			}
		}
		return nil
	})
	want := []uint64{1, 3}
	check := func(db *store.DB) {
		t.Helper()
		MustView(t, db, func(tx touchbase.Tx) error {
			ls, err := tx.Leads(touchbase.LeadFilter{Owner: "sato", Open: true, DueBy: day(10)})
			if err != nil {
				return err
			}
			var got []uint64
			for _, l := range ls {
				got = append(got, l.ID)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("sato's due leads=%v, want %v", got, want)
			}
			return nil
		})
	}
	check(db)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		l, err := tx.Lead(3)
		if err != nil {
			return err
		}
		l.NextFollowUp = day(20) // snoozed past the day asked
		return tx.UpdateLead(l)
	})
	want = []uint64{1}
	check(db)
	if err := store.DowngradeTo(db, 4); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	check(MustOpenDBAt(t, path))
}
