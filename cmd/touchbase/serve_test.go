package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/slack/fakeslack"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// served is the real program serving on loopback against a fake Slack.
type served struct {
	t      *testing.T
	fake   *fakeslack.Server
	addr   string
	routes []string // the patterns serve serves
	db     string
	stop   func() error
	clock  func() time.Time
	stdout bytes.Buffer
}

// evening is Tuesday 2026-11-24 22:00 in Tokyo.
var evening = time.Date(2026, 11, 24, 13, 0, 0, 0, time.UTC)

// serve runs `touchbase serve` with env on 127.0.0.1:0 and a fresh database.
func serve(t *testing.T, env map[string]string) *served {
	t.Helper()
	return serveAt(t, env, filepath.Join(t.TempDir(), "touchbase.db"), time.Time{}, nil)
}

// serveAt runs `touchbase serve args...` on the database at db, with the
// clock stopped at now (or, when now is zero, running from a fixed evening);
// opts change the program before it starts.
func serveAt(t *testing.T, env map[string]string, db string, now time.Time, args []string, opts ...func(*Main)) *served {
	t.Helper()
	s := &served{t: t, fake: fakeslack.New(t), db: db}
	base := map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": s.fake.URL(),
		"TOUCHBASE_ADDR": "127.0.0.1:0", "TOUCHBASE_DB": s.db,
	}
	for k, v := range env {
		base[k] = v
	}
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(""), &s.stdout, &s.stdout
	m.Logger = slog.New(slog.NewTextHandler(&s.stdout, nil))
	m.ServeLogger = nil
	// The program's clock runs from a fixed evening in Tokyo (quiet hours,
	// so the scheduler sends nothing of its own), and requests are signed
	// on that clock.
	start := time.Now()
	s.clock = func() time.Time { return evening.Add(time.Since(start)) }
	if !now.IsZero() {
		s.clock = func() time.Time { return now }
	}
	m.Now = s.clock
	m.Getenv = func(k string) string { return base[k] }
	for _, o := range opts {
		o(m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		err := m.Run(ctx, append([]string{"serve"}, args...))
		if cerr := m.Close(); err == nil {
			err = cerr
		}
		errc <- err
	}()
	wait, cancelWait := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelWait()
	addr, err := m.Addr(wait)
	if err != nil {
		cancel()
		t.Fatalf("serve did not start: %v (%v)", err, <-errc)
	}
	s.addr, s.routes = addr, m.routes
	stopped := false
	s.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(15 * time.Second):
			return fmt.Errorf("serve did not stop")
		}
	}
	t.Cleanup(func() { _ = s.stop() })
	return s
}

// post sends body to path, signed as Slack signs it at the given time.
func (s *served) post(path, contentType string, body []byte, at time.Time, header http.Header) (int, []byte) {
	s.t.Helper()
	resp, b := s.do(path, contentType, body, at, header)
	return resp.StatusCode, b
}

// do is post, returning the response (its body read and closed).
func (s *served) do(path, contentType string, body []byte, at time.Time, header http.Header) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if !at.IsZero() {
		ts, sig := slack.Sign(body, secret, at)
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// slash sends a slash command shaped like Slack's own (the signing
// example's body), and returns the status and the answer's text.
func (s *served) slash(user, command, text string) (int, string) {
	s.t.Helper()
	resp, body := s.slashWith(user, command, text, nil)
	return resp.StatusCode, string(body)
}

// slashWith is slash with extra request headers, returning the response.
func (s *served) slashWith(user, command, text string, header http.Header) (*http.Response, []byte) {
	s.t.Helper()
	form := url.Values{
		"token": {"xyzz0WbapA4vBCDEFasx0q6G"}, "team_id": {"T1DC2JH3J"}, "team_domain": {"testteamnow"},
		"channel_id": {"G8PSS9T3V"}, "channel_name": {"foobar"}, "user_id": {user}, "user_name": {strings.ToLower(user)},
		"command": {command}, "text": {text}, "response_url": {s.fake.NewResponseURL()},
		"trigger_id": {"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"},
	}
	return s.do("/slack/commands", "application/x-www-form-urlencoded", []byte(form.Encode()), s.clock(), header)
}

// interact sends an interaction payload.
func (s *served) interact(payload any) (int, []byte) {
	s.t.Helper()
	p, err := json.Marshal(payload)
	if err != nil {
		s.t.Fatal(err)
	}
	body := url.Values{"payload": {string(p)}}.Encode()
	return s.post("/slack/interactions", "application/x-www-form-urlencoded", []byte(body), s.clock(), nil)
}

func fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %s\nwant it to contain %q", what, got, w)
		}
	}
}

