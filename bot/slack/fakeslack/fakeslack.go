// Package fakeslack is a local fake of Slack's Web API and Socket Mode for touchbase's tests.
//
// A Server listens on 127.0.0.1 only and is closed by tb.Cleanup. Point slack-go at it with
// slack.OptionAPIURL(s.URL()); apps.connections.open answers with a ws:// URL on the same
// server, so socketmode.Client connects to it unchanged. Every Web API call is recorded as a
// Call before it is answered, so a test can assert on what the bot sent as soon as the
// slack-go method returns, or wait for calls made from other goroutines with WaitFor.
//
// The fake answers in the JSON shapes slack-go parses, checks token types the way Slack does
// (bot token "xoxb-" for Web API methods, app-level token "xapp-" for apps.connections.open),
// and can inject the failures a bot must survive: HTTP 429 with Retry-After, {"ok":false}
// errors and 5xx answers. Messages posted with chat.postMessage are kept in their
// conversations (Messages, conversations.history with their metadata), and Hold keeps a
// method's calls waiting before or after they take effect, so a test can kill a client at
// that moment and see what it does after a restart.
//
// The fake imports only the standard library and gorilla/websocket, not slack-go, so tests
// check slack-go against Slack's wire format rather than against itself. It is written on
// net/http/httptest rather than on slack-go's slacktest package: slacktest
// speaks the legacy RTM protocol over its WebSocket, keeps servers in a package-level hub,
// answers chat.postMessage with whole-second timestamps, records nothing but RTM messages,
// and leaks a goroutine per posted message when no RTM client reads them.
package fakeslack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The identities the fake answers with. The bot user and bot IDs are what auth.test returns;
// the team and app IDs are those of the Socket Mode fixtures in Slack's docs.
const (
	TeamID    = "T123ABC456"
	TeamName  = "Touchbase Test"
	BotUserID = "U0BOT12345"
	BotName   = "touchbase"
	BotID     = "B123ABC456"
	AppID     = "A123ABC456"
)

// Bounds that keep a misbehaving client from exhausting the test process.
const (
	maxBodyBytes   = 1 << 20  // one Web API request body
	maxUploadBytes = 16 << 20 // one file upload
	maxWSMessage   = 64 << 10 // one WebSocket message from the client; Slack drops acks of 20KB and more
	maxRecords     = 10000    // calls, acks, responses or uploads kept
	writeTimeout   = 5 * time.Second
)

// Call is one Web API request the fake received.
type Call struct {
	// Method is the Web API method, such as "chat.postMessage".
	Method string
	// Form holds the parameters of a form-encoded or GET request, including Slack's
	// "token" parameter; it is nil for a JSON request.
	Form url.Values
	// JSON is the body of an application/json request; it is nil for a form request and
	// for a JSON request with an empty body, such as apps.connections.open.
	JSON json.RawMessage
	// Authorization is the request's Authorization header. slack-go sends it for JSON
	// requests only; form requests carry the token in the form.
	Authorization string
	// Token is the token the request authenticated with, from either place.
	Token string
	// Time is when the fake received the call, by Server.Now.
	Time time.Time
	// Status is the HTTP status the fake answered with.
	Status int
	// Error is the Slack error code the fake answered with, or "" for "ok": true.
	Error string
}

