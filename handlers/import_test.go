package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// demoExport returns the export of the demo data set, which holds every
// kind of record, as JSON.
func demoExport(t *testing.T) string {
	t.Helper()
	f := newFixture(t)
	if _, err := handlers.SeedDemo(context.Background(), f.db, f.h.Config, monday, 7); err != nil {
		t.Fatal(err)
	}
	return f.export()
}

// readExport decodes an export written by fixture.export.
func readExport(t *testing.T, s string) *handlers.Export {
	t.Helper()
	x, err := handlers.ReadExport(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// chunkSizes returns how many records each transaction of an import of x
// into an empty database writes, in chunks of size: each kind in chunks of
// its own, in the order reps, teams, campaigns, accounts, contacts, leads,
// opportunities, activities, handoffs, renewals.
func chunkSizes(x *handlers.Export, size int) []int {
	var sizes []int
	for _, k := range []int{len(x.Reps), len(x.Teams), len(x.Campaigns), len(x.Accounts), len(x.Contacts), len(x.Leads),
		len(x.Opportunities), len(x.Activities), len(x.Handoffs), len(x.Renewals)} {
		for ; k > 0; k -= size {
			sizes = append(sizes, min(k, size))
		}
	}
	return sizes
}

// records returns how many records x holds, and how many transactions an
// import of it in chunks of size takes.
func records(x *handlers.Export, size int) (n, chunks int) {
	sizes := chunkSizes(x, size)
	return sum(sizes), len(sizes)
}

func sum(ns []int) int {
	n := 0
	for _, v := range ns {
		n += v
	}
	return n
}

// mustCheck fails the test when bbolt's consistency check finds a problem.
func mustCheck(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Ensure an import in chunks, however small, stores every record exactly
// once: the export of the import is the export imported, and the file is
// consistent.
func TestImport_Chunks(t *testing.T) {
	want := demoExport(t)
	for _, size := range []int{1, 7, 100, 1000, handlers.ImportChunk} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			x := readExport(t, want)
			g := newFixture(t)
			res, err := (&handlers.Importer{DB: g.db, Chunk: size}).Import(context.Background(), x)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.export(); got != want {
				t.Fatalf("export after import differs:\n got %s\nwant %s", got, want)
			}
			total, chunks := records(x, size)
			if written, skipped := res.Total(); written != total || skipped != 0 {
				t.Fatalf("written=%d skipped=%d, want %d and 0", written, skipped, total)
			}
			if res.Chunks != chunks || res.Written["activities"] != len(x.Activities) {
				t.Fatalf("Chunks=%d activities=%d, want %d and %d", res.Chunks, res.Written["activities"], chunks, len(x.Activities))
			}
			mustCheck(t, g.db)
		})
	}
}

