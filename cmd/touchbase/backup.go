package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/touchbase/touchbase/store"
)

// A serving touchbase holds its database file locked, so `touchbase backup`
// cannot open it; it asks the server instead, over a Unix socket beside the
// file. The socket is the operator's own (mode 0600, in the data directory):
// whoever may read the database file may read its backup, and nobody else.

// adminSocket is the path of the socket of the touchbase serving path.
func adminSocket(path string) string { return path + ".sock" }

// serveAdmin serves GET /backup on the admin socket of db until the
// returned stop is called, which closes it and removes the socket file. A
// socket file left by a process that died is removed first: the database
// is open here, so no other touchbase serves it.
func (m *Main) serveAdmin(db *store.DB) (stop func(), err error) {
	sock := adminSocket(db.Path())
	_ = os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		start := time.Now()
		n, err := db.Backup(r.Context(), w)
		if err != nil {
			// The status is gone with the first byte; the client's check
			// of the copy refuses what arrives.
			m.Logger.ErrorContext(r.Context(), "backup", slog.Any("error", err))
			return
		}
		m.Logger.InfoContext(r.Context(), "backup served", slog.Int64("bytes", n), slog.Duration("took", time.Since(start)))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return func() {
		_ = srv.Close() // and the listener removes the socket file
		<-done
	}, nil
}

// errNotServing says no touchbase answers on the admin socket.
var errNotServing = errors.New("no touchbase serving")

// fetchBackup asks the touchbase serving path for a backup, written to w.
func fetchBackup(ctx context.Context, path string, w io.Writer) error {
	sock := adminSocket(path)
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return errNotServing // no socket, or one left by a process that died
	}
	_ = conn.Close()
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://touchbase/backup", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("ask the running touchbase for a backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ask the running touchbase for a backup: %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("ask the running touchbase for a backup: %w", err)
	}
	return nil
}

func (m *Main) runBackup(ctx context.Context, args []string) error {
	fs, dbFlag := m.flagSet("backup")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("backup takes one file: touchbase backup [--db FILE] backup.db")
	}
	path, out := m.dbPath(*dbFlag), fs.Arg(0)
	err := store.WriteBackup(out, func(w io.Writer) error { return fetchBackup(ctx, path, w) })
	if err == nil {
		fmt.Fprintln(m.Stdout, "backed up", path, "from the running touchbase to", out)
		return nil
	} else if !errors.Is(err, errNotServing) {
		return err
	}
	db, err := m.openDB(path)
	if err != nil {
		return err
	}
	if err := db.BackupFile(ctx, out); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "backed up", db.Path(), "to", out)
	return nil
}

func (m *Main) runRestore(ctx context.Context, args []string) error {
	fs, dbFlag := m.flagSet("restore")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("restore takes one file: touchbase restore [--db FILE] backup.db")
	}
	path, from := m.dbPath(*dbFlag), fs.Arg(0)
	if err := store.VerifyFile(from); err != nil {
		return fmt.Errorf("restore: %s cannot be restored, nothing was changed: %w", from, err)
	}
	if serving(path) {
		return fmt.Errorf("restore: touchbase is serving %s; stop it first (systemctl stop touchbase, or docker stop), then restore. Nothing was changed", path)
	}
	// Hold the current file's lock while it is swapped, so that no
	// touchbase starts on it meanwhile.
	if _, err := os.Stat(path); err == nil {
		cur, err := store.Lock(path, false)
		if err != nil {
			return fmt.Errorf("restore: %s is in use by another process (%v); stop it first. Nothing was changed", path, err)
		}
		defer cur.Close()
	}
	tmp := path + ".restore.tmp"
	if err := store.WriteBackup(tmp, func(w io.Writer) error {
		f, err := os.Open(from)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}); err != nil {
		return fmt.Errorf("restore: nothing was changed: %w", err)
	}
	kept := ""
	if _, err := os.Stat(path); err == nil {
		kept = path + ".before-restore-" + m.now().UTC().Format("20060102T150405Z")
	}
	if err := store.ReplaceFile(path, tmp, kept); err != nil {
		return fmt.Errorf("restore: nothing was changed: %w", err)
	}
	fmt.Fprintln(m.Stdout, "restored", from, "to", path)
	if kept != "" {
		fmt.Fprintln(m.Stdout, "the database it replaced is kept as", kept)
	}
	return nil
}
