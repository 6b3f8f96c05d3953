package store_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/touchbase/touchbase"
)

// Ensure a renewal round-trips through create, get and update, and one
// without a currency is stored as it is.
func TestTx_Renewal(t *testing.T) {
	db := MustOpenDB(t)
	want := &touchbase.Renewal{AccountID: 7, OpportunityID: 3, Owner: "U5", ARRMinor: 1_200_000, Currency: "JPY",
		Start: day(1), Due: day(1).AddMonths(12), TermMonths: 12, Status: touchbase.RenewalPending, CreatedAt: at(1, 9)}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateRenewal(want) })
	if got, want := want.ID, uint64(1); got != want {
		t.Fatalf("ID=%d, want %d", got, want)
	}
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Renewal(want.ID)
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("Renewal=%+v, want %+v", got, want)
		}
		return nil
	})

	want.Status, want.DecidedAt, want.Reason = touchbase.RenewalChurned, at(20, 15), "moved to a competitor"
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateRenewal(want) })
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Renewal(want.ID)
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, want) {
			t.Fatalf("Renewal=%+v, want %+v", got, want)
		}
		return nil
	})

	noCurrency := &touchbase.Renewal{AccountID: 7, Status: touchbase.RenewalPending, Due: day(9)}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateRenewal(noCurrency) })
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.Renewal(noCurrency.ID)
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, noCurrency) {
			t.Fatalf("Renewal=%+v, want %+v", got, noCurrency)
		}
		return nil
	})
}

