// Command bench compares touchbase with SQLite (modernc.org/sqlite) on the
// same data in one run on the same machine, and prints one markdown table:
// the weekly digest's time, the database file's size, touchbase's peak heap
// during the digest, the reminder scan, and the bulk import of the
// activities. It is its own module so that SQLite never enters touchbase's
// dependencies.
//
//	go run .                 # 200,000 leads, 100,000 opportunities, 1,000,000 activities
//	go run . -divide 10      # a tenth of that, for a quick look
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

func main() {
	divide := flag.Int("divide", 1, "divide every count of the workspace by `n`, for a smaller run")
	runs := flag.Int("runs", 5, "time each digest `n` times and report the median")
	dir := flag.String("dir", "", "keep the databases in `dir` (default: a temporary directory, removed after)")
	batch := flag.Int("import-batch", 0, "hand handlers.ImportData the activities `n` at a time (0: all in one call)")
	loadgen := flag.String("loadgen", "", "add a row from the table `file` that go run ./cmd/loadgen printed")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to `file`")
	digestHeap := flag.String("digest-heap", "", "only compute the digest of the touchbase database `file` and print its peak heap (the run starts itself so)")
	flag.Parse()
	if *digestHeap != "" {
		if err := digestHeapChild(*digestHeap, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	var extra []row
	if *loadgen != "" {
		r, err := loadgenRow(*loadgen)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		extra = append(extra, r)
	}
	if err := run(context.Background(), os.Stdout, os.Stderr, FullScale.Divided(max(1, *divide)), max(1, *runs), *dir, *batch, extra); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// row is one line of the table. ratio is touchbase ÷ SQLite.
type row struct {
	metric, tb, sq, ratio, target string
	pass                          bool
	noPass                        bool // a figure without a target
}

func run(ctx context.Context, out, log io.Writer, scale Scale, runs int, dir string, batch int, extra []row) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "touchbase-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	fmt.Fprintf(log, "generating %d leads, %d opportunities, %d activities, %d accounts, %d handoffs, %d renewals\n",
		scale.Leads, scale.Opportunities, scale.Activities, scale.Accounts, scale.Handoffs, scale.Renewals)
	x := Generate(scale)
	acts := x.Activities
	x.Activities = nil

	// Load both: the records, then (timed) the activities.
	tb := store.NewDB(filepath.Join(dir, "touchbase.db"))
	if err := tb.Open(); err != nil {
		return err
	}
	defer tb.Close()
	start := time.Now()
	if err := loadTouchbase(ctx, tb, x); err != nil {
		return fmt.Errorf("touchbase: load records: %w", err)
	}
	fmt.Fprintf(log, "touchbase: records in %v\n", time.Since(start).Round(time.Millisecond))
	if batch <= 0 {
		batch = len(acts)
	}
	start = time.Now()
	for i := 0; i < len(acts); i += batch {
		part := &handlers.Export{Version: handlers.ExportVersion, Activities: acts[i:min(i+batch, len(acts))]}
		if err := handlers.ImportData(ctx, tb, part); err != nil {
			return fmt.Errorf("touchbase: import activities: %w", err)
		}
	}
	tbImport := time.Since(start)
	fmt.Fprintf(log, "touchbase: %d activities in %v\n", len(acts), tbImport.Round(time.Millisecond))

	sqPath := filepath.Join(dir, "sqlite.db")
	sq, err := openSQLite(sqPath)
	if err != nil {
		return err
	}
	defer sq.Close()
	start = time.Now()
	if err := loadSQLite(ctx, sq, x); err != nil {
		return fmt.Errorf("sqlite: load records: %w", err)
	}
	fmt.Fprintf(log, "sqlite: records in %v\n", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if err := loadSQLiteActivities(ctx, sq, acts); err != nil {
		return fmt.Errorf("sqlite: load activities: %w", err)
	}
	sqImport := time.Since(start)
	fmt.Fprintf(log, "sqlite: %d activities in %v\n", len(acts), sqImport.Round(time.Millisecond))
	if err := checkpoint(ctx, sq); err != nil {
		return err
	}
	tbSize, err := fileSize(tb.Path())
	if err != nil {
		return err
	}
	sqSize, err := fileSize(sqPath, sqPath+"-wal")
	if err != nil {
		return err
	}
	x, acts = nil, nil

	// The digest, alternating the two so that both see the same machine.
	cfg := touchbase.DefaultConfig()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return err
	}
	end := benchDay.In(tokyo)
	var tbTimes, sqTimes []time.Duration
	var tbDigest, sqDigest *touchbase.Digest
	var peakHeap, baseHeap uint64
	for i := range runs {
		runtime.GC()
		debug.FreeOSMemory()
		mem := startHeapSampler(time.Millisecond)
		baseHeap = max(baseHeap, mem.peak())
		start := time.Now()
		d, err := handlers.ComputeDigest(ctx, tb, cfg, end, tokyo)
		el := time.Since(start)
		peakHeap = max(peakHeap, mem.stop())
		if err != nil {
			return fmt.Errorf("touchbase: digest: %w", err)
		}
		tbTimes, tbDigest = append(tbTimes, el), d

		runtime.GC()
		start = time.Now()
		d, err = digestSQLite(ctx, sq, cfg, end, tokyo)
		el = time.Since(start)
		if err != nil {
			return fmt.Errorf("sqlite: digest: %w", err)
		}
		sqTimes, sqDigest = append(sqTimes, el), d
		fmt.Fprintf(log, "digest %d: touchbase %v, sqlite %v\n", i+1, tbTimes[i].Round(time.Millisecond), el.Round(time.Millisecond))
	}
	// The heap again, in a process that does nothing but the digest: this
	// one still holds the generator's and SQLite's leftovers.
	inProcess := peakHeap
	if err := tb.Close(); err != nil {
		return err
	}
	if peakHeap, err = measureDigestHeap(ctx, tb.Path()); err != nil {
		return err
	}
	if tb = store.NewDB(tb.Path()); tb.Open() != nil {
		return fmt.Errorf("touchbase: reopen %s", tb.Path())
	}
	defer tb.Close()
	fmt.Fprintf(log, "touchbase heap during the digest: %s in a process of its own, %s in this one\n", mb(int64(peakHeap)), mb(int64(inProcess)))

	same, err := sameFigures(tbDigest, sqDigest)
	if err != nil {
		return err
	}
	if !same {
		return fmt.Errorf("the SQLite figures differ from touchbase's digest: the comparison would not be of the same work")
	}

	// The reminder scan: every rep's due follow-ups on the day, in turn.
	openLeads := 0
	err = tb.View(ctx, func(tx touchbase.Tx) error {
		return tx.EachLead(func(l *touchbase.Lead) error {
			if l.Status.Open() {
				openLeads++
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	tbScan, tbDue, err := timeScans(func(rep string) (int, error) {
		n := 0
		err := tb.View(ctx, func(tx touchbase.Tx) error {
			due, err := handlers.DueFollowUps(tx, rep, benchDay, benchDay)
			n = len(due)
			return err
		})
		return n, err
	})
	if err != nil {
		return fmt.Errorf("touchbase: reminder scan: %w", err)
	}
	sqScan, sqDue, err := timeScans(func(rep string) (int, error) { return dueSQLite(ctx, sq, rep, benchDay) })
	if err != nil {
		return fmt.Errorf("sqlite: reminder scan: %w", err)
	}
	if tbDue != sqDue {
		return fmt.Errorf("reminder scan: touchbase found %d due, SQLite %d", tbDue, sqDue)
	}

	// The file as `touchbase import` leaves it: the compaction the command
	// runs once it has written the records (store.CompactFile, which
	// `touchbase compact` runs too), in place and timed. It comes after the
	// run so that the figures above are those of the file as written.
	if err := tb.Close(); err != nil {
		return err
	}
	start = time.Now()
	_, tbCompacted, err := store.CompactFile(tb.Path(), "")
	if err != nil {
		return fmt.Errorf("touchbase: compact: %w", err)
	}
	tbCompaction := time.Since(start)
	fmt.Fprintf(log, "touchbase: compacted the file from %s to %s in %v\n", mb(tbSize), mb(tbCompacted), tbCompaction.Round(time.Millisecond))

	tbMed, sqMed := median(tbTimes), median(sqTimes)
	tbRate, sqRate := float64(scale.Activities)/tbImport.Seconds(), float64(scale.Activities)/sqImport.Seconds()
	rows := []row{
		{fmt.Sprintf("weekly digest (median of %d)", runs), ms(tbMed), ms(sqMed), ratio(tbMed.Seconds(), sqMed.Seconds()), "≤ 1.0x", tbMed <= sqMed, false},
		{"database file, as ImportData writes it", mb(tbSize), mb(sqSize), ratio(float64(tbSize), float64(sqSize)), "", false, true},
		{"database file after `touchbase import` (or `touchbase compact`)", mb(tbCompacted), mb(sqSize), ratio(float64(tbCompacted), float64(sqSize)), "≤ 1.5x", float64(tbCompacted) <= 1.5*float64(sqSize), false},
		{"compaction at the end of `touchbase import`", fmt.Sprintf("%.2f s", tbCompaction.Seconds()), "", "", "", false, true},
		{"touchbase heap during the digest (peak)", mb(int64(peakHeap)), "", "", "≤ 50 MB", peakHeap <= 50<<20, false},
		{fmt.Sprintf("reminder scan, one rep (%d open leads, %d due for %d reps)", openLeads, tbDue, numReps), ms(tbScan), ms(sqScan),
			ratio(tbScan.Seconds(), sqScan.Seconds()), "≤ 5 ms", tbScan <= 5*time.Millisecond, false},
		{importLabel(scale.Activities, batch), rate(tbRate), rate(sqRate), ratio(tbRate, sqRate), "≥ 100k/s", tbRate >= 100_000, false},
	}
	fmt.Fprintf(log, "heap before the digest %s; figures equal: %v\n", mb(int64(baseHeap)), same)
	printTable(out, append(rows, extra...))
	return nil
}

// importLabel names the import row: how many activities, and how they were
// handed to ImportData.
func importLabel(n, batch int) string {
	if batch >= n {
		return fmt.Sprintf("bulk import of %d activities (one ImportData call; SQLite: transactions of %d)", n, sqliteBatch)
	}
	return fmt.Sprintf("bulk import of %d activities (ImportData per %d; SQLite: transactions of %d)", n, batch, sqliteBatch)
}

// sameFigures reports whether two digests have the same figures in both
// weeks (the Bottleneck, a choice among them, aside).
func sameFigures(a, b *touchbase.Digest) (bool, error) {
	ja, err := json.Marshal([2]touchbase.DigestWeek{a.Last, a.This})
	if err != nil {
		return false, err
	}
	jb, err := json.Marshal([2]touchbase.DigestWeek{b.Last, b.This})
	if err != nil {
		return false, err
	}
	return string(ja) == string(jb), nil
}

// timeScans runs scan for every rep, three rounds, and returns the median
// time of one scan and the follow-ups found in a round.
func timeScans(scan func(rep string) (int, error)) (time.Duration, int, error) {
	var times []time.Duration
	found := 0
	for round := range 3 {
		for i := range numReps {
			start := time.Now()
			n, err := scan(owner(i))
			times = append(times, time.Since(start))
			if err != nil {
				return 0, 0, err
			}
			if round == 0 {
				found += n
			}
		}
	}
	return median(times), found, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// fileSize returns the total size of the files that exist among paths.
func fileSize(paths ...string) (int64, error) {
	var n int64
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			if i > 0 && os.IsNotExist(err) {
				continue
			}
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	}
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

func rate(perSec float64) string { return fmt.Sprintf("%.0fk rec/s", perSec/1000) }

func ratio(a, b float64) string {
	if b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2fx", a/b)
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| metric | touchbase | SQLite | ratio | target | pass |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
	for _, r := range rows {
		pass := "no"
		switch {
		case r.noPass:
			pass = "—"
		case r.pass:
			pass = "yes"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", r.metric, r.tb, r.sq, r.ratio, r.target, pass)
	}
}
