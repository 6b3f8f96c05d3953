package slack_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/slack/fakeslack"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// outboxDB is the real store, keeping a copy of every message the sender
// records, so a test can read what became of a message that left the due
// index (sent or failed).
type outboxDB struct {
	*store.DB
	mu       sync.Mutex
	recorded map[string][]touchbase.Message // by key, oldest first
}

var _ handlers.DB = (*outboxDB)(nil)

// recordingTx passes everything to the store's Tx, and copies the messages
// it updates.
type recordingTx struct {
	touchbase.Tx
	db *outboxDB
}

func (tx recordingTx) UpdateMessage(m *touchbase.Message) error {
	if err := tx.Tx.UpdateMessage(m); err != nil {
		return err
	}
	tx.db.mu.Lock()
	defer tx.db.mu.Unlock()
	tx.db.recorded[m.Key] = append(tx.db.recorded[m.Key], *m)
	return nil
}

func (db *outboxDB) Update(ctx context.Context, fn func(touchbase.Tx) error) error {
	return db.DB.Update(ctx, func(tx touchbase.Tx) error { return fn(recordingTx{Tx: tx, db: db}) })
}

// last returns the last recorded state of the message with key.
func (db *outboxDB) last(t *testing.T, key string) touchbase.Message {
	t.Helper()
	db.mu.Lock()
	defer db.mu.Unlock()
	r := db.recorded[key]
	if len(r) == 0 {
		t.Fatalf("message %s: no delivery recorded", key)
	}
	return r[len(r)-1]
}

// testSender is a Sender on a real store and a fake Slack, with a clock
// the test moves.
type testSender struct {
	t     *testing.T
	db    *outboxDB
	fake  *fakeslack.Server
	s     *slack.Sender
	clock time.Time
}

func newTestSender(t *testing.T) *testSender {
	t.Helper()
	ts := &testSender{t: t, db: &outboxDB{DB: mustOpenDB(t), recorded: map[string][]touchbase.Message{}}, fake: fakeslack.New(t), clock: testNow}
	ts.s = slack.NewSender(ts.db, slackgo.New("xoxb-test", slackgo.OptionAPIURL(ts.fake.URL())))
	ts.s.Now = func() time.Time { return ts.clock }
	return ts
}

// enqueue puts a message to rep "to" in the outbox, due now.
func (ts *testSender) enqueue(key, to, title string) {
	ts.t.Helper()
	body, err := handlers.EncodeReply(&handlers.Reply{Title: title})
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.enqueueBody(key, to, body)
}

func (ts *testSender) enqueueBody(key, to string, body []byte) {
	ts.t.Helper()
	err := ts.db.DB.Update(context.Background(), func(tx touchbase.Tx) error {
		_, err := tx.Enqueue(&touchbase.Message{Key: key, To: to, Body: body, CreatedAt: ts.clock, NextAttempt: ts.clock})
		return err
	})
	if err != nil {
		ts.t.Fatal(err)
	}
}

// flush runs Flush and returns the wait it asks for.
func (ts *testSender) flush() time.Duration {
	ts.t.Helper()
	wait, err := ts.s.Flush(context.Background())
	if err != nil {
		ts.t.Fatalf("Flush=%v", err)
	}
	return wait
}

