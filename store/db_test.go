package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
	"github.com/touchbase/touchbase/store/storetest"
)

// MustOpenDB and MustOpenDBAt open real stores, checked and closed when
// the test ends.
var (
	MustOpenDB   = storetest.MustOpenDB
	MustOpenDBAt = storetest.MustOpenDBAt
)

// MustUpdate runs fn in an Update and fails the test on an error.
func MustUpdate(tb testing.TB, db *store.DB, fn func(touchbase.Tx) error) {
	tb.Helper()
	if err := db.Update(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// MustView runs fn in a View and fails the test on an error.
func MustView(tb testing.TB, db *store.DB, fn func(touchbase.Tx) error) {
	tb.Helper()
	if err := db.View(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// day returns the Date of 2027-03-d (or the normalised day beyond).
func day(d int) touchbase.Date { return touchbase.NewDate(2027, time.March, d) }

// at returns an instant on 2027-03-d at h:00 UTC.
func at(d, h int) time.Time { return time.Date(2027, time.March, d, h, 0, 0, 0, time.UTC) }

// seed stores one record of every kind and returns them as stored.
type seeded struct {
	rep      *touchbase.Rep
	team     *touchbase.Team
	lead     *touchbase.Lead
	account  *touchbase.Account
	contact  *touchbase.Contact
	opp      *touchbase.Opportunity
	campaign *touchbase.Campaign
	activity *touchbase.Activity
	handoff  *touchbase.Handoff
}

func seed(tb testing.TB, db *store.DB) seeded {
	tb.Helper()
	s := seeded{
		rep:      &touchbase.Rep{ID: "U1", Name: "Hanako Sato", TimeZone: "Asia/Tokyo", CreatedAt: at(1, 9)},
		team:     &touchbase.Team{Name: "IS Tokyo", Function: touchbase.InsideSales, Channel: "C1", Members: []string{"U1"}, Managers: []string{"U9"}, CreatedAt: at(1, 9)},
		lead:     &touchbase.Lead{Name: "Taro Yamada", Company: "Acme KK", Email: "taro@acme.co.jp", Owner: "U1", Status: touchbase.LeadWorking, NextFollowUp: day(5), CreatedAt: at(1, 10)},
		account:  &touchbase.Account{Name: "Acme KK", Owner: "U2", CreatedAt: at(2, 9)},
		contact:  &touchbase.Contact{Name: "Taro Yamada", Title: "CIO", Role: touchbase.RoleDecisionMaker, CreatedAt: at(2, 9)},
		campaign: &touchbase.Campaign{Name: "Nov webinar", Kind: "webinar", CreatedAt: at(1, 8)},
	}
	MustUpdate(tb, db, func(tx touchbase.Tx) error {
		if err := tx.PutRep(s.rep); err != nil {
			return err
		} else if err := tx.PutTeam(s.team); err != nil {
			return err
		} else if err := tx.CreateCampaign(s.campaign); err != nil {
			return err
		} else if err := tx.CreateLead(s.lead); err != nil {
			return err
		} else if err := tx.CreateAccount(s.account); err != nil {
			return err
		}
		s.contact.AccountID = s.account.ID
		if err := tx.CreateContact(s.contact); err != nil {
			return err
		}
		s.opp = &touchbase.Opportunity{AccountID: s.account.ID, ContactID: s.contact.ID, LeadID: s.lead.ID, Name: "ERP rollout",
			AmountMinor: 5_000_000, Currency: "JPY", CloseDate: day(31), Stage: 1, Status: touchbase.OpportunityOpen, Owner: "U2",
			NextFollowUp: day(6), StageEnteredAt: at(2, 9),
			History:   []touchbase.StageChange{{At: at(2, 9), By: "U1", Kind: touchbase.StageCreated, To: 1}},
			CreatedAt: at(2, 9)}
		if err := tx.CreateOpportunity(s.opp); err != nil {
			return err
		}
		s.activity = &touchbase.Activity{Kind: touchbase.ActivityCall, Owner: "U1", At: at(3, 11), LeadID: s.lead.ID, Note: "asked for pricing"}
		if err := tx.CreateActivity(s.activity); err != nil {
			return err
		}
		s.handoff = &touchbase.Handoff{At: at(2, 9), Kind: touchbase.HandoffSQL, From: "U1", To: "U2", LeadID: s.lead.ID, OpportunityID: s.opp.ID}
		return tx.CreateHandoff(s.handoff)
	})
	return s
}

// checkSeeded fails unless db holds what seed stored.
func checkSeeded(tb testing.TB, db *store.DB, s seeded) {
	tb.Helper()
	MustView(tb, db, func(tx touchbase.Tx) error {
		checks := []struct {
			name string
			get  func() (any, error)
			want any
		}{
			{"rep", func() (any, error) { return tx.Rep("U1") }, s.rep},
			{"team", func() (any, error) { return tx.Team("IS Tokyo") }, s.team},
			{"lead", func() (any, error) { return tx.Lead(s.lead.ID) }, s.lead},
			{"account", func() (any, error) { return tx.Account(s.account.ID) }, s.account},
			{"contact", func() (any, error) { return tx.Contact(s.contact.ID) }, s.contact},
			{"opportunity", func() (any, error) { return tx.Opportunity(s.opp.ID) }, s.opp},
			{"campaign", func() (any, error) { return tx.Campaign("Nov webinar") }, s.campaign},
			{"handoffs", func() (any, error) { h, err := tx.Handoffs(); return h, err }, []*touchbase.Handoff{s.handoff}},
			{"activities", func() (any, error) {
				var got []*touchbase.Activity
				err := tx.Activities(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error { got = append(got, a); return nil })
				return got, err
			}, []*touchbase.Activity{s.activity}},
		}
		for _, c := range checks {
			got, err := c.get()
			if err != nil {
				tb.Errorf("%s: %v", c.name, err)
			} else if !reflect.DeepEqual(got, c.want) {
				tb.Errorf("%s=%+v, want %+v", c.name, got, c.want)
			}
		}
		return nil
	})
}

// Ensure a new file records the current schema version.
func TestDB_Open_SchemaVersion(t *testing.T) {
	db := MustOpenDB(t)
	got, err := store.StoredSchemaVersion(db)
	if err != nil {
		t.Fatal(err)
	}
	if want := store.SchemaVersion; got != want {
		t.Fatalf("version=%d, want %d", got, want)
	}
}

// Ensure a file of a newer schema is refused and left as it was.
func TestDB_Open_NewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	if err := store.SetStoredSchemaVersion(db, store.SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	err := store.NewDB(path).Open()
	if !errors.Is(err, store.ErrSchemaNewer) {
		t.Fatalf("Open=%v, want ErrSchemaNewer", err)
	}

	// The refused Open released the file: a second one is refused the same
	// way rather than timing out on the lock.
	if err := store.NewDB(path).Open(); !errors.Is(err, store.ErrSchemaNewer) {
		t.Fatalf("second Open=%v, want ErrSchemaNewer", err)
	}
}

// Ensure a file of schema version 1 is upgraded when opened: it gets the
// claim, outbox and renewal buckets and the current version, keeps its
// records, and claims and queues messages from then on.
func TestDB_Open_MigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	s := seed(t, db)
	if err := store.DowngradeTo(db, 1); err != nil {
		t.Fatal(err)
	}
	if got, err := store.StoredSchemaVersion(db); err != nil {
		t.Fatal(err)
	} else if want := uint64(1); got != want {
		t.Fatalf("version before=%d, want %d", got, want)
	}
	before, err := store.BucketNames(db)
	if err != nil {
		t.Fatal(err)
	} else if slices.Contains(before, "claims") || slices.Contains(before, "outbox") {
		t.Fatalf("buckets before=%v, want no claims or outbox", before)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDBAt(t, path)
	if got, err := store.StoredSchemaVersion(db); err != nil {
		t.Fatal(err)
	} else if want := uint64(6); got != want || want != store.SchemaVersion {
		t.Fatalf("version=%d, want %d (SchemaVersion %d)", got, want, store.SchemaVersion)
	}
	want := []string{"claims", "claims_by_time", "conversations", "lead_owner_due", "opp_owner_due", "outbox", "outbox_due", "outbox_keys",
		"renewal_account", "renewal_due", "renewal_owner", "renewals"}
	if added := addedBuckets(t, db, before); !slices.Equal(added, want) {
		t.Fatalf("buckets added=%v, want %v", added, want)
	}
	checkSeeded(t, db, s)

	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if ok, err := tx.Claim("Ev1", at(4, 9)); err != nil {
			return err
		} else if !ok {
			t.Error("Claim=false, want true")
		}
		if n, err := tx.OutboxDepth(); err != nil {
			return err
		} else if n != 0 {
			t.Errorf("depth=%d, want 0", n)
		}
		if ok, err := tx.Enqueue(&touchbase.Message{Key: "a", CreatedAt: at(4, 9)}); err != nil {
			return err
		} else if !ok {
			t.Error("Enqueue=false, want true")
		}
		if n, err := tx.OutboxDepth(); err != nil {
			return err
		} else if n != 1 {
			t.Errorf("depth=%d, want 1", n)
		}
		return nil
	})
}

// addedBuckets returns the names of db's buckets not in before, in order.
func addedBuckets(tb testing.TB, db *store.DB, before []string) []string {
	tb.Helper()
	got, err := store.BucketNames(db)
	if err != nil {
		tb.Fatal(err)
	}
	var added []string
	for _, name := range got {
		if !slices.Contains(before, name) {
			added = append(added, name)
		}
	}
	return added
}

// Ensure a file of schema version 2 is upgraded when opened: it gets the
// renewal buckets and the current version, keeps its records, claims and
// queued messages, and stores and finds renewals from then on.
func TestDB_Open_MigrateV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	s := seed(t, db)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if _, err := tx.Claim("Ev1", at(3, 9)); err != nil {
			return err
		}
		_, err := tx.Enqueue(&touchbase.Message{Key: "a", CreatedAt: at(3, 9)})
		return err
	})
	if err := store.DowngradeTo(db, 2); err != nil {
		t.Fatal(err)
	}
	if got, err := store.StoredSchemaVersion(db); err != nil {
		t.Fatal(err)
	} else if want := uint64(2); got != want {
		t.Fatalf("version before=%d, want %d", got, want)
	}
	before, err := store.BucketNames(db)
	if err != nil {
		t.Fatal(err)
	} else if slices.Contains(before, "renewals") || !slices.Contains(before, "outbox") {
		t.Fatalf("buckets before=%v, want an outbox and no renewals", before)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDBAt(t, path)
	if got, err := store.StoredSchemaVersion(db); err != nil {
		t.Fatal(err)
	} else if want := store.SchemaVersion; got != want {
		t.Fatalf("version=%d, want %d", got, want)
	}
	if added, want := addedBuckets(t, db, before), []string{"conversations", "lead_owner_due", "opp_owner_due", "renewal_account", "renewal_due", "renewal_owner", "renewals"}; !slices.Equal(added, want) {
		t.Fatalf("buckets added=%v, want %v", added, want)
	}
	checkSeeded(t, db, s)

	MustUpdate(t, db, func(tx touchbase.Tx) error {
		if ok, err := tx.Claim("Ev1", at(4, 9)); err != nil {
			return err
		} else if ok {
			t.Error("Claim=true, want false: claimed before the upgrade")
		}
		if n, err := tx.OutboxDepth(); err != nil {
			return err
		} else if n != 1 {
			t.Errorf("depth=%d, want 1", n)
		}
		if rs, err := tx.Renewals(touchbase.RenewalFilter{}); err != nil {
			return err
		} else if len(rs) != 0 {
			t.Errorf("Renewals=%d, want none", len(rs))
		}
		r := &touchbase.Renewal{AccountID: s.account.ID, OpportunityID: s.opp.ID, Owner: "U3", Status: touchbase.RenewalPending,
			Start: day(31), Due: day(31).AddMonths(12), TermMonths: 12}
		if err := tx.CreateRenewal(r); err != nil {
			return err
		} else if got, want := r.ID, uint64(1); got != want {
			t.Errorf("ID=%d, want %d", got, want)
		}
		if got := renewalIDs(t, tx, touchbase.RenewalFilter{DueBy: r.Due}); !slices.Equal(got, []uint64{1}) {
			t.Errorf("Renewals(due)=%v, want [1]", got)
		}
		return nil
	})
}

