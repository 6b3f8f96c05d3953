package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/slack/fakeslack"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
	"github.com/touchbase/touchbase/store/storetest"
)

// testSecret is the signing secret of the bot tests (Slack's example one).
const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// testNow is the clock of the bot tests: Tuesday 24 November 2026, 10:00
// in Tokyo, where the fake's users live.
var testNow = time.Date(2026, 11, 24, 1, 0, 0, 0, time.UTC)

// mustOpenDB opens a real store, checked and closed when the test ends.
var mustOpenDB = storetest.MustOpenDB

// hookDB is the real store with hooks a test sets before it sends
// requests: Update waits for gate to be closed, and both View and Update
// fail with err, or panic with panicking.
type hookDB struct {
	*store.DB
	gate      chan struct{}
	err       error
	panicking any
	updates   atomic.Int32 // Update calls, hooked or not
}

var _ handlers.DB = (*hookDB)(nil)

func (db *hookDB) View(ctx context.Context, fn func(touchbase.Tx) error) error {
	if db.panicking != nil {
		panic(db.panicking)
	}
	if db.err != nil {
		return db.err
	}
	return db.DB.View(ctx, fn)
}

func (db *hookDB) Update(ctx context.Context, fn func(touchbase.Tx) error) error {
	db.updates.Add(1)
	if db.gate != nil {
		<-db.gate
	}
	if db.panicking != nil {
		panic(db.panicking)
	}
	if db.err != nil {
		return db.err
	}
	return db.DB.Update(ctx, fn)
}

// logBuffer collects a JSON slog log; slog writes a record in one Write.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the records logged with message msg.
func (b *logBuffer) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// testBot is a Bot on a real store and a fake Slack, at testNow.
type testBot struct {
	t      testing.TB
	db     *hookDB
	fake   *fakeslack.Server
	h      *handlers.Handler
	bot    *slack.Bot
	log    *logBuffer
	routes http.Handler
	header http.Header // of the last response to post
}

// newTestBot returns a Bot with configuration cfg (the defaults when nil).
func newTestBot(t testing.TB, cfg *touchbase.Config) *testBot {
	t.Helper()
	if cfg == nil {
		cfg = touchbase.DefaultConfig()
	}
	tb := &testBot{t: t, db: &hookDB{DB: mustOpenDB(t)}, fake: fakeslack.New(t), log: &logBuffer{}}
	now := func() time.Time { return testNow }
	logger := slog.New(touchbase.NewLogHandler(slog.NewJSONHandler(tb.log, nil)))
	client := slackgo.New("xoxb-test", slackgo.OptionAPIURL(tb.fake.URL()))
	tb.h = handlers.NewHandler(tb.db, cfg)
	tb.h.Now, tb.h.Logger = now, logger
	sender := slack.NewSender(tb.db, client)
	sender.Now, sender.Logger = now, logger
	tb.bot = slack.NewBot(tb.h, client, sender)
	tb.bot.SigningSecret, tb.bot.Now, tb.bot.Logger = testSecret, now, logger
	// Commands answer in the response however slow the machine; the tests
	// of the 3-second rule set their own.
	tb.bot.AckTimeout = time.Minute
	tb.routes = tb.bot.Routes()
	// Answers still on their way finish before the store closes.
	t.Cleanup(tb.bot.Wait)
	return tb
}

// run runs line as user straight through the handlers, to set the scene.
// The user is named as the fake's users.info names everyone, so that the
// bot finds the rep as registered here and writes nothing to update them.
func (tb *testBot) run(user, line string) *handlers.Reply {
	tb.t.Helper()
	r, err := tb.h.Handle(context.Background(), handlers.User{ID: user, Name: "sherlock", TimeZone: "Asia/Tokyo"}, line)
	if err != nil {
		tb.t.Fatalf("%s: %v", line, err)
	}
	return r
}

// post sends body to path as Slack does, signed at testNow.
func (tb *testBot) post(path, contentType string, body []byte) (int, string) {
	tb.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	ts, sig := slack.Sign(body, testSecret, testNow)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	rec := httptest.NewRecorder()
	tb.routes.ServeHTTP(rec, req)
	tb.header = rec.Header()
	return rec.Code, rec.Body.String()
}