// Param returns the named parameter whichever way the call was sent: a form value, or a
// top-level JSON field, unquoted if it is a string and as JSON text otherwise. So
// Param("blocks") is the blocks' JSON both for chat.postMessage, which slack-go sends as a
// form with a JSON-encoded "blocks" value, and for a JSON method.
func (c Call) Param(name string) string {
	if c.JSON == nil {
		return c.Form.Get(name)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(c.JSON, &fields); err != nil {
		return ""
	}
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// Server is a fake Slack serving the Web API under URL(), response URLs, file uploads and a
// Socket Mode WebSocket endpoint. It is safe for concurrent use. The Wait methods that fail
// the test fail the tb given to New.
type Server struct {
	// Now stamps calls and message timestamps. Set it right after New, before the fake is
	// used; it defaults to time.Now.
	Now func() time.Time
	// PingInterval is how often the fake sends a WebSocket ping, as Slack does; the
	// socketmode client reconnects when it hears none for its own interval (30s by default).
	// Set it before a client connects; it defaults to one second.
	PingInterval time.Duration

	tb  testing.TB
	srv *httptest.Server

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever something is recorded
	closed  bool
	wg      sync.WaitGroup // hijacked WebSocket connections, which httptest does not track

	calls     []Call
	messages  []Message // accepted by chat.postMessage, oldest first
	holds     map[string]*Hold
	faults    map[string][]*fault
	handlers  map[string]func(Call) any
	overflow  bool
	seq       int
	tsSec     int64
	tsSeq     int
	users     map[string]json.RawMessage
	views     map[string]string // view ID → current hash
	external  map[string]string // external_id → view ID
	homes     map[string]string // user ID → Home tab view ID
	dms       map[string]string // sorted users → conversation ID
	files     map[string]string // file ID → file name, from files.getUploadURLExternal
	uploads   []Upload
	responses map[string]*responseURL

	tickets   map[string]bool // apps.connections.open tickets; true once used
	conns     []*wsConn       // open Socket Mode connections, oldest first
	connTotal int             // connections accepted
	hellos    int             // connections hello was sent on
	acks      []Ack
}

// New starts a fake Slack on 127.0.0.1 and closes it, with every Socket Mode connection,
// when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		Now:          time.Now,
		PingInterval: time.Second,
		tb:           tb,
		changed:      make(chan struct{}),
		faults:       make(map[string][]*fault),
		holds:        make(map[string]*Hold),
		handlers:     make(map[string]func(Call) any),
		users:        make(map[string]json.RawMessage),
		views:        make(map[string]string),
		external:     make(map[string]string),
		homes:        make(map[string]string),
		dms:          make(map[string]string),
		files:        make(map[string]string),
		responses:    make(map[string]*responseURL),
		tickets:      make(map[string]bool),
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.serveAPI)
	mux.HandleFunc("POST /upload/v1/{file}", s.serveUpload)
	mux.HandleFunc("POST /commands/{team}/{id}/{secret}", s.serveResponseURL)
	mux.HandleFunc("GET /link/", s.serveSocket)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("fakeslack: listen: %v", err)
	}
	s.srv = &httptest.Server{
		Listener: l,
		Config: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			IdleTimeout:       30 * time.Second,
		},
	}
	s.srv.Start()
	tb.Cleanup(s.close)
	return s
}

// URL returns the Web API base URL, ending in "/api/", for slack.OptionAPIURL.
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// close shuts the server down: Socket Mode connections first, since httptest forgets
// hijacked connections, then the HTTP server, then it waits for every connection goroutine.
func (s *Server) close() {
	s.mu.Lock()
	s.closed = true
	conns := append([]*wsConn(nil), s.conns...)
	holds := make([]*Hold, 0, len(s.holds))
	for _, h := range s.holds {
		holds = append(holds, h)
	}
	s.mu.Unlock()
	// Held calls would keep httptest's Close waiting for ever.
	for _, h := range holds {
		h.Release()
	}
	for _, c := range conns {
		c.closeNow()
	}
	s.srv.Close()
	s.wg.Wait()
}

// Calls returns the calls received for method, oldest first, or every call when method is "".
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until n calls of method ("" for any) have arrived and returns the first n.
// It fails the test if they have not arrived within timeout, so call it from the test's
// goroutine.
func (s *Server) WaitFor(method string, n int, timeout time.Duration) []Call {
	s.tb.Helper()
	var got []Call
	if !s.waitUntil(timeout, func() bool {
		got = s.callsLocked(method)
		return len(got) >= n
	}) {
		s.tb.Fatalf("fakeslack: got %d %q calls within %v, want %d", len(got), method, timeout, n)
	}
	return got[:n]
}

// Handle makes the fake answer method with fn's result, marshalled as the whole JSON body
// (include "ok": true). It replaces a built-in method or adds one the fake lacks. Token
// checks and injected failures still apply first. fn runs on the server's goroutine.
func (s *Server) Handle(method string, fn func(Call) any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[method] = fn
}