// outbox returns the messages due by far in the future, and the outbox depth.
func (ts *testSender) outbox() ([]*touchbase.Message, int) {
	ts.t.Helper()
	var due []*touchbase.Message
	var depth int
	err := ts.db.DB.View(context.Background(), func(tx touchbase.Tx) (err error) {
		if due, err = tx.DueMessages(ts.clock.AddDate(1, 0, 0), 0); err != nil {
			return err
		}
		depth, err = tx.OutboxDepth()
		return err
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	return due, depth
}

// posts returns the chat.postMessage calls: all of them, and the accepted ones.
func (ts *testSender) posts() (all, ok []fakeslack.Call) {
	all = ts.fake.Calls("chat.postMessage")
	for _, c := range all {
		if c.Status == http.StatusOK && c.Error == "" {
			ok = append(ok, c)
		}
	}
	return all, ok
}

func TestSender_Flush(t *testing.T) {
	tests := []struct {
		name     string
		inject   func(f *fakeslack.Server)
		body     []byte // the message's body; a reply titled "Hello" when nil
		wantWait time.Duration
		calls    int           // chat.postMessage calls
		sent     bool          // SentAt set, the message off the outbox
		failed   bool          // given up, off the outbox
		attempts int           // failed attempts counted
		next     time.Duration // NextAttempt after now, when still pending
		errWant  string        // in the message's Error
	}{
		// Ensure a due message is delivered once and marked sent.
		{name: "delivered", calls: 1, sent: true},
		// Ensure a 429 pauses for Retry-After, and is not the message's fault.
		{name: "rate limited", inject: func(f *fakeslack.Server) { f.RateLimit("chat.postMessage", 1, 3*time.Second) },
			wantWait: 3 * time.Second, calls: 1, next: 3 * time.Second, errWant: "rate limit"},
		// Ensure a 5xx counts an attempt and backs off.
		{name: "server error", inject: func(f *fakeslack.Server) { f.Fail5xx("chat.postMessage", 1) },
			calls: 1, attempts: 1, next: 2 * time.Second, errWant: "500"},
		// Ensure an error Slack may get over (internal_error) is retried too.
		{name: "transient slack error", inject: func(f *fakeslack.Server) { f.FailNext("chat.postMessage", "internal_error", 1) },
			calls: 1, attempts: 1, next: 2 * time.Second, errWant: "internal_error"},
		// Ensure an error no retry fixes fails the message at once.
		{name: "channel not found", inject: func(f *fakeslack.Server) { f.FailNext("chat.postMessage", "channel_not_found", 1) },
			calls: 1, failed: true, errWant: "channel_not_found"},
		{name: "not in channel", inject: func(f *fakeslack.Server) { f.FailNext("chat.postMessage", "not_in_channel", 1) },
			calls: 1, failed: true, errWant: "not_in_channel"},
		// Ensure a body that is no reply fails without calling Slack.
		{name: "undecodable body", body: []byte("{not json"), calls: 0, failed: true, errWant: "decode reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestSender(t)
			if tt.body != nil {
				ts.enqueueBody("notice/1/0", "U2", tt.body)
			} else {
				ts.enqueue("notice/1/0", "U2", "Hello")
			}
			if tt.inject != nil {
				tt.inject(ts.fake)
			}
			if got := ts.flush(); got != tt.wantWait {
				t.Fatalf("Flush wait=%v, want %v", got, tt.wantWait)
			}
			all, ok := ts.posts()
			if len(all) != tt.calls {
				t.Fatalf("chat.postMessage called %d times, want %d", len(all), tt.calls)
			}
			m := ts.db.last(t, "notice/1/0")
			if m.Attempts != tt.attempts || m.Failed != tt.failed || !m.SentAt.IsZero() != tt.sent {
				t.Fatalf("message attempts=%d failed=%v sent=%v, want %d %v %v", m.Attempts, m.Failed, m.SentAt, tt.attempts, tt.failed, tt.sent)
			}
			if !strings.Contains(m.Error, tt.errWant) || tt.errWant == "" && m.Error != "" {
				t.Fatalf("message error=%q, want %q", m.Error, tt.errWant)
			}
			due, depth := ts.outbox()
			switch {
			case tt.sent || tt.failed:
				if len(due) != 0 || depth != 0 {
					t.Fatalf("outbox: %d due, depth %d, want the message off it", len(due), depth)
				}
			default:
				if len(due) != 1 || depth != 1 || !due[0].NextAttempt.Equal(testNow.Add(tt.next)) {
					t.Fatalf("outbox: %d due (%+v), depth %d, want the message due at now+%v", len(due), due, depth, tt.next)
				}
			}
			if tt.sent {
				c := ok[0]
				if c.Param("channel") != "U2" || c.Param("text") != "Hello" || !strings.Contains(c.Param("metadata"), "notice/1/0") {
					t.Fatalf("posted channel=%q text=%q metadata=%q, want Hello to U2 with the key", c.Param("channel"), c.Param("text"), c.Param("metadata"))
				}
				if m.Ref == "" || !m.SentAt.Equal(testNow) {
					t.Fatalf("sent message ref=%q at %v, want Slack's ts at %v", m.Ref, m.SentAt, testNow)
				}
			}

			// Ensure a second Flush, even much later, never sends it again
			// when it was sent or given up on.
			if tt.sent || tt.failed {
				ts.clock = ts.clock.Add(time.Hour)
				ts.flush()
				if all, _ := ts.posts(); len(all) != tt.calls {
					t.Fatalf("chat.postMessage called %d times after a second Flush, want %d", len(all), tt.calls)
				}
			}
		})
	}
}

func TestSender_RateLimit(t *testing.T) {
	ts := newTestSender(t)
	ts.enqueue("notice/1/0", "U2", "first")
	ts.enqueue("notice/1/1", "U3", "second")
	ts.fake.RateLimit("chat.postMessage", 3, time.Second)

	// Ensure each 429 pauses the whole sender for Retry-After: until the
	// clock passes it, Flush calls Slack for no message and says how long
	// is left; then it tries again, and the messages keep their attempts.
	for i := 1; i <= 3; i++ {
		wait := ts.flush()
		if wait < time.Second {
			t.Fatalf("429 #%d: wait=%v, want at least Retry-After (1s)", i, wait)
		}
		if all, _ := ts.posts(); len(all) != i {
			t.Fatalf("429 #%d: chat.postMessage called %d times, want %d", i, len(all), i)
		}
		ts.clock = ts.clock.Add(wait / 2)
		if left := ts.flush(); left != wait-wait/2 {
			t.Fatalf("429 #%d: half way, wait=%v, want %v", i, left, wait-wait/2)
		}
		if all, _ := ts.posts(); len(all) != i {
			t.Fatalf("429 #%d: Slack called during the pause", i)
		}
		ts.clock = ts.clock.Add(wait - wait/2)
	}
	if wait := ts.flush(); wait != 0 {
		t.Fatalf("after the limit: wait=%v, want 0", wait)
	}
	all, ok := ts.posts()
	if len(all) != 5 || len(ok) != 2 || ok[0].Param("channel") == ok[1].Param("channel") {
		t.Fatalf("chat.postMessage calls=%d, delivered=%+v, want three 429s then each message once", len(all), ok)
	}
	for _, key := range []string{"notice/1/0", "notice/1/1"} {
		if m := ts.db.last(t, key); m.Attempts != 0 || m.SentAt.IsZero() {
			t.Fatalf("%s attempts=%d sent=%v, want sent with no attempt counted", key, m.Attempts, m.SentAt)
		}
	}
	if due, depth := ts.outbox(); len(due) != 0 || depth != 0 {
		t.Fatalf("outbox: %d due, depth %d, want empty", len(due), depth)
	}
}

func TestSender_Backoff(t *testing.T) {
	tests := []struct {
		name     string
		failures int // transient failures before Slack accepts
		max      int // MaxAttempts
		sent     bool
		failed   bool
	}{
		// Ensure a message delivered after failures is sent once, with its
		// failed attempts counted.
		{"recovers", 2, 5, true, false},
		// Ensure MaxAttempts transient failures give the message up.
		{"gives up", 3, 3, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestSender(t)
			ts.s.MaxAttempts = tt.max
			ts.enqueue("notice/1/0", "U2", "Hello")
			ts.fake.Fail5xx("chat.postMessage", tt.failures)
			for attempt := 1; attempt <= tt.failures; attempt++ {
				ts.flush()
				m := ts.db.last(t, "notice/1/0")
				if m.Attempts != attempt {
					t.Fatalf("attempt %d: Attempts=%d", attempt, m.Attempts)
				}
				if m.Failed {
					break
				}
				// Not due again before its backoff, 2^attempts seconds.
				backoff := time.Second << attempt
				if !m.NextAttempt.Equal(ts.clock.Add(backoff)) {
					t.Fatalf("attempt %d: NextAttempt=%v, want now+%v", attempt, m.NextAttempt, backoff)
				}
				ts.clock = ts.clock.Add(backoff - time.Millisecond)
				ts.flush()
				if all, _ := ts.posts(); len(all) != attempt {
					t.Fatalf("attempt %d: retried before the backoff (%d calls)", attempt, len(all))
				}
				ts.clock = ts.clock.Add(time.Millisecond)
			}
			ts.flush()
			ts.clock = ts.clock.Add(24 * time.Hour)
			ts.flush()
			all, ok := ts.posts()
			m := ts.db.last(t, "notice/1/0")
			switch {
			case tt.sent && (len(ok) != 1 || len(all) != tt.failures+1 || m.SentAt.IsZero() || m.Attempts != tt.failures):
				t.Fatalf("calls=%d delivered=%d attempts=%d sent=%v, want delivered once after %d failures", len(all), len(ok), m.Attempts, m.SentAt, tt.failures)
			case tt.failed && (len(ok) != 0 || len(all) != tt.max || !m.Failed || m.Attempts != tt.max):
				t.Fatalf("calls=%d delivered=%d attempts=%d failed=%v, want given up after %d", len(all), len(ok), m.Attempts, m.Failed, tt.max)
			}
			if due, depth := ts.outbox(); len(due) != 0 || depth != 0 {
				t.Fatalf("outbox: %d due, depth %d, want empty", len(due), depth)
			}
		})
	}
}