// slash sends a slash command by user, answered at responseURL.
func (tb *testBot) slash(user, command, text, responseURL string) (int, string) {
	tb.t.Helper()
	form := url.Values{
		"token": {"xyzz0WbapA4vBCDEFasx0q6G"}, "team_id": {"T1DC2JH3J"}, "channel_id": {"G8PSS9T3V"},
		"user_id": {user}, "user_name": {strings.ToLower(user)}, "command": {command}, "text": {text},
		"response_url": {responseURL}, "trigger_id": {"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"},
	}
	return tb.post("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// interact sends an interaction payload.
func (tb *testBot) interact(payload any) (int, string) {
	tb.t.Helper()
	return tb.post("/slack/interactions", "application/x-www-form-urlencoded", []byte(url.Values{"payload": {mustJSON(tb.t, payload)}}.Encode()))
}

// event sends an Events API body.
func (tb *testBot) event(payload any) (int, string) {
	tb.t.Helper()
	return tb.post("/slack/events", "application/json", []byte(mustJSON(tb.t, payload)))
}

// export returns everything in the store, to compare before and after.
func (tb *testBot) export() string {
	tb.t.Helper()
	x, err := handlers.ExportData(context.Background(), tb.db.DB, tb.h.Config, testNow)
	if err != nil {
		tb.t.Fatal(err)
	}
	var b bytes.Buffer
	if err := x.WriteJSON(&b); err != nil {
		tb.t.Fatal(err)
	}
	return b.String()
}

// opportunity reads an opportunity from the store.
func (tb *testBot) opportunity(id uint64) *touchbase.Opportunity {
	tb.t.Helper()
	var o *touchbase.Opportunity
	err := tb.db.DB.View(context.Background(), func(tx touchbase.Tx) (err error) {
		o, err = tx.Opportunity(id)
		return err
	})
	if err != nil {
		tb.t.Fatal(err)
	}
	return o
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// answer is the part of a slash-command or response_url answer tests read.
type answer struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

func mustAnswer(t *testing.T, body string) answer {
	t.Helper()
	var a answer
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return a
}

// waitReturns fails the test unless wait returns within a while.
func waitReturns(t *testing.T, what string, wait func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

func TestBot_SlashCommandAck(t *testing.T) {
	tests := []struct {
		name       string
		ackTimeout time.Duration
		slow       bool
		wantNow    string // in the immediate answer
		wantLater  string // posted to response_url; "" for nothing
	}{
		// Ensure a command that finishes in time is answered in the response
		// body, and nothing is posted to response_url.
		{"fast", time.Minute, false, "lead#1", ""},
		// Ensure a command slower than AckTimeout is acknowledged at once with
		// "Working on it…", and its answer follows at response_url.
		{"slow", time.Millisecond, true, "Working on it…", "lead#1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, nil)
			tb.bot.AckTimeout = tt.ackTimeout
			if tt.slow {
				gate := make(chan struct{})
				tb.db.gate = gate
				// Let the command finish even when the test fails early,
				// before Cleanup waits for it.
				t.Cleanup(func() {
					select {
					case <-gate:
					default:
						close(gate)
					}
				})
			}
			respURL := tb.fake.NewResponseURL()
			code, body := tb.slash("U1", "/lead", `"Taro Yamada" company:"Acme KK"`, respURL)
			if code != http.StatusOK {
				t.Fatalf("status=%d, want 200 (%s)", code, body)
			}
			a := mustAnswer(t, body)
			if a.ResponseType != "ephemeral" || !strings.Contains(body, tt.wantNow) {
				t.Fatalf("answer=%s, want an ephemeral answer with %q", body, tt.wantNow)
			}
			if tt.wantLater == "" {
				tb.bot.Wait()
				if got := tb.fake.Responses(respURL); len(got) != 0 {
					t.Fatalf("response_url got %s, want nothing", got)
				}
				return
			}

			// The command is still waiting for the store: nothing is posted,
			// and Wait waits for it.
			if got := tb.fake.Responses(respURL); len(got) != 0 {
				t.Fatalf("response_url got %s before the command finished", got)
			}
			waited := make(chan struct{})
			go func() { tb.bot.Wait(); close(waited) }()
			select {
			case <-waited:
				t.Fatal("Wait returned before the late answer was posted")
			default:
			}
			close(tb.db.gate)
			late := tb.fake.WaitResponse(respURL, 10*time.Second)
			if a := mustAnswer(t, string(late)); a.ResponseType != "ephemeral" || !strings.Contains(string(late), tt.wantLater) {
				t.Fatalf("late answer=%s, want an ephemeral answer with %q", late, tt.wantLater)
			}
			waitReturns(t, "Wait", func() { <-waited })
			if got := tb.fake.Responses(respURL); len(got) != 1 {
				t.Fatalf("response_url got %d answers, want 1", len(got))
			}
		})
	}
}

// Ensure each command counts its own AckTimeout: a fast command after a
// late one is answered in the body, and a slow one after a fast one is
// acknowledged with "Working on it…".
func TestBot_SlashCommandAckEachCommand(t *testing.T) {
	tb := newTestBot(t, nil)
	slash := func(ack time.Duration, slow bool, name string) (body, late string) {
		t.Helper()
		tb.bot.AckTimeout = ack
		gate := make(chan struct{})
		if slow {
			tb.db.gate = gate
		}
		respURL := tb.fake.NewResponseURL()
		done := make(chan string, 1)
		go func() {
			_, body := tb.slash("U1", "/lead", `"`+name+`" company:"Acme KK"`, respURL)
			done <- body
		}()
		select {
		case body = <-done:
		case <-time.After(10 * time.Second):
			close(gate)
			t.Fatalf("/lead %s: no answer", name)
		}
		close(gate)
		if slow {
			late = string(tb.fake.WaitResponse(respURL, 10*time.Second))
		}
		tb.bot.Wait()
		tb.db.gate = nil
		return body, late
	}
	for i, tt := range []struct {
		ack     time.Duration
		slow    bool
		wantNow string
	}{
		{time.Minute, false, "lead#1"},
		{time.Millisecond, true, "Working on it…"},
		{time.Minute, false, "lead#3"},
		{time.Millisecond, true, "Working on it…"},
	} {
		body, late := slash(tt.ack, tt.slow, fmt.Sprintf("Rep %d", i+1))
		if !strings.Contains(body, tt.wantNow) {
			t.Fatalf("command %d: answer=%s, want %q", i+1, body, tt.wantNow)
		}
		if want := fmt.Sprintf("lead#%d", i+1); tt.slow && !strings.Contains(late, want) {
			t.Fatalf("command %d: late answer=%s, want %q", i+1, late, want)
		}
	}
}

func TestBot_SlashCommandAckSlowSlack(t *testing.T) {
	tb := newTestBot(t, nil)
	tb.bot.AckTimeout = time.Millisecond
	release, asked := make(chan struct{}), make(chan struct{}, 1)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	tb.fake.Handle("users.info", func(c fakeslack.Call) any {
		select {
		case asked <- struct{}{}:
		default:
		}
		<-release
		return map[string]any{"ok": true, "user": map[string]any{"id": c.Param("user"), "name": "taro", "tz": "Asia/Tokyo"}}
	})

	// Ensure the rep's first command is acknowledged within AckTimeout
	// even while Slack is slow to say who the rep is: the lookup is part of
	// the command, not before it, so the 3 seconds hold.
	respURL := tb.fake.NewResponseURL()
	type result struct {
		code int
		body string
	}
	done := make(chan result, 1)
	go func() {
		code, body := tb.slash("U1", "/lead", `"Taro Yamada" company:"Acme KK"`, respURL)
		done <- result{code, body}
	}()
	<-asked
	select {
	case r := <-done:
		if r.code != http.StatusOK || !strings.Contains(r.body, "Working on it…") {
			t.Fatalf("answer: %d %s, want Working on it…", r.code, r.body)
		}
	case <-time.After(750 * time.Millisecond): // well before users.info gives up (1s)
		t.Fatal("no acknowledgement while users.info was pending")
	}
	close(release)
	if late := tb.fake.WaitResponse(respURL, 10*time.Second); !strings.Contains(string(late), "lead#1") {
		t.Fatalf("late answer=%s, want the new lead", late)
	}
	tb.bot.Wait()
}

func TestBot_Refusals(t *testing.T) {
	refRE := regexp.MustCompile(`\(reference ([0-9a-f]{8})\)`)
	tests := []struct {
		name     string
		dbErr    error
		dbPanic  any
		command  string
		text     string
		want     string // the answer's text starts with it
		internal bool   // an apology with a reference, logged once
	}{
		// Ensure an internal error answers a short apology with a
		// reference, never the error itself, and is logged once with it.
		{"internal", errorString("bbolt: disk on fire"), nil, "/log", "call Acme hello",
			":x: Something went wrong on our side; nothing was changed. (reference ", true},
		// Ensure a panic while the command runs (outside the request, so no
		// recover of the server's catches it) is an internal error too,
		// not the end of the process.
		{"panic", nil, "disk on fire", "/log", "call Acme hello",
			":x: Something went wrong on our side; nothing was changed. (reference ", true},
		// Ensure a refusal answers its message, and is not logged as a failure.
		{"invalid", nil, nil, "/log", "bogus Acme", `:x: "bogus" is not a kind of touch`, false},
		// Ensure a name that matches nothing answers what to do instead.
		{"not found", nil, nil, "/log", "call Nobody hello", ":x: No open lead or opportunity matches", false},
		// Ensure a command that does not parse answers how to write it.
		{"unparsed", nil, nil, "/tb", "frobnicate Acme", ":x: Unknown command", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, nil)
			tb.db.err, tb.db.panicking = tt.dbErr, tt.dbPanic
			code, body := tb.slash("U1", tt.command, tt.text, tb.fake.NewResponseURL())
			if code != http.StatusOK {
				t.Fatalf("status=%d, want 200 (%s)", code, body)
			}
			tb.bot.Wait()
			a := mustAnswer(t, body)
			if !strings.HasPrefix(a.Text, tt.want) {
				t.Fatalf("text=%q, want it to start with %q", a.Text, tt.want)
			}
			logged := tb.log.records(t, "command failed")
			if !tt.internal {
				if len(logged) != 0 {
					t.Fatalf("logged %v, want no failure logged for a refusal", logged)
				}
				return
			}
			if strings.Contains(body, "disk on fire") {
				t.Fatalf("answer %s shows the internal error", body)
			}
			m := refRE.FindStringSubmatch(a.Text)
			if m == nil {
				t.Fatalf("text=%q, want a reference", a.Text)
			}
			if len(logged) != 1 {
				t.Fatalf("logged %d failures, want 1: %v", len(logged), logged)
			}
			if got := logged[0]; got["ref"] != m[1] || got["level"] != "ERROR" || !strings.Contains(got["error"].(string), "disk on fire") {
				t.Fatalf("logged %v, want the error at ERROR with ref %s", got, m[1])
			}
			// Ensure the failure is logged under the request's id, the one
			// the response carries and the handler's line too.
			id := tb.header.Get("X-Request-Id")
			if !touchbase.ValidRequestID(id) || logged[0]["request_id"] != id {
				t.Fatalf("logged %v, response X-Request-Id %q: want the failure under that id", logged[0], id)
			}
			want := touchbase.EINTERNAL
			if tt.dbPanic != nil {
				want = "panic"
			}
			if cmd := tb.log.records(t, "command"); len(cmd) != 1 || cmd[0]["request_id"] != id || cmd[0]["outcome"] != want {
				t.Fatalf("command lines %v, want one, %s, under %q", cmd, want, id)
			}
		})
	}
}

// errorString is a plain error: no touchbase code, so internal.
type errorString string

func (e errorString) Error() string { return string(e) }

// suggestion is a block_suggestion answer.
type suggestion struct {
	Options []struct {
		Text  slackgo.TextBlockObject `json:"text"`
		Value string                  `json:"value"`
	} `json:"options"`
}

func TestBot_Suggest(t *testing.T) {
	tb := newTestBot(t, nil)
	long := strings.Repeat("Acme Long Name ", 8) // a label past Slack's 75 characters
	tb.run("U1", `lead "Taro Yamada" company:"Acme KK"`)
	tb.run("U1", `lead "`+strings.TrimSpace(long)+`" company:"Acme Holdings"`)
	tb.run("U1", `deal "Acme Trading" "Acme ERP rollout" amount:5m`)
	tb.run("U1", `deal "`+strings.TrimSpace(long)+`" "`+long+`support"`)

	refRE := regexp.MustCompile(`^(lead|opp|account)#[1-9][0-9]*$`)
	tests := []struct {
		actionID string
		want     []string // the kinds of reference offered
	}{
		// Ensure the record picker of /log offers leads and opportunities.
		{slack.PickRecordAction, []string{"lead", "opp"}},
		// Ensure the qualify picker offers leads and opportunities.
		{slack.PickQualifiableAction, []string{"lead", "opp"}},
		// Ensure the convert picker offers leads only.
		{slack.PickLeadAction, []string{"lead"}},
		// Ensure the opportunity picker offers opportunities only.
		{"tb_pick_opportunity", []string{"opp"}},
		// Ensure the account picker of /deal offers accounts only.
		{slack.PickAccountAction, []string{"account"}},
		// Ensure a picker that is not touchbase's offers nothing.
		{"tb_pick_bogus", nil},
	}
	for _, tt := range tests {
		t.Run(tt.actionID, func(t *testing.T) {
			code, body := tb.interact(map[string]any{
				"type": "block_suggestion", "user": map[string]any{"id": "U1", "name": "u1"},
				"action_id": tt.actionID, "block_id": "record", "value": "acme",
				"view": map[string]any{"id": "V1", "type": "modal", "callback_id": "tb_log"},
			})
			if code != http.StatusOK {
				t.Fatalf("status=%d, want 200 (%s)", code, body)
			}
			var s suggestion
			if err := json.Unmarshal([]byte(body), &s); err != nil || s.Options == nil {
				t.Fatalf("answer=%s (%v), want options, [] when none", body, err)
			}
			kinds, cut := map[string]bool{}, false
			for _, o := range s.Options {
				if !refRE.MatchString(o.Value) {
					t.Fatalf("option value %q, want a record reference", o.Value)
				}
				if n := utf8.RuneCountInString(o.Text.Text); n == 0 || n > 75 || o.Text.Type != slackgo.PlainTextType {
					t.Fatalf("option label %q (%d characters, %s), want plain text of 1 to 75", o.Text.Text, n, o.Text.Type)
				}
				kinds[strings.Split(o.Value, "#")[0]] = true
				cut = cut || strings.HasSuffix(o.Text.Text, "…")
			}
			if tt.want != nil && !cut {
				t.Fatalf("options=%+v, want the long name's label cut to fit", s.Options)
			}
			if len(kinds) != len(tt.want) {
				t.Fatalf("offered %v, want %v", kinds, tt.want)
			}
			for _, k := range tt.want {
				if !kinds[k] {
					t.Fatalf("offered %v, want %v", kinds, tt.want)
				}
			}
		})
	}
}

func TestBot_UnknownButton(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		// Ensure a button whose value is no command answers ":x:".
		{"not a command", "frobnicate lead#1"},
		// Ensure a blank value is no command either.
		{"blank", "   "},
		// Ensure a value longer than any button of ours is refused.
		{"too long", "log call lead#1 " + strings.Repeat("x", 2000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, nil)
			tb.run("U1", `lead "Taro Yamada" company:"Acme KK"`)
			before, updates := tb.export(), tb.db.updates.Load()
			respURL := tb.fake.NewResponseURL()
			code, body := tb.interact(map[string]any{
				"type": "block_actions", "user": map[string]any{"id": "U1"}, "response_url": respURL,
				"trigger_id": "24571818370.22717085937.b9c7ca14b87be6b44ff5864edba8306f",
				"actions": []map[string]any{{"type": "button", "action_id": "tb_action_1", "block_id": "tb_actions_1",
					"value": tt.value, "action_ts": "1700000000.000001"}},
			})
			if code != http.StatusOK {
				t.Fatalf("status=%d, want 200 (%s)", code, body)
			}
			if a := mustAnswer(t, string(tb.fake.WaitResponse(respURL, 10*time.Second))); !strings.HasPrefix(a.Text, ":x:") {
				t.Fatalf("answer=%q, want a :x: refusal", a.Text)
			}
			if got := tb.db.updates.Load(); got != updates {
				t.Fatalf("%d store updates, want none", got-updates)
			}
			if tb.export() != before {
				t.Fatal("the store changed")
			}
			if calls := tb.fake.Calls("views.open"); len(calls) != 0 {
				t.Fatalf("views.open called %d times, want none", len(calls))
			}
		})
	}
}

