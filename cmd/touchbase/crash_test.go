package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/slack/fakeslack"
	"github.com/touchbase/touchbase/scheduler"
	"github.com/touchbase/touchbase/store"
)

// Ensure nothing acknowledged is lost and nothing is written twice when the
// process dies: the real binary serves signed /log commands from a load of
// concurrent reps and is killed with SIGKILL at a random moment, 20 times;
// after each restart every activity acknowledged to a sender is in the
// export exactly once, and bbolt's consistency check passes.
func TestCrash_KillDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary 20 times")
	}
	bin := buildTouchbase(t)
	db := filepath.Join(t.TempDir(), "touchbase.db")
	run(t, `/lead "Taro Yamada" company:"Acme KK"`+"\n", "console", "--db", db, "--user", "U1")
	fake := fakeslack.New(t)
	rng := rand.New(rand.NewPCG(1, 2))

	acked := map[string]bool{} // notes of /log commands answered "Logged"
	var mu sync.Mutex
	for round := range 20 {
		p := startServe(t, bin, []string{"SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=" + secret, "SLACK_API_URL=" + fake.URL(), "TOUCHBASE_DB=" + db})
		addr := p.addr
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ctx.Err() == nil; i++ {
					note := fmt.Sprintf("r%d-w%d-n%d", round, w, i)
					if logged(ctx, addr, note) {
						mu.Lock()
						acked[note] = true
						mu.Unlock()
					}
				}
			})
		}
		time.AfterFunc(time.Duration(50+rng.IntN(250))*time.Millisecond, p.kill)
		p.wait()
		stop()
		wg.Wait()
	}
	if len(acked) < 100 {
		t.Fatalf("only %d commands acknowledged; the load did not run", len(acked))
	}
	s := store.NewDB(db)
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("bbolt check after the kills: %v", err)
	}
	seen := map[string]int{}
	err := s.View(context.Background(), func(tx touchbase.Tx) error {
		return tx.Activities(touchbase.ActivityFilter{}, func(a *touchbase.Activity) error { seen[a.Note]++; return nil })
	})
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	for note := range acked {
		if seen[note] != 1 {
			t.Errorf("acknowledged %s is stored %d times", note, seen[note])
		}
	}
	for note, n := range seen {
		if n > 1 {
			t.Errorf("%s stored %d times", note, n)
		}
	}
	t.Logf("%d acknowledged, %d stored (the rest were cut off unacknowledged)", len(acked), len(seen))
}

// logged sends one signed /log and reports whether it was acknowledged as
// logged.
func logged(ctx context.Context, addr, note string) bool {
	form := url.Values{"command": {"/log"}, "text": {"call Acme " + note}, "user_id": {"U1"}, "user_name": {"u1"},
		"team_id": {"T1"}, "channel_id": {"C1"}, "response_url": {"http://127.0.0.1:1/none"}}
	body := form.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
	if err != nil {
		return false
	}
	ts, sig := slack.Sign([]byte(body), secret, time.Now())
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct{ Text string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil {
		return false
	}
	return strings.HasPrefix(r.Text, "Logged call")
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// buildTouchbase builds the touchbase binary into a temporary directory.
func buildTouchbase(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "touchbase")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// serveProcess is `touchbase serve` running as a process of its own, so
// that a test can kill it. Its JSON log is read as it comes.
type serveProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string

	mu      sync.Mutex
	log     []logRecord
	lines   []string
	eof     bool
	changed chan struct{} // closed and replaced when the log grows or ends
	waited  bool
}

// logRecord is what the tests read of a line of serve's log.
type logRecord struct {
	Msg      string `json:"msg"`
	Job      string `json:"job"`
	Enqueued int    `json:"enqueued"`
}

// startServe starts `touchbase serve args...` on a free loopback port with
// env added to the test's environment, and waits until it serves. It is
// killed, if still running, when the test ends.
func startServe(t *testing.T, bin string, env []string, args ...string) *serveProcess {
	t.Helper()
	p := &serveProcess{t: t, addr: freeAddr(t), changed: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve"}, args...)...)
	p.cmd.Env = append(append(os.Environ(), env...), "TOUCHBASE_ADDR="+p.addr)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.kill()
		p.wait()
	})
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			var r logRecord
			_ = json.Unmarshal(s.Bytes(), &r)
			p.mu.Lock()
			p.log, p.lines = append(p.log, r), append(p.lines, s.Text())
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.eof = true
		close(p.changed)
		p.mu.Unlock()
	}()
	p.waitLog("serve to start", 20*time.Second, func(r logRecord) bool { return r.Msg == "touchbase serving" })
	return p
}

