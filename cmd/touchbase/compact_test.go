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
	createLeads(t, db, 10, 300)
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

// createLeads stores batches×n leads, a transaction a batch, with names,
// companies and e-mails in no order, so that their index keys arrive in
// random order as a workspace's do.
func createLeads(t *testing.T, db *store.DB, batches, n int) {
	t.Helper()
	for batch := range batches {
		if err := db.Update(context.Background(), func(tx touchbase.Tx) error {
			for i := range n {
				k := batch*n + i
				l := &touchbase.Lead{Name: fmt.Sprintf("Lead %d Person%d", k, k*7919%3000), Company: fmt.Sprintf("Company %d KK", k*104729%3000),
					Email: fmt.Sprintf("p%d@example.com", k*31%3000), Owner: fmt.Sprintf("U%d", k%7), Status: touchbase.LeadNew}
				if err := tx.CreateLead(l); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// leadsExport writes the JSON export of a database of 3,000 leads into dir
// and returns the export file and its content (without its time).
func leadsExport(t *testing.T, dir string) (file, want string) {
	t.Helper()
	src := filepath.Join(dir, "source.db")
	db := store.NewDB(src)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	createLeads(t, db, 10, 300)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	run(t, "", "export", "--db", src, "--out", dir)
	return filepath.Join(dir, "touchbase.json"), exportOf(t, src)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// Ensure import compacts the file it has written: smaller than the same
// import with --no-compact, the same records, nothing left beside it; and
// that --no-compact leaves the file as the import wrote it, which compact
// then shrinks.
func TestImport_Compacts(t *testing.T) {
	dir := t.TempDir()
	file, want := leadsExport(t, dir)

	compacted := filepath.Join(dir, "imported.db")
	out := run(t, "", "import", "--db", compacted, file)
	if !strings.Contains(out, "imported 3000 leads") || !strings.Contains(out, "compacted "+compacted+" from ") {
		t.Fatalf("import said %q, want the records and the compaction", out)
	}
	written := filepath.Join(dir, "written.db")
	out = run(t, "", "import", "--db", written, "--no-compact", file)
	if !strings.Contains(out, "imported 3000 leads") || strings.Contains(out, "compacted") {
		t.Fatalf("import --no-compact said %q, want the records and no compaction", out)
	}
	if got, uncompacted := fileSize(t, compacted), fileSize(t, written); got >= uncompacted {
		t.Fatalf("size after import=%d, want less than %d (import --no-compact)", got, uncompacted)
	}
	for _, path := range []string{compacted, written} {
		if err := store.VerifyFile(path); err != nil {
			t.Fatal(err)
		}
		if got := exportOf(t, path); got != want {
			t.Fatalf("export of %s differs from the export imported", path)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.db.*")); len(left) != 0 {
		t.Fatalf("files left beside the databases: %v", left)
	}

	// The file --no-compact left is the one the import wrote: compact
	// shrinks it to the size import leaves.
	before := fileSize(t, written)
	run(t, "", "compact", "--db", written)
	if got, want := fileSize(t, written), fileSize(t, compacted); got >= before || got != want {
		t.Fatalf("size after compacting the --no-compact import=%d, want %d (less than %d)", got, want, before)
	}

	// Importing again writes nothing, so it does not compact again.
	out = run(t, "", "import", "--db", compacted, file)
	if !strings.Contains(out, "imported 0 leads") || strings.Contains(out, "compacted") {
		t.Fatalf("second import said %q, want nothing written and no compaction", out)
	}
}

// Ensure a compaction that fails after the import leaves the imported file
// whole and uncompacted, and says so: the records are imported, and
// touchbase compact can be run later.
func TestImport_CompactionFails(t *testing.T) {
	dir := t.TempDir()
	file, want := leadsExport(t, dir)
	written := filepath.Join(dir, "written.db")
	run(t, "", "import", "--db", written, "--no-compact", file)

	// A directory that is not empty where the copy goes: the compaction
	// cannot write it.
	path := filepath.Join(dir, "touchbase.db")
	if err := os.MkdirAll(filepath.Join(path+".compact.tmp", "in-the-way"), 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := runErr("import", "--db", path, file)
	msg := errorText(err)
	if !strings.Contains(out, "imported 3000 leads") || !strings.Contains(msg, "every record is imported, but "+path+" could not be compacted and is as the import wrote it") ||
		!strings.Contains(msg, "touchbase compact --db "+path) {
		t.Fatalf("import with a failing compaction: %q\n%s", msg, out)
	}
	if strings.Contains(out, "compacted") {
		t.Fatalf("import said it compacted:\n%s", out)
	}
	if err := store.VerifyFile(path); err != nil {
		t.Fatal(err)
	}
	if got, uncompacted := fileSize(t, path), fileSize(t, written); got != uncompacted {
		t.Fatalf("size after a failed compaction=%d, want %d as import --no-compact leaves it", got, uncompacted)
	}
	if got := exportOf(t, path); got != want {
		t.Fatal("export after a failed compaction differs from the export imported")
	}
}

// Ensure import refuses while touchbase serves the file, writing nothing.
func TestImport_WhileServing(t *testing.T) {
	dir := t.TempDir()
	file, _ := leadsExport(t, dir)
	s := serve(t, nil)
	out, err := runErr("import", "--db", s.db, file)
	if msg := errorText(err); !strings.Contains(msg, "touchbase is serving") || !strings.Contains(msg, "Nothing was imported") || strings.Contains(out, "imported") {
		t.Fatalf("import while serving: %q\n%s", msg, out)
	}
	if left, _ := filepath.Glob(s.db + ".compact.tmp"); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