// sentBack sets the scene of a send-back: U1 (Inside Sales) qualified Acme
// and handed it to U2 as opp#1; U2 has the "Send back" button.
func sentBack(t *testing.T) *testBot {
	t.Helper()
	tb := newTestBot(t, nil)
	tb.run("U2", "followups")
	tb.run("U1", `lead "Taro Yamada" company:"Acme KK"`)
	tb.run("U1", "qualify Acme b:yes n:yes")
	r := tb.run("U1", "convert Acme to:<@U2>")
	for _, n := range r.Notices {
		for _, a := range n.Reply.Actions {
			if n.To == "U2" && a.Command == "stage opp#1 back reason:" {
				return tb
			}
		}
	}
	t.Fatalf("convert notices=%+v, want a send-back button for U2", r.Notices)
	return nil
}

func TestBot_SendBack(t *testing.T) {
	tb := sentBack(t)
	const line = "stage opp#1 back reason:"

	// Ensure the button asks for the reason in a modal, and changes nothing yet.
	before := tb.export()
	code, body := tb.interact(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U2"}, "response_url": tb.fake.NewResponseURL(),
		"trigger_id": "24571818370.22717085937.b9c7ca14b87be6b44ff5864edba8306f",
		"actions": []map[string]any{{"type": "button", "action_id": "tb_action_2", "block_id": "tb_actions_1",
			"value": line, "action_ts": "1700000000.000001"}},
	})
	if code != http.StatusOK || body != "" {
		t.Fatalf("block_actions: %d %q, want an empty 200", code, body)
	}
	opened := tb.fake.WaitFor("views.open", 1, 10*time.Second)
	var req struct {
		TriggerID string `json:"trigger_id"`
		View      struct {
			CallbackID      string `json:"callback_id"`
			PrivateMetadata string `json:"private_metadata"`
			Blocks          []struct {
				BlockID string `json:"block_id"`
			} `json:"blocks"`
		} `json:"view"`
	}
	if err := json.Unmarshal(opened[0].JSON, &req); err != nil {
		t.Fatal(err)
	}
	if req.View.CallbackID != "tb_reason" || req.View.PrivateMetadata != line || !strings.HasPrefix(req.TriggerID, "24571818370.") ||
		len(req.View.Blocks) != 1 || req.View.Blocks[0].BlockID != "reason" {
		t.Fatalf("views.open=%s, want the tb_reason modal carrying the command", opened[0].JSON)
	}
	if tb.export() != before {
		t.Fatal("pressing the button changed the store")
	}

	submit := func(viewID, reason string) (int, string) {
		t.Helper()
		return tb.interact(map[string]any{
			"type": "view_submission", "user": map[string]any{"id": "U2"},
			"view": map[string]any{"id": viewID, "hash": "1700000000.abc", "type": "modal", "callback_id": "tb_reason",
				"private_metadata": line, "state": map[string]any{"values": map[string]any{
					"reason": map[string]any{"reason": map[string]any{"type": "plain_text_input", "value": reason}}}}},
		})
	}
	tests := []struct {
		name   string
		reason string
		want   string // in the answer
		stage  int    // opp#1's stage after
		owner  string // opp#1's owner after
	}{
		// Ensure an empty reason comes back as an error on the reason block.
		{"empty", "", `{"response_action":"errors","errors":{"reason":"Say why`, 1, "U2"},
		// Ensure a blank reason is empty too.
		{"blank", " \n ", `{"response_action":"errors","errors":{"reason":"Say why`, 1, "U2"},
		// Ensure the reason runs the command: the opportunity goes back to U1.
		{"reason", `no "budget" this year`, `"response_action":"update"`, 1, "U1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := submit("V"+string(rune('A'+i)), tt.reason)
			if code != http.StatusOK || !strings.Contains(body, tt.want) {
				t.Fatalf("view_submission: %d %s, want %s", code, body, tt.want)
			}
			if o := tb.opportunity(1); o.Stage != tt.stage || o.Owner != tt.owner {
				t.Fatalf("opp#1 at stage %d owned by %s, want %d by %s", o.Stage, o.Owner, tt.stage, tt.owner)
			}
		})
	}
	o := tb.opportunity(1)
	if h := o.History[len(o.History)-1]; h.Kind != touchbase.StageSentBack || h.Reason != "no 'budget' this year" {
		t.Fatalf("last change=%+v, want sent back with the reason", h)
	}
	// U1 is told, through the outbox, after U2's handoff notice.
	var due []*touchbase.Message
	if err := tb.db.DB.View(context.Background(), func(tx touchbase.Tx) (err error) {
		due, err = tx.DueMessages(testNow, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[1].To != "U1" || !strings.Contains(string(due[1].Body), "back to you") {
		t.Fatalf("outbox=%+v, want the handoff notice to U2 then the send-back notice to U1", due)
	}
}

func TestBot_ViewSubmissionRefused(t *testing.T) {
	// A JPY workspace: "1.5" passes the form's check (some currency has
	// cents) and is refused by the handler (no yen has).
	jpy := touchbase.DefaultConfig()
	jpy.Currency = "JPY"
	tests := []struct {
		name   string
		lead   string // the lead created first
		verb   string
		values map[string]string
		want   string // the block the error is next to; "" for an update
		msg    string // in the answer
	}{
		// Ensure an amount refused by the handler is shown next to the amount.
		{"convert amount", `"Taro Yamada" company:"Acme KK"`, "convert", map[string]string{"lead": "lead#1", "amount": "1.5"},
			"amount", "fractions of a yen"},
		{"deal amount", "", "deal", map[string]string{"new_account": "Gamma Corp", "name": "ERP", "amount": "1.5"},
			"amount", "fractions of a yen"},
		// Ensure a date refused by the handler is shown next to the date.
		{"log next in the past", `"Taro Yamada" company:"Acme KK"`, "log", map[string]string{"record": "lead#1", "next": "2026-01-05"},
			"next", "is in the past"},
		// Ensure a value the handler refuses in quotes is shown next to its field.
		{"lead email", "", "lead", map[string]string{"name": "Taro Yamada", "email": "taro at acme"},
			"email", "is not an email address"},
		// Ensure a refusal that starts with a record's name is not taken for
		// a field of the same name: "Close Brothers is not qualified" is no
		// error of the close date.
		{"record named like a field", `company:"Close Brothers"`, "convert", map[string]string{"lead": "lead#1", "close": "2027-03-31"},
			"", "Close Brothers is not qualified"},
		{"record named like the date", `company:"Date Systems"`, "convert", map[string]string{"lead": "lead#1", "close": "2027-03-31"},
			"", "Date Systems is not qualified"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, jpy)
			tb.run("U1", "followups") // U1 is a rep
			if tt.lead != "" {
				tb.run("U1", "lead "+tt.lead)
				if !strings.Contains(tt.name, "named") {
					tb.run("U1", "qualify lead#1 b:yes n:yes")
				}
			}
			before := tb.export()
			v, err := slack.Modal(tt.verb, nil)
			if err != nil {
				t.Fatal(err)
			}
			code, body := tb.interact(map[string]any{
				"type": "view_submission", "user": map[string]any{"id": "U1"},
				"view": map[string]any{"id": "V1", "hash": "1700000000.abc", "type": "modal", "callback_id": v.CallbackID,
					"private_metadata": v.PrivateMetadata, "state": fill(t, v, tt.values)},
			})
			if code != http.StatusOK {
				t.Fatalf("status=%d, want 200 (%s)", code, body)
			}
			var resp struct {
				Action string            `json:"response_action"`
				Errors map[string]string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &resp); err != nil {
				t.Fatalf("answer %s: %v", body, err)
			}
			switch {
			case tt.want == "" && (resp.Action != "update" || !strings.Contains(body, tt.msg)):
				t.Fatalf("answer=%s, want an update showing %q", body, tt.msg)
			case tt.want != "" && (resp.Action != "errors" || len(resp.Errors) != 1 || !strings.Contains(resp.Errors[tt.want], tt.msg)):
				t.Fatalf("answer=%s, want an error with %q on %q only", body, tt.msg, tt.want)
			}
			for _, msg := range resp.Errors {
				if n := utf8.RuneCountInString(msg); n > 150 {
					t.Fatalf("error of %d characters, more than Slack shows", n)
				}
			}
			if tb.export() != before {
				t.Fatal("a refused submission changed the store")
			}
		})
	}
}

