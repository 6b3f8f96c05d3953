package slack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/slack/fakeslack"
	"github.com/touchbase/touchbase/handlers"
)

// fuzzBot is one Bot for a whole fuzz run: a real store in the run's
// temporary directory, a fake Slack, and a scene (two reps, a lead, an
// opportunity) for the inputs to act on.
type fuzzBot struct {
	f      *testing.F
	bot    *slack.Bot
	routes http.Handler
	slack  *fakeOwner    // of the current fake Slack
	calls  *atomic.Int64 // Web API calls made to it
	client *http.Client  // slack-go's, counting the calls
}

// fakeCalls is how many calls one fake Slack takes before the next input
// gets a fresh one: fakeslack keeps every call and fails the test past
// 10,000, which a worker of a long run would reach.
const fakeCalls = 4000

// fakeOwner is the testing.TB a fake Slack of a fuzz run is made with: the
// fuzz run's, except that the fake is closed when it is replaced, and that
// it may be made inside the fuzz target, where *testing.F's own methods
// must not be called.
type fakeOwner struct {
	testing.TB
	cleanups []func()
}

func (o *fakeOwner) Helper()           {}
func (o *fakeOwner) Cleanup(fn func()) { o.cleanups = append(o.cleanups, fn) }
func (o *fakeOwner) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...)) // fails the input being run
}

func (o *fakeOwner) close() {
	for i := len(o.cleanups) - 1; i >= 0; i-- {
		o.cleanups[i]()
	}
	o.cleanups = nil
}

// roundTripFunc answers HTTP requests in process.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (fn roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }

func newFuzzBot(f *testing.F) *fuzzBot {
	f.Helper()
	db := mustOpenDB(f)
	fb := &fuzzBot{f: f, calls: new(atomic.Int64)}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	fb.client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		fb.calls.Add(1)
		return transport.RoundTrip(r)
	})}
	now := func() time.Time { return testNow }
	h := handlers.NewHandler(db, touchbase.DefaultConfig())
	h.Now = now
	fb.bot = slack.NewBot(h, nil, nil)
	fb.bot.SigningSecret, fb.bot.Now = testSecret, now
	fb.newSlack()
	f.Cleanup(func() { fb.slack.close() })
	// Every command finishes inside the request: no answer outlives it.
	fb.bot.AckTimeout = time.Minute
	// The response_url of an input is anywhere; answer it here, never on
	// the network.
	fb.bot.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("ok")), Request: r}, nil
	})}
	f.Cleanup(fb.bot.Wait)
	fb.routes = fb.bot.Routes()

	u1 := handlers.User{ID: "U1", Name: "sherlock", TimeZone: "Asia/Tokyo"}
	for _, s := range []struct {
		u    handlers.User
		line string
	}{
		{handlers.User{ID: "U2", Name: "sherlock"}, "followups"},
		{u1, `lead "Taro Yamada" company:"Acme KK"`},
		{u1, "qualify Acme b:yes n:yes"},
		{u1, "convert Acme to:<@U2>"},
		{u1, `lead "Hanako Sato" company:"Beta"`},
	} {
		if _, err := h.Handle(f.Context(), s.u, s.line); err != nil {
			f.Fatalf("%s: %v", s.line, err)
		}
	}
	return fb
}

// newSlack points the bot at a fresh fake Slack, closing the last one. It
// runs between inputs, when no request is using the client.
func (fb *fuzzBot) newSlack() {
	if fb.slack != nil {
		fb.slack.close()
	}
	fb.slack = &fakeOwner{TB: fb.f}
	fake := fakeslack.New(fb.slack)
	client := slackgo.New("xoxb-test", slackgo.OptionAPIURL(fake.URL()), slackgo.OptionHTTPClient(fb.client))
	fb.bot.Client = client
	fb.bot.Sender = slack.NewSender(fb.bot.Handler.DB, client)
	fb.calls.Store(0)
}

