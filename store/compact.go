package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// compactTxSize is how many bytes of the copy one transaction of a
// compaction writes before it commits.
const compactTxSize = 64 << 20

// Locked is a database file opened only to be held: while it is open, no
// other touchbase can open the file (bbolt's lock), so restore and compact
// can copy it and swap it for another without a server writing to it.
type Locked struct {
	db *bbolt.DB
}

// Lock opens the database file at path and holds its lock, waiting a second
// for another process that holds it; readOnly takes a shared lock, which
// other readers may share.
func Lock(path string, readOnly bool) (*Locked, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: readOnly, Timeout: time.Second})
	if err != nil {
		return nil, err
	}
	return &Locked{db: db}, nil
}

// Close lets the file go.
func (l *Locked) Close() error { return l.db.Close() }

// CompactInto writes a compacted copy of the locked database to the new
// file path (one left there before is replaced) and verifies it with
// VerifyFile. The copy holds the same buckets, keys, values and sequences,
// each bucket written in key order into full pages, and none of the free
// pages of the source. Keep l locked until done with the copy, so that no
// touchbase writes to the source meanwhile.
//
// Keys written in random order (the indexes) leave bbolt's pages a half to
// two thirds full, so the copy is smaller; it grows back as it is written
// to, the first writes to a full page splitting it. The copy ends at its
// last page, without the room bbolt leaves at the end of a file it grows.
func (l *Locked) CompactInto(path string) error {
	src := l.db
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	dst, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	if err := bbolt.Compact(dst, src, compactTxSize); err != nil {
		_ = dst.Close()
		return err
	}
	var size int64
	if err := dst.View(func(btx *bbolt.Tx) error {
		size = btx.Size()
		return nil
	}); err != nil {
		_ = dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	// bbolt grows a file by up to 16 MiB (bbolt.DefaultAllocSize) beyond
	// its last page, room for the writes to come; the copy gives it back,
	// and bbolt grows the file again when it is written to.
	if err := truncateSync(path, size); err != nil {
		return err
	}
	return VerifyFile(path)
}

// ErrInUse is returned by CompactFile when another process holds the file.
var ErrInUse = errors.New("in use by another process")

// CompactFile compacts the database file at path in place: what `touchbase
// compact` does, and `touchbase import` after it has written records. It
// holds the file's lock throughout (ErrInUse when another process holds
// it after a second), writes the compacted copy beside it as
// path+".compact.tmp" with CompactInto, which verifies the copy, and only
// then renames the copy over the file, so that path names at every moment
// either the file as it was or the verified copy, never nothing. With keep
// set, the file as it was is first given that second name (a hard link,
// not a copy), which stays once the copy has taken path; with keep empty
// it is gone once the copy is in place. It returns the file's sizes before
// and after.
//
// On an error the file at path is as it was and neither the copy nor keep
// is left. While it runs the disk holds both the file and its copy: up to
// twice the file's size.
func CompactFile(path, keep string) (before, after int64, err error) {
	if _, err := os.Stat(path); err != nil {
		return 0, 0, fmt.Errorf("store: compact: %w", err)
	}
	src, err := Lock(path, false)
	if errors.Is(err, berrors.ErrTimeout) {
		return 0, 0, fmt.Errorf("store: compact %s: %w", path, ErrInUse)
	} else if err != nil {
		return 0, 0, fmt.Errorf("store: compact %s: %w", path, err)
	}
	// Closed after the rename: the lock is on the file as it was, and is
	// held until the copy has taken its name.
	defer src.Close()
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, fmt.Errorf("store: compact: %w", err)
	}
	tmp := path + ".compact.tmp"
	if err := src.CompactInto(tmp); err != nil {
		_ = os.Remove(tmp)
		return 0, 0, fmt.Errorf("store: compact %s: %w", path, err)
	}
	cp, err := os.Stat(tmp)
	if err != nil {
		_ = os.Remove(tmp)
		return 0, 0, fmt.Errorf("store: compact %s: %w", path, err)
	}
	if err := ReplaceFile(path, tmp, keep); err != nil {
		return 0, 0, fmt.Errorf("store: compact %s: %w", path, err)
	}
	return st.Size(), cp.Size(), nil
}

// ReplaceFile puts the file with in the place of the file at path, in one
// rename, so that path names at every moment either the file as it was or
// with, never nothing (on which touchbase would start a new, empty
// database). With keep set, the file as it was is first given that second
// name (a hard link, not a copy), which stays once with has taken path;
// with keep empty, or when nothing is at path, nothing is kept. It syncs
// the directory after.
//
// On an error the file at path is as it was, and neither with nor keep is
// left.
func ReplaceFile(path, with, keep string) error {
	if _, err := os.Stat(path); keep != "" && err == nil {
		if err := os.Link(path, keep); err != nil {
			_ = os.Remove(with)
			return fmt.Errorf("keep the file as it was: %w", err)
		}
	} else {
		keep = ""
	}
	if err := os.Rename(with, path); err != nil {
		_ = os.Remove(with)
		if keep != "" {
			_ = os.Remove(keep)
		}
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// truncateSync cuts the file at path to size bytes and syncs it.
func truncateSync(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
