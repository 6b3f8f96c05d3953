package scheduler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

var update = flag.Bool("update", false, "rewrite the golden digests in testdata")

// TestComputeDigest_Generated computes the digest of a generated workspace,
// the benchmark's shape at a small scale, for two weeks ending in different
// zones, and compares every figure with the digest the store-wide slices
// gave when the file was written (go test ./scheduler -run
// TestComputeDigest_Generated -update to accept a change on purpose). It
// also feeds a builder from the plain lists of the store and expects the
// same: however ComputeDigest reads the store, the figures are the ones the
// records give.
func TestComputeDigest_Generated(t *testing.T) {
	db := MustOpenDB(t)
	benchWorkspace{Leads: 3_000, Opportunities: 1_500, Activities: 20_000, Accounts: 300, Handoffs: 400, Renewals: 200,
		Day: benchDay}.seed(t, db)
	ctx := context.Background()
	cfg := touchbase.DefaultConfig()

	for _, c := range []struct {
		name string
		end  time.Time
		loc  *time.Location
	}{
		// Ensure the benchmark's week, up to the seeded day in Tokyo, with
		// touches after its end.
		{"tokyo", benchDay.In(tokyo), tokyo},
		// Ensure a week in the middle of the data, ending mid-week in New
		// York, with many touches after it.
		{"new-york", benchDay.AddDays(-24).In(newYork).Add(15 * time.Hour), newYork},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := handlers.ComputeDigest(ctx, db, cfg, c.end, c.loc)
			if err != nil {
				t.Fatal(err)
			}
			got := digestJSON(t, d)

			// The same records fed from the lists the store returns.
			b := touchbase.NewDigestBuilder(cfg, c.end, c.loc)
			err = db.View(ctx, func(tx touchbase.Tx) error {
				ls, err := tx.Leads(touchbase.LeadFilter{})
				for _, l := range ls {
					b.AddLead(l)
				}
				if err != nil {
					return err
				}
				opps, err := tx.Opportunities(touchbase.OpportunityFilter{})
				for _, o := range opps {
					b.AddOpportunity(o)
				}
				if err != nil {
					return err
				}
				if err := tx.Activities(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error { b.AddActivity(a); return nil }); err != nil {
					return err
				}
				hs, err := tx.Handoffs()
				for _, h := range hs {
					b.AddHandoff(h)
				}
				if err != nil {
					return err
				}
				rs, err := tx.Renewals(touchbase.RenewalFilter{})
				for _, r := range rs {
					b.AddRenewal(r)
				}
				if err != nil {
					return err
				}
				as, err := tx.Accounts()
				for _, a := range as {
					b.AddAccount(a)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := digestJSON(t, b.Digest()); !bytes.Equal(got, want) {
				t.Errorf("ComputeDigest differs from the builder fed every record:\n%s\nwant\n%s", got, want)
			}

			path := filepath.Join("testdata", "digest-generated-"+c.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("digest differs from %s:\n%s", path, got)
			}
			if d.This.InsideSales.Touches == 0 || d.This.FieldSales.Pipeline.Count == 0 || d.Last.InsideSales.OpenLeads == 0 {
				t.Errorf("a generated week with nothing in it: %+v", d.This.InsideSales)
			}
		})
	}
}

// digestJSON returns d as indented JSON, for comparing and for the golden
// files.
func digestJSON(t *testing.T, d *touchbase.Digest) []byte {
	t.Helper()
	b, err := json.MarshalIndent(d, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