// Ensure HTTP mode end to end: verification first, a slash command per
// verb, a form opened for a command without text, the BANT modal submitted
// and converted from its button, a button press applied once, a DM and its
// retry, the App Home, and every change in the export after shutdown.
func TestServe_HTTP(t *testing.T) {
	s := serve(t, nil)

	resp, err := http.Get("http://" + s.addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()

	// Unsigned, stale and forged requests are refused before anything is read.
	lead := url.Values{"command": {"/lead"}, "text": {"Mallory company:Evil"}, "user_id": {"U666"}}.Encode()
	for name, at := range map[string]time.Time{"unsigned": {}, "stale": s.clock().Add(-6 * time.Minute)} {
		if code, _ := s.post("/slack/commands", "application/x-www-form-urlencoded", []byte(lead), at, nil); code != http.StatusUnauthorized {
			t.Fatalf("%s request: status %d, want 401", name, code)
		}
	}
	forged := http.Header{"X-Slack-Signature": {"v0=" + strings.Repeat("0", 64)}, "X-Slack-Request-Timestamp": {fmt.Sprint(s.clock().Unix())}}
	if code, _ := s.post("/slack/events", "application/json", []byte(`{"type":"url_verification","challenge":"x"}`), time.Time{}, forged); code != http.StatusUnauthorized {
		t.Fatalf("forged request: status %d, want 401", code)
	}

	// url_verification is answered with the challenge.
	uv, _ := json.Marshal(fixture(t, "url_verification_request.docs.json"))
	code, body := s.post("/slack/events", "application/json", uv, s.clock(), nil)
	if code != http.StatusOK || !strings.Contains(string(body), fixture(t, "url_verification_request.docs.json")["challenge"].(string)) {
		t.Fatalf("url_verification: %d %s", code, body)
	}

	// A slash command per verb.
	code, text := s.slash("U1", "/lead", `"Taro Yamada" company:"Acme KK" email:taro@acme.co.jp source:"Nov webinar"`)
	if code != http.StatusOK {
		t.Fatalf("/lead: %d %s", code, text)
	}
	wantContains(t, "/lead", text, `"response_type":"ephemeral"`, "Taro Yamada (Acme KK)", "lead#1", "Log call")
	if calls := s.fake.Calls("users.info"); len(calls) != 1 || calls[0].Param("user") != "U1" {
		t.Fatalf("users.info calls=%+v, want one for U1", calls)
	}
	_, text = s.slash("U1", "/log", "call Acme intro call, interested")
	wantContains(t, "/log", text, "touch 1 of 5")
	_, text = s.slash("U1", "/tb", "log email acme sent the price list next:fri")
	wantContains(t, "/tb log", text, "touch 2 of 5")
	_, text = s.slash("U1", "/log", "call Nobody hello")
	wantContains(t, "/log refused", text, ":x:", "No open lead or opportunity matches")
	_, text = s.slash("U1", "/followups", "week")
	wantContains(t, "/followups", text, "Taro Yamada")
	_, text = s.slash("U1", "/tb", "help stage")
	wantContains(t, "/tb help", text, "/stage NAME")
	_, text = s.slash("U1", "/lgo", "call Acme")
	wantContains(t, "unknown verb", text, "Did you mean /log")

	// Without text, a command opens its form.
	if code, text := s.slash("U1", "/log", ""); code != http.StatusOK || text != "" {
		t.Fatalf("/log without text: %d %q, want an empty 200", code, text)
	}
	opened := s.fake.WaitFor("views.open", 1, 5*time.Second)
	wantContains(t, "views.open", string(opened[0].JSON), `"callback_id":"tb_log"`, "398738663015")

	// The BANT form: /qualify NAME opens it for that lead.
	s.slash("U1", "/qualify", "Acme")
	opened = s.fake.WaitFor("views.open", 2, 5*time.Second)
	wantContains(t, "views.open", string(opened[1].JSON), `"callback_id":"tb_qualify"`, `"private_metadata":"lead#1"`, "bant_a")

	// Submitting it (b yes, a no, n yes, t unknown) qualifies the lead and
	// shows the result with a Convert button.
	sub := fixture(t, "view_submission_qualify.json")
	sub["user"].(map[string]any)["id"] = "U1"
	sub["view"].(map[string]any)["private_metadata"] = "lead#1"
	code, body = s.interact(sub)
	if code != http.StatusOK {
		t.Fatalf("view_submission: %d %s", code, body)
	}
	wantContains(t, "view_submission", string(body), `"response_action":"update"`, "2 of 4 yes", "Convert to opportunity", "convert lead#1")

	// The Convert button inside the modal converts once.
	press := fixture(t, "block_actions_home_tab.docs.json")
	press["user"].(map[string]any)["id"] = "U1"
	view := press["view"].(map[string]any)
	view["type"] = "modal"
	action := press["actions"].([]any)[0].(map[string]any)
	action["action_id"], action["value"], action["action_ts"] = "tb_action_1", "convert lead#1 amount:¥5,000,000", "1700000000.000001"
	for range 2 {
		if code, body := s.interact(press); code != http.StatusOK {
			t.Fatalf("block_actions: %d %s", code, body)
		}
	}
	updated := s.fake.WaitFor("views.update", 1, 5*time.Second)
	wantContains(t, "views.update", string(updated[0].JSON), "opp#1", "¥5,000,000")

	// A follow-up button pressed, delivered twice, counts once; a second
	// press (a new action_ts) counts again.
	view["type"] = "home"
	action["value"] = "log call opp#1"
	for _, ts := range []string{"1700000001.000001", "1700000001.000001", "1700000002.000001"} {
		action["action_ts"] = ts
		if code, body := s.interact(press); code != http.StatusOK {
			t.Fatalf("block_actions: %d %s", code, body)
		}
	}
	// Pressing a button on a record that does not exist answers, changes nothing.
	action["value"], action["action_ts"] = "log call opp#99", "1700000003.000001"
	s.interact(press)
	dms := s.fake.WaitFor("chat.postMessage", 1, 5*time.Second)
	wantContains(t, "missing record", dms[0].Param("text"), ":x:")

	// The rest of the verbs.
	_, text = s.slash("U1", "/stage", "Acme next")
	wantContains(t, "/stage", text, "Needs definition")
	_, text = s.slash("U1", "/stage", "Acme 4")
	wantContains(t, "/stage gate", text, "Authority = yes")
	_, text = s.slash("U1", "/deal", `Beta "Support plan" amount:$20k close:2027-03`)
	wantContains(t, "/deal", text, "Support plan", "$20,000")
	_, text = s.slash("U1", "/pipeline", "")
	wantContains(t, "/pipeline", text, "2 opportunities open")
	_, text = s.slash("U1", "/convert", "Acme")
	wantContains(t, "/convert of a converted lead", text, ":x:")
	_, text = s.slash("U1", "/tb", `team create "FS Tokyo" field_sales <#C123|fs-tokyo>`)
	wantContains(t, "/tb team", text, "Created team FS Tokyo")
	s.slash("U1", "/lead", `"Ken Ito" company:Gamma`)
	s.slash("U1", "/lead", `"Jun Mori" company:Delta`)
	_, text = s.slash("U1", "/tb", "snooze Gamma +3d")
	wantContains(t, "/tb snooze", text, "Snoozed Ken Ito (Gamma)")
	_, text = s.slash("U1", "/tb", "nurture Gamma")
	wantContains(t, "/tb nurture", text, "moved to nurture")
	_, text = s.slash("U1", "/tb", `disqualify Delta reason:"student, not a buyer"`)
	wantContains(t, "/tb disqualify", text, "disqualified")
	s.slash("U1", "/deal", `Zeta "Platform" amount:$50k`)
	s.slash("U1", "/qualify", `Zeta b:yes a:yes n:yes`)
	_, text = s.slash("U1", "/stage", "Zeta won arr:$40k")
	wantContains(t, "/stage won", text, "Contract started: $40,000 a year")
	_, text = s.slash("U1", "/renewal", "Zeta renewed amount:45k")
	wantContains(t, "/renewal", text, "renewed: $45,000 a year")
	_, text = s.slash("U1", "/upsell", `Zeta "Add-on" amount:$5k`)
	wantContains(t, "/upsell", text, "Upsell opportunity Add-on for Zeta")
	_, text = s.slash("U1", "/digest", "")
	wantContains(t, "/digest", text, "Preview — Weekly digest", "Bottleneck")

	// A direct message is the command language without the slash; Slack's
	// retry of the same event is applied once and answered once.
	dm := map[string]any{
		"type": "event_callback", "token": "XXYYZZ", "team_id": "T123ABC456", "api_app_id": "A123ABC456",
		"event": map[string]any{"type": "message", "channel": "D123ABC456", "user": "U1", "text": "log meeting beta demo went well next mon",
			"ts": "1700000100.000100", "event_ts": "1700000100.000100", "channel_type": "im"},
		"event_id": "Ev0DM00001", "event_time": 1700000100,
	}
	dmBody, _ := json.Marshal(dm)
	for i := range 2 {
		h := http.Header{}
		if i > 0 {
			h.Set("X-Slack-Retry-Num", "1")
			h.Set("X-Slack-Retry-Reason", "http_timeout")
		}
		if code, body := s.post("/slack/events", "application/json", dmBody, s.clock(), h); code != http.StatusOK {
			t.Fatalf("message.im: %d %s", code, body)
		}
	}
	posts := s.fake.WaitFor("chat.postMessage", 2, 5*time.Second)
	wantContains(t, "DM reply", posts[1].Param("text"), "Logged meeting with Support plan", "touch 1 of 5")
	if got := posts[1].Param("thread_ts"); got != "1700000100.000100" {
		t.Fatalf("DM reply thread_ts=%q, want the message's ts", got)
	}

	// Opening the App Home publishes it.
	home := fixture(t, "app_home_opened_event_callback.composed.json")
	home["event"].(map[string]any)["user"] = "U1"
	homeBody, _ := json.Marshal(home)
	if code, body := s.post("/slack/events", "application/json", homeBody, s.clock(), nil); code != http.StatusOK {
		t.Fatalf("app_home_opened: %d %s", code, body)
	}
	pub := s.fake.WaitFor("views.publish", 1, 5*time.Second)
	wantContains(t, "views.publish", string(pub[0].JSON), `"user_id":"U1"`, `"type":"home"`, "Touches this week")

	// Malformed bodies get a 4xx and change nothing.
	if code, _ := s.post("/slack/interactions", "application/x-www-form-urlencoded", []byte("payload=%7Bnot+json"), s.clock(), nil); code != http.StatusBadRequest {
		t.Fatalf("malformed interaction: %d, want 400", code)
	}
	if code, _ := s.post("/slack/events", "application/json", []byte(`{"type":`), s.clock(), nil); code != http.StatusBadRequest {
		t.Fatalf("malformed event: %d, want 400", code)
	}

	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, s.stdout.String())
	}
	var x struct {
		Leads         []struct{ Status string } `json:"leads"`
		Opportunities []struct {
			Name    string
			Touches int
			Stage   int
		} `json:"opportunities"`
		Activities []struct{ Kind, Owner string } `json:"activities"`
		Reps       []struct {
			ID       string `json:"id"`
			TimeZone string `json:"time_zone"`
		} `json:"reps"`
	}
	if err := json.Unmarshal([]byte(run(t, "", "export", "--db", s.db)), &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Leads) != 3 || x.Leads[0].Status != "converted" || x.Leads[1].Status != "nurture" || x.Leads[2].Status != "disqualified" {
		t.Fatalf("leads=%+v, want converted, nurture, disqualified (and no lead from the unsigned request)", x.Leads)
	}
	if len(x.Opportunities) != 4 || x.Opportunities[0].Touches != 2 || x.Opportunities[0].Stage != 2 || x.Opportunities[1].Touches != 1 || x.Opportunities[2].Stage != 8 {
		t.Fatalf("opportunities=%+v, want Acme with 2 touches at stage 2, Beta with 1, Zeta won and its upsell", x.Opportunities)
	}
	if len(x.Activities) != 5 {
		t.Fatalf("activities=%+v, want 5: two touches on the lead, two button presses, one DM", x.Activities)
	}
	if len(x.Reps) != 1 || x.Reps[0].ID != "U1" || x.Reps[0].TimeZone != "Asia/Tokyo" {
		t.Fatalf("reps=%+v, want U1 in Asia/Tokyo from users.info", x.Reps)
	}
}

