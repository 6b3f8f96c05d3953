package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/touchbase/touchbase/handlers"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// run runs the real program with args and stdin, and returns its output.
func run(tb testing.TB, stdin string, args ...string) string {
	tb.Helper()
	var out, errOut bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(stdin), &out, &errOut
	m.Logger = slog.New(slog.NewTextHandler(&errOut, nil))
	m.Getenv = func(string) string { return "" }
	m.StdinIsTerminal = func() bool { return false }
	err := m.Run(context.Background(), args)
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		tb.Fatalf("touchbase %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

func golden(tb testing.TB, name, got string) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test ./cmd/touchbase -update to create it)", err)
	}
	if got != string(want) {
		tb.Errorf("%s differs from the output; run go test ./cmd/touchbase -update and review the diff.\ngot:\n%s", path, got)
	}
}

func mustRead(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// Ensure the scripted sales scenario runs through the real console: lead →
// 3 touches → BANT 2/4 → convert → stage 2 → stage 4 refused (no Authority)
// → Authority yes → stage 4 → won, and the export shows exactly that history.
func TestConsole_Scenario(t *testing.T) {
	db := filepath.Join(t.TempDir(), "touchbase.db")
	is := run(t, mustRead(t, "testdata/scenario-is.txt"), "console", "--db", db, "--user", "sato", "--name", "Sato", "--tz", "Asia/Tokyo", "--now", "2026-11-23T09:00:00+09:00")
	fs := run(t, mustRead(t, "testdata/scenario-fs.txt"), "console", "--db", db, "--user", "ae", "--tz", "Asia/Tokyo", "--now", "2026-11-25T10:00:00+09:00")
	golden(t, "scenario.golden.txt", is+fs)

	export := run(t, "", "export", "--db", db)
	export = regexp.MustCompile(`"exported_at": "[^"]*"`).ReplaceAllString(export, `"exported_at": "(now)"`)
	golden(t, "scenario.export.golden.json", export)

	// The golden file is reviewed by people; these are the facts it must hold.
	var x struct {
		Leads []struct {
			Status  string            `json:"status"`
			Touches int               `json:"touches"`
			BANT    map[string]string `json:"bant"`
		} `json:"leads"`
		Opportunities []struct {
			Stage       int    `json:"stage"`
			StageName   string `json:"stage_name"`
			Probability int    `json:"probability"`
			Status      string `json:"status"`
			AmountMinor int64  `json:"amount_minor"`
			Currency    string `json:"currency"`
			Owner       string `json:"owner"`
			History     []struct {
				Kind     string `json:"kind"`
				From, To int
			} `json:"history"`
		} `json:"opportunities"`
		Activities []struct {
			Kind   string `json:"kind"`
			LeadID uint64 `json:"lead_id"`
		} `json:"activities"`
		Handoffs []struct {
			Kind, From, To string
		} `json:"handoffs"`
	}
	if err := json.Unmarshal([]byte(export), &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Leads) != 1 || x.Leads[0].Status != "converted" || x.Leads[0].Touches != 3 {
		t.Fatalf("leads=%+v, want one converted lead with 3 touches", x.Leads)
	}
	if got, want := x.Leads[0].BANT, map[string]string{"budget": "yes", "authority": "no", "need": "yes", "timeline": "unknown"}; !equalMaps(got, want) {
		t.Fatalf("lead bant=%v, want %v", got, want)
	}
	if len(x.Activities) != 3 {
		t.Fatalf("activities=%+v, want 3", x.Activities)
	}
	for i, want := range []string{"call", "email", "call"} {
		if a := x.Activities[i]; a.Kind != want || a.LeadID != 1 {
			t.Fatalf("activities[%d]=%+v, want %s on lead 1", i, a, want)
		}
	}
	if len(x.Opportunities) != 1 {
		t.Fatalf("opportunities=%+v, want 1", x.Opportunities)
	}
	o := x.Opportunities[0]
	if o.Stage != 8 || o.StageName != "Closed won" || o.Probability != 100 || o.Status != "won" || o.AmountMinor != 5000000 || o.Currency != "JPY" || o.Owner != "ae" {
		t.Fatalf("opportunity=%+v, want won at 8 Closed won, ¥5,000,000, owner ae", o)
	}
	var steps []string
	for _, h := range o.History {
		steps = append(steps, h.Kind)
	}
	if got, want := strings.Join(steps, " "), "created advance advance won"; got != want {
		t.Fatalf("history=%s, want %s", got, want)
	}
	if h := o.History; h[1].To != 2 || h[2].From != 2 || h[2].To != 4 || h[3].To != 8 {
		t.Fatalf("history=%+v, want 1→2, 2→4, 4→8", h)
	}
	if len(x.Handoffs) != 2 || x.Handoffs[0].Kind != "sql" || x.Handoffs[1].Kind != "won" || x.Handoffs[1].To != "kim" {
		t.Fatalf("handoffs=%+v, want sql to ae then won to kim", x.Handoffs)
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Ensure backup while the database is open gives a file that opens, and
// import of an export into a fresh database gives back the same export.
func TestBackupAndImport(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "touchbase.db")
	run(t, mustRead(t, "testdata/scenario-is.txt"), "console", "--db", db, "--user", "sato", "--now", "2026-11-23T09:00:00+09:00")
	run(t, "", "backup", "--db", db, filepath.Join(dir, "backup.db"))
	want := run(t, "", "export", "--db", db, "--out", filepath.Join(dir, "x"))
	if !strings.HasSuffix(strings.TrimSpace(want), "touchbase.json") {
		t.Fatalf("export --out printed %q", want)
	}
	a := run(t, "", "export", "--db", filepath.Join(dir, "backup.db"))
	run(t, "", "import", "--db", filepath.Join(dir, "imported.db"), filepath.Join(dir, "x", "touchbase.json"))
	b := run(t, "", "export", "--db", filepath.Join(dir, "imported.db"))
	strip := regexp.MustCompile(`"exported_at": "[^"]*"`)
	if strip.ReplaceAllString(a, "") != strip.ReplaceAllString(b, "") {
		t.Fatalf("export of the import differs from export of the backup")
	}
	out := run(t, "", "export", "--db", db, "--format", "csv", "--out", filepath.Join(dir, "csv"))
	for _, name := range []string{"leads.csv", "contacts.csv", "opportunities.csv", "activities.csv"} {
		if !strings.Contains(out, name) {
			t.Fatalf("csv export printed %q, want %s", out, name)
		}
	}
	if got := mustRead(t, filepath.Join(dir, "csv", "activities.csv")); strings.Count(got, "\n") != 4 {
		t.Fatalf("activities.csv=%q, want a header and 3 rows", got)
	}
}

// Ensure `touchbase import` of the same file again leaves the data as it
// is and says so, a file with a record at fault is refused naming it and
// changes nothing, and --help says how an import can be run again.
func TestImport_Again(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "touchbase.db")
	run(t, mustRead(t, "testdata/scenario-is.txt"), "console", "--db", db, "--user", "sato", "--now", "2026-11-23T09:00:00+09:00")
	run(t, "", "export", "--db", db, "--out", dir)
	file := filepath.Join(dir, "touchbase.json")
	into := filepath.Join(dir, "imported.db")
	out := run(t, "", "import", "--db", into, file)
	if !strings.Contains(out, "imported 1 leads, 1 opportunities, 3 activities") || strings.Contains(out, "stored already") {
		t.Fatalf("first import said %q", out)
	}
	want := run(t, "", "export", "--db", into)
	out = run(t, "", "import", "--db", into, file)
	if !strings.Contains(out, "imported 0 leads, 0 opportunities, 0 activities and 0 other records") || !strings.Contains(out, "were stored already and were left as they are") {
		t.Fatalf("second import said %q", out)
	}
	strip := regexp.MustCompile(`"exported_at": "[^"]*"`)
	if got := run(t, "", "export", "--db", into); strip.ReplaceAllString(got, "") != strip.ReplaceAllString(want, "") {
		t.Fatal("the second import changed the data")
	}

	bad := strings.Replace(mustRead(t, file), `"lead_id": 1`, `"lead_id": 77`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.db")
	before := run(t, "", "export", "--db", empty)
	_, err := runErr("import", "--db", empty, file)
	if msg := errorText(err); !strings.Contains(msg, "lead_id is 77, and there is no such lead in the file or in the database; nothing was imported") {
		t.Fatalf("import of a bad file: %q", msg)
	}
	if got := run(t, "", "export", "--db", empty); strip.ReplaceAllString(got, "") != strip.ReplaceAllString(before, "") {
		t.Fatal("a refused import changed the data")
	}

	help, err := runErr("import", "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(help, fmt.Sprintf("chunks of up to %d", handlers.ImportChunk)) || !strings.Contains(help, "run the same command again") || !strings.Contains(help, "-db") {
		t.Fatalf("import --help: %v\n%s", err, help)
	}
}

// Ensure the workspace currency applies to amounts typed without one, and
// an unknown one stops the program.
func TestMain_Currency(t *testing.T) {
	db := filepath.Join(t.TempDir(), "touchbase.db")
	var out bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader("/deal Acme amount:500万\n"), &out, &out
	m.Getenv = func(k string) string { return map[string]string{"TOUCHBASE_CURRENCY": "jpy"}[k] }
	m.StdinIsTerminal = func() bool { return false }
	if err := m.Run(context.Background(), []string{"console", "--db", db}); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if !strings.Contains(out.String(), "¥5,000,000") {
		t.Fatalf("output %q, want ¥5,000,000", out.String())
	}
	m.Getenv = func(k string) string { return map[string]string{"TOUCHBASE_CURRENCY": "XYZ"}[k] }
	if err := m.Run(context.Background(), []string{"console", "--db", db}); err == nil || !strings.Contains(errorText(err), "currency") {
		t.Fatalf("Run with currency XYZ: %v, want a currency error", err)
	}
	m.Close()
}

// Ensure bad command lines stop with a clear message.
func TestMain_BadArgs(t *testing.T) {
	for _, args := range [][]string{
		{"console", "--tz", "Mars/Olympus"},
		{"console", "--now", "tomorrow"},
		{"export", "--format", "xml"},
		{"import"},
		{"frobnicate"},
	} {
		var out, errOut bytes.Buffer
		m := NewMain()
		m.Stdin, m.Stdout, m.Stderr = strings.NewReader(""), &out, &errOut
		m.Getenv = func(string) string { return "" }
		m.StdinIsTerminal = func() bool { return false }
		err := m.Run(context.Background(), append(args, "--db", filepath.Join(t.TempDir(), "x.db")))
		m.Close()
		if err == nil {
			t.Errorf("touchbase %v: no error", args)
		}
	}
}

// Ensure `touchbase jobs run` runs one job once as of --now, shows what it
// enqueued without Slack, and enqueues nothing twice.
func TestJobsRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "touchbase.db")
	run(t, "/lead \"Ken Ito\" company:Gamma\n", "console", "--db", db, "--user", "taro", "--tz", "Asia/Tokyo", "--now", "2026-11-20T08:00:00+09:00")
	out := run(t, "", "jobs", "run", "reminders", "--db", db, "--now", "2026-11-24T09:05:00+09:00")
	for _, want := range []string{"reminders: 1 message(s) enqueued", "to taro (reminders/taro/2026-11-24)", "Ken Ito (Gamma)", "4 days overdue"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if out := run(t, "", "jobs", "run", "reminders", "--db", db, "--now", "2026-11-24T10:00:00+09:00"); !strings.Contains(out, "reminders: 0 message(s)") {
		t.Errorf("second run: %s", out)
	}
	var errOut bytes.Buffer
	m := NewMain()
	m.Stdout, m.Stderr, m.Getenv = &errOut, &errOut, func(string) string { return "" }
	if err := m.Run(context.Background(), []string{"jobs", "run", "frobnicate", "--db", db}); err == nil || !strings.Contains(errorText(err), "there is no job") {
		t.Fatalf("unknown job: %v", err)
	}
	m.Close()
}

// Ensure `touchbase demo` (the README's first command) prints the weekly
// digest and a rep's reminder and writes the chart, with no Slack.
func TestDemo(t *testing.T) {
	chart := filepath.Join(t.TempDir(), "chart.png")
	out := run(t, "", "demo", "--now", "2026-11-23T09:00:00+09:00", "--chart", chart)
	for _, want := range []string{"touchbase demo: 4 teams, 320 leads", "=== The weekly digest in #is-tokyo ===", "Bottleneck:",
		"勤労感謝の日", "=== @sato's reminder, Tue Nov 24 09:00 JST ===", "Good morning!"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(chart)
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(b))
	if err != nil || m.Bounds().Dx() != 1200 {
		t.Fatalf("chart: %v %v", err, m)
	}
}

// Ensure the Teams app package holds the manifest with the App ID filled in
// and the two icons at the sizes Teams asks for, and a bad App ID is refused.
func TestTeamsPackage(t *testing.T) {
	out := filepath.Join(t.TempDir(), "pkg.zip")
	m := NewMain()
	var buf bytes.Buffer
	m.Stdout, m.Stderr, m.Getenv = &buf, &buf, func(string) string { return "" }
	if err := m.Run(context.Background(), []string{"teams-package", "--app-id", "not-a-guid", "--dir", "../../teams", "--out", out}); err == nil {
		t.Fatal("a bad App ID was accepted")
	}
	id := "6f2b4d5e-1234-4abc-9def-0123456789ab"
	if err := m.Run(context.Background(), []string{"teams-package", "--app-id", id, "--dir", "../../teams", "--out", out}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	sizes := map[string]int{"color.png": 192, "outline.png": 32}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		switch f.Name {
		case "manifest.json":
			var man struct {
				ID   string `json:"id"`
				Bots []struct {
					BotID        string `json:"botId"`
					CommandLists []struct {
						Commands []struct{ Title string } `json:"commands"`
					} `json:"commandLists"`
				} `json:"bots"`
			}
			if err := json.Unmarshal(b, &man); err != nil {
				t.Fatal(err)
			}
			if man.ID != id || man.Bots[0].BotID != id || len(man.Bots[0].CommandLists[0].Commands) == 0 {
				t.Fatalf("manifest=%+v", man)
			}
		default:
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds().Dx() != sizes[f.Name] || img.Bounds().Dy() != sizes[f.Name] {
				t.Fatalf("%s: %v %v, want %d px square", f.Name, err, img, sizes[f.Name])
			}
			delete(sizes, f.Name)
		}
	}
	if len(sizes) != 0 {
		t.Fatalf("icons missing: %v", sizes)
	}
}