func TestSender_EnqueuedTwice(t *testing.T) {
	ts := newTestSender(t)
	// Ensure a message enqueued again under its key (a retried job) after
	// it was sent is not sent again.
	ts.enqueue("reminders/U2/2026-11-24", "U2", "Hello")
	ts.flush()
	ts.enqueue("reminders/U2/2026-11-24", "U2", "Hello")
	ts.flush()
	if all, _ := ts.posts(); len(all) != 1 {
		t.Fatalf("chat.postMessage called %d times, want 1", len(all))
	}
}

func TestSender_Wake(t *testing.T) {
	ts := newTestSender(t)
	ts.s.Poll = time.Hour // only Wake (and the first look) can deliver

	// Ensure Wake never blocks, however often it is called with nobody running.
	waitReturns(t, "Wake", func() {
		for range 100 {
			ts.s.Wake()
		}
	})

	// Ensure a running sender delivers what it is woken for, and stops
	// with its context.
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- ts.s.Run(ctx) }()
	ts.enqueue("notice/1/0", "U2", "first")
	ts.s.Wake()
	ts.fake.WaitFor("chat.postMessage", 1, 10*time.Second)
	ts.enqueue("notice/2/0", "U3", "second")
	ts.s.Wake()
	ts.fake.WaitFor("chat.postMessage", 2, 10*time.Second)
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run=%v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if all, _ := ts.posts(); len(all) != 2 {
		t.Fatalf("chat.postMessage called %d times, want 2", len(all))
	}
}