// SetUser makes users.info answer user, anything that marshals to a Slack user object with
// an "id", such as a slack.User. Users not set get the default user: the Slack docs'
// example user moved to Asia/Tokyo (tz_offset 32400), with the requested ID.
func (s *Server) SetUser(user any) {
	s.tb.Helper()
	b, err := json.Marshal(user)
	if err != nil {
		s.tb.Fatalf("fakeslack: SetUser: %v", err)
	}
	var u struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &u); err != nil || u.ID == "" {
		s.tb.Fatalf("fakeslack: SetUser: %s is not a user object with an id", b)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = b
}

// waitUntil reports whether cond, called with s.mu held, became true within timeout. It
// waits on the changed channel, which every recording closes, rather than polling.
func (s *Server) waitUntil(timeout time.Duration, cond func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		ok := cond()
		changed := s.changed
		s.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-timer.C:
			s.mu.Lock()
			defer s.mu.Unlock()
			return cond()
		}
	}
}

// notifyLocked wakes every waiter.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// fullLocked reports whether a record list has reached its bound, failing the test once.
func (s *Server) fullLocked(n int) bool {
	if n < maxRecords {
		return false
	}
	if !s.overflow {
		s.overflow = true
		s.tb.Errorf("fakeslack: more than %d records; is the client looping?", maxRecords)
	}
	return true
}

// nextIDLocked returns a new Slack-style ID with the given prefix, such as "V0000000001".
func (s *Server) nextIDLocked(prefix string) string {
	s.seq++
	return fmt.Sprintf("%s%010d", prefix, s.seq)
}

// nextTSLocked returns a message timestamp, "seconds.sequence", greater than every one
// before it even when Now stands still or goes back.
func (s *Server) nextTSLocked() string {
	sec := s.Now().Unix()
	if sec > s.tsSec {
		s.tsSec, s.tsSeq = sec, 0
	}
	s.tsSeq++
	if s.tsSeq > 999999 {
		s.tsSec, s.tsSeq = s.tsSec+1, 1
	}
	return fmt.Sprintf("%d.%06d", s.tsSec, s.tsSeq)
}

// fault is one injected failure, answered to the next remaining calls of a method.
type fault struct {
	status     int
	slackErr   string
	retryAfter time.Duration
	remaining  int
}

// RateLimit answers the next times calls of method with HTTP 429 Too Many Requests and a
// Retry-After header in whole seconds (rounded up), as Slack does; slack-go returns a
// *slack.RateLimitedError carrying RetryAfter. Injected failures of a method are answered in
// the order they were injected.
func (s *Server) RateLimit(method string, times int, retryAfter time.Duration) {
	s.inject(method, &fault{status: http.StatusTooManyRequests, slackErr: "ratelimited", retryAfter: retryAfter, remaining: times})
}

// FailNext answers the next times calls of method with HTTP 200 and
// {"ok":false,"error":errorString}; slack-go returns a slack.SlackErrorResponse.
func (s *Server) FailNext(method, errorString string, times int) {
	s.inject(method, &fault{status: http.StatusOK, slackErr: errorString, remaining: times})
}

// Fail5xx answers the next times calls of method with HTTP 500 and an HTML body, as Slack
// does; slack-go returns a slack.StatusCodeError.
func (s *Server) Fail5xx(method string, times int) {
	s.inject(method, &fault{status: http.StatusInternalServerError, remaining: times})
}

func (s *Server) inject(method string, f *fault) {
	if f.remaining <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], f)
}

// popFaultLocked returns the failure to answer method's current call with, if any.
func (s *Server) popFaultLocked(method string) *fault {
	q := s.faults[method]
	if len(q) == 0 {
		return nil
	}
	f := q[0]
	f.remaining--
	if f.remaining == 0 {
		s.faults[method] = q[1:]
	}
	return f
}

