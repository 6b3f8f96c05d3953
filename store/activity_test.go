package store_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
)

// activityIDs returns the IDs of the activities matching f, in walk order.
func activityIDs(tb testing.TB, tx touchbase.Tx, f touchbase.ActivityFilter) []uint64 {
	tb.Helper()
	ids := []uint64{}
	if err := tx.Activities(f, func(a *touchbase.Activity) error { ids = append(ids, a.ID); return nil }); err != nil {
		tb.Fatalf("Activities(%+v): %v", f, err)
	}
	return ids
}

// Ensure an activity round-trips and Activities walks them oldest first,
// by lead, opportunity, owner and UTC day range.
func TestTx_Activities(t *testing.T) {
	db := MustOpenDB(t)
	jst := time.FixedZone("JST", 9*3600)
	acts := []*touchbase.Activity{
		{Kind: touchbase.ActivityCall, Owner: "U1", At: at(5, 10), LeadID: 1, Note: "pricing", NextStep: "quote", NextDate: day(7)},
		{Kind: touchbase.ActivityEmail, Owner: "U1", At: at(3, 10), LeadID: 1},
		{Kind: touchbase.ActivityMeeting, Owner: "U2", At: at(4, 23), OpportunityID: 1},
		{Kind: touchbase.ActivityNote, Owner: "U2", At: at(6, 0), LeadID: 2, OpportunityID: 1},
		// 2027-03-05 08:00 in Tokyo is 03-04 23:00 UTC: a day bound is UTC.
		{Kind: touchbase.ActivityDemo, Owner: "U1", At: time.Date(2027, time.March, 5, 8, 0, 0, 0, jst).UTC(), LeadID: 2},
		{Kind: touchbase.ActivityCall, Owner: "U1", At: time.Date(1969, time.July, 20, 20, 17, 0, 0, time.UTC), LeadID: 1},
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for _, a := range acts {
			if err := tx.CreateActivity(a); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name string
		f    touchbase.ActivityFilter
		want []uint64
	}{
		{"all oldest first", touchbase.ActivityFilter{}, []uint64{6, 2, 3, 5, 1, 4}},
		{"lead", touchbase.ActivityFilter{LeadID: 1}, []uint64{6, 2, 1}},
		{"lead in range", touchbase.ActivityFilter{LeadID: 1, Since: day(4), Until: day(6)}, []uint64{1}},
		{"opportunity", touchbase.ActivityFilter{OpportunityID: 1}, []uint64{3, 4}},
		{"opportunity and lead", touchbase.ActivityFilter{OpportunityID: 1, LeadID: 2}, []uint64{4}},
		{"owner", touchbase.ActivityFilter{Owner: "U2"}, []uint64{3, 4}},
		{"since", touchbase.ActivityFilter{Since: day(5)}, []uint64{1, 4}},
		{"until", touchbase.ActivityFilter{Until: day(4)}, []uint64{6, 2}},
		{"one UTC day", touchbase.ActivityFilter{Since: day(4), Until: day(5)}, []uint64{3, 5}},
		{"owner in range", touchbase.ActivityFilter{Owner: "U1", Since: day(4), Until: day(6)}, []uint64{5, 1}},
		{"empty range", touchbase.ActivityFilter{Since: day(10)}, []uint64{}},
		{"before 1970", touchbase.ActivityFilter{Until: touchbase.NewDate(1970, time.January, 1)}, []uint64{6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			MustView(t, db, func(tx touchbase.Tx) error {
				if got := activityIDs(t, tx, tt.f); !slices.Equal(got, tt.want) {
					t.Fatalf("Activities=%v, want %v", got, tt.want)
				}
				return nil
			})
		})
	}

	// Ensure the walk hands back the record as stored.
	MustView(t, db, func(tx touchbase.Tx) error {
		var got *touchbase.Activity
		err := tx.Activities(touchbase.ActivityFilter{LeadID: 1, Since: day(5)}, func(a *touchbase.Activity) error { got = a; return nil })
		if err != nil {
			return err
		} else if !reflect.DeepEqual(got, acts[0]) {
			t.Fatalf("Activity=%+v, want %+v", got, acts[0])
		}
		return nil
	})
}

// Ensure an error from the walk's fn stops it and is returned as is.
func TestTx_Activities_Stop(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for i := range 3 {
			if err := tx.CreateActivity(&touchbase.Activity{Kind: touchbase.ActivityCall, At: at(1+i, 9), LeadID: 1}); err != nil {
				return err
			}
		}
		return nil
	})
	errStop := errors.New("stop")
	for _, f := range []touchbase.ActivityFilter{{}, {LeadID: 1}} {
		n := 0
		err := db.View(t.Context(), func(tx touchbase.Tx) error {
			return tx.Activities(f, func(*touchbase.Activity) error { n++; return errStop })
		})
		if !errors.Is(err, errStop) {
			t.Fatalf("Activities(%+v)=%v, want %v", f, err, errStop)
		} else if n != 1 {
			t.Fatalf("Activities(%+v) called fn %d times, want 1", f, n)
		}
	}
}

// Ensure an activity keeps its ID and time though its value leaves them to
// its key, and keeps a time the key cannot hold exactly (zero, or beyond
// what UnixNano holds) in its value.
func TestTx_CreateActivity_TimeInKey(t *testing.T) {
	db := MustOpenDB(t)
	times := []time.Time{
		time.Date(2026, 11, 23, 9, 30, 0, 123456789, time.UTC),
		time.Date(1960, 1, 2, 3, 4, 5, 6, time.UTC),
		{},
		time.Date(2500, 1, 1, 0, 0, 0, 7, time.UTC),
		time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	var want []*touchbase.Activity
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for i, at := range times {
			a := &touchbase.Activity{Kind: touchbase.ActivityCall, Owner: "U1", At: at, LeadID: 1, Note: fmt.Sprint(i)}
			if err := tx.CreateActivity(a); err != nil {
				return err
			}
			want = append(want, a)
		}
		return nil
	})
	slices.SortFunc(want, func(a, b *touchbase.Activity) int { return a.At.Compare(b.At) })
	MustView(t, db, func(tx touchbase.Tx) error {
		for _, w := range want {
			got, err := tx.Activity(w.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("Activity(%d)=%+v, want %+v", w.ID, got, w)
			}
		}
		for _, walk := range []func(touchbase.ActivityFilter, func(*touchbase.Activity) error) error{tx.Activities, tx.Touches} {
			var got []touchbase.Activity
			if err := walk(touchbase.ActivityFilter{LeadID: 1}, func(a *touchbase.Activity) error {
				got = append(got, *a)
				return nil
			}); err != nil {
				return err
			}
			if len(got) != len(want) {
				t.Fatalf("got %d activities, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].ID != want[i].ID || !got[i].At.Equal(want[i].At) || got[i].At.IsZero() != want[i].At.IsZero() {
					t.Errorf("activity %d: ID %d at %v, want ID %d at %v", i, got[i].ID, got[i].At, want[i].ID, want[i].At)
				}
			}
		}
		return nil
	})
}
