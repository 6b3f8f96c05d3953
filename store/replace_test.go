package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/touchbase/touchbase/store"
)

// Ensure ReplaceFile puts the new file in place and keeps the old one
// under its second name.
func TestReplaceFile(t *testing.T) {
	dir := t.TempDir()
	path, with, keep := filepath.Join(dir, "touchbase.db"), filepath.Join(dir, "new.tmp"), filepath.Join(dir, "kept")
	writeFile(t, path, "old")
	writeFile(t, with, "new")
	if err := store.ReplaceFile(path, with, keep); err != nil {
		t.Fatal(err)
	}
	wantFile(t, path, "new")
	wantFile(t, keep, "old")
	if _, err := os.Stat(with); !os.IsNotExist(err) {
		t.Fatalf("%s is still there (err=%v)", with, err)
	}
}

// Ensure a ReplaceFile that fails leaves the file as it was, and neither
// the new file nor the second name behind.
func TestReplaceFile_Fails(t *testing.T) {
	dir := t.TempDir()
	path, with, keep := filepath.Join(dir, "touchbase.db"), filepath.Join(dir, "new.tmp"), filepath.Join(dir, "kept")
	writeFile(t, path, "old")
	if err := os.Mkdir(with, 0o700); err != nil { // a directory cannot be renamed over a file
		t.Fatal(err)
	}
	if err := store.ReplaceFile(path, with, keep); err == nil {
		t.Fatal("ReplaceFile of a directory over a file: err=nil")
	}
	wantFile(t, path, "old")
	for _, p := range []string{with, keep} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is left behind (err=%v)", p, err)
		}
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func wantFile(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || string(b) != want {
		t.Fatalf("%s holds %q (err=%v), want %q", path, b, err, want)
	}
}