// answer is what the fake replies to one request.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) write(w http.ResponseWriter) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func (f *fault) answer() answer {
	switch f.status {
	case http.StatusOK:
		return slackError(f.slackErr)
	case http.StatusTooManyRequests:
		secs := int64(math.Ceil(f.retryAfter.Seconds()))
		a := jsonAnswer(http.StatusTooManyRequests, map[string]any{"ok": false, "error": f.slackErr})
		a.header = http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
		return a
	default:
		return answer{
			status: f.status,
			header: http.Header{"Content-Type": {"text/html; charset=utf-8"}},
			body:   []byte("<html><body><h1>" + http.StatusText(f.status) + "</h1></body></html>\n"),
		}
	}
}

func jsonAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil {
		return answer{status: http.StatusInternalServerError, body: []byte(`{"ok":false,"error":"fakeslack_marshal"}`)}
	}
	return answer{status: status, body: b}
}

func slackError(code string) answer {
	return jsonAnswer(http.StatusOK, map[string]any{"ok": false, "error": code})
}

// serveAPI answers one Web API call: it reads the call, records it, then answers, so the
// record exists before the client sees the answer.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	c, parseErr := readCall(w, r)
	if h := s.holding(c.Method, BeforeRecord); h != nil && !h.wait(r.Context(), c) {
		return // the client went away: the call never reached Slack
	}

	s.mu.Lock()
	c.Time = s.Now()
	if s.fullLocked(len(s.calls)) {
		s.mu.Unlock()
		http.Error(w, "fakeslack: too many calls", http.StatusInternalServerError)
		return
	}
	var a answer
	custom := s.handlers[c.Method]
	switch f := s.popFaultLocked(c.Method); {
	case f != nil:
		a = f.answer()
	case parseErr != "":
		a = slackError(parseErr)
	default:
		if code := checkToken(c); code != "" {
			a = slackError(code)
		} else if custom == nil {
			a = s.dispatchLocked(c)
		}
	}
	if custom != nil && a.status == 0 {
		// Run the test's handler without the lock, so it may use the Server.
		s.mu.Unlock()
		a = jsonAnswer(http.StatusOK, custom(c))
		s.mu.Lock()
	}
	c.Status = a.status
	if a.status == http.StatusOK || a.status == http.StatusTooManyRequests {
		var body struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(a.body, &body)
		c.Error = body.Error
	}
	s.calls = append(s.calls, c)
	s.notifyLocked()
	s.mu.Unlock()

	if h := s.holding(c.Method, AfterRecord); h != nil {
		h.wait(r.Context(), c) // if the client went away, the answer is lost
	}
	a.write(w)
}

// readCall parses a request the way Slack does: JSON bodies for application/json, form
// values (body and query) otherwise. It returns a Slack error code for a malformed body.
func readCall(w http.ResponseWriter, r *http.Request) (Call, string) {
	c := Call{Method: r.PathValue("method"), Authorization: r.Header.Get("Authorization")}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		return c, "request_too_large"
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var parseErr string
	if mediaType == "application/json" {
		if body = bytes.TrimSpace(body); len(body) > 0 {
			c.JSON = json.RawMessage(body)
			if !json.Valid(body) {
				parseErr = "invalid_json"
			}
		}
	} else {
		c.Form = r.URL.Query()
		form, err := url.ParseQuery(string(body))
		if err != nil {
			parseErr = "invalid_form_data"
		}
		for k, v := range form {
			c.Form[k] = append(c.Form[k], v...)
		}
	}
	if token, ok := strings.CutPrefix(c.Authorization, "Bearer "); ok {
		c.Token = token
	} else if c.Form != nil {
		c.Token = c.Form.Get("token")
	}
	return c, parseErr
}

// checkToken returns the error Slack gives a call made with the wrong kind of token:
// apps.connections.open takes an app-level token, every other method a bot token.
func checkToken(c Call) string {
	want := "xoxb-"
	if c.Method == "apps.connections.open" {
		want = "xapp-"
	}
	switch {
	case c.Token == "":
		return "not_authed"
	case strings.HasPrefix(c.Token, want):
		return ""
	case strings.HasPrefix(c.Token, "xoxb-"), strings.HasPrefix(c.Token, "xapp-"), strings.HasPrefix(c.Token, "xoxp-"):
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
}