// Ensure a handoff notice reaches the receiving rep through the outbox,
// once, even when Slack rate-limits the first tries.
func TestServe_NoticeThroughRateLimit(t *testing.T) {
	s := serve(t, nil)
	s.slash("U2", "/followups", "") // U2 is a rep
	s.slash("U1", "/lead", `"Taro Yamada" company:"Acme KK"`)
	s.slash("U1", "/qualify", "Acme b:yes n:yes")
	s.fake.RateLimit("chat.postMessage", 2, time.Second)
	_, text := s.slash("U1", "/convert", "Acme to:<@U2|ae>")
	wantContains(t, "/convert", text, "Handed to")
	var got []fakeslack.Call
	for _, c := range s.fake.WaitFor("chat.postMessage", 3, 10*time.Second) {
		if c.Status == http.StatusOK {
			got = append(got, c)
		}
	}
	if len(got) != 1 || got[0].Param("channel") != "U2" {
		t.Fatalf("delivered=%+v, want one message to U2", got)
	}
	wantContains(t, "notice", got[0].Param("text"), "handed you a new opportunity")
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if n := len(s.fake.Calls("chat.postMessage")); n != 3 {
		t.Fatalf("chat.postMessage called %d times, want 3 (two 429s, one delivery)", n)
	}
}

