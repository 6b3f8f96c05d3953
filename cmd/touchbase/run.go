package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/console"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// flagSet returns a flag set that reports to m.Stderr, with --db.
func (m *Main) flagSet(name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("touchbase "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	db := fs.String("db", "", "bbolt database file (default $TOUCHBASE_DB, else touchbase.db)")
	m.configFlag(fs, name)
	return fs, db
}

// parseNow reads a --now flag: the current time when empty.
func (m *Main) parseNow(v string) (time.Time, error) {
	if v == "" {
		return m.now(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, fmt.Errorf("--now %q is not an RFC 3339 time: try --now 2026-11-23T09:00:00+09:00", v)
	}
	return t, nil
}

// open reads the configuration, then opens the database: what every
// command that works on the data needs, in that order (a bad
// configuration stops it before the file is locked).
func (m *Main) open(path string) (*touchbase.Config, *store.DB, error) {
	cfg, err := m.config()
	if err != nil {
		return nil, nil, err
	}
	db, err := m.openDB(path)
	return cfg, db, err
}

// dbPath is the database file: --db, else $TOUCHBASE_DB, else touchbase.db.
func (m *Main) dbPath(flag string) string {
	return cmp.Or(flag, m.Getenv("TOUCHBASE_DB"), "touchbase.db")
}

// openDB opens the database and registers it to be closed.
func (m *Main) openDB(path string) (*store.DB, error) {
	db := store.NewDB(m.dbPath(path))
	if err := db.Open(); err != nil {
		return nil, err
	}
	m.closers = append(m.closers, db.Close)
	return db, nil
}

// config returns the configuration: the embedded defaults, the YAML file
// $TOUCHBASE_CONFIG (or --config) over them, and the workspace currency
// from $TOUCHBASE_CURRENCY when set.
func (m *Main) config() (*touchbase.Config, error) {
	return loadConfig(m.Getenv("TOUCHBASE_CONFIG"), m.Getenv("TOUCHBASE_CURRENCY"))
}

func (m *Main) runConsole(ctx context.Context, args []string) error {
	fs, dbPath := m.flagSet("console")
	user := fs.String("user", cmp.Or(m.Getenv("USER"), "me"), "your rep id")
	name := fs.String("name", "", "your display name (default: the id)")
	tz := fs.String("tz", "", "your IANA time zone, e.g. Asia/Tokyo (default UTC)")
	now := fs.String("now", "", "fix the clock at this RFC 3339 time, e.g. 2026-11-23T09:00:00+09:00")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("console takes no arguments (got %q); commands come on standard input", fs.Args())
	}
	if *tz != "" {
		if _, err := time.LoadLocation(*tz); err != nil {
			return fmt.Errorf("--tz %q is not a time zone: try --tz Asia/Tokyo", *tz)
		}
	}
	cfg, db, err := m.open(*dbPath)
	if err != nil {
		return err
	}
	h := handlers.NewHandler(db, cfg)
	h.Logger = m.Logger
	if *now != "" {
		t, err := m.parseNow(*now)
		if err != nil {
			return err
		}
		h.Now = func() time.Time { return t }
	}
	c := console.New(h, handlers.User{ID: *user, Name: cmp.Or(*name, *user), TimeZone: *tz}, m.Stdin, m.Stdout)
	c.Interactive = m.StdinIsTerminal()
	c.Logger = m.Logger
	return c.Run(ctx)
}

func (m *Main) runExport(ctx context.Context, args []string) error {
	fs, dbPath := m.flagSet("export")
	format := fs.String("format", "json", "json (complete) or csv (leads, contacts, opportunities, activities)")
	out := fs.String("out", "", "directory to write into (json: standard output when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *format != "json" && *format != "csv" {
		return fmt.Errorf("--format %q: use json or csv", *format)
	}
	if *format == "csv" && *out == "" {
		return fmt.Errorf("--format csv writes four files: name a directory with --out DIR")
	}
	cfg, db, err := m.open(*dbPath)
	if err != nil {
		return err
	}
	x, err := handlers.ExportData(ctx, db, cfg, time.Now())
	if err != nil {
		return err
	}
	if *format == "json" && *out == "" {
		return x.WriteJSON(m.Stdout)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	files := []string{"touchbase.json"}
	if *format == "csv" {
		files = handlers.CSVFiles
	}
	for _, name := range files {
		err := writeFileAtomic(filepath.Join(*out, name), func(f *os.File) error {
			if *format == "json" {
				return x.WriteJSON(f)
			}
			return x.WriteCSV(name, f)
		})
		if err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, filepath.Join(*out, name))
	}
	return nil
}

// writeFileAtomic writes path through a temporary file, synced and renamed,
// so a crash never leaves half a file behind.
func writeFileAtomic(path string, write func(*os.File) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// importHelp is what `touchbase import --help` says before the flags.
const importHelp = `Usage: touchbase import [--db FILE] [--no-compact] export.json

Imports a JSON export (touchbase export) with the same IDs. The file is read
twice, never held whole in memory: once to check all of it, once to write it.

Nothing is written unless the whole file is good: every record has its id
and required fields, every reference (an activity's lead or opportunity, a
contact's account...) is in the file or in the database, and no record of the
file is stored under its id with different content. A refusal names the
first record at fault.

The records are committed in chunks of up to %d of one kind per
transaction, never all in one. A record already stored with the same content
is skipped, so if an import stops part-way (a crash, a full disk, Ctrl-C),
run the same command again: it writes what is missing and every record ends
up stored once.

Once it has written records, import compacts the file as touchbase compact
does: it writes a copy of the whole database beside it, every bucket in full
pages, verifies the copy and renames it over the file. The file it replaces
holds the same records and is not kept. While the copy is written the disk
holds both: leave free at least the file's size again. If the compaction
fails, every record is imported all the same, the file is as the import
wrote it, and import says so; touchbase compact can be run later.
--no-compact leaves the file as the import writes it.

Like compact, import needs touchbase stopped: it refuses while touchbase
serves the file, and waits a second for another process that holds it, then
stops.

`

func (m *Main) runImport(ctx context.Context, args []string) error {
	fs, dbFlag := m.flagSet("import")
	noCompact := fs.Bool("no-compact", false, "leave the file as the import writes it, not compacted")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), importHelp, handlers.ImportChunk)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("import takes one file: touchbase import [--db FILE] [--no-compact] export.json")
	}
	path := m.dbPath(*dbFlag)
	if serving(path) {
		return fmt.Errorf("import: touchbase is serving %s; stop it first (systemctl stop touchbase, or docker stop), then import. Nothing was imported", path)
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	db, err := m.openDB(path)
	if err != nil {
		return err
	}
	res, err := (&handlers.Importer{DB: db}).ImportFile(ctx, f)
	if err != nil {
		return err
	}
	// Closed here, before the compaction takes the file's lock; Main's
	// Close closes it again, which does nothing.
	if err := db.Close(); err != nil {
		return err
	}
	written, skipped := res.Total()
	fmt.Fprintf(m.Stdout, "imported %d leads, %d opportunities, %d activities and %d other records into %s in %d transactions",
		res.Written["leads"], res.Written["opportunities"], res.Written["activities"],
		written-res.Written["leads"]-res.Written["opportunities"]-res.Written["activities"], db.Path(), res.Chunks)
	if skipped > 0 {
		fmt.Fprintf(m.Stdout, "; %d records were stored already and were left as they are", skipped)
	}
	fmt.Fprintln(m.Stdout)
	if *noCompact || written == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import: every record is imported, but %s was not compacted (%w); touchbase compact --db %s compacts it", path, err, path)
	}
	before, after, err := store.CompactFile(path, "")
	if err != nil {
		return fmt.Errorf("import: every record is imported, but %s could not be compacted and is as the import wrote it (%w); touchbase compact --db %s compacts it", path, err, path)
	}
	m.printCompacted(path, before, after)
	return nil
}
