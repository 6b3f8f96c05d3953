package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/touchbase/touchbase/bot/slack"
)

// signing says how a bad request is signed.
type signing int

const (
	signed      signing = iota // as Slack signs it, now
	unsigned                   // no signature headers
	stale                      // six minutes ago
	early                      // six minutes from now
	forged                     // a well-formed signature of nothing
	otherBody                  // Slack's signature of another body
	noScheme                   // the right hex, without "v0="
	garbledTime                // a timestamp that is not a number of seconds
)

// brokenReader reads its bytes, then fails as a connection that drops
// mid-body does.
type brokenReader struct{ r io.Reader }

func (b *brokenReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

// badRequest is a request Slack did not send, or not like this.
type badRequest struct {
	name        string
	method      string // POST unless set
	path        string // the route's own path unless set
	contentType string
	body        []byte
	sign        signing
	broken      bool // the body breaks off after these bytes
	want        int
	wantBody    string // the answer's body contains it
}

// goodBodies are requests each route would act on, and write to the store
// for, if they came from Slack: a /lead, a button that adds a lead, and a
// direct message that adds one.
func goodBodies(t *testing.T) map[string]struct {
	contentType string
	body        []byte
} {
	t.Helper()
	form, err := os.ReadFile(filepath.Join("testdata", "slash_command_signed_body.docs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := url.ParseQuery(string(form))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Set("command", "/lead")
	cmd.Set("text", "Mallory company:Evil")
	var press map[string]any
	b, err := os.ReadFile(filepath.Join("testdata", "block_actions_home_tab.docs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &press); err != nil {
		t.Fatal(err)
	}
	press["actions"].([]any)[0].(map[string]any)["value"] = `lead Mallory company:Evil`
	dm := map[string]any{
		"type": "event_callback", "team_id": "T123ABC456", "api_app_id": "A123ABC456", "event_id": "Ev0BAD0001", "event_time": 1700000100,
		"event": map[string]any{"type": "message", "channel": "D123ABC456", "channel_type": "im", "user": "U666",
			"text": "lead Mallory company:Evil", "ts": "1700000100.000100", "event_ts": "1700000100.000100"},
	}
	return map[string]struct {
		contentType string
		body        []byte
	}{
		"POST /slack/commands":     {"application/x-www-form-urlencoded", []byte(cmd.Encode())},
		"POST /slack/interactions": {"application/x-www-form-urlencoded", []byte(url.Values{"payload": {mustJSON(t, press)}}.Encode())},
		"POST /slack/events":       {"application/json", []byte(mustJSON(t, dm))},
	}
}

// badRequests are the bad requests for the route at pattern, around good,
// the body Slack would send to it.
func badRequests(pattern, goodType string, good []byte) []badRequest {
	path := strings.TrimPrefix(pattern, "POST ")
	huge := bytes.Repeat([]byte("a"), 1<<20+1)
	rs := []badRequest{
		{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed, wantBody: "Method Not Allowed"},
		{name: "PUT", method: http.MethodPut, contentType: goodType, body: good, want: http.StatusMethodNotAllowed},
		{name: "unknown path", path: path + "/x", contentType: goodType, body: good, want: http.StatusNotFound},
		{name: "unsigned", contentType: goodType, body: good, sign: unsigned, want: http.StatusUnauthorized},
		{name: "stale", contentType: goodType, body: good, sign: stale, want: http.StatusUnauthorized},
		{name: "from the future", contentType: goodType, body: good, sign: early, want: http.StatusUnauthorized},
		{name: "forged", contentType: goodType, body: good, sign: forged, want: http.StatusUnauthorized},
		{name: "signature of another body", contentType: goodType, body: good, sign: otherBody, want: http.StatusUnauthorized},
		{name: "signature without v0=", contentType: goodType, body: good, sign: noScheme, want: http.StatusUnauthorized},
		{name: "garbled timestamp", contentType: goodType, body: good, sign: garbledTime, want: http.StatusUnauthorized},
		{name: "oversized", contentType: goodType, body: huge, want: http.StatusRequestEntityTooLarge, wantBody: "too large"},
		{name: "oversized unsigned", contentType: goodType, body: huge, sign: unsigned, want: http.StatusRequestEntityTooLarge},
		{name: "body breaks off", contentType: goodType, body: good[:len(good)/2], broken: true, want: http.StatusBadRequest, wantBody: "incomplete"},
		{name: "body breaks off, unsigned", contentType: goodType, body: good[:len(good)/2], broken: true, sign: unsigned, want: http.StatusBadRequest},
		{name: "truncated", contentType: goodType, body: good[:len(good)/2], want: http.StatusBadRequest},
	}
	switch path {
	case "/slack/commands":
		rs = append(rs,
			badRequest{name: "empty", contentType: goodType, want: http.StatusBadRequest, wantBody: "malformed slash command"},
			badRequest{name: "JSON", contentType: "application/json", body: []byte(`{"command":"/lead","text":"Mallory company:Evil","user_id":"U666"}`), want: http.StatusBadRequest, wantBody: "malformed slash command"},
			badRequest{name: "form labelled JSON", contentType: "application/json", body: []byte("%zz" + string(good)), want: http.StatusBadRequest},
			badRequest{name: "bad escape", contentType: goodType, body: []byte(strings.Replace(string(good), "Mallory", "Mal%zzory", 1)), want: http.StatusBadRequest},
			badRequest{name: "no user", contentType: goodType, body: []byte(url.Values{"command": {"/lead"}, "text": {"Mallory"}}.Encode()), want: http.StatusBadRequest},
			badRequest{name: "no command", contentType: goodType, body: []byte(url.Values{"user_id": {"U666"}, "text": {"lead Mallory"}}.Encode()), want: http.StatusBadRequest},
		)
	case "/slack/interactions":
		rs = append(rs,
			badRequest{name: "empty", contentType: goodType, want: http.StatusBadRequest, wantBody: "no payload"},
			badRequest{name: "JSON", contentType: "application/json", body: []byte(`{"type":"block_actions"}`), want: http.StatusBadRequest, wantBody: "no payload"},
			badRequest{name: "bad escape", contentType: goodType, body: []byte("payload=%zz"), want: http.StatusBadRequest},
			badRequest{name: "payload not JSON", contentType: goodType, body: []byte(url.Values{"payload": {"lead Mallory"}}.Encode()), want: http.StatusBadRequest, wantBody: "malformed payload"},
			badRequest{name: "payload truncated", contentType: goodType, body: []byte(url.Values{"payload": {`{"type":"block_actions","actions":[{"value":"lead Mall`}}.Encode()), want: http.StatusBadRequest, wantBody: "malformed payload"},
			badRequest{name: "payload null", contentType: goodType, body: []byte(url.Values{"payload": {"null"}}.Encode()), want: http.StatusBadRequest},
			badRequest{name: "payload without type", contentType: goodType, body: []byte(url.Values{"payload": {`{"actions":[{"value":"lead Mallory"}]}`}}.Encode()), want: http.StatusBadRequest},
		)
	case "/slack/events":
		rs = append(rs,
			badRequest{name: "empty", contentType: goodType, want: http.StatusBadRequest, wantBody: "malformed event"},
			badRequest{name: "form", contentType: "application/x-www-form-urlencoded", body: []byte("type=event_callback&text=lead+Mallory"), want: http.StatusBadRequest, wantBody: "malformed event"},
			badRequest{name: "JSON array", contentType: goodType, body: []byte(`[1,2]`), want: http.StatusBadRequest},
			badRequest{name: "JSON null", contentType: goodType, body: []byte(`null`), want: http.StatusBadRequest},
			badRequest{name: "no type", contentType: goodType, body: []byte(`{"event":{"type":"message","text":"lead Mallory"}}`), want: http.StatusBadRequest},
			badRequest{name: "callback without event", contentType: goodType, body: []byte(`{"type":"event_callback","event_id":"Ev1"}`), want: http.StatusBadRequest},
			badRequest{name: "url_verification without challenge", contentType: goodType, body: []byte(`{"type":"url_verification"}`), want: http.StatusBadRequest, wantBody: "challenge"},
		)
	}
	for i := range rs {
		if rs[i].method == "" {
			rs[i].method = http.MethodPost
		}
		if rs[i].path == "" {
			rs[i].path = path
		}
	}
	return rs
}

// send sends r to the routes, signed as r.sign says at testNow.
func (tb *testBot) send(r badRequest) *httptest.ResponseRecorder {
	tb.t.Helper()
	var body io.Reader = bytes.NewReader(r.body)
	if r.broken {
		body = &brokenReader{r: body}
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	at, signedBody := testNow, r.body
	switch r.sign {
	case stale:
		at = testNow.Add(-6 * time.Minute)
	case early:
		at = testNow.Add(6 * time.Minute)
	case otherBody:
		signedBody = []byte("token=x&command=%2Ffollowups&user_id=U1")
	}
	ts, sig := slack.Sign(signedBody, testSecret, at)
	switch r.sign {
	case forged:
		sig = "v0=" + strings.Repeat("0", 64)
	case noScheme:
		sig = strings.TrimPrefix(sig, "v0=")
	case garbledTime:
		ts = fmt.Sprintf("%de0", testNow.Unix())
	}
	if r.sign != unsigned {
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sig)
	}
	rec := httptest.NewRecorder()
	tb.routes.ServeHTTP(rec, req)
	return rec
}

// snapshot returns a copy of the whole database file: any committed write
// changes it.
func (tb *testBot) snapshot() []byte {
	tb.t.Helper()
	var b bytes.Buffer
	if _, err := tb.db.DB.Backup(context.Background(), &b); err != nil {
		tb.t.Fatal(err)
	}
	return b.Bytes()
}

// Ensure every endpoint of HTTP mode refuses what Slack did not send, or
// not like this: a wrong method or path, no signature or a wrong one, a
// stale or future timestamp, an oversized body, one that breaks off, an
// empty one, the wrong encoding, malformed form data or JSON. Each gets its
// status (a short reason where one helps), calls no Slack API, and leaves
// the database file byte for byte as it was.
func TestRoutes_BadRequests(t *testing.T) {
	tb := newTestBot(t, nil)
	tb.run("U1", `/lead "Taro Yamada" company:"Acme KK"`)
	good := goodBodies(t)
	for _, p := range slack.Patterns() {
		if _, ok := good[p]; !ok {
			t.Errorf("route %s has no bad requests: add its good body to goodBodies", p)
		}
	}
	before := tb.snapshot()
	for _, p := range slack.Patterns() {
		g := good[p]
		for _, r := range badRequests(p, g.contentType, g.body) {
			rec := tb.send(r)
			tb.bot.Wait()
			name := p + ", " + r.name
			if rec.Code != r.want {
				t.Errorf("%s: status %d (%q), want %d", name, rec.Code, rec.Body.String(), r.want)
			}
			if !strings.Contains(rec.Body.String(), r.wantBody) {
				t.Errorf("%s: body %q, want it to contain %q", name, rec.Body.String(), r.wantBody)
			}
			if rec.Code == http.StatusUnauthorized && rec.Body.Len() > 0 {
				t.Errorf("%s: 401 with a body %q, want none: an unverified caller learns nothing", name, rec.Body.String())
			}
			if rec.Code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") == "" {
				t.Errorf("%s: 405 without Allow", name)
			}
			if calls := tb.fake.Calls(""); len(calls) > 0 {
				t.Fatalf("%s: called Slack: %s", name, calls[0].Method)
			}
			if !bytes.Equal(tb.snapshot(), before) {
				t.Fatalf("%s: wrote to the database", name)
			}
		}
	}
	// The good bodies themselves are acted on: the refusals above are for
	// what was wrong with each request, not for its body.
	for _, p := range slack.Patterns() {
		r := badRequest{method: http.MethodPost, path: strings.TrimPrefix(p, "POST "), contentType: good[p].contentType, body: good[p].body}
		if rec := tb.send(r); rec.Code != http.StatusOK {
			t.Errorf("%s with its good body: status %d (%q), want 200", p, rec.Code, rec.Body.String())
		}
		tb.bot.Wait()
	}
	if bytes.Equal(tb.snapshot(), before) {
		t.Fatal("the good bodies wrote nothing: the bad requests prove nothing")
	}
}