// renewalIDs returns the IDs of the renewals matching f.
func renewalIDs(tb testing.TB, tx touchbase.Tx, f touchbase.RenewalFilter) []uint64 {
	tb.Helper()
	rs, err := tx.Renewals(f)
	if err != nil {
		tb.Fatalf("Renewals(%+v): %v", f, err)
	}
	ids := []uint64{}
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

// Ensure Renewals filters by account, owner, pending and due date, each
// alone and combined, in ID order.
func TestTx_Renewals_Filter(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for _, r := range []*touchbase.Renewal{
			{AccountID: 1, Owner: "U1", Status: touchbase.RenewalPending, Due: day(20)},             // 1
			{AccountID: 2, Owner: "U2", Status: touchbase.RenewalPending, Due: day(5)},              // 2
			{AccountID: 1, Owner: "U1", Status: touchbase.RenewalRenewed, Due: day(1)},              // 3
			{AccountID: 1, Owner: "U12", Status: touchbase.RenewalChurned, Due: day(2)},             // 4
			{AccountID: 3, Owner: "U1", Status: touchbase.RenewalPending},                           // 5: no due date
			{AccountID: 3, Owner: "U2", Status: touchbase.RenewalPending, Due: day(5)},              // 6: same day as 2
			{AccountID: 1, Owner: "U1", Status: touchbase.RenewalPending, Due: day(3).AddDays(365)}, // 7: next year
		} {
			if err := tx.CreateRenewal(r); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name string
		f    touchbase.RenewalFilter
		want []uint64
	}{
		{"all", touchbase.RenewalFilter{}, []uint64{1, 2, 3, 4, 5, 6, 7}},
		{"pending", touchbase.RenewalFilter{Pending: true}, []uint64{1, 2, 5, 6, 7}},
		{"account", touchbase.RenewalFilter{AccountID: 1}, []uint64{1, 3, 4, 7}},
		{"account pending", touchbase.RenewalFilter{AccountID: 1, Pending: true}, []uint64{1, 7}},
		{"account none", touchbase.RenewalFilter{AccountID: 9}, []uint64{}},
		{"owner", touchbase.RenewalFilter{Owner: "U1"}, []uint64{1, 3, 5, 7}},
		{"owner not a prefix", touchbase.RenewalFilter{Owner: "U12"}, []uint64{4}},
		{"owner pending", touchbase.RenewalFilter{Owner: "U2", Pending: true}, []uint64{2, 6}},
		{"due", touchbase.RenewalFilter{DueBy: day(31)}, []uint64{1, 2, 6}},
		{"due early", touchbase.RenewalFilter{DueBy: day(5)}, []uint64{2, 6}},
		{"due before any", touchbase.RenewalFilter{DueBy: day(4)}, []uint64{}},
		{"due next year", touchbase.RenewalFilter{DueBy: day(3).AddDays(365)}, []uint64{1, 2, 6, 7}},
		{"due and pending", touchbase.RenewalFilter{DueBy: day(31), Pending: true}, []uint64{1, 2, 6}},
		{"due and owner", touchbase.RenewalFilter{DueBy: day(31), Owner: "U2"}, []uint64{2, 6}},
		{"due and account", touchbase.RenewalFilter{DueBy: day(31), AccountID: 1}, []uint64{1}},
		{"account and owner", touchbase.RenewalFilter{AccountID: 2, Owner: "U1"}, []uint64{}},
		{"everything", touchbase.RenewalFilter{AccountID: 3, Owner: "U2", Pending: true, DueBy: day(5)}, []uint64{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			MustView(t, db, func(tx touchbase.Tx) error {
				if got := renewalIDs(t, tx, tt.f); !slices.Equal(got, tt.want) {
					t.Fatalf("Renewals=%v, want %v", got, tt.want)
				}
				return nil
			})
		})
	}
}

// Ensure the renewal indexes follow an update: a renewal decided leaves the
// due index, one back to pending returns to it, and a new due date, owner or
// account moves its entries.
func TestTx_UpdateRenewal_Indexes(t *testing.T) {
	churned := func(r *touchbase.Renewal) { r.Status = touchbase.RenewalChurned }
	tests := []struct {
		name   string
		setup  func(r *touchbase.Renewal) // before it is created, if not nil
		change func(r *touchbase.Renewal)
		gone   touchbase.RenewalFilter // finds it before, not after; zero: none
		found  touchbase.RenewalFilter // finds it after, not before
	}{
		{"renewed", nil, func(r *touchbase.Renewal) { r.Status = touchbase.RenewalRenewed },
			touchbase.RenewalFilter{DueBy: day(31)}, touchbase.RenewalFilter{}},
		{"churned", nil, func(r *touchbase.Renewal) { r.Status, r.Reason = touchbase.RenewalChurned, "budget cut" },
			touchbase.RenewalFilter{Pending: true}, touchbase.RenewalFilter{}},
		{"pending again", churned, func(r *touchbase.Renewal) { r.Status = touchbase.RenewalPending },
			touchbase.RenewalFilter{}, touchbase.RenewalFilter{DueBy: day(5)}},
		{"due later", nil, func(r *touchbase.Renewal) { r.Due = day(20) },
			touchbase.RenewalFilter{DueBy: day(10)}, touchbase.RenewalFilter{}},
		{"due earlier", nil, func(r *touchbase.Renewal) { r.Due = day(1) },
			touchbase.RenewalFilter{}, touchbase.RenewalFilter{DueBy: day(1)}},
		{"due cleared", nil, func(r *touchbase.Renewal) { r.Due = touchbase.Date{} },
			touchbase.RenewalFilter{DueBy: day(31)}, touchbase.RenewalFilter{}},
		{"owner", nil, func(r *touchbase.Renewal) { r.Owner = "U3" },
			touchbase.RenewalFilter{Owner: "U2"}, touchbase.RenewalFilter{Owner: "U3"}},
		{"owner cleared", nil, func(r *touchbase.Renewal) { r.Owner = "" },
			touchbase.RenewalFilter{Owner: "U2"}, touchbase.RenewalFilter{}},
		{"account", nil, func(r *touchbase.Renewal) { r.AccountID = 2 },
			touchbase.RenewalFilter{AccountID: 1}, touchbase.RenewalFilter{AccountID: 2}},
	}
	none := touchbase.RenewalFilter{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpenDB(t)
			r := &touchbase.Renewal{AccountID: 1, Owner: "U2", Status: touchbase.RenewalPending, Due: day(5)}
			if tt.setup != nil {
				tt.setup(r)
			}
			MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateRenewal(r) })
			MustView(t, db, func(tx touchbase.Tx) error {
				if tt.gone != none {
					if got, want := renewalIDs(t, tx, tt.gone), []uint64{r.ID}; !slices.Equal(got, want) {
						t.Fatalf("before: Renewals(%+v)=%v, want %v", tt.gone, got, want)
					}
				}
				if tt.found != none {
					if got, want := renewalIDs(t, tx, tt.found), []uint64{}; !slices.Equal(got, want) {
						t.Fatalf("before: Renewals(%+v)=%v, want %v", tt.found, got, want)
					}
				}
				return nil
			})
			tt.change(r)
			MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateRenewal(r) })
			MustView(t, db, func(tx touchbase.Tx) error {
				if tt.gone != none {
					if got, want := renewalIDs(t, tx, tt.gone), []uint64{}; !slices.Equal(got, want) {
						t.Fatalf("after: Renewals(%+v)=%v, want %v", tt.gone, got, want)
					}
				}
				if tt.found != none {
					if got, want := renewalIDs(t, tx, tt.found), []uint64{r.ID}; !slices.Equal(got, want) {
						t.Fatalf("after: Renewals(%+v)=%v, want %v", tt.found, got, want)
					}
				}
				if got, err := tx.Renewal(r.ID); err != nil {
					return err
				} else if !reflect.DeepEqual(got, r) {
					t.Fatalf("Renewal=%+v, want %+v", got, r)
				}
				return nil
			})
		})
	}
}