// Ensure ImportData commits more activities than one chunk holds, each
// stored once, in more than one transaction.
func TestImportData_MoreThanOneChunk(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 60,000 activities")
	}
	n := handlers.ImportChunk + 10000
	x := bulkExport(50, 20, n)
	g := newFixture(t)
	res, err := (&handlers.Importer{DB: g.db}).Import(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if res.Written["activities"] != n || res.Chunks != 2+3 { // accounts, leads, opportunities, activities in 2
		t.Fatalf("activities=%d Chunks=%d, want %d in 5", res.Written["activities"], res.Chunks, n)
	}
	seen := make(map[uint64]bool, n)
	err = g.db.View(context.Background(), func(tx touchbase.Tx) error {
		return tx.Activities(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error {
			if seen[a.ID] {
				return fmt.Errorf("activity %d is stored twice", a.ID)
			}
			seen[a.ID] = true
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("%d activities stored, want %d", len(seen), n)
	}
	mustCheck(t, g.db)
}

// crashingDB is a real store whose Update, after the first n, writes its
// transaction and then fails it, as a crash before the commit would: the
// transaction is rolled back.
type crashingDB struct {
	*store.DB
	n int
}

var errCrash = errors.New("crash")

func (d *crashingDB) Update(ctx context.Context, fn func(touchbase.Tx) error) error {
	if d.n == 0 {
		return d.DB.Update(ctx, func(tx touchbase.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errCrash
		})
	}
	d.n--
	return d.DB.Update(ctx, fn)
}

// Ensure an import that stops after any number of chunks can be run again
// and then stores everything exactly once, skipping what the first run
// committed.
func TestImport_RunAgainAfterCrash(t *testing.T) {
	want := demoExport(t)
	const size = 400
	sizes := chunkSizes(readExport(t, want), size)
	total := sum(sizes)
	for k := range sizes {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			g := newFixture(t)
			_, err := (&handlers.Importer{DB: &crashingDB{g.db, k}, Chunk: size}).Import(context.Background(), readExport(t, want))
			if !errors.Is(err, errCrash) || !strings.Contains(err.Error(), "running the same import again writes the rest") {
				t.Fatalf("crashed import: %v, want the crash and how to go on", err)
			}
			res, err := (&handlers.Importer{DB: g.db, Chunk: size}).Import(context.Background(), readExport(t, want))
			if err != nil {
				t.Fatalf("import again: %v", err)
			}
			if got := g.export(); got != want {
				t.Fatalf("export after the second import differs:\n got %s\nwant %s", got, want)
			}
			if written, skipped := res.Total(); written+skipped != total || skipped != sum(sizes[:k]) || res.Chunks != len(sizes)-k {
				t.Fatalf("written=%d skipped=%d in %d chunks, want the %d records of the %d chunks committed skipped, %d in all", written, skipped, res.Chunks, sum(sizes[:k]), k, total)
			}
			mustCheck(t, g.db)
		})
	}
}

// Ensure importing the same export again writes nothing and changes
// nothing.
func TestImport_Again(t *testing.T) {
	want := demoExport(t)
	g := newFixture(t)
	if err := handlers.ImportData(context.Background(), g.db, readExport(t, want)); err != nil {
		t.Fatal(err)
	}
	x := readExport(t, want)
	res, err := (&handlers.Importer{DB: g.db}).Import(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	total, _ := records(x, 1)
	if written, skipped := res.Total(); written != 0 || skipped != total || res.Chunks != 0 {
		t.Fatalf("written=%d skipped=%d Chunks=%d, want 0, %d and 0", written, skipped, res.Chunks, total)
	}
	if got := g.export(); got != want {
		t.Fatal("the second import changed the data")
	}
}

// Ensure an import whose records differ from those stored under the same
// IDs is refused, naming the record and the field, before anything is
// written: not even its records that are new.
func TestImport_Conflict(t *testing.T) {
	want := demoExport(t)
	g := newFixture(t)
	if err := handlers.ImportData(context.Background(), g.db, readExport(t, want)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(x *handlers.Export)
		want string
	}{
		{"activity", func(x *handlers.Export) { x.Activities[3].Note += "!" }, fmt.Sprintf("activity %d is in the database already, with a different note", readExport(t, want).Activities[3].ID)},
		{"activity time", func(x *handlers.Export) { x.Activities[0].At = x.Activities[0].At.Add(time.Second) }, "with a different at"},
		{"lead", func(x *handlers.Export) { x.Leads[0].Name = "Someone Else" }, "lead 1 is in the database already, with a different name"},
		{"lead BANT", func(x *handlers.Export) { x.Leads[0].BANTNotes.Budget = "none" }, "with a different bant.budget.note"},
		{"opportunity history", func(x *handlers.Export) { x.Opportunities[0].History[0].By = "nobody" }, "with a different history[0].by"},
		{"rep", func(x *handlers.Export) { x.Reps[0].TimeZone = "Europe/Paris" }, "rep " + readExport(t, want).Reps[0].ID + " is in the database already, with a different time_zone"},
		{"team", func(x *handlers.Export) { x.Teams[0].Members = append(x.Teams[0].Members, "newcomer") }, "with a different members"},
		{"campaign", func(x *handlers.Export) { x.Campaigns[0].Kind = "ads" }, "campaign 1 is in the database already, with a different kind"},
		{"campaign name", func(x *handlers.Export) {
			x.Campaigns = append(x.Campaigns, &touchbase.Campaign{ID: 99, Name: x.Campaigns[0].Name})
		}, "campaign 99 is named"},
		{"account", func(x *handlers.Export) { x.Accounts[0].Owner = "nobody" }, "account 1 is in the database already, with a different owner"},
		{"contact", func(x *handlers.Export) { x.Contacts[0].Title = "CEO" }, "with a different title"},
		{"handoff", func(x *handlers.Export) { x.Handoffs[0].To = "nobody" }, "with a different to"},
		{"renewal", func(x *handlers.Export) { x.Renewals[0].ARRMinor++ }, "with a different arr_minor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := readExport(t, want)
			tt.edit(x)
			// A record that is new comes before the one at fault.
			x.Leads = append([]*handlers.ExportLead{{Lead: &touchbase.Lead{ID: 9999, Name: "New Person", Status: touchbase.LeadNew}}}, x.Leads...)
			err := handlers.ImportData(context.Background(), g.db, x)
			if touchbase.ErrorCode(err) != touchbase.ECONFLICT {
				t.Fatalf("import: %v, want a conflict", err)
			}
			if msg := touchbase.ErrorMessage(err); !strings.Contains(msg, tt.want) || !strings.Contains(msg, "nothing was imported") {
				t.Fatalf("message %q, want %q and that nothing was imported", msg, tt.want)
			}
			if g.export() != want {
				t.Fatal("a refused import changed the data")
			}
		})
	}
}

// Ensure an export with a record at fault is refused with a message that
// names it, and nothing is written, wherever the record is.
func TestImport_Invalid(t *testing.T) {
	src := demoExport(t)
	empty := newFixture(t).export()
	lastID := func(x *handlers.Export) uint64 { return x.Activities[len(x.Activities)-1].ID }
	tests := []struct {
		name string
		edit func(x *handlers.Export)
		want string
	}{
		{"activity without id", func(x *handlers.Export) { x.Activities[5].ID = 0 }, "activities[5]: id is missing"},
		{"activity of no kind", func(x *handlers.Export) { x.Activities[5].Kind = "lunch" }, `activities[5]: kind "lunch" is not one of call, email`},
		{"activity without owner", func(x *handlers.Export) { x.Activities[5].Owner = "" }, "activities[5]: owner is missing"},
		{"activity without time", func(x *handlers.Export) { x.Activities[5].At = time.Time{} }, "activities[5]: at is missing"},
		{"activity with nobody", func(x *handlers.Export) { x.Activities[5].LeadID, x.Activities[5].OpportunityID = 0, 0 }, "activities[5]: lead_id and opportunity_id are both missing"},
		{"activity in year 0", func(x *handlers.Export) { x.Activities[5].At = time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC) }, "activities[5]: at 0000-06-01T00:00:00Z is outside the years 1 to 9999"},
		{"activity twice", func(x *handlers.Export) { x.Activities[7].ID = x.Activities[2].ID }, "appears twice in the file"},
		{"activity null", func(x *handlers.Export) { x.Activities[5] = nil }, "activities[5] is empty"},
		{"activity of a lead nowhere", func(x *handlers.Export) { x.Activities[len(x.Activities)-1].LeadID = 4242 }, "lead_id is 4242, and there is no such lead in the file or in the database"},
		{"activity of an opportunity nowhere", func(x *handlers.Export) {
			a := x.Activities[len(x.Activities)-1]
			a.LeadID, a.OpportunityID = 0, 4343
		}, "opportunity_id is 4343, and there is no such opportunity"},
		{"lead without id", func(x *handlers.Export) { x.Leads[3].ID = 0 }, "leads[3]: id is missing"},
		{"lead without a name", func(x *handlers.Export) { x.Leads[3].Name, x.Leads[3].Company = "", "" }, "leads[3]: name and company are both missing"},
		{"lead twice", func(x *handlers.Export) { x.Leads[4].ID = x.Leads[3].ID }, "leads[3] and leads[4] are both lead"},
		{"lead null", func(x *handlers.Export) { x.Leads[3] = nil }, "leads[3] is empty"},
		{"lead of an account nowhere", func(x *handlers.Export) { x.Leads[3].AccountID = 777 }, "leads[3]: account_id is 777, and there is no such account"},
		{"lead created in year 10000", func(x *handlers.Export) {
			x.Leads[3].CreatedAt = time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("", -2*3600))
		}, "leads[3]: created_at 9999-12-31T23:00:00-02:00 is outside the years 1 to 9999"},
		{"lead with a long email", func(x *handlers.Export) { x.Leads[3].Email = strings.Repeat("a", 40000) }, "leads[3]: email is 40000 bytes long"},
		{"opportunity history in year 0", func(x *handlers.Export) {
			x.Opportunities[1].History[0].At = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
		}, "opportunities[1]: history[0].at 0000-01-01T00:00:00Z is outside"},
		{"opportunity of a lead nowhere", func(x *handlers.Export) { x.Opportunities[1].LeadID = 5555 }, "opportunities[1]: lead_id is 5555"},
		{"contact of an account nowhere", func(x *handlers.Export) { x.Contacts[0].AccountID = 6666 }, "contacts[0]: account_id is 6666"},
		{"rep without id", func(x *handlers.Export) { x.Reps[1].ID = "" }, "reps[1]: id is missing"},
		{"team without a name", func(x *handlers.Export) { x.Teams[1].Name = " " }, "teams[1]: name is missing"},
		{"team of no function", func(x *handlers.Export) { x.Teams[1].Function = "legal" }, `teams[1]: function "legal"`},
		{"teams of one name", func(x *handlers.Export) { x.Teams[1].Name = strings.ToUpper(x.Teams[0].Name) }, "teams[0] and teams[1] are both team"},
		{"campaigns of one name", func(x *handlers.Export) { x.Campaigns[1].Name = x.Campaigns[0].Name }, "campaigns[0] and campaigns[1] have the same name"},
		{"handoff of an opportunity nowhere", func(x *handlers.Export) { x.Handoffs[0].OpportunityID = 8888 }, "handoffs[0]: opportunity_id is 8888"},
		{"renewal without an account", func(x *handlers.Export) { x.Renewals[len(x.Renewals)-1].AccountID = 0 }, "account_id is missing: a renewal is of an account"},
		{"renewal last, of an account nowhere", func(x *handlers.Export) { x.Renewals[len(x.Renewals)-1].AccountID = 9999 }, "account_id is 9999, and there is no such account"},
		{"renewal without id", func(x *handlers.Export) { x.Renewals[0].ID = 0 }, "renewals[0]: id is missing"},
		{"last activity without id", func(x *handlers.Export) { x.Activities[len(x.Activities)-1].ID = 0 }, "id is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := readExport(t, src)
			if lastID(x) == 0 {
				t.Fatal("the demo has no activities")
			}
			tt.edit(x)
			g := newFixture(t)
			err := handlers.ImportData(context.Background(), g.db, x)
			if touchbase.ErrorCode(err) != touchbase.EINVALID {
				t.Fatalf("import: %v, want it refused as invalid", err)
			}
			if msg := touchbase.ErrorMessage(err); !strings.Contains(msg, tt.want) || !strings.HasSuffix(msg, "; nothing was imported") {
				t.Fatalf("message %q, want %q and that nothing was imported", msg, tt.want)
			}
			if g.export() != empty {
				t.Fatal("a refused import wrote something")
			}
		})
	}
}

