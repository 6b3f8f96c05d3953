package fakeslack_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/touchbase/touchbase/bot/slack/fakeslack"
)

// docsHello is the docs' hello message with the colon the docs leave out after "started".
func docsHello(tb testing.TB) []byte {
	tb.Helper()
	return []byte(strings.Replace(string(readFixture(tb, "socket_mode_hello.docs.txt")), `"started" "`, `"started": "`, 1))
}

// openSocket calls apps.connections.open with slack-go and returns the WebSocket URL.
func openSocket(t *testing.T, s *fakeslack.Server) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, wsURL, err := newClient(s).StartSocketModeContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return wsURL
}

func dial(t *testing.T, wsURL string) (*websocket.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, nil)
	if resp != nil {
		resp.Body.Close()
	}
	if err == nil {
		t.Cleanup(func() { conn.Close() })
	}
	return conn, err
}

func readMessage(t *testing.T, conn *websocket.Conn) []byte {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	_, b, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppsConnectionsOpen(t *testing.T) {
	s := fakeslack.New(t)

	// Ensure apps.connections.open answers the docs' shape with a ws:// URL on the fake.
	wsURL := openSocket(t, s)
	u, err := url.Parse(wsURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "ws" || !strings.HasPrefix(u.Host, "127.0.0.1:") || u.Path != "/link/" || u.Query().Get("ticket") == "" {
		t.Fatalf("url=%s", wsURL)
	}
	c := s.Calls("apps.connections.open")[0]
	if c.Authorization != "Bearer "+appToken || c.JSON != nil {
		t.Fatalf("call=%+v, want Bearer app token and an empty body", c)
	}
	answer, err := json.Marshal(map[string]any{"ok": true, "url": "wss://wss.slack.com/link/?ticket=1234-5678"})
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, answer, readFixture(t, "socket_mode_apps_connections_open_response.docs.json")) {
		t.Fatal("docs answer differs from the shape the fake answers")
	}

	// Ensure a bot token cannot open a connection.
	_, _, err = slack.New(botToken, slack.OptionAppLevelToken(botToken), slack.OptionAPIURL(s.URL())).StartSocketModeContext(context.Background())
	var serr slack.SlackErrorResponse
	if !errors.As(err, &serr) || serr.Err != "not_allowed_token_type" {
		t.Fatalf("err=%v, want not_allowed_token_type", err)
	}
}

func TestSocketHelloAndDisconnectShape(t *testing.T) {
	s := fakeslack.New(t)
	wsURL := openSocket(t, s)
	conn, err := dial(t, wsURL)
	if err != nil {
		t.Fatal(err)
	}

	// Ensure hello has every field of the docs' hello.
	hello := readMessage(t, conn)
	if missing := missingKeys(t, docsHello(t), hello); len(missing) > 0 {
		t.Fatalf("hello %s lacks %v", hello, missing)
	}
	var h struct {
		Type           string `json:"type"`
		NumConnections int    `json:"num_connections"`
		ConnectionInfo struct {
			AppID string `json:"app_id"`
		} `json:"connection_info"`
	}
	if err := json.Unmarshal(hello, &h); err != nil {
		t.Fatal(err)
	}
	if h.Type != "hello" || h.NumConnections != 1 || h.ConnectionInfo.AppID != fakeslack.AppID {
		t.Fatalf("hello=%s", hello)
	}
	s.WaitConnections(1, wait)

	// Ensure a ticket opens one connection only.
	if _, err := dial(t, wsURL); err == nil {
		t.Fatal("second dial with the same ticket succeeded")
	}

	// Ensure disconnect has the docs' fields, and the connection is then closed.
	s.Disconnect("refresh_requested")
	disconnect := readMessage(t, conn)
	docs := readFixture(t, "socket_mode_disconnect_refresh_requested.docs.json")
	if missing := missingKeys(t, docs, disconnect); len(missing) > 0 {
		t.Fatalf("disconnect %s lacks %v", disconnect, missing)
	}
	var d struct{ Type, Reason string }
	if err := json.Unmarshal(disconnect, &d); err != nil {
		t.Fatal(err)
	}
	if d.Type != "disconnect" || d.Reason != "refresh_requested" {
		t.Fatalf("disconnect=%s", disconnect)
	}
	if err := conn.SetReadDeadline(time.Now().Add(wait)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := conn.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("read after disconnect err=%v, want close 1000", err)
	}
}

// runSocketMode starts slack-go's socketmode client against s and stops it when the test ends.
func runSocketMode(t *testing.T, s *fakeslack.Server) *socketmode.Client {
	t.Helper()
	smc := socketmode.New(newClient(s))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- smc.RunContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Error("socketmode client did not stop")
		}
	})
	return smc
}