// Ensure a message with an image (the digest's chart) posts the text to the
// channel, then uploads the image through Slack's external upload flow into
// the same channel; when only the upload fails, the retry uploads again and
// does not post the text twice.
func TestSender_Image(t *testing.T) {
	ts := newTestSender(t)
	body, err := handlers.EncodeReply(&handlers.Reply{Title: "Weekly digest", Image: &handlers.Image{Name: "funnel.png", Title: "Funnel", PNG: []byte("\x89PNG fake")}})
	if err != nil {
		t.Fatal(err)
	}
	ts.enqueueBody("digest/is/2026-11-23", "<#C0TEAM|is-tokyo>", body)
	ts.fake.FailNext("files.completeUploadExternal", "internal_error", 1)
	ts.flush()
	due, _ := ts.outbox()
	if len(due) != 1 || due[0].Ref == "" || !due[0].SentAt.IsZero() {
		t.Fatalf("after a failed upload: %+v, want the message pending with its post recorded", due)
	}
	ts.clock = ts.clock.Add(time.Hour)
	ts.flush()
	if due, depth := ts.outbox(); len(due) != 0 || depth != 0 {
		t.Fatalf("outbox=%+v depth=%d, want delivered", due, depth)
	}
	all, _ := ts.posts()
	if len(all) != 1 || all[0].Param("channel") != "C0TEAM" {
		t.Fatalf("chat.postMessage calls=%+v, want one to C0TEAM", all)
	}
	done := ts.fake.Calls("files.completeUploadExternal")
	if len(done) != 2 || done[1].Param("channel_id") != "C0TEAM" {
		t.Fatalf("completeUploadExternal calls=%+v, want the retry into C0TEAM", done)
	}
	if len(ts.fake.Calls("files.getUploadURLExternal")) != 2 || len(ts.fake.Uploads()) != 2 {
		t.Fatalf("upload URLs=%d uploads=%d, want 2 each", len(ts.fake.Calls("files.getUploadURLExternal")), len(ts.fake.Uploads()))
	}
}

// crashingDB is the store with a process that dies right after Slack
// accepted a message: the write that marks it sent never happens.
type crashingDB struct {
	*store.DB
	crashed bool
	kill    func() // ends the dying process's context
}

func (db *crashingDB) Update(ctx context.Context, fn func(touchbase.Tx) error) error {
	return db.DB.Update(ctx, func(tx touchbase.Tx) error { return fn(crashingTx{Tx: tx, db: db}) })
}

type crashingTx struct {
	touchbase.Tx
	db *crashingDB
}

func (tx crashingTx) UpdateMessage(m *touchbase.Message) error {
	if !m.SentAt.IsZero() || tx.db.crashed {
		tx.db.crashed = true
		tx.db.kill()
		return errors.New("killed")
	}
	return tx.Tx.UpdateMessage(m)
}

