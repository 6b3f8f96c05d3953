package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// Ensure a small run of both servers answers every request, that each
// answered /log is one activity in the full server's database, and that the
// table has a row per server.
func TestRun(t *testing.T) {
	inspected := 0
	o := Options{
		Concurrency: []int{4}, Requests: 200, Warmup: 20, Duration: time.Minute,
		inspect: func(ctx context.Context, r Result, db *store.DB) error {
			n := 0
			err := db.View(ctx, func(tx touchbase.Tx) error {
				return tx.Activities(touchbase.ActivityFilter{}, func(*touchbase.Activity) error { n++; return nil })
			})
			if err != nil {
				return err
			}
			if got, want := n, r.Warmup-r.WarmupErrors+r.Requests-r.Errors; got != want {
				t.Errorf("activities=%d, want %d (one per answered /log)", got, want)
			}
			if err := db.Check(ctx); err != nil {
				t.Errorf("Check: %v", err)
			}
			inspected++
			return nil
		},
	}
	results, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inspected, 1; got != want {
		t.Fatalf("inspected=%d, want %d", got, want)
	}
	if got, want := len(results), 2; got != want {
		t.Fatalf("len(results)=%d, want %d", got, want)
	}
	for i, want := range []string{"full", "verify-only"} {
		r := results[i]
		if r.Server != want {
			t.Fatalf("results[%d].Server=%q, want %q", i, r.Server, want)
		}
		if r.Requests != 200 || r.Errors != 0 || r.WarmupErrors != 0 || r.Late != 0 {
			t.Fatalf("%s: requests=%d errors=%d warmup errors=%d late=%d, want 200 requests, no errors", r.Server, r.Requests, r.Errors, r.WarmupErrors, r.Late)
		}
		if got, want := len(r.Latencies), 200; got != want {
			t.Fatalf("%s: %d latencies, want %d", r.Server, got, want)
		}
		if r.Percentile(50) <= 0 || r.Percentile(50) > r.Percentile(99) || r.Percentile(99) > r.Percentile(100) {
			t.Fatalf("%s: p50=%v p99=%v max=%v, want 0 < p50 <= p99 <= max", r.Server, r.Percentile(50), r.Percentile(99), r.Percentile(100))
		}
	}

	var b strings.Builder
	if err := WriteTable(&b, results); err != nil {
		t.Fatal(err)
	}
	table := b.String()
	for _, row := range []string{"| full | 4 | 200 | 0 |", "| verify-only | 4 | 200 | 0 |"} {
		if !strings.Contains(table, row) {
			t.Fatalf("table has no row %q:\n%s", row, table)
		}
	}
}

// Ensure a run stops at -duration when -requests is out of reach.
func TestRunDuration(t *testing.T) {
	o := Options{Concurrency: []int{2}, Requests: 1 << 20, Duration: 200 * time.Millisecond}
	results, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Requests == 0 || r.Requests >= o.Requests || r.Errors != 0 {
			t.Fatalf("%s: requests=%d errors=%d, want some requests, fewer than %d, no errors", r.Server, r.Requests, r.Errors, o.Requests)
		}
	}
}

func TestPercentile(t *testing.T) {
	r := Result{}
	for i := 1; i <= 100; i++ {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{
		// Ensure nearest rank: p50 of 1..100 ms is the 50th value.
		{50, 50 * time.Millisecond},
		// Ensure p99 is the 99th value, not an interpolation.
		{99, 99 * time.Millisecond},
		// Ensure p100 is the maximum and p0 the minimum.
		{100, 100 * time.Millisecond},
		{0, time.Millisecond},
	} {
		if got := r.Percentile(tt.p); got != tt.want {
			t.Errorf("Percentile(%v)=%v, want %v", tt.p, got, tt.want)
		}
	}
	// Ensure no answers give 0, not a panic.
	if got := (Result{}).Percentile(50); got != 0 {
		t.Errorf("Percentile of nothing=%v, want 0", got)
	}
}

func TestCheckLoopbackURL(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		// Ensure loopback addresses are accepted.
		{"http://127.0.0.1:3000", true},
		{"http://127.1.2.3:3000/", true},
		{"http://[::1]:3000", true},
		{"http://localhost:3000", true},
		{"https://LOCALHOST:3443", true},
		// Ensure anything else is refused.
		{"http://10.0.0.1:3000", false},
		{"http://0.0.0.0:3000", false},
		{"http://[::]:3000", false},
		{"http://example.com", false},
		{"http://localhost.example.com:3000", false},
		{"http://127.0.0.1.nip.io:3000", false},
		{"ftp://127.0.0.1", false},
		{"127.0.0.1:3000", false},
	} {
		if err := checkLoopbackURL(tt.url); (err == nil) != tt.ok {
			t.Errorf("checkLoopbackURL(%q)=%v, want ok=%v", tt.url, err, tt.ok)
		}
	}
}

// Ensure -target refuses a server that is not on this machine before it
// sends anything.
func TestRunRefusesRemoteTarget(t *testing.T) {
	_, err := Run(context.Background(), Options{Concurrency: []int{1}, Requests: 1, Duration: time.Second, Target: "http://192.0.2.1:3000", Secret: "s"})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err=%v, want a refusal naming loopback", err)
	}
}