// post sends body to path, signed at testNow, and checks the answer: 200
// or 400, never a 5xx (a recovered panic is a 500), and valid JSON when it
// says it is JSON.
func (fb *fuzzBot) post(t *testing.T, path, contentType string, body []byte) {
	t.Helper()
	if fb.calls.Load() > fakeCalls {
		fb.newSlack()
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	ts, sig := slack.Sign(body, testSecret, testNow)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	rec := httptest.NewRecorder()
	fb.routes.ServeHTTP(rec, req)
	fb.bot.Wait()
	switch {
	case rec.Code == http.StatusRequestEntityTooLarge && len(body) > 1<<20:
	case rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest:
		t.Fatalf("POST %s %q: status %d, want 200 or 400: %s", path, body, rec.Code, rec.Body)
	case strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !json.Valid(rec.Body.Bytes()):
		t.Fatalf("POST %s %q: answer is not JSON: %q", path, body, rec.Body)
	}
}

// seedFiles returns the files matching pattern, for seeds.
func seedFiles(f *testing.F, patterns ...string) [][]byte {
	f.Helper()
	var out [][]byte
	for _, p := range patterns {
		names, err := filepath.Glob(p)
		if err != nil || len(names) == 0 {
			f.Fatalf("no seed files %s (%v)", p, err)
		}
		for _, name := range names {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

// fixtures holds Slack's own example payloads, shared by the platforms
// beside the repository; their shapes are also in testdata/fuzz.
const fixtures = "../../../shared/fixtures/slack"

// fixtureFile returns a file of Slack's fixtures, and false when the
// shared fixtures are not there.
func fixtureFile(f *testing.F, name string) ([]byte, bool) {
	f.Helper()
	b, err := os.ReadFile(filepath.Join(fixtures, name))
	if os.IsNotExist(err) {
		return nil, false
	} else if err != nil {
		f.Fatal(err)
	}
	return b, true
}

func FuzzInteractionPayload(f *testing.F) {
	for _, b := range seedFiles(f, "testdata/view_submission*.json") {
		f.Add(b)
	}
	for _, name := range []string{"block_actions_home_tab.docs.json", "view_submission.slackgo_test.json"} {
		if b, ok := fixtureFile(f, name); ok {
			f.Add(b)
		}
	}
	for _, p := range []string{
		`{"type":"block_suggestion","user":{"id":"U1"},"action_id":"tb_pick_record","value":"acme"}`,
		`{"type":"block_suggestion","user":{"id":"U1"},"action_id":"tb_pick_account","value":""}`,
		`{"type":"block_actions","user":{"id":"U1"},"response_url":"https://hooks.slack.com/actions/T1/1/x","actions":[{"action_id":"tb_action_1","value":"log call lead#1","action_ts":"1.1"}]}`,
		`{"type":"block_actions","user":{"id":"U2"},"trigger_id":"1.2.3","actions":[{"action_id":"tb_action_2","value":"stage opp#1 back reason:","action_ts":"1.2"}]}`,
		`{"type":"block_actions","user":{"id":"U1"},"view":{"id":"V1","type":"home"},"actions":[{"action_id":"tb_form","value":"qualify lead#2"}]}`,
		`{"type":"view_submission","user":{"id":"U2"},"view":{"id":"V2","callback_id":"tb_reason","private_metadata":"stage opp#1 back reason:","state":{"values":{"reason":{"reason":{"value":"no budget"}}}}}}`,
		`{"type":"view_closed","user":{"id":"U1"}}`,
	} {
		f.Add([]byte(p))
	}
	fb := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		body := url.Values{"payload": {string(payload)}}.Encode()
		fb.post(t, "/slack/interactions", "application/x-www-form-urlencoded", []byte(body))
	})
}

func FuzzEventBody(f *testing.F) {
	for _, name := range []string{"app_home_opened_event_callback.composed.json", "url_verification_request.docs.json"} {
		if b, ok := fixtureFile(f, name); ok {
			f.Add(b)
		}
	}
	for _, p := range []string{
		`{"type":"event_callback","event_id":"Ev1","event":{"type":"message","channel_type":"im","channel":"D1","user":"U1","text":"log call acme hello","ts":"1.1"}}`,
		`{"type":"event_callback","event_id":"Ev2","event":{"type":"message","channel_type":"im","channel":"D1","user":"U1","bot_id":"B1","text":"lead Bot","ts":"1.2"}}`,
		`{"type":"event_callback","event_id":"Ev3","event":{"type":"message","subtype":"message_changed","channel_type":"im","channel":"D1","message":{"text":"x"}}}`,
		`{"type":"event_callback","event_id":"Ev4","event":{"type":"app_home_opened","user":"U1","tab":"home"}}`,
		`{"type":"app_rate_limited","token":"x","team_id":"T1","minute_rate_limited":1518467820,"api_app_id":"A1"}`,
	} {
		f.Add([]byte(p))
	}
	fb := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fb.post(t, "/slack/events", "application/json", body)
	})
}

func FuzzSlashCommandBody(f *testing.F) {
	for _, b := range seedFiles(f, "testdata/slash_command_signed_body.docs.txt") {
		f.Add(b)
	}
	if b, ok := fixtureFile(f, "socket_mode_slash_commands_envelope.docs.json"); ok {
		// The same command as Socket Mode carries it, as the form HTTP mode gets.
		var env struct{ Payload map[string]string }
		if err := json.Unmarshal(b, &env); err == nil {
			form := url.Values{}
			for k, v := range env.Payload {
				form.Set(k, v)
			}
			f.Add([]byte(form.Encode()))
		}
	}
	for _, text := range []string{`/lead "Taro Yamada" company:"Acme KK"`, "/log call acme hello", "/tb help", "/qualify ", "/stage opp#1 back reason:&lt;x&gt;"} {
		command, rest, _ := strings.Cut(text, " ")
		f.Add([]byte(url.Values{"command": {command}, "text": {rest}, "user_id": {"U1"}, "trigger_id": {"1.2.3"}}.Encode()))
	}
	fb := newFuzzBot(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fb.post(t, "/slack/commands", "application/x-www-form-urlencoded", body)
	})
}
