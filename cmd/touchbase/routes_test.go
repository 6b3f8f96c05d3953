package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/bot/teams/fakebf"
	"github.com/touchbase/touchbase/store/storetest"
)

// routeCase is a request a route must refuse, or, for the operator's
// routes, answer as it always does.
type routeCase struct {
	name   string
	method string
	path   string
	header http.Header
	body   []byte
	sign   bool // signed as Slack signs, now
	// cut sends the headers for the whole body and then only its first
	// half, closing the connection's write side: a client gone mid-body.
	cut      bool
	want     int
	wantBody string // the answer's body contains it
}

// routeCases are the cases of every route serve serves, by its pattern.
// lead is a slash command, press a button and dm a direct message that
// would each add a lead, and activity a Teams message that would.
func routeCases(bf *fakebf.Server, clock func() time.Time, lead, press, dm, activity []byte) map[string][]routeCase {
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	jsonType := http.Header{"Content-Type": {"application/json"}}
	withToken := func(tok string) http.Header {
		return http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + tok}}
	}
	huge := bytes.Repeat([]byte("a"), 1<<20+1)
	stale := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	ts, sig := slack.Sign(lead, secret, clock().Add(-6*time.Minute))
	stale.Set("X-Slack-Request-Timestamp", ts)
	stale.Set("X-Slack-Signature", sig)
	ops := func(path, body string) []routeCase {
		return []routeCase{
			{name: "POST", method: http.MethodPost, path: path, body: lead, header: form, want: http.StatusMethodNotAllowed, wantBody: "Method Not Allowed"},
			{name: "DELETE", method: http.MethodDelete, path: path, want: http.StatusMethodNotAllowed},
			{name: "below it", method: http.MethodGet, path: path + "/x", want: http.StatusNotFound},
			{name: "with a query and a body", method: http.MethodGet, path: path + "?x=%zz", body: []byte("%zz"), want: http.StatusOK, wantBody: body},
		}
	}
	return map[string][]routeCase{
		"GET /healthz": ops("/healthz", "ok"),
		"GET /readyz":  ops("/readyz", "ready"),
		"GET /metrics": ops("/metrics", "touchbase_outbox_depth"),
		"POST /slack/commands": {
			{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed},
			{name: "unsigned", header: form, body: lead, want: http.StatusUnauthorized},
			{name: "stale", header: stale, body: lead, want: http.StatusUnauthorized},
			{name: "oversized", header: form, body: huge, sign: true, want: http.StatusRequestEntityTooLarge, wantBody: "too large"},
			{name: "cut short", header: form, body: lead, sign: true, cut: true, want: http.StatusBadRequest, wantBody: "incomplete"},
			{name: "empty", header: form, sign: true, want: http.StatusBadRequest, wantBody: "malformed slash command"},
			{name: "JSON", header: jsonType, body: []byte(`{"command":"/lead","user_id":"U666"}`), sign: true, want: http.StatusBadRequest, wantBody: "malformed slash command"},
		},
		"POST /slack/interactions": {
			{name: "PUT", method: http.MethodPut, header: form, body: press, sign: true, want: http.StatusMethodNotAllowed},
			{name: "unsigned", header: form, body: press, want: http.StatusUnauthorized},
			{name: "oversized", header: form, body: huge, want: http.StatusRequestEntityTooLarge},
			{name: "bad escape", header: form, body: []byte("payload=%zz"), sign: true, want: http.StatusBadRequest},
			{name: "payload cut short", header: form, body: []byte("payload=" + url.QueryEscape(string(press[:len(press)/2]))), sign: true, want: http.StatusBadRequest, wantBody: "malformed payload"},
		},
		"POST /slack/events": {
			{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed},
			{name: "unsigned", header: jsonType, body: dm, want: http.StatusUnauthorized},
			{name: "forged", header: http.Header{"Content-Type": {"application/json"}, "X-Slack-Request-Timestamp": {fmt.Sprint(clock().Unix())},
				"X-Slack-Signature": {"v0=" + strings.Repeat("0", 64)}}, body: dm, want: http.StatusUnauthorized},
			{name: "cut short", header: jsonType, body: dm, sign: true, cut: true, want: http.StatusBadRequest},
			{name: "not JSON", header: form, body: []byte("type=event_callback"), sign: true, want: http.StatusBadRequest, wantBody: "malformed event"},
			{name: "url_verification without challenge", header: jsonType, body: []byte(`{"type":"url_verification"}`), sign: true, want: http.StatusBadRequest, wantBody: "challenge"},
		},
		"POST /api/messages": {
			{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed},
			{name: "no token", header: jsonType, body: activity, want: http.StatusUnauthorized},
			{name: "expired token", header: withToken(bf.Token(fakebf.AppID, bf.ServiceURL(), func(c jwt.MapClaims) {
				c["nbf"], c["exp"] = clock().Add(-2*time.Hour).Unix(), clock().Add(-10*time.Minute).Unix()
			})), body: activity, want: http.StatusUnauthorized},
			{name: "token for another bot", header: withToken(bf.Token("someone-else", bf.ServiceURL(), nil)), body: activity, want: http.StatusForbidden},
			{name: "oversized", header: withToken(bf.Token(fakebf.AppID, bf.ServiceURL(), nil)), body: huge, want: http.StatusRequestEntityTooLarge},
			{name: "cut short", header: withToken(bf.Token(fakebf.AppID, bf.ServiceURL(), nil)), body: activity, cut: true, want: http.StatusBadRequest, wantBody: "incomplete"},
			{name: "malformed JSON", header: withToken(bf.Token(fakebf.AppID, bf.ServiceURL(), nil)), body: activity[:len(activity)/2], want: http.StatusBadRequest, wantBody: "malformed activity"},
			{name: "empty", header: withToken(bf.Token(fakebf.AppID, bf.ServiceURL(), nil)), want: http.StatusBadRequest},
		},
	}
}