// nextEvent returns the client's next event of type typ, skipping others.
func nextEvent(t *testing.T, smc *socketmode.Client, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		select {
		case evt := <-smc.Events:
			if evt.Type == typ {
				return evt
			}
		case <-timer.C:
			t.Fatalf("no %s event within %v", typ, wait)
		}
	}
}

func TestSocketMode(t *testing.T) {
	s := fakeslack.New(t)
	smc := runSocketMode(t, s)

	// Ensure the client connects through apps.connections.open and receives hello.
	hello := nextEvent(t, smc, socketmode.EventTypeHello)
	if hello.Request.ConnectionInfo.AppID != fakeslack.AppID || hello.Request.NumConnections != 1 {
		t.Fatalf("hello=%+v", hello.Request)
	}
	if got := s.Connections(); got != 1 {
		t.Fatalf("Connections=%d, want 1", got)
	}

	// Ensure a slash command envelope arrives as a slack.SlashCommand, and the ack with its
	// payload is recorded.
	var docsEnvelope struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(readFixture(t, "socket_mode_slash_commands_envelope.docs.json"), &docsEnvelope); err != nil {
		t.Fatal(err)
	}
	var docsAck struct {
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(readFixture(t, "socket_mode_slash_commands_ack_with_blocks.docs.json"), &docsAck); err != nil {
		t.Fatal(err)
	}
	id, err := s.SendEnvelope("slash_commands", docsEnvelope.Payload, 0)
	if err != nil {
		t.Fatal(err)
	}
	evt := nextEvent(t, smc, socketmode.EventTypeSlashCommand)
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok || cmd.Command != "/randorilke" || cmd.UserID != "U123ABC456" {
		t.Fatalf("event data=%#v", evt.Data)
	}
	if r := evt.Request; r.EnvelopeID != id || !r.AcceptsResponsePayload || r.RetryAttempt != 0 {
		t.Fatalf("request=%+v, want envelope %s accepting a response", r, id)
	}
	if err := smc.Ack(*evt.Request, docsAck.Payload); err != nil {
		t.Fatal(err)
	}
	ack, err := s.WaitAck(id, wait)
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, ack.Payload, docsAck.Payload) {
		t.Fatalf("ack payload=%s, want %s", ack.Payload, docsAck.Payload)
	}

	// Ensure the docs' envelope can be sent verbatim, and an ack without payload has none.
	if err := s.Send(json.RawMessage(readFixture(t, "socket_mode_slash_commands_envelope.docs.json"))); err != nil {
		t.Fatal(err)
	}
	evt = nextEvent(t, smc, socketmode.EventTypeSlashCommand)
	if err := smc.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	ack, err = s.WaitAck("dbdd0ef3-1543-4f94-bfb4-133d0e6c1545", wait)
	if err != nil {
		t.Fatal(err)
	}
	if ack.Payload != nil {
		t.Fatalf("ack payload=%s, want none", ack.Payload)
	}

	// Ensure a retried envelope says so.
	if _, err := s.SendEnvelope("slash_commands", docsEnvelope.Payload, 2); err != nil {
		t.Fatal(err)
	}
	evt = nextEvent(t, smc, socketmode.EventTypeSlashCommand)
	if r := evt.Request; r.RetryAttempt != 2 || r.RetryReason != "timeout" {
		t.Fatalf("retry=%d %q, want 2 timeout", r.RetryAttempt, r.RetryReason)
	}
	if err := smc.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}

	// Ensure Disconnect makes the client reconnect through apps.connections.open.
	s.Disconnect("refresh_requested")
	nextEvent(t, smc, socketmode.EventTypeHello)
	if got := s.Connections(); got != 2 {
		t.Fatalf("Connections=%d, want 2", got)
	}
	for _, c := range s.WaitFor("apps.connections.open", 2, wait) {
		if c.Authorization != "Bearer "+appToken {
			t.Fatalf("Authorization=%q", c.Authorization)
		}
	}

	// Ensure envelopes go to the new connection.
	id, err = s.SendEnvelope("slash_commands", docsEnvelope.Payload, 0)
	if err != nil {
		t.Fatal(err)
	}
	evt = nextEvent(t, smc, socketmode.EventTypeSlashCommand)
	if err := smc.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitAck(id, wait); err != nil {
		t.Fatal(err)
	}
}

func TestSendNotConnected(t *testing.T) {
	// Ensure Send without a client reports ErrNotConnected.
	s := fakeslack.New(t)
	if _, err := s.SendEnvelope("events_api", json.RawMessage(`{}`), 0); !errors.Is(err, fakeslack.ErrNotConnected) {
		t.Fatalf("err=%v, want ErrNotConnected", err)
	}
	// Ensure WaitAck gives up after its timeout with an error.
	if _, err := s.WaitAck("nope", 10*time.Millisecond); err == nil {
		t.Fatal("WaitAck of an unsent envelope succeeded")
	}
}
