package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/touchbase/touchbase/store"
)

// runErr runs the real program with args and returns its output and error.
func runErr(args ...string) (string, error) {
	var out bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(""), &out, &out
	m.Logger = slog.New(slog.NewTextHandler(&out, nil))
	m.Getenv = func(string) string { return "" }
	m.StdinIsTerminal = func() bool { return false }
	err := m.Run(context.Background(), args)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return out.String(), err
}

// exportOf is the JSON export of the database at path, without its time.
func exportOf(t *testing.T, path string) string {
	t.Helper()
	return regexp.MustCompile(`"exported_at": "[^"]*"`).ReplaceAllString(run(t, "", "export", "--db", path), "")
}

// Ensure a backup taken while touchbase serves comes from the running
// process (which holds the file), is checked, and holds what was
// acknowledged; and that it restores, with touchbase stopped, in place of
// the database, keeping the file it replaces.
func TestBackup_WhileServing(t *testing.T) {
	s := serve(t, nil)
	for _, text := range []string{`"Taro Yamada" company:"Acme KK" email:taro@acme.co.jp`, `"Hanako Sato" company:Beta`} {
		if code, body := s.slash("U1", "/lead", text); code != http.StatusOK || !strings.Contains(body, "Added lead") {
			t.Fatalf("/lead: %d %s", code, body)
		}
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	out, err := runErr("backup", "--db", s.db, backup)
	if err != nil || !strings.Contains(out, "from the running touchbase") {
		t.Fatalf("backup while serving: %v\n%s", err, out)
	}
	if err := store.VerifyFile(backup); err != nil {
		t.Fatal(err)
	}
	// Restoring under a running touchbase is refused, changing nothing.
	if out, err := runErr("restore", "--db", s.db, backup); err == nil || !strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("restore while serving: err=%v, want a refusal\n%s", err, out)
	}
	code, _ := s.slash("U1", "/lead", `"Ken Ito" company:Gamma`) // after the backup
	if code != http.StatusOK {
		t.Fatalf("/lead: %d", code)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.db + ".sock"); !os.IsNotExist(err) {
		t.Fatalf("admin socket left after shutdown: %v", err)
	}
	live, fromBackup := exportOf(t, s.db), exportOf(t, backup)
	if !strings.Contains(fromBackup, "Hanako Sato") || strings.Contains(fromBackup, "Ken Ito") {
		t.Fatalf("backup export:\n%s\nwant the two leads before the backup only", fromBackup)
	}

	out, err = runErr("restore", "--db", s.db, backup)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if got := exportOf(t, s.db); got != fromBackup {
		t.Fatalf("after restore the database exports\n%s\nwant the backup's\n%s", got, fromBackup)
	}
	kept, _ := filepath.Glob(s.db + ".before-restore-*")
	if len(kept) != 1 || !strings.Contains(out, kept[0]) {
		t.Fatalf("kept %v, output %q: want the replaced file kept and named", kept, out)
	}
	if got := exportOf(t, kept[0]); got != live {
		t.Fatal("the file kept is not the database that was replaced")
	}
}

// Ensure restore refuses a file that is not a sound touchbase database,
// and backup refuses to keep a copy that is not one, changing nothing.
func TestRestore_Refusals(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "touchbase.db")
	run(t, mustRead(t, "testdata/scenario-is.txt"), "console", "--db", db, "--user", "sato", "--now", "2026-11-23T09:00:00+09:00")
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(dir, "half.db")
	if err := os.WriteFile(half, before[:4*4096], 0o600); err != nil { // a copy cut short
		t.Fatal(err)
	}
	for _, bad := range []string{garbage, half, filepath.Join(dir, "missing.db")} {
		out, err := runErr("restore", "--db", db, bad)
		if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
			t.Errorf("restore %s: err=%v, want a refusal saying nothing was changed\n%s", filepath.Base(bad), err, out)
		}
	}
	after, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("a refused restore changed the database")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	if kept, _ := filepath.Glob(db + ".before-restore-*"); len(kept) != 0 {
		t.Fatalf("a refused restore moved the database aside: %v", kept)
	}
}
