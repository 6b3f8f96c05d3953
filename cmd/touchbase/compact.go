package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/touchbase/touchbase/store"
)

// runCompact rewrites the database file as a fresh copy: every bucket
// written in key order into full pages, and none of the free pages the old
// file kept. touchbase's indexes are written in the random order of their
// keys, which leaves their pages a half to two thirds full; the copy holds
// the same keys and values in full ones. It needs touchbase stopped,
// verifies the copy before it takes the file's place, and keeps the file
// it replaces, as restore does.
func (m *Main) runCompact(_ context.Context, args []string) error {
	fs, dbFlag := m.flagSet("compact")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("compact takes no file: touchbase compact [--db FILE]")
	}
	path := m.dbPath(*dbFlag)
	before, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if conn, err := net.Dial("unix", adminSocket(path)); err == nil {
		_ = conn.Close()
		return fmt.Errorf("compact: touchbase is serving %s; stop it first (systemctl stop touchbase, or docker stop), then compact. Nothing was changed", path)
	}
	// Hold the file's lock until the copy has taken its place, so that no
	// touchbase writes to it meanwhile.
	src, err := store.Lock(path, false)
	if err != nil {
		return fmt.Errorf("compact: %s is in use by another process (%v); stop it first. Nothing was changed", path, err)
	}
	defer src.Close()
	tmp := path + ".compact.tmp"
	if err := src.CompactInto(tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compact: nothing was changed: %w", err)
	}
	after, err := os.Stat(tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compact: nothing was changed: %w", err)
	}
	kept := path + ".before-compact-" + m.now().UTC().Format("20060102T150405Z")
	if err := os.Rename(path, kept); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("compact: nothing was changed: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("compact: %s was moved to %s but its compacted copy could not take its place (%v); move it back by hand", path, kept, err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	fmt.Fprintf(m.Stdout, "compacted %s from %.1f MB to %.1f MB\n", path, float64(before.Size())/1e6, float64(after.Size())/1e6)
	fmt.Fprintln(m.Stdout, "the file it replaced is kept as", kept, "(remove it once touchbase runs well on the new one)")
	return nil
}