// Ensure serve --now starts the clock at the time given: the pass at start
// sends the reminder due at 09:30 in Tokyo, which the fixed evening clock
// would hold back for quiet hours; and a time that is not RFC 3339 stops
// serve, saying so.
func TestServe_Now(t *testing.T) {
	db := filepath.Join(t.TempDir(), "touchbase.db")
	run(t, `/lead "Taro Yamada" company:"Acme KK"`+"\n", "console", "--db", db, "--user", "U1", "--tz", "Asia/Tokyo", "--now", "2026-11-20T10:00:00+09:00")
	s := serveAt(t, nil, db, time.Time{}, []string{"--now", "2026-11-24T09:30:00+09:00"})
	post := s.fake.WaitFor("chat.postMessage", 1, 10*time.Second)[0]
	if md := post.Param("metadata"); !strings.Contains(md, `"key":"reminders/U1/2026-11-24"`) || post.Param("channel") != "U1" {
		t.Fatalf("posted to %s with metadata %s, want U1's reminder of 2026-11-24", post.Param("channel"), md)
	}

	m := NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr = &out, &out
	m.Getenv = func(string) string { return "" }
	err := m.Run(context.Background(), []string{"serve", "--db", db + ".other", "--now", "tomorrow"})
	m.Close()
	if err == nil || !strings.Contains(err.Error(), `--now "tomorrow" is not an RFC 3339 time`) {
		t.Fatalf("err=%v, want --now refused", err)
	}
}