// Ensure the due index holds exactly the pending renewals with a due date,
// each once under its current date, through a series of updates in one
// transaction.
func TestTx_Renewals_DueIndex(t *testing.T) {
	db := MustOpenDB(t)
	far := day(1).AddDays(3650)
	steps := []struct {
		name   string
		change func(r *touchbase.Renewal)
		want   []uint64 // Renewals(DueBy: far)
	}{
		{"created pending", func(*touchbase.Renewal) {}, []uint64{1}},
		{"moved", func(r *touchbase.Renewal) { r.Due = day(30) }, []uint64{1}},
		{"renewed", func(r *touchbase.Renewal) { r.Status = touchbase.RenewalRenewed }, []uint64{}},
		{"moved while renewed", func(r *touchbase.Renewal) { r.Due = day(10) }, []uint64{}},
		{"reopened", func(r *touchbase.Renewal) { r.Status = touchbase.RenewalPending }, []uint64{1}},
		{"unknown status", func(r *touchbase.Renewal) { r.Status = "" }, []uint64{}},
	}
	r := &touchbase.Renewal{AccountID: 1, Owner: "U1", Status: touchbase.RenewalPending, Due: day(5)}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if err := tx.CreateRenewal(r); err != nil {
			return err
		}
		for _, s := range steps {
			s.change(r)
			if err := tx.UpdateRenewal(r); err != nil {
				return err
			}
			if got := renewalIDs(t, tx, touchbase.RenewalFilter{DueBy: far}); !slices.Equal(got, s.want) {
				t.Fatalf("%s: Renewals(due)=%v, want %v", s.name, got, s.want)
			}
			// The old date no longer finds it: only the current one does.
			if got := renewalIDs(t, tx, touchbase.RenewalFilter{DueBy: r.Due.AddDays(-1)}); len(got) != 0 {
				t.Fatalf("%s: Renewals(before %v)=%v, want none", s.name, r.Due, got)
			}
		}
		return nil
	})
}

