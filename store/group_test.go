package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// group queues Updates on db while the committer is held inside another,
// so that they are committed as one group, in the order given.
type group struct {
	tb      testing.TB
	db      *store.DB
	release chan struct{}
	wg      sync.WaitGroup
	errs    []error
	panics  []any
}

// holdCommitter starts an Update that waits for the group's release, and
// returns once the committer is inside it.
func holdCommitter(tb testing.TB, db *store.DB) *group {
	g := &group{tb: tb, db: db, release: make(chan struct{})}
	inside := make(chan struct{})
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		_ = db.Update(context.Background(), func(touchbase.Tx) error {
			close(inside)
			<-g.release
			return nil
		})
	}()
	<-inside
	return g
}

// add queues fn behind those added before, and returns once it is queued.
func (g *group) add(ctx context.Context, fn func(touchbase.Tx) error) {
	i := len(g.errs)
	g.errs, g.panics = append(g.errs, nil), append(g.panics, nil)
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer func() { g.panics[i] = recover() }()
		g.errs[i] = g.db.Update(ctx, fn)
	}()
	for store.Waiting(g.db) < i+1 {
		runtime.Gosched()
	}
}

// commit lets the committer go and waits for every Update of the group.
func (g *group) commit() {
	close(g.release)
	g.wg.Wait()
}

var errRefused = touchbase.Errorf(touchbase.EINVALID, "refused")

// seedGroupDB writes the records the group tests change.
func seedGroupDB(tb testing.TB, db *store.DB) {
	MustUpdate(tb, db, func(tx touchbase.Tx) error {
		for i := 1; i <= 3; i++ {
			l := &touchbase.Lead{Name: fmt.Sprintf("Taro %d", i), Company: "Acme KK", Email: fmt.Sprintf("t%d@acme.co.jp", i),
				Owner: "U1", Status: touchbase.LeadNew, NextFollowUp: day(i), CreatedAt: at(1, 9), UpdatedAt: at(1, 9)}
			if err := tx.CreateLead(l); err != nil {
				return err
			}
		}
		_, err := tx.Claim("event/seed", at(1, 9))
		return err
	})
}

// The Updates of the group tests: the good ones, and bad ones that write a
// little of everything before failing.
func goodLead(tx touchbase.Tx) error {
	return tx.CreateLead(&touchbase.Lead{Name: "Hanako Sato", Company: "Beta Inc.", Email: "h@beta.example", Owner: "U2",
		Status: touchbase.LeadNew, NextFollowUp: day(4), CreatedAt: at(2, 9), UpdatedAt: at(2, 9)})
}

func goodTouch(tx touchbase.Tx) error {
	l, err := tx.Lead(2)
	if err != nil {
		return err
	}
	l.Status, l.Touches, l.LastTouch, l.NextFollowUp, l.UpdatedAt = touchbase.LeadWorking, 1, at(2, 10), day(6), at(2, 10)
	if err := tx.UpdateLead(l); err != nil {
		return err
	}
	return tx.CreateActivity(&touchbase.Activity{Kind: touchbase.ActivityCall, Owner: "U1", LeadID: 2, At: at(2, 10), Note: "asked for pricing"})
}

func goodNotice(tx touchbase.Tx) error {
	if _, err := tx.Claim("event/good", at(2, 11)); err != nil {
		return err
	}
	_, err := tx.Enqueue(&touchbase.Message{Key: "notice/good/0", To: "U1", Body: []byte(`{"text":"ok"}`), CreatedAt: at(2, 11)})
	return err
}

func badEverything(tx touchbase.Tx) error {
	l, err := tx.Lead(1)
	if err != nil {
		return err
	}
	// Renamed, re-owned, re-dated and closed: every index of the lead moves.
	l.Name, l.Email, l.Owner, l.Status, l.NextFollowUp, l.UpdatedAt = "Jiro Suzuki", "j@gamma.example", "U3", touchbase.LeadDisqualified, touchbase.Date{}, at(3, 9)
	if err := tx.UpdateLead(l); err != nil {
		return err
	}
	if err := tx.CreateLead(&touchbase.Lead{Name: "Ghost", Owner: "U9", Status: touchbase.LeadNew, NextFollowUp: day(2), CreatedAt: at(3, 9), UpdatedAt: at(3, 9)}); err != nil {
		return err
	}
	if err := tx.CreateActivity(&touchbase.Activity{Kind: touchbase.ActivityEmail, Owner: "U3", LeadID: 1, At: at(3, 9)}); err != nil {
		return err
	}
	if _, err := tx.Claim("event/bad", at(3, 9)); err != nil {
		return err
	}
	if _, err := tx.Enqueue(&touchbase.Message{Key: "notice/bad/0", To: "U3", Body: []byte(`{"text":"no"}`), CreatedAt: at(3, 9)}); err != nil {
		return err
	}
	return errRefused
}

