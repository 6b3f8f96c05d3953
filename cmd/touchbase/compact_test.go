package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// Ensure compact rewrites the database smaller with the same records,
// verified, and keeps the file it replaced; and that it refuses, changing
// nothing, while touchbase serves the file or another process holds it.
func TestCompact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	for batch := range 10 {
		if err := db.Update(context.Background(), func(tx touchbase.Tx) error {
			for i := range 300 {
				n := batch*300 + i
				l := &touchbase.Lead{Name: fmt.Sprintf("Lead %d Person%d", n, n*7919%3000), Company: fmt.Sprintf("Company %d KK", n*104729%3000),
					Email: fmt.Sprintf("p%d@example.com", n*31%3000), Owner: fmt.Sprintf("U%d", n%7), Status: touchbase.LeadNew}
				if err := tx.CreateLead(l); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Another process holding the file: compact waits a second, then
	// refuses.
	if out, err := runErr("compact", "--db", path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("compact while the file is held: err=%v, want a refusal\n%s", err, out)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	want := exportOf(t, path)

	out, err := runErr("compact", "--db", path)
	if err != nil || !strings.Contains(out, "compacted") {
		t.Fatalf("compact: %v\n%s", err, out)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if after.Size() >= before.Size() {
		t.Errorf("size after compact=%d, want less than %d", after.Size(), before.Size())
	}
	if err := store.VerifyFile(path); err != nil {
		t.Fatal(err)
	}
	if got := exportOf(t, path); got != want {
		t.Fatalf("export after compact:\n%s\nwant:\n%s", got, want)
	}
	kept, _ := filepath.Glob(path + ".before-compact-*")
	if len(kept) != 1 || !strings.Contains(out, kept[0]) {
		t.Fatalf("kept files %v, want the one the output names\n%s", kept, out)
	}
	if got := exportOf(t, kept[0]); got != want {
		t.Fatal("the kept file is not the database as it was")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	// The compacted file serves: a search finds, a new lead is stored.
	db = store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(context.Background(), func(tx touchbase.Tx) error {
		if refs, err := tx.Search("person1919", 0); err != nil {
			return err
		} else if len(refs) != 1 || refs[0].ID != 2 {
			t.Errorf("Search(person1919)=%v, want lead 2", refs)
		}
		return tx.CreateLead(&touchbase.Lead{Name: "New One", Status: touchbase.LeadNew})
	}); err != nil {
		t.Fatal(err)
	}
}

// Ensure compact refuses while touchbase serves the file, changing nothing.
func TestCompact_WhileServing(t *testing.T) {
	s := serve(t, nil)
	out, err := runErr("compact", "--db", s.db)
	if err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("compact while serving: err=%v, want a refusal\n%s", err, out)
	}
	if kept, _ := filepath.Glob(s.db + ".before-compact-*"); len(kept) != 0 {
		t.Fatalf("a refused compact moved the database aside: %v", kept)
	}
	if left, _ := filepath.Glob(s.db + ".compact.tmp"); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
