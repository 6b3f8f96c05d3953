package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// Ensure the SQLite queries compute the same figures as touchbase's digest
// on a generated workspace, for the benchmark's week and for a week ending
// mid-week in another zone, so that the comparison times the same work. The
// reminder scans must find the same follow-ups too.
func TestDigestSQLite_SameFigures(t *testing.T) {
	ctx := context.Background()
	x := Generate(FullScale.Divided(100))
	acts := x.Activities
	x.Activities = nil

	tb := store.NewDB(filepath.Join(t.TempDir(), "touchbase.db"))
	if err := tb.Open(); err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	if err := loadTouchbase(ctx, tb, x); err != nil {
		t.Fatal(err)
	}
	if err := handlers.ImportData(ctx, tb, &handlers.Export{Version: handlers.ExportVersion, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	sq, err := openSQLite(filepath.Join(t.TempDir(), "sqlite.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer sq.Close()
	if err := loadSQLite(ctx, sq, x); err != nil {
		t.Fatal(err)
	}
	if err := loadSQLiteActivities(ctx, sq, acts); err != nil {
		t.Fatal(err)
	}

	cfg := touchbase.DefaultConfig()
	tokyo, newYork := mustZone(t, "Asia/Tokyo"), mustZone(t, "America/New_York")
	for _, c := range []struct {
		name string
		end  time.Time
		loc  *time.Location
	}{
		{"tokyo", benchDay.In(tokyo), tokyo},
		{"new-york", benchDay.AddDays(-24).In(newYork).Add(15 * time.Hour), newYork},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := handlers.ComputeDigest(ctx, tb, cfg, c.end, c.loc)
			if err != nil {
				t.Fatal(err)
			}
			got, err := digestSQLite(ctx, sq, cfg, c.end, c.loc)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []struct {
				name      string
				got, want touchbase.DigestWeek
			}{{"this week", got.This, want.This}, {"last week", got.Last, want.Last}} {
				g, err := json.MarshalIndent(w.got, "", " ")
				if err != nil {
					t.Fatal(err)
				}
				x, err := json.MarshalIndent(w.want, "", " ")
				if err != nil {
					t.Fatal(err)
				}
				if string(g) != string(x) {
					t.Errorf("%s: SQLite figures\n%s\nwant touchbase's\n%s", w.name, g, x)
				}
			}
			// A week with nothing in it would make the comparison empty.
			is, fs, cs := want.This.InsideSales, want.This.FieldSales, want.This.CustomerSuccess
			if is.Touches == 0 || is.OpenLeads == 0 || is.Abandoned == 0 || fs.Pipeline.Count == 0 || len(fs.Pipeline.Stalled) == 0 ||
				fs.Won+fs.Lost == 0 || cs.Due90+cs.PastDue+cs.Renewed == 0 || len(want.This.ByRep) == 0 {
				t.Errorf("a generated week with figures missing: %+v %+v", is, fs)
			}
			overdue := 0
			for _, r := range want.This.ByRep {
				overdue += r.Overdue
			}
			if overdue == 0 {
				t.Error("no rep has an overdue follow-up")
			}
		})
	}

	// Ensure both reminder scans find the same follow-ups, some of them.
	total := 0
	for i := range numReps {
		var want int
		err := tb.View(ctx, func(tx touchbase.Tx) error {
			due, err := handlers.DueFollowUps(tx, owner(i), benchDay, benchDay)
			want = len(due)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := dueSQLite(ctx, sq, owner(i), benchDay)
		if err != nil {
			t.Fatal(err)
		} else if got != want {
			t.Fatalf("rep %s: SQLite found %d due, touchbase %d", owner(i), got, want)
		}
		total += want
	}
	if total == 0 {
		t.Fatal("nothing due for any rep")
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Ensure the loadgen row reads the full and the verify-only servers at the
// same concurrency from loadgen's table.
func TestLoadgenRow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "loadgen.md")
	table := `| server | concurrency | requests | errors | req/s | p50 | p90 | p99 | max |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| full | 200 | 20000 | 0 | 1964 | 100.2 ms | 112.8 ms | 130.7 ms | 203.9 ms |
| verify-only | 200 | 20000 | 0 | 30477 | 6.1 ms | 10.5 ms | 14.5 ms | 20.1 ms |
`
	if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := loadgenRow(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.tb != "1964 req/s, p99 130.7 ms" || r.sq != "verify-only: 30477 req/s, p99 14.5 ms" || r.ratio != "0.06x" || r.pass {
		t.Fatalf("row=%+v, want 0.06x and not passing", r)
	}
	passing := strings.Replace(strings.Replace(table, "| 1964 |", "| 16000 |", 1), "| 130.7 ms |", "| 24.9 ms |", 1)
	if err := os.WriteFile(path, []byte(passing), 0o644); err != nil {
		t.Fatal(err)
	}
	if r, err := loadgenRow(path); err != nil || !r.pass {
		t.Fatalf("row=%+v, %v: want 16000 of 30477 req/s with p99 24.9 ms to pass", r, err)
	}
	if err := os.WriteFile(path, []byte("| full | 200 | 1 | 0 | 5 | 1 ms | 1 ms | 1 ms | 1 ms |\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadgenRow(path); err == nil {
		t.Fatal("a table without a verify-only row gave a row")
	}
}
