package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/touchbase/touchbase/store"
)

// runCompact rewrites the database file as a fresh copy: every bucket
// written in key order into full pages, and none of the free pages the old
// file kept. touchbase's indexes are written in the random order of their
// keys, which leaves their pages a half to two thirds full; the copy holds
// the same keys and values in full ones. It needs touchbase stopped,
// verifies the copy before it takes the file's place (store.CompactFile,
// which import uses too), and keeps the file it replaces, as restore does.
func (m *Main) runCompact(_ context.Context, args []string) error {
	fs, dbFlag := m.flagSet("compact")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("compact takes no file: touchbase compact [--db FILE]")
	}
	path := m.dbPath(*dbFlag)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	if serving(path) {
		return fmt.Errorf("compact: touchbase is serving %s; stop it first (systemctl stop touchbase, or docker stop), then compact. Nothing was changed", path)
	}
	kept := path + ".before-compact-" + m.now().UTC().Format("20060102T150405Z")
	before, after, err := store.CompactFile(path, kept)
	if errors.Is(err, store.ErrInUse) {
		return fmt.Errorf("compact: %s is in use by another process; stop it first. Nothing was changed", path)
	} else if err != nil {
		return fmt.Errorf("compact: nothing was changed: %w", err)
	}
	m.printCompacted(path, before, after)
	fmt.Fprintln(m.Stdout, "the file it replaced is kept as", kept, "(remove it once touchbase runs well on the new one)")
	return nil
}

// serving reports whether a touchbase serves the database at path: its
// admin socket answers.
func serving(path string) bool {
	conn, err := net.Dial("unix", adminSocket(path))
	if err != nil {
		return false
	}
	_ = conn.Close()
	return true
}

// printCompacted says what store.CompactFile did.
func (m *Main) printCompacted(path string, before, after int64) {
	fmt.Fprintf(m.Stdout, "compacted %s from %.1f MB to %.1f MB\n", path, float64(before)/1e6, float64(after)/1e6)
}