// Ensure everything stored survives Close and a new Open.
func TestDB_Reopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	s := seed(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDBAt(t, path)
	checkSeeded(t, db, s)

	// The sequences survive too: the next lead gets the next ID.
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		l := &touchbase.Lead{Name: "Jiro"}
		if err := tx.CreateLead(l); err != nil {
			return err
		}
		if got, want := l.ID, s.lead.ID+1; got != want {
			t.Errorf("ID=%d, want %d", got, want)
		}
		return nil
	})
}

// Ensure an error from fn rolls back everything fn wrote, indexes included.
func TestDB_Update_Rollback(t *testing.T) {
	db := MustOpenDB(t)
	errBoom := errors.New("boom")
	err := db.Update(context.Background(), func(tx touchbase.Tx) error {
		if err := tx.CreateLead(&touchbase.Lead{Name: "Taro Yamada", Owner: "U1", Email: "taro@acme.co.jp", Status: touchbase.LeadNew, NextFollowUp: day(1)}); err != nil {
			return err
		}
		if err := tx.CreateAccount(&touchbase.Account{Name: "Acme"}); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update=%v, want %v", err, errBoom)
	}
	assertEmpty(t, db)
}

// Ensure a cancelled context stops Update and View before they start.
func TestDB_CancelledContext(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := db.Update(ctx, func(tx touchbase.Tx) error {
		called = true
		return tx.CreateLead(&touchbase.Lead{Name: "Taro Yamada", Owner: "U1"})
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update=%v, want %v", err, context.Canceled)
	} else if called {
		t.Fatal("fn called")
	}
	if err := db.View(ctx, func(touchbase.Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("View=%v, want %v", err, context.Canceled)
	} else if called {
		t.Fatal("fn called")
	}
	assertEmpty(t, db)
}

// assertEmpty fails unless db holds no lead or account, in the records or
// the indexes, and the next lead would get ID 1.
func assertEmpty(tb testing.TB, db *store.DB) {
	tb.Helper()
	MustView(tb, db, func(tx touchbase.Tx) error {
		for _, f := range []touchbase.LeadFilter{{}, {Owner: "U1"}, {DueBy: day(31)}, {Email: "taro@acme.co.jp"}} {
			if got, err := tx.Leads(f); err != nil {
				return err
			} else if len(got) != 0 {
				tb.Errorf("Leads(%+v)=%d leads, want 0", f, len(got))
			}
		}
		if got, err := tx.Accounts(); err != nil {
			return err
		} else if len(got) != 0 {
			tb.Errorf("Accounts=%d, want 0", len(got))
		}
		if got, err := tx.Search("acme", 10); err != nil {
			return err
		} else if len(got) != 0 {
			tb.Errorf("Search=%v, want none", got)
		}
		return nil
	})
	MustUpdate(tb, db, func(tx touchbase.Tx) error {
		l := &touchbase.Lead{Name: "probe"}
		if err := tx.CreateLead(l); err != nil {
			return err
		} else if got, want := l.ID, uint64(1); got != want {
			tb.Errorf("ID=%d, want %d", got, want)
		}
		return nil
	})
}

// Ensure Backup writes a file that opens and holds the data, while the DB
// keeps serving.
func TestDB_Backup(t *testing.T) {
	db := MustOpenDB(t)
	s := seed(t, db)

	var buf bytes.Buffer
	n, err := db.Backup(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	} else if got, want := n, int64(buf.Len()); got != want || n == 0 {
		t.Fatalf("n=%d, want %d (>0)", got, want)
	}

	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.BackupFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("tmp file: %v, want it gone", err)
	}
	// The original still serves writes after the copy.
	MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.CreateLead(&touchbase.Lead{Name: "after"}) })

	checkSeeded(t, MustOpenDBAt(t, path), s)
}