// Ensure a message that Slack accepted just before the process died is not
// sent again after the restart: the restarted sender finds it in the
// conversation by its key and marks it sent; one that never reached Slack
// is posted once.
func TestSender_CrashAfterSend(t *testing.T) {
	fake := fakeslack.New(t)
	// Slack's clock, which stamps the messages the restarted sender looks for.
	fake.Now = func() time.Time { return testNow }
	db := &crashingDB{DB: mustOpenDB(t)}
	client := slackgo.New("xoxb-test", slackgo.OptionAPIURL(fake.URL()))
	body, err := handlers.EncodeReply(&handlers.Reply{Title: "Good morning!"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.DB.Update(context.Background(), func(tx touchbase.Tx) error {
		for _, key := range []string{"reminders/U1/2026-11-24", "reminders/U2/2026-11-24"} {
			to := strings.Split(key, "/")[1]
			if _, err := tx.Enqueue(&touchbase.Message{Key: key, To: to, Body: body, CreatedAt: testNow, NextAttempt: testNow}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The first sender posts U1's message, then "dies" before recording it.
	ctx, kill := context.WithCancel(context.Background())
	db.kill = kill
	first := slack.NewSender(db, client)
	first.Now = func() time.Time { return testNow }
	first.Flush(ctx)
	if !db.crashed || len(fake.Calls("chat.postMessage")) != 1 {
		t.Fatalf("crashed=%v posts=%d, want a crash after one post", db.crashed, len(fake.Calls("chat.postMessage")))
	}

	// The restarted sender delivers U2's once and does not repeat U1's.
	restarted := slack.NewSender(db.DB, client)
	restarted.Now = func() time.Time { return testNow.Add(time.Minute) }
	if _, err := restarted.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var channels []string
	for _, c := range fake.Calls("chat.postMessage") {
		channels = append(channels, c.Param("channel"))
	}
	if got := strings.Join(channels, ","); got != "U1,U2" {
		t.Fatalf("posted to %s, want U1 once and U2 once", got)
	}
	if n := len(fake.Calls("conversations.history")); n != 1 {
		t.Fatalf("conversations.history called %d times, want once (only for the message whose outcome was lost)", n)
	}
	err = db.DB.View(context.Background(), func(tx touchbase.Tx) error {
		due, err := tx.DueMessages(testNow.AddDate(1, 0, 0), 0)
		if err != nil || len(due) != 0 {
			t.Fatalf("due=%+v err=%v, want both marked sent", due, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ensure a post whose answer was lost (Slack took the message, the sender
// never heard back) is not posted again: the retry looks for it first.
func TestSender_LostAnswer(t *testing.T) {
	fake := fakeslack.New(t)
	fake.Now = func() time.Time { return testNow }
	db := mustOpenDB(t)
	client := slackgo.New("xoxb-test", slackgo.OptionAPIURL(fake.URL()))
	body, err := handlers.EncodeReply(&handlers.Reply{Title: "Good morning!"})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx touchbase.Tx) error {
		_, err := tx.Enqueue(&touchbase.Message{Key: "reminders/U1/2026-11-24", To: "U1", Body: body, CreatedAt: testNow, NextAttempt: testNow})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Slack records the post and holds its answer; the sender gives up
	// waiting (its context ends), as on a timeout.
	hold := fake.Hold("chat.postMessage", fakeslack.AfterRecord, 0)
	ctx, giveUp := context.WithCancel(context.Background())
	sender := slack.NewSender(db, client)
	sender.Now = func() time.Time { return testNow }
	flushed := make(chan struct{})
	go func() {
		defer close(flushed)
		_, _ = sender.Flush(ctx)
	}()
	hold.Wait(1, 10*time.Second)
	giveUp()
	<-flushed
	hold.Release()

	// The retry, after its backoff, finds the message and marks it sent.
	sender.Now = func() time.Time { return testNow.Add(time.Hour) }
	if _, err := sender.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("chat.postMessage called %d times, want once: the retry posted a message Slack already had", n)
	}
	if n := len(fake.Calls("conversations.history")); n != 1 {
		t.Fatalf("conversations.history called %d times, want once", n)
	}
	err = db.View(context.Background(), func(tx touchbase.Tx) error {
		m, err := tx.MessageByKey("reminders/U1/2026-11-24")
		if err != nil {
			return err
		}
		if m.SentAt.IsZero() || m.Ref == "" {
			t.Fatalf("message %+v, want marked sent with its Slack reference", m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
