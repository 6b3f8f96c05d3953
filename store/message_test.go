package store_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/store"
)

// mustEnqueue enqueues m in its own Update and returns what Enqueue said.
func mustEnqueue(tb testing.TB, db *store.DB, m *touchbase.Message) bool {
	tb.Helper()
	var ok bool
	MustUpdate(tb, db, func(tx touchbase.Tx) error {
		var err error
		ok, err = tx.Enqueue(m)
		return err
	})
	return ok
}

// dueIDs returns the IDs of DueMessages(now, limit).
func dueIDs(tb testing.TB, db *store.DB, now time.Time, limit int) []uint64 {
	tb.Helper()
	ids := []uint64{}
	MustView(tb, db, func(tx touchbase.Tx) error {
		ms, err := tx.DueMessages(now, limit)
		for _, m := range ms {
			ids = append(ids, m.ID)
		}
		return err
	})
	return ids
}

// depth returns OutboxDepth.
func depth(tb testing.TB, db *store.DB) int {
	tb.Helper()
	var n int
	MustView(tb, db, func(tx touchbase.Tx) error {
		var err error
		n, err = tx.OutboxDepth()
		return err
	})
	return n
}

// Ensure an enqueued message comes back whole from DueMessages, with the
// next ID and NextAttempt defaulting to CreatedAt, and that its Body is a
// copy that outlives the transaction and the file.
func TestTx_Enqueue(t *testing.T) {
	db := store.NewDB(filepath.Join(t.TempDir(), "touchbase.db"))
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	// A body this long puts the outbox on pages of its own in the file,
	// rather than inline in its parent (which bbolt copies to the heap).
	body := []byte(`{"text":"` + strings.Repeat("Lead 1 created. ", 200) + `"}`)
	want := &touchbase.Message{Key: "notice/cmd-1/0", To: "U1", Body: body, CreatedAt: at(1, 9)}
	if !mustEnqueue(t, db, want) {
		t.Fatal("Enqueue=false, want true")
	}
	if got, want := want.ID, uint64(1); got != want {
		t.Fatalf("ID=%d, want %d", got, want)
	}
	if got, want := want.NextAttempt, at(1, 9); !got.Equal(want) {
		t.Fatalf("NextAttempt=%v, want %v", got, want)
	}

	var got []*touchbase.Message
	MustView(t, db, func(tx touchbase.Tx) error {
		var err error
		got, err = tx.DueMessages(at(1, 9), 10)
		return err
	})
	// Closing unmaps the file: a Body still pointing into it would fault.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []*touchbase.Message{want}) {
		t.Fatalf("DueMessages=%+v, want %+v", got, []*touchbase.Message{want})
	}
}

// Ensure a second message with a key already in the outbox is not added,
// in the same transaction, in a later one and after the file is reopened,
// and even once the first was sent.
func TestTx_Enqueue_Dedupe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "touchbase.db")
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		t.Fatal(err)
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for i, want := range []bool{true, false} {
			m := &touchbase.Message{Key: "reminders/U1/2027-03-01", To: "U1", CreatedAt: at(1, 9)}
			if got, err := tx.Enqueue(m); err != nil {
				return err
			} else if got != want {
				t.Fatalf("Enqueue #%d=%v, want %v", i, got, want)
			}
		}
		return nil
	})
	m := &touchbase.Message{Key: "reminders/U1/2027-03-01", To: "U2", CreatedAt: at(1, 10)}
	if mustEnqueue(t, db, m) {
		t.Fatal("Enqueue in a later Update=true, want false")
	} else if got, want := m.ID, uint64(0); got != want {
		t.Fatalf("ID of the refused message=%d, want %d", got, want)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = MustOpenDBAt(t, path)
	if mustEnqueue(t, db, &touchbase.Message{Key: "reminders/U1/2027-03-01", CreatedAt: at(2, 9)}) {
		t.Fatal("Enqueue after reopen=true, want false")
	}
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		return tx.UpdateMessage(&touchbase.Message{ID: 1, Key: "reminders/U1/2027-03-01", To: "U1", CreatedAt: at(1, 9), SentAt: at(1, 9)})
	})
	if mustEnqueue(t, db, &touchbase.Message{Key: "reminders/U1/2027-03-01", CreatedAt: at(2, 9)}) {
		t.Fatal("Enqueue after sent=true, want false")
	}
	if got, want := dueIDs(t, db, at(31, 0), 0), []uint64{}; !slices.Equal(got, want) {
		t.Fatalf("due=%v, want %v", got, want)
	} else if got, want := depth(t, db), 0; got != want {
		t.Fatalf("depth=%d, want %d", got, want)
	}
	// The next message gets ID 2: the refused ones took no ID.
	m = &touchbase.Message{Key: "other", CreatedAt: at(2, 9)}
	if !mustEnqueue(t, db, m) {
		t.Fatal("Enqueue(other)=false, want true")
	} else if got, want := m.ID, uint64(2); got != want {
		t.Fatalf("ID=%d, want %d", got, want)
	}
}