func badPanic(tx touchbase.Tx) error {
	if err := tx.CreateLead(&touchbase.Lead{Name: "Panic", Owner: "U1", Status: touchbase.LeadNew, CreatedAt: at(3, 9), UpdatedAt: at(3, 9)}); err != nil {
		return err
	}
	panic("boom")
}

func badNothing(touchbase.Tx) error { return errRefused }

// Ensure a group commit keeps exactly the writes of the Updates that
// succeeded: the file is byte for byte what committing only those, one by
// one, would have made, and each caller hears its own outcome.
func TestDB_Update_Group(t *testing.T) {
	ctx := context.Background()
	grouped, alone := MustOpenDB(t), MustOpenDB(t)
	seedGroupDB(t, grouped)
	seedGroupDB(t, alone)

	g := holdCommitter(t, grouped)
	for _, fn := range []func(touchbase.Tx) error{goodLead, badEverything, goodTouch, badPanic, badNothing, goodNotice, badEverything} {
		g.add(ctx, fn)
	}
	g.commit()
	wantErrs := []error{nil, errRefused, nil, nil, errRefused, nil, errRefused}
	for i, want := range wantErrs {
		if g.errs[i] != want {
			t.Errorf("Update %d: err=%v, want %v", i, g.errs[i], want)
		}
	}
	if g.panics[3] != "boom" {
		t.Errorf("Update 3: panic=%v, want boom raised again in its caller", g.panics[3])
	}

	for _, fn := range []func(touchbase.Tx) error{goodLead, goodTouch, goodNotice} {
		MustUpdate(t, alone, fn)
	}
	got, err := store.Dump(grouped)
	if err != nil {
		t.Fatal(err)
	}
	want, err := store.Dump(alone)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("grouped file differs from the good Updates committed alone:\n--- grouped\n%s\n--- alone\n%s", got, want)
	}
}

// Ensure an Update whose caller gave up while it waited writes nothing, and
// the rest of its group is committed.
func TestDB_Update_CanceledWhileWaiting(t *testing.T) {
	db := MustOpenDB(t)
	seedGroupDB(t, db)
	ctx, cancel := context.WithCancel(context.Background())
	g := holdCommitter(t, db)
	g.add(ctx, goodLead)
	g.add(context.Background(), goodNotice)
	cancel()
	g.commit()
	if !errors.Is(g.errs[0], context.Canceled) {
		t.Errorf("canceled Update: err=%v, want context.Canceled", g.errs[0])
	}
	if g.errs[1] != nil {
		t.Errorf("other Update: err=%v", g.errs[1])
	}
	MustView(t, db, func(tx touchbase.Tx) error {
		if _, err := tx.Lead(4); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			t.Errorf("Lead(4): err=%v, want ENOTFOUND: the canceled Update wrote", err)
		}
		if m, err := tx.MessageByKey("notice/good/0"); err != nil || m == nil {
			t.Errorf("MessageByKey: %v, %v; want the other Update's message", m, err)
		}
		return nil
	})
}

// Ensure Close commits what waits before it, and refuses Updates after.
func TestDB_Close_CommitsWaiting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	seedGroupDB(t, db)
	g := holdCommitter(t, db)
	g.add(context.Background(), goodLead)
	closed := make(chan error)
	go func() { closed <- db.Close() }()
	for !store.Closing(db) {
		runtime.Gosched()
	}
	if err := db.Update(context.Background(), goodNotice); err == nil {
		t.Fatal("Update while closing: err=nil")
	}
	g.commit()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if g.errs[0] != nil {
		t.Fatalf("waiting Update: err=%v, want committed", g.errs[0])
	}
	if err := db.Update(context.Background(), goodNotice); err == nil {
		t.Fatal("Update after Close: err=nil")
	}
	db = MustOpenDBAt(t, path)
	MustView(t, db, func(tx touchbase.Tx) error {
		if _, err := tx.Lead(4); err != nil {
			t.Errorf("Lead(4): %v; want the Update that waited at Close", err)
		}
		return nil
	})
}

// Ensure no code of the store writes to bbolt around the undo log: inside
// an Update, buckets come only from tx.bucket, whose writes remember how to
// be taken back. Only code that runs a bbolt transaction of its own (Open's
// migrations, PruneClaims, VerifyFile) opens bbolt buckets itself, and only the undo
// log's own methods write through to them.
func TestWritesGoThroughUndoLog(t *testing.T) {
	opens := map[string]bool{"bucket": true, "migrate": true, "PruneClaims": true, "VerifyFile": true}
	writesThrough := map[string]bool{"Put": true, "replace": true, "putNew": true, "Delete": true, "NextSequence": true, "SetSequence": true, "rollback": true}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			ast.Inspect(fd, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if fn, ok := call.Fun.(*ast.SelectorExpr); ok && (fn.Sel.Name == "Bucket" || strings.HasPrefix(fn.Sel.Name, "CreateBucket")) && !opens[fd.Name.Name] {
						t.Errorf("%s: %s opens a bbolt bucket itself; use tx.bucket", fset.Position(call.Pos()), fd.Name.Name)
					}
				}
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if inner, ok := sel.X.(*ast.SelectorExpr); ok && inner.Sel.Name == "Bucket" && !writesThrough[fd.Name.Name] {
					switch sel.Sel.Name {
					case "Put", "Delete", "NextSequence", "SetSequence":
						t.Errorf("%s: %s writes to a bbolt bucket around the undo log", fset.Position(sel.Pos()), fd.Name.Name)
					}
				}
				return true
			})
		}
	}
}

