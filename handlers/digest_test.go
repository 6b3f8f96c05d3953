package handlers_test

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// Ensure the digest of the demo quarter renders as the golden text (the
// figures themselves are checked by hand in the domain's tests), names the
// bottleneck first, and draws a chart that decodes at its size.
func TestDigest_DemoGolden(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, tokyo)
	f := newFixture(t)
	if _, err := handlers.SeedDemo(context.Background(), f.db, f.h.Config, now, 7); err != nil {
		t.Fatal(err)
	}
	// The scheduled digest covers whole days: the week ending Monday 00:00.
	d, err := handlers.ComputeDigest(context.Background(), f.db, f.h.Config, time.Date(2026, 11, 23, 0, 0, 0, 0, tokyo), tokyo)
	if err != nil {
		t.Fatal(err)
	}
	team := &touchbase.Team{Name: "IS Tokyo", Function: touchbase.InsideSales, Members: []string{"sato", "kato", "ito"}}
	r := handlers.DigestReply(f.h.Config, d, team, func(id string) string { return "@" + id })
	got := r.Text()
	path := filepath.Join("testdata", "digest.golden.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("digest differs from %s (go test ./handlers -run TestDigest -update to accept):\n%s", path, got)
	}
	for _, w := range []string{"Weekly digest · IS Tokyo · Mon Nov 16 – Sun Nov 22, 2026", "Bottleneck:", "*Marketing*", "*Inside Sales*", "*Field Sales*", "*Customer Success*", "*By source*", "*By rep*", "@sato"} {
		if !strings.Contains(got, w) {
			t.Errorf("digest lacks %q", w)
		}
	}
	if !strings.Contains(r.Lines[0], "Bottleneck") {
		t.Errorf("first line %q, want the bottleneck", r.Lines[0])
	}

	img, err := handlers.DigestChart(f.h.Config, d, "Weekly digest · IS Tokyo").PNG()
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	if b := m.Bounds(); b.Dx() != 1200 || b.Dy() != 800 {
		t.Fatalf("chart %v, want 1200×800", b)
	}
}

// Ensure /digest previews the caller's team's digest, to them only.
func TestDigest_Command(t *testing.T) {
	f := newFixture(t)
	f.ok("boss", `/tb team create "IS Tokyo" inside_sales #is-tokyo`)
	f.ok("boss", `/tb team add "IS Tokyo" @sato`)
	f.ok("sato", `/lead "Ken" company:Gamma source:Referral`)
	f.ok("sato", `/log call Gamma hello`)
	f.now = f.now.Add(time.Hour)
	r := f.ok("sato", `/digest`)
	contains(t, "digest", r.Text(), "Preview — Weekly digest · IS Tokyo", "New leads 1 ▲1", "@sato: 1 · 0 · 0 · 1")
	r = f.ok("boss", `/digest #is-tokyo`)
	contains(t, "digest", r.Title, "IS Tokyo")
	f.refused("boss", `/digest #nowhere`, touchbase.ENOTFOUND)
}