// Ensure renewal lookups and updates of what does not exist say ENOTFOUND,
// and a renewal without an account is EINVALID, on create and on update.
func TestTx_Renewal_ErrorCodes(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		return tx.CreateRenewal(&touchbase.Renewal{AccountID: 1, Status: touchbase.RenewalPending, Due: day(5)})
	})
	tests := []struct {
		name string
		fn   func(tx touchbase.Tx) error
		want string
	}{
		{"get", func(tx touchbase.Tx) error { _, err := tx.Renewal(99); return err }, touchbase.ENOTFOUND},
		{"update", func(tx touchbase.Tx) error { return tx.UpdateRenewal(&touchbase.Renewal{ID: 99, AccountID: 1}) }, touchbase.ENOTFOUND},
		{"update new", func(tx touchbase.Tx) error { return tx.UpdateRenewal(&touchbase.Renewal{AccountID: 1}) }, touchbase.ENOTFOUND},
		{"create without account", func(tx touchbase.Tx) error { return tx.CreateRenewal(&touchbase.Renewal{Owner: "U1"}) }, touchbase.EINVALID},
		{"update without account", func(tx touchbase.Tx) error { return tx.UpdateRenewal(&touchbase.Renewal{ID: 1}) }, touchbase.EINVALID},
		{"create taken id", func(tx touchbase.Tx) error { return tx.CreateRenewal(&touchbase.Renewal{ID: 1, AccountID: 2}) }, touchbase.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(t.Context(), tt.fn)
			if got := touchbase.ErrorCode(err); got != tt.want {
				t.Fatalf("ErrorCode(%v)=%q, want %q", err, got, tt.want)
			}
		})
	}
	// The refused create left no ID used and the refused update left the
	// renewal as it was.
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		r := &touchbase.Renewal{AccountID: 1}
		if err := tx.CreateRenewal(r); err != nil {
			return err
		} else if got, want := r.ID, uint64(2); got != want {
			t.Errorf("ID=%d, want %d", got, want)
		}
		if got := renewalIDs(t, tx, touchbase.RenewalFilter{DueBy: day(5)}); !slices.Equal(got, []uint64{1}) {
			t.Errorf("Renewals(due)=%v, want [1]", got)
		}
		return nil
	})
}

// Ensure an error from fn rolls back the renewals fn created and the
// updates it made, in the record bucket and every index.
func TestTx_Renewal_Rollback(t *testing.T) {
	db := MustOpenDB(t)
	kept := &touchbase.Renewal{AccountID: 1, Owner: "U1", Status: touchbase.RenewalPending, Due: day(5)}
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateRenewal(kept) })

	errBoom := errors.New("boom")
	err := db.Update(t.Context(), func(tx touchbase.Tx) error {
		if err := tx.CreateRenewal(&touchbase.Renewal{ID: 40, AccountID: 2, Owner: "U2", Status: touchbase.RenewalPending, Due: day(3)}); err != nil {
			return err
		}
		if err := tx.CreateRenewal(&touchbase.Renewal{AccountID: 2, Owner: "U2", Status: touchbase.RenewalPending, Due: day(4)}); err != nil {
			return err
		}
		changed := *kept
		changed.Status, changed.Owner, changed.AccountID = touchbase.RenewalRenewed, "U3", 3
		if err := tx.UpdateRenewal(&changed); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update=%v, want %v", err, errBoom)
	}

	MustView(t, db, func(tx touchbase.Tx) error {
		if got, err := tx.Renewal(kept.ID); err != nil {
			return err
		} else if !reflect.DeepEqual(got, kept) {
			t.Errorf("Renewal=%+v, want %+v", got, kept)
		}
		for _, f := range []touchbase.RenewalFilter{{}, {DueBy: day(31)}, {Owner: "U1"}, {AccountID: 1}, {Pending: true}} {
			if got := renewalIDs(t, tx, f); !slices.Equal(got, []uint64{kept.ID}) {
				t.Errorf("Renewals(%+v)=%v, want [%d]", f, got, kept.ID)
			}
		}
		for _, f := range []touchbase.RenewalFilter{{Owner: "U2"}, {Owner: "U3"}, {AccountID: 2}, {AccountID: 3}} {
			if got := renewalIDs(t, tx, f); len(got) != 0 {
				t.Errorf("Renewals(%+v)=%v, want none", f, got)
			}
		}
		return nil
	})
	// The sequence was rolled back too: neither the imported 40 nor the
	// next ID was kept.
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		r := &touchbase.Renewal{AccountID: 1}
		if err := tx.CreateRenewal(r); err != nil {
			return err
		} else if got, want := r.ID, kept.ID+1; got != want {
			t.Errorf("ID=%d, want %d", got, want)
		}
		return nil
	})
}