// waitLog waits until the log has a line that matches, and returns it.
func (p *serveProcess) waitLog(what string, timeout time.Duration, match func(logRecord) bool) logRecord {
	p.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for seen := 0; ; {
		p.mu.Lock()
		log, eof, changed := p.log, p.eof, p.changed
		p.mu.Unlock()
		for ; seen < len(log); seen++ {
			if match(log[seen]) {
				return log[seen]
			}
		}
		if eof {
			p.t.Fatalf("serve ended before %s:\n%s", what, p.output())
		}
		select {
		case <-changed:
		case <-timer.C:
			p.t.Fatalf("no %s within %v:\n%s", what, timeout, p.output())
		}
	}
}

// logged reports whether the log so far has a line that matches.
func (p *serveProcess) logged(match func(logRecord) bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.ContainsFunc(p.log, match)
}

// output is the log so far, for failure messages.
func (p *serveProcess) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// kill sends SIGKILL: the process dies wherever it is, without a shutdown.
func (p *serveProcess) kill() { _ = p.cmd.Process.Signal(syscall.SIGKILL) }

// wait waits for the process to end, after its log was read to the end.
func (p *serveProcess) wait() {
	p.mu.Lock()
	for !p.eof {
		changed := p.changed
		p.mu.Unlock()
		<-changed
		p.mu.Lock()
	}
	waited := p.waited
	p.waited = true
	p.mu.Unlock()
	if !waited {
		_ = p.cmd.Wait()
	}
}

// outboxDepth reads touchbase_outbox_depth from /metrics.
func (p *serveProcess) outboxDepth() (int, error) {
	resp, err := http.Get("http://" + p.addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "touchbase_outbox_depth "); ok {
			var n int
			_, err := fmt.Sscan(v, &n)
			return n, err
		}
	}
	return 0, fmt.Errorf("/metrics has no touchbase_outbox_depth (%v)", s.Err())
}

