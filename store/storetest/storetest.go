// Package storetest opens real touchbase stores for tests: a bbolt file in
// the test's temporary directory, checked for consistency and closed when
// the test ends. touchbase's tests never mock the store.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/touchbase/touchbase/store"
)

// MustOpenDB opens a new store in tb's temporary directory.
func MustOpenDB(tb testing.TB) *store.DB {
	tb.Helper()
	return MustOpenDBAt(tb, filepath.Join(tb.TempDir(), "touchbase.db"))
}

// MustOpenDBAt opens the store at path; when the test ends it is checked
// with bbolt's consistency check and closed.
func MustOpenDBAt(tb testing.TB, path string) *store.DB {
	tb.Helper()
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := db.Check(context.Background()); err != nil {
			tb.Errorf("check: %v", err)
		}
		if err := db.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return db
}
