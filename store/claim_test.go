package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// mustClaim claims key at at in its own Update and returns what Claim said.
func mustClaim(tb testing.TB, db *store.DB, key string, d, h int) bool {
	tb.Helper()
	var ok bool
	MustUpdate(tb, db, func(tx touchbase.Tx) error {
		var err error
		ok, err = tx.Claim(key, at(d, h))
		return err
	})
	return ok
}

// Ensure a key is claimed once: true the first time, false after, also
// once the file is closed and opened again.
func TestTx_Claim(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	if got, want := mustClaim(t, db, "Ev1", 1, 9), true; got != want {
		t.Fatalf("first Claim=%v, want %v", got, want)
	}
	if got, want := mustClaim(t, db, "Ev1", 1, 10), false; got != want {
		t.Fatalf("second Claim=%v, want %v", got, want)
	}
	// A key that extends another is a key of its own.
	if got, want := mustClaim(t, db, "Ev10", 1, 10), true; got != want {
		t.Fatalf("Claim(Ev10)=%v, want %v", got, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDBAt(t, path)
	if got, want := mustClaim(t, db, "Ev1", 2, 9), false; got != want {
		t.Fatalf("Claim after reopen=%v, want %v", got, want)
	}
}

// Ensure a claim made in an Update that fails is rolled back with the rest,
// so the failed command's retry claims the key and is applied.
func TestTx_Claim_Rollback(t *testing.T) {
	db := MustOpenDB(t)
	errBoom := errors.New("boom")
	err := db.Update(context.Background(), func(tx touchbase.Tx) error {
		if ok, err := tx.Claim("Ev1", at(1, 9)); err != nil {
			return err
		} else if !ok {
			t.Fatal("Claim=false, want true")
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update=%v, want %v", err, errBoom)
	}
	if got, want := mustClaim(t, db, "Ev1", 1, 10), true; got != want {
		t.Fatalf("Claim after rollback=%v, want %v", got, want)
	}
	// Nothing of the rolled-back claim is left to prune either.
	if got, err := db.PruneClaims(context.Background(), at(1, 10)); err != nil {
		t.Fatal(err)
	} else if want := 0; got != want {
		t.Fatalf("pruned=%d, want %d", got, want)
	}
}

// Ensure a key that is empty or longer than a key can be is refused with
// EINVALID, and a read-only transaction cannot claim.
func TestTx_Claim_Invalid(t *testing.T) {
	db := MustOpenDB(t)
	for _, key := range []string{"", strings.Repeat("k", 40000)} {
		err := db.Update(context.Background(), func(tx touchbase.Tx) error {
			_, err := tx.Claim(key, at(1, 9))
			return err
		})
		if got, want := touchbase.ErrorCode(err), touchbase.EINVALID; got != want {
			t.Errorf("Claim(%d bytes)=%v, want %s", len(key), err, want)
		}
	}
	err := db.View(context.Background(), func(tx touchbase.Tx) error {
		_, err := tx.Claim("Ev1", at(1, 9))
		return err
	})
	if got, want := touchbase.ErrorCode(err), touchbase.EINTERNAL; got != want {
		t.Errorf("Claim in View=%v, want %s", err, want)
	}
}

// Ensure PruneClaims forgets the claims made before its time and only those:
// a pruned key is claimable again, a kept one is not.
func TestDB_PruneClaims(t *testing.T) {
	db := MustOpenDB(t)
	claims := []struct {
		key  string
		d, h int
	}{
		{"old-b", 1, 9}, {"old-a", 1, 9}, {"old-c", 2, 23}, {"edge", 3, 0}, {"new", 3, 1}, {"newest", 9, 0},
	}
	for _, c := range claims {
		if !mustClaim(t, db, c.key, c.d, c.h) {
			t.Fatalf("Claim(%s)=false, want true", c.key)
		}
	}

	got, err := db.PruneClaims(context.Background(), at(3, 0))
	if err != nil {
		t.Fatal(err)
	} else if want := 3; got != want {
		t.Fatalf("pruned=%d, want %d", got, want)
	}
	if got, err := db.PruneClaims(context.Background(), at(3, 0)); err != nil {
		t.Fatal(err)
	} else if want := 0; got != want {
		t.Fatalf("pruned again=%d, want %d", got, want)
	}

	tests := []struct {
		key  string
		want bool // claimable again
	}{
		{"old-a", true}, {"old-b", true}, {"old-c", true}, {"edge", false}, {"new", false}, {"newest", false},
	}
	for _, tt := range tests {
		if got := mustClaim(t, db, tt.key, 10, 0); got != tt.want {
			t.Errorf("Claim(%s)=%v, want %v", tt.key, got, tt.want)
		}
	}
}

// Ensure PruneClaims deletes a backlog larger than one of its batches, and
// a cancelled context stops it before it starts.
func TestDB_PruneClaims_Many(t *testing.T) {
	db := MustOpenDB(t)
	const n = 2500
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for i := range n {
			if _, err := tx.Claim(fmt.Sprint("Ev", i), at(1+i%5, 0)); err != nil {
				return err
			}
		}
		return nil
	})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got, err := db.PruneClaims(ctx, at(30, 0)); !errors.Is(err, context.Canceled) || got != 0 {
		t.Fatalf("PruneClaims=%d, %v, want 0, %v", got, err, context.Canceled)
	}

	if got, err := db.PruneClaims(context.Background(), at(30, 0)); err != nil {
		t.Fatal(err)
	} else if want := n; got != want {
		t.Fatalf("pruned=%d, want %d", got, want)
	}
}