// Ensure Enqueue refuses a message without a key, and one whose given ID
// is taken.
func TestTx_Enqueue_Invalid(t *testing.T) {
	db := MustOpenDB(t)
	mustEnqueue(t, db, &touchbase.Message{Key: "a", CreatedAt: at(1, 9)})
	tests := []struct {
		name string
		m    *touchbase.Message
		want string
	}{
		{"no key", &touchbase.Message{To: "U1", CreatedAt: at(1, 9)}, touchbase.EINVALID},
		{"ID taken", &touchbase.Message{ID: 1, Key: "b", CreatedAt: at(1, 9)}, touchbase.ECONFLICT},
	}
	for _, tt := range tests {
		err := db.Update(context.Background(), func(tx touchbase.Tx) error {
			_, err := tx.Enqueue(tt.m)
			return err
		})
		if got := touchbase.ErrorCode(err); got != tt.want {
			t.Errorf("%s: Enqueue=%v, want %s", tt.name, err, tt.want)
		}
	}
	if got, want := depth(t, db), 1; got != want {
		t.Fatalf("depth=%d, want %d", got, want)
	}
}

// Ensure DueMessages returns the messages due by now, oldest NextAttempt
// first and by ID among equal times, at most limit of them.
func TestTx_DueMessages(t *testing.T) {
	db := MustOpenDB(t)
	MustUpdate(t, db, func(tx touchbase.Tx) error {
		for i, next := range []time.Time{
			at(2, 9),                      // 1
			at(1, 9),                      // 2
			at(3, 9),                      // 3
			at(1, 9),                      // 4
			at(2, 9).Add(-1),              // 5
			{},                            // 6: CreatedAt, day 1 at 8:00
			at(2, 9).Add(time.Nanosecond), // 7
		} {
			m := &touchbase.Message{Key: string(rune('a' + i)), CreatedAt: at(1, 8), NextAttempt: next}
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
		}
		// In the same transaction, the depth counts what it wrote.
		if got, err := tx.OutboxDepth(); err != nil {
			return err
		} else if want := 7; got != want {
			t.Fatalf("depth in Update=%d, want %d", got, want)
		}
		return nil
	})

	tests := []struct {
		name  string
		now   time.Time
		limit int
		want  []uint64
	}{
		{"before all", at(1, 7), 10, []uint64{}},
		{"at the first", at(1, 8), 10, []uint64{6}},
		{"ties by ID", at(1, 9), 10, []uint64{6, 2, 4}},
		{"bound is inclusive", at(2, 9), 10, []uint64{6, 2, 4, 5, 1}},
		{"a nanosecond later", at(2, 9).Add(time.Nanosecond), 10, []uint64{6, 2, 4, 5, 1, 7}},
		{"all", at(31, 0), 10, []uint64{6, 2, 4, 5, 1, 7, 3}},
		{"limit", at(31, 0), 3, []uint64{6, 2, 4}},
		{"limit 1", at(31, 0), 1, []uint64{6}},
		{"no limit", at(31, 0), 0, []uint64{6, 2, 4, 5, 1, 7, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dueIDs(t, db, tt.now, tt.limit); !slices.Equal(got, tt.want) {
				t.Fatalf("due=%v, want %v", got, tt.want)
			}
		})
	}
	if got, want := depth(t, db), 7; got != want {
		t.Fatalf("depth=%d, want %d", got, want)
	}
}