// Ensure every due reminder reaches Slack exactly once however the
// scheduler dies: the real binary, its clock set with --now, makes a pass at
// start and delivers through a fake Slack, and is killed with SIGKILL
// (a) after the pass recorded the reminders in the outbox, while Slack
// holds a post without having received it; (b) after Slack accepted a post,
// before touchbase could record it sent; (c) after everything was sent; and
// at random moments of a pass. After each restart the reminders due so far
// are in Slack once each, under their keys, in the rep's direct message,
// recorded sent with that message's reference, and bbolt's check passes.
func TestCrash_SchedulerKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary and kills it 17 times")
	}
	bin := buildTouchbase(t)
	db := filepath.Join(t.TempDir(), "touchbase.db")
	// Reps in four zones, each with overdue leads, and one with nothing due.
	reps := []struct {
		id, zone string
		due      int // leads due
	}{
		{"U0TYO00001", "Asia/Tokyo", 2}, {"U0TYO00002", "Asia/Tokyo", 1}, {"U0TYO00003", "Asia/Tokyo", 1}, {"U0TYO00004", "Asia/Tokyo", 0},
		{"U0DEL00001", "Asia/Kolkata", 1}, {"U0DEL00002", "Asia/Kolkata", 2},
		{"U0LON00001", "Europe/London", 1}, {"U0LON00002", "Europe/London", 1}, {"U0LON00003", "Europe/London", 2},
		{"U0NYC00001", "America/New_York", 1}, {"U0NYC00002", "America/New_York", 1},
	}
	for _, r := range reps {
		var script strings.Builder
		for i := range max(r.due, 1) {
			fmt.Fprintf(&script, "/lead \"Lead %d of %s\" company:\"%s Company %d\"\n", i, r.id, r.id, i)
		}
		if r.due == 0 {
			fmt.Fprintf(&script, "/log call \"%s Company 0\" talked next:2027-01-15\n", r.id)
		}
		// Created on Friday: due then, overdue since.
		run(t, script.String(), "console", "--db", db, "--user", r.id, "--tz", r.zone, "--now", "2026-11-20T10:00:00Z")
	}
	// dueAt lists the keys of the reminders due at now: reps with something
	// due, where it is a weekday between 09:00 and 20:00 (from November 24
	// to December 2, 2026, no weekday is a holiday in Japan, and the other
	// zones keep Monday to Friday).
	dueAt := func(now time.Time) []string {
		var keys []string
		for _, r := range reps {
			loc, err := time.LoadLocation(r.zone)
			if err != nil {
				t.Fatal(err)
			}
			l := now.In(loc)
			if r.due > 0 && l.Weekday() != time.Saturday && l.Weekday() != time.Sunday && l.Hour() >= 9 && l.Hour() < 20 {
				keys = append(keys, fmt.Sprintf("reminders/%s/%s", r.id, l.Format(time.DateOnly)))
			}
		}
		return keys
	}

	fake := fakeslack.New(t)
	// Slack's clock runs from each phase's time as touchbase's does (a
	// little ahead, having started first): message timestamps are on it.
	var clockMu sync.Mutex
	slackNow := func() time.Time { return time.Now() }
	fake.Now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return slackNow() }
	setClock := func(at time.Time) {
		clockMu.Lock()
		defer clockMu.Unlock()
		began := time.Now()
		slackNow = func() time.Time { return at.Add(time.Since(began)) }
	}
	env := []string{"SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=" + secret, "SLACK_API_URL=" + fake.URL(), "TOUCHBASE_DB=" + db}
	startAt := func(at time.Time) *serveProcess { return startServe(t, bin, env, "--now", at.Format(time.RFC3339)) }
	want := map[string]bool{} // keys of the reminders due so far
	// settle waits until the pass at start is done and the outbox is
	// empty, then checks that Slack has each reminder due so far once.
	settle := func(p *serveProcess) {
		t.Helper()
		p.waitLog("a pass", 20*time.Second, func(r logRecord) bool { return r.Msg == "job ran" && r.Job == scheduler.JobDigest })
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for deadline := time.Now().Add(20 * time.Second); ; <-tick.C {
			depth, err := p.outboxDepth()
			if err == nil && depth == 0 && len(fake.Messages()) >= len(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("outbox depth=%d (%v), %d messages in Slack, want 0 and %d:\n%s", depth, err, len(fake.Messages()), len(want), p.output())
			}
		}
		checkOnce(t, fake, want)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	seed := rng.Uint64()
	rng = rand.New(rand.NewPCG(seed, 7))
	t.Logf("random seed %d", seed)

	// (a) Tuesday 09:30 in Tokyo: the pass records the Tokyo reminders; a
	// post is held before Slack sees it, and the process is killed.
	at := time.Date(2026, 11, 24, 0, 30, 0, 0, time.UTC)
	keys := dueAt(at)
	setClock(at)
	pass := rng.IntN(len(keys))
	hold := fake.Hold("chat.postMessage", fakeslack.BeforeRecord, pass)
	p := startAt(at)
	p.waitLog("the reminders recorded", 20*time.Second, func(r logRecord) bool {
		return r.Msg == "job ran" && r.Job == scheduler.JobReminders && r.Enqueued == len(keys)
	})
	hold.Wait(1, 20*time.Second)
	p.kill()
	p.wait()
	hold.WaitAbandoned(1, 20*time.Second)
	hold.Release()
	if n := len(fake.Messages()); n != pass {
		t.Fatalf("(a) %d messages in Slack before the restart, want the %d let through", n, pass)
	}
	for _, k := range keys {
		want[k] = true
	}
	histories := len(fake.Calls("conversations.history"))
	p = startAt(at)
	settle(p)
	if n := len(fake.Calls("conversations.history")) - histories; n != 1 {
		t.Errorf("(a) conversations.history called %d times after the restart, want once, for the post cut off", n)
	}
	p.kill()
	p.wait()

	// (b) 09:30 in London, 15:00 in Kolkata: Slack takes a post and its
	// answer is held; the process is killed before it can record it sent.
	at = time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	keys = slices.DeleteFunc(dueAt(at), func(k string) bool { return want[k] })
	setClock(at)
	pass = rng.IntN(len(keys))
	hold = fake.Hold("chat.postMessage", fakeslack.AfterRecord, pass)
	p = startAt(at)
	p.waitLog("the reminders recorded", 20*time.Second, func(r logRecord) bool {
		return r.Msg == "job ran" && r.Job == scheduler.JobReminders && r.Enqueued == len(keys)
	})
	hold.Wait(1, 20*time.Second)
	before := len(fake.Messages())
	p.kill()
	p.wait()
	hold.Release()
	for _, k := range keys {
		want[k] = true
	}
	histories = len(fake.Calls("conversations.history"))
	p = startAt(at)
	settle(p)
	if n := len(fake.Calls("conversations.history")) - histories; n != 1 || len(fake.Messages()) != before+len(keys)-pass-1 {
		t.Errorf("(b) after the restart: %d conversations.history calls, %d new messages; want 1 and %d (the accepted post found, not repeated)",
			n, len(fake.Messages())-before, len(keys)-pass-1)
	}
	p.kill()
	p.wait()

	// (c) 09:30 in New York: everything is sent and recorded, then the
	// process is killed; the restart half an hour later sends nothing.
	at = time.Date(2026, 11, 24, 14, 30, 0, 0, time.UTC)
	setClock(at)
	for _, k := range dueAt(at) {
		want[k] = true
	}
	p = startAt(at)
	settle(p)
	p.kill()
	p.wait()
	sent, histories, posts := len(fake.Messages()), len(fake.Calls("conversations.history")), len(fake.Calls("chat.postMessage"))
	at = at.Add(30 * time.Minute)
	setClock(at)
	p = startAt(at)
	settle(p)
	if len(fake.Messages()) != sent || len(fake.Calls("conversations.history")) != histories || len(fake.Calls("chat.postMessage")) != posts {
		t.Errorf("(c) the restart after everything was sent made %d posts and %d history calls, want none",
			len(fake.Calls("chat.postMessage"))-posts, len(fake.Calls("conversations.history"))-histories)
	}
	p.kill()
	p.wait()

	// The next six business days at 10:00 UTC (19:00 in Tokyo): killed once
	// a day at a random moment of the pass, or while Slack holds a post
	// before or after taking it, then restarted.
	at = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for day := 0; day < 6; at = at.AddDate(0, 0, 1) {
		if at.Weekday() == time.Saturday || at.Weekday() == time.Sunday {
			continue
		}
		day++
		keys = dueAt(at)
		setClock(at)
		mode, hold := "a random moment", (*fakeslack.Hold)(nil)
		switch rng.IntN(3) {
		case 1:
			mode, hold = "a post Slack has not seen", fake.Hold("chat.postMessage", fakeslack.BeforeRecord, rng.IntN(len(keys)))
		case 2:
			mode, hold = "a post Slack took", fake.Hold("chat.postMessage", fakeslack.AfterRecord, rng.IntN(len(keys)))
		}
		before := len(fake.Messages())
		p = startAt(at)
		if hold != nil {
			hold.Wait(1, 20*time.Second)
			p.kill()
		} else {
			time.AfterFunc(time.Duration(rng.IntN(100))*time.Millisecond, p.kill)
		}
		p.wait()
		if hold != nil {
			hold.Release()
		}
		recorded := p.logged(func(r logRecord) bool { return r.Msg == "job ran" && r.Job == scheduler.JobReminders })
		t.Logf("%s: killed at %s, the reminders recorded: %v, %d of %d in Slack", at.Format(time.DateOnly), mode, recorded, len(fake.Messages())-before, len(keys))
		for _, k := range keys {
			want[k] = true
		}
		p = startAt(at)
		settle(p)
		if day < 6 {
			p.kill()
			p.wait()
		}
	}
	p.stop()

	// The store: sound, and every reminder recorded sent with the reference
	// of its one message in Slack.
	s := store.NewDB(db)
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Check(context.Background()); err != nil {
		t.Fatalf("bbolt check after the kills: %v", err)
	}
	refs := map[string]string{}
	for _, m := range fake.Messages() {
		refs[keyOf(m)] = m.Channel + "/" + m.TS
	}
	err := s.View(context.Background(), func(tx touchbase.Tx) error {
		if depth, err := tx.OutboxDepth(); err != nil || depth != 0 {
			t.Errorf("outbox depth=%d (%v), want 0", depth, err)
		}
		for k := range want {
			m, err := tx.MessageByKey(k)
			if err != nil {
				return err
			}
			if m.SentAt.IsZero() || m.Failed || m.Ref != refs[k] {
				t.Errorf("%s: sent at %v, failed %v, ref %q; want sent with ref %q", k, m.SentAt, m.Failed, m.Ref, refs[k])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d reminders, %d posts, %d conversations.history look-ups", len(want), len(fake.Calls("chat.postMessage")), len(fake.Calls("conversations.history")))
}

// checkOnce checks that Slack has each message of want once, none other,
// each in the direct message of the rep its key names.
func checkOnce(t *testing.T, fake *fakeslack.Server, want map[string]bool) {
	t.Helper()
	got := map[string]int{}
	for _, m := range fake.Messages() {
		key := keyOf(m)
		got[key]++
		rep := strings.Split(key, "/")[1]
		if dm := directMessage(t, fake, rep); m.Channel != dm {
			t.Errorf("%s posted in %s, want %s's direct message %s", key, m.Channel, rep, dm)
		}
	}
	for k := range want {
		if got[k] != 1 {
			t.Errorf("%s is in Slack %d times, want once", k, got[k])
		}
	}
	for k, n := range got {
		if !want[k] {
			t.Errorf("%s is in Slack %d times, want none", k, n)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// keyOf returns the outbox key a message carries in its metadata.
func keyOf(m fakeslack.Message) string {
	key, _ := m.Metadata.EventPayload["key"].(string)
	return key
}

// directMessage returns the ID of the bot's direct message with rep.
func directMessage(t *testing.T, fake *fakeslack.Server, rep string) string {
	t.Helper()
	ch, _, _, err := slackgo.New("xoxb-test", slackgo.OptionAPIURL(fake.URL())).OpenConversation(&slackgo.OpenConversationParameters{Users: []string{rep}})
	if err != nil {
		t.Fatal(err)
	}
	return ch.ID
}

// stop stops the process as an operator does (SIGTERM) and checks that it
// shut down cleanly.
func (p *serveProcess) stop() {
	p.t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait()
	if !p.cmd.ProcessState.Success() {
		p.t.Fatalf("serve stopped with %v:\n%s", p.cmd.ProcessState, p.output())
	}
}