// do sends c to the server at addr and returns the status and body.
func do(t *testing.T, addr string, c routeCase, clock func() time.Time) (int, string) {
	t.Helper()
	header := c.header.Clone()
	if header == nil {
		header = http.Header{}
	}
	if c.sign {
		ts, sig := slack.Sign(c.body, secret, clock())
		header.Set("X-Slack-Request-Timestamp", ts)
		header.Set("X-Slack-Signature", sig)
	}
	if c.cut {
		// Over a connection of our own: the client's transport would not
		// send fewer bytes than it announced.
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var req bytes.Buffer
		fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n", c.method, c.path, addr, len(c.body))
		_ = header.Write(&req)
		req.WriteString("\r\n")
		req.Write(c.body[:len(c.body)/2])
		if _, err := conn.Write(req.Bytes()); err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s %s cut short: %v", c.method, c.path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	req, err := http.NewRequest(c.method, "http://"+addr+c.path, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Ensure every route `touchbase serve` serves, Slack's and Teams' both,
// answers bad requests through the real server (its mux, metrics and
// timeouts) with the right status, a reason where a person may read it and
// none where a caller is refused, and that nothing is read into the store:
// no command runs, no record, claim, conversation or message is kept, and
// neither platform is called. Routes are taken from what serve registered,
// so a new route without cases fails; unknown paths are 404.
func TestServe_BadRequests(t *testing.T) {
	bf := fakebf.New(t)
	env := teamsEnv(bf)
	delete(env, "SLACK_BOT_TOKEN")
	delete(env, "SLACK_SIGNING_SECRET")
	s := serve(t, env) // Slack in HTTP mode and Teams
	bf.Now = s.clock
	// Ready first (auth.test has passed), so that /readyz answers 200.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if code, _ := do(t, s.addr, routeCase{method: http.MethodGet, path: "/readyz"}, s.clock); code == http.StatusOK {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("/readyz stays %d", code)
		}
	}

	lead := []byte(url.Values{"command": {"/lead"}, "text": {"Mallory company:Evil"}, "user_id": {"U666"}, "trigger_id": {"1.2.3"},
		"response_url": {s.fake.NewResponseURL()}}.Encode())
	press := fixture(t, "block_actions_home_tab.docs.json")
	press["actions"].([]any)[0].(map[string]any)["value"] = "lead Mallory company:Evil"
	pressBody, _ := json.Marshal(press)
	dm, _ := json.Marshal(map[string]any{"type": "event_callback", "event_id": "Ev0BAD0001", "event_time": 1700000100,
		"event": map[string]any{"type": "message", "channel": "D1", "channel_type": "im", "user": "U666", "text": "lead Mallory company:Evil", "ts": "1.1"}})
	activity, _ := json.Marshal(message(bf, "bad-1", "aad-mallory", "Mallory", "a:personal-mallory", "personal", "lead Mallory company:Evil"))
	cases := routeCases(bf, s.clock, lead, []byte(url.Values{"payload": {string(pressBody)}}.Encode()), dm, activity)

	for _, p := range s.routes {
		if len(cases[p]) == 0 {
			t.Errorf("serve serves %s, which has no cases: add them to routeCases", p)
		}
	}
	for p := range cases {
		if !slices.Contains(s.routes, p) {
			t.Errorf("routeCases has %s, which serve does not serve", p)
		}
	}
	cases["unknown"] = []routeCase{
		{name: "/", method: http.MethodGet, path: "/", want: http.StatusNotFound},
		{name: "/slack/", method: http.MethodPost, path: "/slack/", header: http.Header{"Content-Type": {"application/json"}}, body: dm, sign: true, want: http.StatusNotFound},
		{name: "/slack/commandz", method: http.MethodPost, path: "/slack/commandz", body: lead, sign: true, want: http.StatusNotFound},
		{name: "/api/messages/x", method: http.MethodPost, path: "/api/messages/x", body: activity, want: http.StatusNotFound},
	}
	for _, p := range slices.Sorted(maps.Keys(cases)) {
		method, path, _ := strings.Cut(p, " ")
		for _, c := range cases[p] {
			if c.method == "" {
				c.method = method
			}
			if c.path == "" {
				c.path = path
			}
			code, body := do(t, s.addr, c, s.clock)
			name := p + ", " + c.name
			if code != c.want {
				t.Errorf("%s: status %d (%.100q), want %d", name, code, body, c.want)
			}
			if !strings.Contains(body, c.wantBody) {
				t.Errorf("%s: body %.100q, want it to contain %q", name, body, c.wantBody)
			}
			if (code == http.StatusUnauthorized || code == http.StatusForbidden) && body != "" {
				t.Errorf("%s: %d with a body %q, want none", name, code, body)
			}
		}
	}

	// Nothing ran, nothing was sent: the metrics count no command, and the
	// requests were labelled by route.
	_, metrics := do(t, s.addr, routeCase{method: http.MethodGet, path: "/metrics"}, s.clock)
	if strings.Contains(metrics, "touchbase_commands_total{") {
		t.Errorf("a command ran:\n%s", grep(metrics, "touchbase_commands_total"))
	}
	for _, want := range []string{`route="/slack/commands",status="401"`, `route="/api/messages",status="413"`, `route="other",status="404"`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks a request %s:\n%s", want, grep(metrics, "touchbase_http_request_duration_seconds_count"))
		}
	}
	for _, c := range s.fake.Calls("") {
		if c.Method != "auth.test" {
			t.Errorf("Slack was called: %s", c.Method)
		}
	}
	if n := len(bf.Attempts()); n > 0 {
		t.Errorf("%d activities sent to Teams", n)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	// Nothing is in the store: no record, no message, no conversation kept
	// from the Teams activity, no claim of the delivery keys.
	var x map[string]any
	if err := json.Unmarshal([]byte(run(t, "", "export", "--db", s.db)), &x); err != nil {
		t.Fatal(err)
	}
	for k, v := range x {
		if a, ok := v.([]any); ok && len(a) > 0 {
			t.Errorf("export has %s: %v", k, a)
		}
	}
	db := storetest.MustOpenDBAt(t, s.db)
	errRollBack := errors.New("roll back")
	err := db.Update(context.Background(), func(tx touchbase.Tx) error {
		if n, err := tx.OutboxDepth(); err != nil || n != 0 {
			t.Errorf("outbox depth %d (%v), want 0", n, err)
		}
		if _, err := tx.Conversation("teams:aad-mallory"); touchbase.ErrorCode(err) != touchbase.ENOTFOUND {
			t.Errorf("a conversation was kept for the refused activity: %v", err)
		}
		for _, key := range []string{"event/Ev0BAD0001", "teams/a:personal-mallory/bad-1"} {
			if fresh, err := tx.Claim(key, s.clock()); err != nil || !fresh {
				t.Errorf("claim %s: fresh=%v %v, want unclaimed", key, fresh, err)
			}
		}
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
}

// grep returns the lines of s that contain substr.
func grep(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