// Ensure a failed BackupFile leaves neither the target nor a temporary file.
func TestDB_BackupFile_Cancelled(t *testing.T) {
	db := MustOpenDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.BackupFile(ctx, path); !errors.Is(err, context.Canceled) {
		t.Fatalf("BackupFile=%v, want %v", err, context.Canceled)
	}
	for _, p := range []string{path, path + ".tmp"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: %v, want no file", p, err)
		}
	}
}

// Ensure a backup taken while leads are being written holds a consistent
// prefix of them: each write is whole in the copy or absent from it.
func TestDB_Backup_WhileWriting(t *testing.T) {
	db := MustOpenDB(t)
	done := make(chan error)
	go func() {
		for i := range 50 {
			err := db.Update(context.Background(), func(tx touchbase.Tx) error {
				return tx.CreateLead(&touchbase.Lead{Name: fmt.Sprint("lead ", i), Owner: "U1"})
			})
			if err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.BackupFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	MustView(t, MustOpenDBAt(t, path), func(tx touchbase.Tx) error {
		all, err := tx.Leads(touchbase.LeadFilter{})
		if err != nil {
			return err
		}
		owned, err := tx.Leads(touchbase.LeadFilter{Owner: "U1"})
		if err != nil {
			return err
		}
		if got, want := len(owned), len(all); got != want {
			t.Fatalf("indexed=%d, want %d", got, want)
		}
		for i, l := range all {
			if got, want := l.ID, uint64(i+1); got != want {
				t.Fatalf("ID=%d, want %d", got, want)
			}
		}
		return nil
	})
}

// section returns the lines of a Dump for bucket name.
func section(dump, name string) string {
	var out []string
	in := false
	for _, line := range strings.Split(dump, "\n") {
		if line != "" && !strings.HasPrefix(line, " ") {
			in = strings.HasPrefix(line, name+" (sequence ")
		}
		if in {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// Ensure a file of schema version 5 is upgraded when opened: its name index
// is rebuilt as version 6 writes it, its activities, written whole, still
// read as they did, and a record renamed after it leaves nothing of its old
// name behind.
func TestDB_Open_MigrateV5(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	s := seed(t, db)
	fresh, err := store.Dump(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.DowngradeTo(db, 5); err != nil {
		t.Fatal(err)
	}
	old, err := store.Dump(db)
	if err != nil {
		t.Fatal(err)
	}
	if section(old, "names") == section(fresh, "names") || section(old, "activities") == section(fresh, "activities") {
		t.Fatal("the version 5 file writes names and activities as version 6 does")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDBAt(t, path)
	if got, err := store.StoredSchemaVersion(db); err != nil {
		t.Fatal(err)
	} else if got != store.SchemaVersion {
		t.Fatalf("version=%d, want %d", got, store.SchemaVersion)
	}
	migrated, err := store.Dump(db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := section(migrated, "names"), section(fresh, "names"); got != want {
		t.Fatalf("names after the migration:\n%s\nwant:\n%s", got, want)
	}
	checkSeeded(t, db, s)

	MustUpdate(t, db, func(tx touchbase.Tx) error {
		l, err := tx.Lead(s.lead.ID)
		if err != nil {
			return err
		}
		l.Name = "Jiro Suzuki"
		return tx.UpdateLead(l)
	})
	MustView(t, db, func(tx touchbase.Tx) error {
		if refs, err := tx.Search("taro", 0); err != nil {
			return err
		} else if len(refs) != 0 {
			t.Errorf("Search(taro)=%v, want none after the rename", refs)
		}
		if refs, err := tx.Search("jiro", 0); err != nil {
			return err
		} else if want := []touchbase.Ref{{Kind: touchbase.RefLead, ID: s.lead.ID}}; !slices.Equal(refs, want) {
			t.Errorf("Search(jiro)=%v, want %v", refs, want)
		}
		return nil
	})
}

// Ensure a compacted copy holds what its source held, sequences too, and
// takes new records after the last ID.
func TestCompactInto(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	s := seed(t, db)
	want, err := store.Dump(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	src, err := store.Lock(path, false)
	if err != nil {
		t.Fatal(err)
	}
	compacted := filepath.Join(dir, "compacted.db")
	if err := src.CompactInto(compacted); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	db = MustOpenDBAt(t, compacted)
	if got, err := store.Dump(db); err != nil {
		t.Fatal(err)
	} else if got != want {
		t.Fatalf("compacted:\n%s\nwant:\n%s", got, want)
	}
	checkSeeded(t, db, s)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		l := &touchbase.Lead{Name: "Ken Ito", Status: touchbase.LeadNew}
		if err := tx.CreateLead(l); err != nil {
			return err
		}
		if l.ID != s.lead.ID+1 {
			t.Errorf("new lead ID %d, want %d", l.ID, s.lead.ID+1)
		}
		return nil
	})
}