// Ensure bad settings stop serve with one clear line each.
func TestServe_Settings(t *testing.T) {
	m := NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr = &out, &out
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_APP_TOKEN": "xoxb-wrong", "SLACK_API_URL": "slack.com/api", "TOUCHBASE_ADDR": "3000"}
	m.Getenv = func(k string) string { return env[k] }
	err := m.Run(context.Background(), []string{"serve", "--db", filepath.Join(t.TempDir(), "x.db")})
	m.Close()
	if err == nil {
		t.Fatal("serve started with bad settings")
	}
	for _, want := range []string{"SLACK_BOT_TOKEN does not start with xoxb-", "SLACK_APP_TOKEN does not start with xapp-", "SLACK_API_URL", "TOUCHBASE_ADDR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	env = map[string]string{}
	err = m.Run(context.Background(), []string{"serve"})
	if err == nil || !strings.Contains(err.Error(), "SLACK_BOT_TOKEN is not set") || !strings.Contains(err.Error(), "SLACK_SIGNING_SECRET is not set") {
		t.Fatalf("err=%v, want both missing settings named", err)
	}
}

// Ensure Socket Mode end to end against a local WebSocket server speaking
// Slack's envelope and ack protocol: commands answered in the ack, the BANT
// form submitted, a DM and its retry applied once, the App Home, and a
// reconnect when Slack asks for one.
func TestServe_SocketMode(t *testing.T) {
	logs := &logBuffer{}
	s := serveAt(t, map[string]string{"SLACK_APP_TOKEN": "xapp-1-test", "SLACK_SIGNING_SECRET": ""},
		filepath.Join(t.TempDir(), "touchbase.db"), time.Time{}, nil, func(m *Main) {
			m.ServeLogger = slog.New(slog.NewJSONHandler(logs, nil))
		})
	s.fake.WaitConnections(1, 10*time.Second)

	envelope := fixture(t, "socket_mode_slash_commands_envelope.docs.json")
	var envelopes []string // of the slash commands, in order
	slash := func(command, text string) string {
		t.Helper()
		p := envelope["payload"].(map[string]any)
		p["user_id"], p["user_name"], p["command"], p["text"], p["response_url"] = "U1", "taro", command, text, s.fake.NewResponseURL()
		b, _ := json.Marshal(p)
		id, err := s.fake.SendEnvelope("slash_commands", b, 0)
		if err != nil {
			t.Fatal(err)
		}
		envelopes = append(envelopes, id)
		ack, err := s.fake.WaitAck(id, 10*time.Second)
		if err != nil {
			t.Fatalf("%s %s: %v", command, text, err)
		}
		return string(ack.Payload)
	}
	wantContains(t, "/lead ack", slash("/lead", `"Taro Yamada" company:"Acme KK"`), "lead#1", `"response_type":"ephemeral"`)
	wantContains(t, "/log ack", slash("/log", "call Acme hello"), "touch 1 of 5")

	sub := fixture(t, "view_submission_qualify.json")
	sub["user"].(map[string]any)["id"] = "U1"
	sub["view"].(map[string]any)["private_metadata"] = "lead#1"
	b, _ := json.Marshal(sub)
	id, err := s.fake.SendEnvelope("interactive", b, 0)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := s.fake.WaitAck(id, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	wantContains(t, "view_submission ack", string(ack.Payload), `"response_action":"update"`, "2 of 4 yes", "convert lead#1")

	dm := map[string]any{
		"type": "event_callback", "team_id": "T123ABC456", "api_app_id": "A123ABC456",
		"event": map[string]any{"type": "message", "channel": "D123ABC456", "user": "U1", "text": "log email acme sent the quote",
			"ts": "1700000200.000200", "event_ts": "1700000200.000200", "channel_type": "im"},
		"event_id": "Ev0DM00002", "event_time": 1700000200,
	}
	b, _ = json.Marshal(dm)
	for attempt := range 2 {
		id, err := s.fake.SendEnvelope("events_api", b, attempt)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.fake.WaitAck(id, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	posts := s.fake.WaitFor("chat.postMessage", 1, 5*time.Second)
	wantContains(t, "DM reply", posts[0].Param("text"), "touch 2 of 5")

	home := fixture(t, "app_home_opened_event_callback.composed.json")
	home["event"].(map[string]any)["user"] = "U1"
	b, _ = json.Marshal(home)
	if id, err = s.fake.SendEnvelope("events_api", b, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.fake.WaitAck(id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	s.fake.WaitFor("views.publish", 1, 5*time.Second)

	// Slack asks the app to reconnect; commands keep working.
	s.fake.Disconnect("refresh_requested")
	s.fake.WaitConnections(2, 10*time.Second)
	wantContains(t, "/tb help ack", slash("/tb", "help log"), "touch N of 5")

	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, s.stdout.String())
	}
	if n := len(s.fake.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("chat.postMessage called %d times, want 1 (the retry is not answered again)", n)
	}
	// Each envelope's id is the request id of what it caused.
	records := logs.records(t)
	wantLine(t, records, envelopes[0], "command", map[string]any{"verb": "lead", "outcome": "ok"})
	wantLine(t, records, envelopes[0], "socket mode request", map[string]any{"type": "slash_commands"})
	wantLine(t, records, envelopes[1], "command", map[string]any{"verb": "log", "outcome": "ok"})
	var x struct {
		Leads      []struct{ Status string }
		Activities []struct{ Kind string }
	}
	if err := json.Unmarshal([]byte(run(t, "", "export", "--db", s.db)), &x); err != nil {
		t.Fatal(err)
	}
	if len(x.Leads) != 1 || x.Leads[0].Status != "qualified" || len(x.Activities) != 2 {
		t.Fatalf("export: leads=%+v activities=%+v, want one qualified lead and 2 activities", x.Leads, x.Activities)
	}
}

// Ensure `touchbase healthcheck` (the container's HEALTHCHECK) says ok for
// a running serve and fails when nothing listens.
func TestHealthcheck(t *testing.T) {
	s := serve(t, nil)
	if out := run(t, "", "healthcheck", "--addr", s.addr); !strings.Contains(out, "ok") {
		t.Fatalf("healthcheck: %q", out)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	m := NewMain()
	var out bytes.Buffer
	m.Stdout, m.Stderr, m.Getenv = &out, &out, func(string) string { return "" }
	if err := m.Run(context.Background(), []string{"healthcheck", "--addr", s.addr}); err == nil {
		t.Fatal("healthcheck passed with nothing listening")
	}
}

// Ensure /readyz waits for the store and Slack's auth.test, and /metrics
// counts commands by verb and outcome, HTTP requests, Slack API calls (429s
// included) and the outbox.
func TestServe_MetricsAndReady(t *testing.T) {
	s := serve(t, nil)
	s.fake.WaitFor("auth.test", 1, 5*time.Second)
	get := func(p string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + s.addr + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// auth.test has answered; readiness follows right after.
	for deadline := time.Now().Add(5 * time.Second); ; {
		code, _ := get("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz stays %d", code)
		}
	}
	s.slash("U1", "/lead", `"Taro Yamada" company:"Acme KK"`)
	s.slash("U1", "/log", "call Nobody hi")
	code, body := get("/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`touchbase_commands_total{outcome="ok",verb="lead"} 1`,
		`touchbase_commands_total{outcome="not_found",verb="log"} 1`,
		`touchbase_http_request_duration_seconds_count{route="/slack/commands",status="200"} 2`,
		`touchbase_platform_api_calls_total{method="auth.test",platform="slack",status="200"}`,
		`touchbase_platform_api_calls_total{method="users.info",platform="slack",status="200"}`,
		`touchbase_outbox_depth 0`,
		`touchbase_job_runs_total{job="reminders",result="ok"}`,
		`touchbase_store_commits_total `,
		`touchbase_store_updates_committed_total `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The lead was written: at least one commit holding at least one write.
	for _, name := range []string{"touchbase_store_commits_total ", "touchbase_store_updates_committed_total "} {
		i := strings.Index(body, "\n"+name)
		if i < 0 {
			continue
		}
		v, _, _ := strings.Cut(body[i+1+len(name):], "\n")
		if n, err := strconv.ParseFloat(v, 64); err != nil || n < 1 {
			t.Errorf("%s= %q, want at least 1", name, v)
		}
	}
}

// Ensure that while Slack answers 429 with Retry-After for a sustained
// period, commands are still answered at once, and afterwards every message
// is delivered exactly once.
func TestServe_Sustained429(t *testing.T) {
	s := serve(t, nil)
	s.slash("U2", "/followups", "") // the receiving rep
	s.fake.RateLimit("chat.postMessage", 4, time.Second)
	const deals = 5
	for i := range deals {
		s.slash("U1", "/lead", fmt.Sprintf(`"Person %d" company:"Company %d"`, i, i))
		s.slash("U1", "/qualify", fmt.Sprintf(`"Company %d" b:yes n:yes`, i))
		start := time.Now()
		_, text := s.slash("U1", "/convert", fmt.Sprintf(`"Company %d" to:<@U2>`, i))
		wantContains(t, "/convert", text, "Handed to")
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("/convert took %v while Slack rate-limits", took)
		}
	}
	// Four 429s, then the five notices.
	s.fake.WaitFor("chat.postMessage", 4+deals, 30*time.Second)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, c := range s.fake.Calls("chat.postMessage") {
		if c.Status == http.StatusOK {
			seen[c.Param("metadata")]++
		}
	}
	if len(seen) != deals {
		t.Fatalf("%d distinct messages delivered, want %d", len(seen), deals)
	}
	for md, n := range seen {
		if n != 1 {
			t.Errorf("message %s delivered %d times", md, n)
		}
	}
}