// dmEvent is a direct message to the bot as the Events API sends it.
func dmEvent(eventID, text string, extra map[string]any) map[string]any {
	ev := map[string]any{"type": "message", "channel": "D123ABC456", "user": "U1", "text": text,
		"ts": "1700000100.000100", "event_ts": "1700000100.000100", "channel_type": "im"}
	for k, v := range extra {
		ev[k] = v
	}
	return map[string]any{"type": "event_callback", "team_id": "T123ABC456", "api_app_id": "A123ABC456",
		"event": ev, "event_id": eventID, "event_time": 1700000100}
}

func TestBot_DirectMessage(t *testing.T) {
	tests := []struct {
		name    string
		events  []map[string]any
		replies int // chat.postMessage calls
		leads   int // leads in the store after
	}{
		// Ensure a DM is run as a command and answered in its thread.
		{"command", []map[string]any{dmEvent("Ev1", `lead "Taro Yamada" company:"Acme KK"`, nil)}, 1, 1},
		// Ensure a message from a bot (the bot's own answers) is not a command.
		{"from a bot", []map[string]any{dmEvent("Ev1", `lead "Taro Yamada" company:"Acme KK"`, map[string]any{"bot_id": fakeslack.BotID})}, 0, 0},
		// Ensure an edit (message_changed) is not run again.
		{"edited", []map[string]any{dmEvent("Ev1", `lead "Taro Yamada" company:"Acme KK"`, map[string]any{"subtype": "message_changed"})}, 0, 0},
		// Ensure Slack's retry of an event (the same event_id) is applied and
		// answered once; another event with the same text is another command.
		{"retried", []map[string]any{
			dmEvent("Ev1", `lead "Taro Yamada" company:"Acme KK"`, nil),
			dmEvent("Ev1", `lead "Taro Yamada" company:"Acme KK"`, nil),
			dmEvent("Ev2", `lead "Hanako Sato" company:"Beta"`, nil),
		}, 2, 2},
		// Ensure a message in a channel is not a command.
		{"channel", []map[string]any{dmEvent("Ev1", `lead "Taro Yamada"`, map[string]any{"channel_type": "channel"})}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := newTestBot(t, nil)
			for _, ev := range tt.events {
				if code, body := tb.event(ev); code != http.StatusOK {
					t.Fatalf("status=%d, want 200 (%s)", code, body)
				}
			}
			// Events are applied and answered before the 200.
			posts := tb.fake.Calls("chat.postMessage")
			if len(posts) != tt.replies {
				t.Fatalf("chat.postMessage called %d times, want %d", len(posts), tt.replies)
			}
			for _, p := range posts {
				if p.Param("channel") != "D123ABC456" || p.Param("thread_ts") != "1700000100.000100" || !strings.Contains(p.Param("text"), "lead#") {
					t.Fatalf("reply channel=%q thread=%q text=%q, want the new lead in the DM's thread", p.Param("channel"), p.Param("thread_ts"), p.Param("text"))
				}
			}
			var leads []*touchbase.Lead
			if err := tb.db.DB.View(context.Background(), func(tx touchbase.Tx) (err error) {
				leads, err = tx.Leads(touchbase.LeadFilter{})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if len(leads) != tt.leads {
				t.Fatalf("%d leads, want %d", len(leads), tt.leads)
			}
		})
	}
}

func TestBot_AppHome(t *testing.T) {
	tb := newTestBot(t, nil)
	tb.run("U1", `lead "Taro Yamada" company:"Acme KK"`)
	tb.run("U1", `lead "Hanako Sato" company:"Beta"`)
	tb.run("U2", `lead "Someone Else" company:"Gamma"`)

	// Ensure opening the App Home publishes the rep's follow-ups due today,
	// each with buttons whose values are commands on that record.
	if code, body := tb.event(map[string]any{
		"type": "event_callback", "team_id": "T123ABC456", "api_app_id": "A123ABC456", "event_id": "Ev123ABC456", "event_time": 1700000000,
		"event": map[string]any{"type": "app_home_opened", "user": "U1", "channel": "D123ABC456", "tab": "home", "event_ts": "1700000000.000001"},
	}); code != http.StatusOK {
		t.Fatalf("status=%d, want 200 (%s)", code, body)
	}
	calls := tb.fake.Calls("views.publish")
	if len(calls) != 1 || calls[0].Param("user_id") != "U1" {
		t.Fatalf("views.publish calls=%+v, want one for U1", calls)
	}
	var view struct {
		Type   string `json:"type"`
		Blocks []struct {
			Type     string                       `json:"type"`
			Elements []slackgo.ButtonBlockElement `json:"elements"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(calls[0].Param("view")), &view); err != nil {
		t.Fatal(err)
	}
	if view.Type != "home" {
		t.Fatalf("view type=%q, want home", view.Type)
	}
	logCalls := map[string]bool{}
	for _, b := range view.Blocks {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			line, ok := slack.ParseButtonValue(e.Value)
			if !ok {
				t.Fatalf("button %q has value %q, want a command", e.Text.Text, e.Value)
			}
			if strings.HasPrefix(line, "log call ") {
				logCalls[strings.TrimPrefix(line, "log call ")] = true
			}
		}
	}
	if len(logCalls) != 2 || !logCalls["lead#1"] || !logCalls["lead#2"] {
		t.Fatalf("log call buttons on %v, want lead#1 and lead#2 (not U2's lead#3)", logCalls)
	}

	// Ensure pressing one there logs the call, and the Home is published again.
	code, body := tb.interact(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U1"}, "trigger_id": "24571818370.1.b",
		"view": map[string]any{"id": "V0HOME", "type": "home", "hash": "1700000000.abc"},
		"actions": []map[string]any{{"type": "button", "action_id": "tb_item_1_1", "block_id": "tb_item_1_actions",
			"value": "log call lead#1", "action_ts": "1700000001.000001"}},
	})
	if code != http.StatusOK {
		t.Fatalf("block_actions: %d %s", code, body)
	}
	if n := len(tb.fake.Calls("views.publish")); n != 2 {
		t.Fatalf("views.publish called %d times, want 2", n)
	}
	touches := 0
	if err := tb.db.DB.View(context.Background(), func(tx touchbase.Tx) error {
		return tx.Activities(touchbase.ActivityFilter{LeadID: 1}, func(a *touchbase.Activity) error {
			if a.Kind == "call" {
				touches++
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if touches != 1 {
		t.Fatalf("%d calls logged on lead#1, want 1", touches)
	}
}
