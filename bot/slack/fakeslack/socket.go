package fakeslack

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// ErrNotConnected is returned by Send when no Socket Mode client is connected.
var ErrNotConnected = errors.New("fakeslack: no socket mode connection")

// debugHost is the Slack host named in hello and disconnect messages.
const debugHost = "applink-fakeslack"

// closeGrace is how long a connection told to disconnect may stay open for the client
// to close it first, as Slack's does.
const closeGrace = 2 * time.Second

// Envelope is a Socket Mode message from Slack carrying an Events API event
// (type "events_api"), a slash command ("slash_commands") or an interaction ("interactive").
type Envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Type                   string          `json:"type"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           int             `json:"retry_attempt"`
	RetryReason            string          `json:"retry_reason"`
}

// Ack is an acknowledgement a Socket Mode client sent back for an envelope.
type Ack struct {
	EnvelopeID string
	// Payload is the ack's optional response payload, such as a slash command's reply or a
	// view_submission's response_action; nil when the ack carried none.
	Payload json.RawMessage
	Time    time.Time
}

// hello and disconnect are the messages Slack sends on its own, in the docs' key order.
type controlMessage struct {
	Type           string          `json:"type"`
	Reason         string          `json:"reason,omitempty"`
	ConnectionInfo *connectionInfo `json:"connection_info,omitempty"`
	NumConnections int             `json:"num_connections,omitempty"`
	DebugInfo      debugInfo       `json:"debug_info"`
}

type connectionInfo struct {
	AppID string `json:"app_id"`
}

type debugInfo struct {
	Host                      string `json:"host"`
	Started                   string `json:"started,omitempty"`
	BuildNumber               int    `json:"build_number,omitempty"`
	ApproximateConnectionTime int    `json:"approximate_connection_time,omitempty"`
}

// wsConn is one Socket Mode connection. gorilla/websocket allows one writer at a time, so
// data messages go through writeMu; pings and close frames use WriteControl, which may run
// concurrently with it.
type wsConn struct {
	conn      *websocket.Conn
	writeMu   sync.Mutex
	done      chan struct{}
	closeOnce sync.Once
}

// writeLocked sends one text message; c.writeMu must be held.
func (c *wsConn) writeLocked(b []byte) error {
	if err := c.conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return err
	}
	return c.conn.WriteMessage(websocket.TextMessage, b)
}

func (c *wsConn) write(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.writeLocked(b)
}

// ping sends a WebSocket ping now and every interval, as Slack does, until the connection
// ends; the socketmode client treats a silent connection as dead.
func (c *wsConn) ping(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := c.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout)); err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
}

// closeNow sends a close frame, best effort, and closes the connection.
func (c *wsConn) closeNow() {
	c.closeOnce.Do(func() {
		close(c.done)
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
		_ = c.conn.Close()
	})
}

func (s *Server) appsConnectionsOpenLocked() answer {
	s.seq++
	ticket := strconv.Itoa(s.seq)
	s.tickets[ticket] = false
	wsURL := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link/?ticket=" + ticket
	return success(map[string]any{"url": wsURL})
}

// serveSocket is the WebSocket endpoint apps.connections.open points at. Each ticket opens
// one connection. The connection gets hello, then envelopes from Send; what the client sends
// back is recorded as acks.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	used, issued := s.tickets[ticket]
	if s.closed || !issued || used {
		s.mu.Unlock()
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	s.tickets[ticket] = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()

	// slack-go sends Origin: https://api.slack.com, which the default check would refuse.
	upgrader := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered the client.
	}
	conn.SetReadLimit(maxWSMessage)
	c := &wsConn{conn: conn, done: make(chan struct{})}

	// Hold the write lock from registration until hello is out, so that an envelope sent
	// as soon as the connection is visible still follows hello, as on Slack.
	c.writeMu.Lock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.writeMu.Unlock()
		c.closeNow()
		return
	}
	s.conns = append(s.conns, c)
	s.connTotal++
	hello := controlMessage{
		Type:           "hello",
		ConnectionInfo: &connectionInfo{AppID: AppID},
		NumConnections: len(s.conns),
		DebugInfo: debugInfo{
			Host:                      debugHost,
			Started:                   s.Now().UTC().Format("2006-01-02 15:04:05.000"),
			BuildNumber:               54,
			ApproximateConnectionTime: 3600,
		},
	}
	interval := s.PingInterval
	s.notifyLocked()
	s.mu.Unlock()
	b, _ := json.Marshal(hello)
	err = c.writeLocked(b)
	c.writeMu.Unlock()
	if err == nil {
		s.mu.Lock()
		s.hellos++
		s.notifyLocked()
		s.mu.Unlock()
	}

	if interval <= 0 {
		interval = time.Second
	}
	if err == nil {
		s.wg.Go(func() { c.ping(interval) })
		s.readAcks(c)
	}

	c.closeNow()
	s.mu.Lock()
	s.conns = slices.DeleteFunc(s.conns, func(o *wsConn) bool { return o == c })
	s.notifyLocked()
	s.mu.Unlock()
}

// readAcks records what the client sends until the connection fails or closes.
func (s *Server) readAcks(c *wsConn) {
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		var m struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if json.Unmarshal(data, &m) != nil || m.EnvelopeID == "" {
			continue // Slack ignores what is not an ack, and so does the fake.
		}
		if string(m.Payload) == "null" {
			m.Payload = nil
		}
		s.mu.Lock()
		if !s.fullLocked(len(s.acks)) {
			s.acks = append(s.acks, Ack{EnvelopeID: m.EnvelopeID, Payload: m.Payload, Time: s.Now()})
			s.notifyLocked()
		}
		s.mu.Unlock()
	}
}

// Connections returns how many Socket Mode connections the fake has accepted in all,
// counting those since closed: 2 after a client reconnects once.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connTotal
}

// WaitConnections waits until the fake has accepted n Socket Mode connections in all and
// sent hello on each. It fails the test after timeout, so call it from the test's goroutine.
func (s *Server) WaitConnections(n int, timeout time.Duration) {
	s.tb.Helper()
	var got int
	if !s.waitUntil(timeout, func() bool {
		got = s.hellos
		return got >= n
	}) {
		s.tb.Fatalf("fakeslack: %d socket mode connections within %v, want %d", got, timeout, n)
	}
}

// Send writes envelope to the newest Socket Mode connection, as JSON; a json.RawMessage or
// []byte is sent as it is, so a fixture can be sent verbatim. It returns ErrNotConnected
// when no client is connected.
func (s *Server) Send(envelope any) error {
	var b []byte
	switch e := envelope.(type) {
	case json.RawMessage:
		b = e
	case []byte:
		b = e
	default:
		var err error
		if b, err = json.Marshal(envelope); err != nil {
			return fmt.Errorf("fakeslack: send: %w", err)
		}
	}
	if !json.Valid(b) {
		return errors.New("fakeslack: send: envelope is not JSON")
	}
	s.mu.Lock()
	var c *wsConn
	if len(s.conns) > 0 {
		c = s.conns[len(s.conns)-1]
	}
	s.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	if err := c.write(b); err != nil {
		return fmt.Errorf("fakeslack: send: %w", err)
	}
	return nil
}

// SendEnvelope wraps payload in an envelope of type typ ("slash_commands", "interactive" or
// "events_api") with a new envelope ID, sends it, and returns the ID for WaitAck. As on
// Slack, slash commands and interactions accept a response payload and events do not; a
// retryAttempt above zero comes with retry_reason "timeout".
func (s *Server) SendEnvelope(typ string, payload json.RawMessage, retryAttempt int) (envelopeID string, err error) {
	e := Envelope{
		EnvelopeID:             newEnvelopeID(),
		Type:                   typ,
		Payload:                payload,
		AcceptsResponsePayload: typ != "events_api",
		RetryAttempt:           retryAttempt,
	}
	if retryAttempt > 0 {
		e.RetryReason = "timeout"
	}
	return e.EnvelopeID, s.Send(e)
}

// newEnvelopeID returns a random UUID, the form of Slack's envelope IDs.
func newEnvelopeID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Acks returns the acks received so far, oldest first.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.acks)
}

// WaitAck waits for the client's ack of envelopeID and returns it, or an error after timeout.
func (s *Server) WaitAck(envelopeID string, timeout time.Duration) (Ack, error) {
	var ack Ack
	if !s.waitUntil(timeout, func() bool {
		for _, a := range s.acks {
			if a.EnvelopeID == envelopeID {
				ack = a
				return true
			}
		}
		return false
	}) {
		return Ack{}, fmt.Errorf("fakeslack: no ack of envelope %s within %v", envelopeID, timeout)
	}
	return ack, nil
}

// Disconnect sends every open Socket Mode connection a disconnect message with reason
// ("refresh_requested", "warning", "link_disabled"), then closes it: a close frame at once,
// and the connection itself when the client has closed its side or after a short grace.
// slack-go's socketmode client reconnects through apps.connections.open.
func (s *Server) Disconnect(reason string) {
	s.mu.Lock()
	conns := slices.Clone(s.conns)
	s.mu.Unlock()
	b, _ := json.Marshal(controlMessage{Type: "disconnect", Reason: reason, DebugInfo: debugInfo{Host: debugHost}})
	for _, c := range conns {
		_ = c.write(b)
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(writeTimeout))
		// The reader then ends on the client's close, or on this deadline.
		_ = c.conn.NetConn().SetReadDeadline(time.Now().Add(closeGrace))
	}
}