// Ensure an Update that writes nothing commits nothing: the file is not
// touched, so a job that finds nothing to do costs no fsync.
func TestDB_Update_NothingWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := MustOpenDBAt(t, path)
	seedGroupDB(t, db)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		_, err := tx.Lead(1)
		return err
	})
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("an Update that only read changed the file")
	}
	MustUpdate(t, db, goodLead)
	if after, _ = os.ReadFile(path); bytes.Equal(before, after) {
		t.Fatal("an Update that wrote left the file as it was")
	}
}

// openLingering opens a new database whose committer lingers for linger
// after a group of several Updates.
func openLingering(tb testing.TB, linger time.Duration) *store.DB {
	db := store.NewDB(filepath.Join(tb.TempDir(), "touchbase.db"))
	db.Linger = linger
	if err := db.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// startUpdate runs fn in an Update of its own and returns the channel its
// result arrives on.
func startUpdate(db *store.DB, fn func(touchbase.Tx) error) <-chan error {
	done := make(chan error, 1)
	go func() { done <- db.Update(context.Background(), fn) }()
	return done
}

// wrote is an Update that writes one claim of its own.
func wrote(key string) func(touchbase.Tx) error {
	return func(tx touchbase.Tx) error {
		_, err := tx.Claim(key, at(3, 9))
		return err
	}
}

// lingerGuard bounds how long the linger tests wait for what must happen
// at once, so that a broken linger fails them instead of hanging them.
// Their linger is far longer.
const lingerGuard = 30 * time.Second

// Ensure that after a group of several writes the committer waits for the
// next group to fill before committing it: writes queued one by one while
// it lingers are committed together, in one bbolt transaction.
func TestDB_Linger_FillsTheNextGroup(t *testing.T) {
	db := openLingering(t, time.Hour)
	seedGroupDB(t, db)
	g := holdCommitter(t, db)
	g.add(context.Background(), goodLead)
	g.add(context.Background(), goodNotice)
	g.commit() // the held Update alone, then a group of two: the committer lingers now
	commits0, updates0 := db.CommitStats()

	var pending []<-chan error
	for i := range 4 { // twice the last group: the fourth fills the group
		pending = append(pending, startUpdate(db, wrote(fmt.Sprintf("event/linger/%d", i))))
		for i < 3 && store.Waiting(db) < i+1 {
			select {
			case err := <-pending[0]:
				t.Fatalf("Update 0 returned (err=%v) while %d of 4 were queued: it was committed without waiting for the group", err, store.Waiting(db))
			default:
				runtime.Gosched()
			}
		}
	}
	for i, done := range pending {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("Update %d: %v", i, err)
			}
		case <-time.After(lingerGuard):
			t.Fatalf("Update %d still waits with a full group queued", i)
		}
	}
	commits, updates := db.CommitStats()
	if commits-commits0 != 1 || updates-updates0 != 4 {
		t.Fatalf("%d Updates in %d commits; want the 4 in one", updates-updates0, commits-commits0)
	}
}

// Ensure a writer alone is committed at once, however long the linger:
// only a group of several is followed by a wait.
func TestDB_Linger_NotAlone(t *testing.T) {
	db := openLingering(t, time.Hour)
	for i := range 3 {
		select {
		case err := <-startUpdate(db, wrote(fmt.Sprintf("event/alone/%d", i))):
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(lingerGuard):
			t.Fatalf("Update %d, alone, waits for the linger", i)
		}
	}
}

// Ensure Close does not wait for the linger, and commits what is queued.
func TestDB_Linger_Close(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	db.Linger = time.Hour
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	seedGroupDB(t, db)
	g := holdCommitter(t, db)
	g.add(context.Background(), goodLead)
	g.add(context.Background(), goodNotice)
	g.commit() // the committer lingers now
	late := startUpdate(db, goodTouch)
	for store.Waiting(db) < 1 {
		select {
		case err := <-late:
			t.Fatalf("the Update after a group returned (err=%v) before Close: the committer did not linger", err)
		default:
			runtime.Gosched()
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(lingerGuard):
		t.Fatal("Close waits for the linger")
	}
	if err := <-late; err != nil {
		t.Fatalf("the Update queued at Close: %v, want committed", err)
	}
	db = MustOpenDBAt(t, path)
	MustView(t, db, func(tx touchbase.Tx) error {
		if l, err := tx.Lead(2); err != nil || l.Touches != 1 {
			t.Errorf("Lead(2) = %+v, %v; want the touch queued at Close", l, err)
		}
		return nil
	})
}