// Ensure an activity may refer to a lead stored before, not in the file.
func TestImport_ReferenceToStored(t *testing.T) {
	f := newFixture(t)
	f.ok("sato", `/lead "Taro Yamada" company:"Acme KK"`)
	x := &handlers.Export{Activities: []*touchbase.Activity{
		{ID: 10, Kind: touchbase.ActivityCall, Owner: "sato", At: monday, LeadID: 1, Note: "from the old system"},
	}}
	if err := handlers.ImportData(context.Background(), f.db, x); err != nil {
		t.Fatal(err)
	}
	var got []uint64
	if err := f.db.View(context.Background(), func(tx touchbase.Tx) error {
		return tx.Activities(touchbase.ActivityFilter{LeadID: 1}, func(a *touchbase.Activity) error { got = append(got, a.ID); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != 10 {
		t.Fatalf("activities of lead 1: %v, want [10]", got)
	}
}

// openFile writes s to a file in t's temporary directory and opens it.
func openFile(t *testing.T, s string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.json")
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Ensure ImportFile imports what ImportData does, whatever the order of
// the keys, in chunks and again after a crash.
func TestImportFile(t *testing.T) {
	want := demoExport(t)
	g := newFixture(t)
	res, err := (&handlers.Importer{DB: g.db, Chunk: 300}).ImportFile(context.Background(), openFile(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if got := g.export(); got != want {
		t.Fatalf("export after ImportFile differs:\n got %s\nwant %s", got, want)
	}
	total, chunks := records(readExport(t, want), 300)
	if written, _ := res.Total(); written != total || res.Chunks != chunks {
		t.Fatalf("written=%d Chunks=%d, want %d and %d", written, res.Chunks, total, chunks)
	}

	// The activities first and the version last, stopped after 3 chunks.
	i := strings.Index(want, `  "activities": [`)
	j := strings.Index(want, `  "handoffs": [`)
	v := strings.Index(want, `  "exported_at"`)
	reordered := "{\n" + want[i:j] + want[v:i] + want[j:len(want)-3] + ",\n" + `  "version": 1` + "\n}\n"
	h := newFixture(t)
	if _, err := (&handlers.Importer{DB: &crashingDB{h.db, 3}, Chunk: 300}).ImportFile(context.Background(), openFile(t, reordered)); !errors.Is(err, errCrash) {
		t.Fatalf("crashed import: %v", err)
	}
	res, err = (&handlers.Importer{DB: h.db, Chunk: 300}).ImportFile(context.Background(), openFile(t, reordered))
	if err != nil {
		t.Fatal(err)
	}
	if got := h.export(); got != want {
		t.Fatalf("export after ImportFile of the reordered file differs:\n got %s\nwant %s", got, want)
	}
	if _, skipped := res.Total(); skipped != sum(chunkSizes(readExport(t, want), 300)[:3]) {
		t.Fatalf("skipped=%d, want the records of the 3 chunks committed", skipped)
	}
	mustCheck(t, h.db)
}

// Ensure ImportFile refuses what is not an export, with a message that
// says what is wrong, and writes nothing.
func TestImportFile_Invalid(t *testing.T) {
	src := demoExport(t)
	empty := newFixture(t).export()
	activities := src[:strings.Index(src, `"activities": [`)]
	tests := []struct {
		name, file, want string
	}{
		{"not json", "hello", "the file is not a touchbase export: invalid character"},
		{"a list", "[]", "the file is not a touchbase export: found [ where { belongs"},
		{"unknown key", strings.Replace(src, `"teams"`, `"squads"`, 1), `unknown field "squads"`},
		{"unknown field of an activity", activities + strings.Replace(src[len(activities):], `"owner"`, `"ownr"`, 1), `activities[0]: json: unknown field "ownr"`},
		{"a key twice", strings.Replace(src, `"handoffs"`, `"activities": [], "handoffs"`, 1), `"activities" appears twice`},
		{"version 2", strings.Replace(src, `"version": 1`, `"version": 2`, 1), "export version 2 is not supported"},
		{"no version", strings.Replace(src, `"version": 1,`, ``, 1), "export version 0 is not supported"},
		{"cut short", src[:len(src)/2], "the file is not a touchbase export"},
		{"more after", src + "{}", "more follows the export"},
		{"an activity at fault", strings.Replace(src, `"kind": "call"`, `"kind": "lunch"`, 1), `kind "lunch" is not one of`},
		{"activities not a list", strings.Replace(src, `"activities": [`, `"activities": {"x": [`, 1), "activities is not a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFixture(t)
			_, err := (&handlers.Importer{DB: g.db, Chunk: 50}).ImportFile(context.Background(), openFile(t, tt.file))
			if touchbase.ErrorCode(err) != touchbase.EINVALID || !strings.Contains(touchbase.ErrorMessage(err), tt.want) {
				t.Fatalf("import: %v, want it refused with %q", err, tt.want)
			}
			if g.export() != empty {
				t.Fatal("a refused import wrote something")
			}
		})
	}
	// Ensure null activities are none.
	g := newFixture(t)
	i, j := strings.Index(src, `"activities": [`), strings.Index(src, `  "handoffs"`)
	file := src[:i] + `"activities": null,` + "\n" + src[j:]
	res, err := (&handlers.Importer{DB: g.db}).ImportFile(context.Background(), openFile(t, file))
	if err != nil || res.Written["activities"] != 0 || res.Written["leads"] == 0 {
		t.Fatalf("import with null activities: %v %+v", err, res)
	}
}