// Ensure recording delivery attempts keeps the due index and the depth
// right: a sent message leaves them, a retry moved later is hidden until its
// time, a failed one leaves them, and a message moved back to pending
// returns.
func TestTx_UpdateMessage(t *testing.T) {
	db := MustOpenDB(t)
	ms := make([]*touchbase.Message, 3)
	for i := range ms {
		ms[i] = &touchbase.Message{Key: string(rune('a' + i)), To: "U1", Body: []byte("hi"), CreatedAt: at(1, 9)}
		mustEnqueue(t, db, ms[i])
	}
	update := func(m *touchbase.Message) {
		t.Helper()
		MustUpdate(t, db, func(tx touchbase.Tx) error { return tx.UpdateMessage(m) })
	}

	// Message 1 is sent.
	ms[0].Attempts, ms[0].SentAt, ms[0].Ref = 1, at(1, 9), "1700000000.000100"
	update(ms[0])
	if got, want := dueIDs(t, db, at(1, 9), 0), []uint64{2, 3}; !slices.Equal(got, want) {
		t.Fatalf("due after sent=%v, want %v", got, want)
	} else if got, want := depth(t, db), 2; got != want {
		t.Fatalf("depth after sent=%d, want %d", got, want)
	}

	// Message 2 failed once and is retried in an hour.
	ms[1].Attempts, ms[1].Error, ms[1].NextAttempt = 1, "ratelimited", at(1, 10)
	update(ms[1])
	for _, tt := range []struct {
		now  time.Time
		want []uint64
	}{
		{at(1, 9), []uint64{3}},
		{at(1, 10).Add(-time.Nanosecond), []uint64{3}},
		{at(1, 10), []uint64{3, 2}},
	} {
		if got := dueIDs(t, db, tt.now, 0); !slices.Equal(got, tt.want) {
			t.Fatalf("due at %v after retry=%v, want %v", tt.now, got, tt.want)
		}
	}
	if got, want := depth(t, db), 2; got != want {
		t.Fatalf("depth after retry=%d, want %d", got, want)
	}

	// Message 3 is given up on.
	ms[2].Attempts, ms[2].Error, ms[2].Failed = 5, "channel_not_found", true
	update(ms[2])
	if got, want := dueIDs(t, db, at(31, 0), 0), []uint64{2}; !slices.Equal(got, want) {
		t.Fatalf("due after failed=%v, want %v", got, want)
	} else if got, want := depth(t, db), 1; got != want {
		t.Fatalf("depth after failed=%d, want %d", got, want)
	}

	// Updating a message that stays sent or failed changes nothing; one
	// set pending again (an operator's retry) comes back.
	ms[0].Attempts = 2
	update(ms[0])
	ms[2].Failed, ms[2].NextAttempt = false, at(2, 9)
	update(ms[2])
	if got, want := dueIDs(t, db, at(31, 0), 0), []uint64{2, 3}; !slices.Equal(got, want) {
		t.Fatalf("due after retry of failed=%v, want %v", got, want)
	} else if got, want := depth(t, db), 2; got != want {
		t.Fatalf("depth after retry of failed=%d, want %d", got, want)
	}

	// What is stored is what was written.
	MustView(t, db, func(tx touchbase.Tx) error {
		got, err := tx.DueMessages(at(31, 0), 0)
		if err != nil {
			return err
		} else if want := []*touchbase.Message{ms[1], ms[2]}; !reflect.DeepEqual(got, want) {
			t.Fatalf("DueMessages=%+v, want %+v", got, want)
		}
		return nil
	})
}

// Ensure UpdateMessage refuses a message that does not exist and a change
// of key, and changes nothing then.
func TestTx_UpdateMessage_Errors(t *testing.T) {
	db := MustOpenDB(t)
	mustEnqueue(t, db, &touchbase.Message{Key: "a", CreatedAt: at(1, 9)})
	tests := []struct {
		name string
		m    *touchbase.Message
		want string
	}{
		{"missing", &touchbase.Message{ID: 2, Key: "b", SentAt: at(1, 9)}, touchbase.ENOTFOUND},
		{"new key", &touchbase.Message{ID: 1, Key: "b", SentAt: at(1, 9)}, touchbase.ECONFLICT},
		{"no key", &touchbase.Message{ID: 1, SentAt: at(1, 9)}, touchbase.ECONFLICT},
	}
	for _, tt := range tests {
		err := db.Update(context.Background(), func(tx touchbase.Tx) error { return tx.UpdateMessage(tt.m) })
		if got := touchbase.ErrorCode(err); got != tt.want {
			t.Errorf("%s: UpdateMessage=%v, want %s", tt.name, err, tt.want)
		}
	}
	if got, want := dueIDs(t, db, at(31, 0), 0), []uint64{1}; !slices.Equal(got, want) {
		t.Fatalf("due=%v, want %v", got, want)
	} else if got, want := depth(t, db), 1; got != want {
		t.Fatalf("depth=%d, want %d", got, want)
	}
}

// Ensure a rolled-back Update takes its messages with it: the key can be
// enqueued again and the depth is unchanged.
func TestTx_Enqueue_Rollback(t *testing.T) {
	db := MustOpenDB(t)
	err := db.Update(context.Background(), func(tx touchbase.Tx) error {
		if _, err := tx.Enqueue(&touchbase.Message{Key: "a", CreatedAt: at(1, 9)}); err != nil {
			return err
		}
		return touchbase.Errorf(touchbase.EINVALID, "no such stage")
	})
	if got, want := touchbase.ErrorCode(err), touchbase.EINVALID; got != want {
		t.Fatalf("Update=%v, want %s", err, want)
	}
	if got, want := depth(t, db), 0; got != want {
		t.Fatalf("depth=%d, want %d", got, want)
	}
	m := &touchbase.Message{Key: "a", CreatedAt: at(1, 9)}
	if !mustEnqueue(t, db, m) {
		t.Fatal("Enqueue after rollback=false, want true")
	} else if got, want := m.ID, uint64(1); got != want {
		t.Fatalf("ID=%d, want %d", got, want)
	}
}
