package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/bot/teams"
	"github.com/touchbase/touchbase/bot/teams/fakebf"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store/storetest"
)

// botNow is the clock of the bot tests: Monday 23 November 2026, 01:00 UTC.
var botNow = time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)

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

// badActivity is a request to /api/messages that the Bot Connector did not
// send, or not like this.
type badActivity struct {
	name          string
	method        string // POST unless set
	contentType   string // application/json unless set
	authorization string
	body          []byte
	broken        bool // the body breaks off after these bytes
	want          int
	wantBody      string // the answer's body contains it
}

// Ensure POST /api/messages refuses what the Bot Connector did not send, or
// not like this: another method, no token or a bad one (garbled, another
// scheme, expired, not yet valid, for another bot, from another issuer,
// signed by an unknown key or not at all, for another serviceUrl, too
// long), an oversized body, one that breaks off, an empty one, one that is
// not JSON or not an activity, or an activity without the fields a reply
// needs. Each gets its status (a short reason where one helps), sends
// nothing to Teams, and leaves the database file byte for byte as it was.
func TestBot_BadRequests(t *testing.T) {
	bf := fakebf.New(t)
	bf.Now = func() time.Time { return botNow }
	db := storetest.MustOpenDB(t)
	h := handlers.NewHandler(db, touchbase.DefaultConfig())
	h.Now = bf.Now
	auth := teams.NewAuthenticator(fakebf.AppID, bf.MetadataURL())
	auth.Now = bf.Now
	conn := &teams.Connector{Tokens: &teams.TokenSource{AppID: fakebf.AppID, Password: fakebf.AppPassword, TenantID: fakebf.TenantID,
		TokenURL: bf.TokenURL(fakebf.TenantID), Now: bf.Now}}
	bot := teams.NewBot(h, db, auth, conn)
	bot.Now = bf.Now
	if _, err := h.Handle(context.Background(), handlers.User{ID: "teams:aad-sato", Name: "Sato"}, `lead "Taro Yamada" company:"Acme KK"`); err != nil {
		t.Fatal(err)
	}

	// The activity, from the docs' example, that would add a lead.
	b, err := os.ReadFile(filepath.Join("testdata", "message_activity_personal.docs.json"))
	if err != nil {
		t.Fatal(err)
	}
	shaped := func(change func(map[string]any)) []byte {
		var a map[string]any
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		a["serviceUrl"], a["text"] = bf.ServiceURL(), "lead Mallory company:Evil"
		if change != nil {
			change(a)
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	good := shaped(nil)
	bearer := func(tok string) string { return "Bearer " + tok }
	valid := bearer(bf.Token(fakebf.AppID, bf.ServiceURL(), nil))
	huge := append(append([]byte(`{"type":"message","text":"`), bytes.Repeat([]byte("a"), 256<<10)...), `"}`...)
	cases := []badActivity{
		{name: "GET", method: http.MethodGet, authorization: valid, want: http.StatusMethodNotAllowed, wantBody: "POST only"},
		{name: "PUT", method: http.MethodPut, authorization: valid, body: good, want: http.StatusMethodNotAllowed},
		{name: "no token", body: good, want: http.StatusUnauthorized},
		{name: "garbled token", authorization: bearer("not.a.jwt"), body: good, want: http.StatusUnauthorized},
		{name: "another scheme", authorization: "Basic " + strings.TrimPrefix(valid, "Bearer "), body: good, want: http.StatusUnauthorized},
		{name: "expired", authorization: bearer(bf.Token(fakebf.AppID, bf.ServiceURL(), func(c jwt.MapClaims) {
			c["nbf"], c["exp"] = botNow.Add(-2*time.Hour).Unix(), botNow.Add(-10*time.Minute).Unix()
		})), body: good, want: http.StatusUnauthorized},
		{name: "not yet valid", authorization: bearer(bf.Token(fakebf.AppID, bf.ServiceURL(), func(c jwt.MapClaims) {
			c["nbf"] = botNow.Add(10 * time.Minute).Unix()
		})), body: good, want: http.StatusUnauthorized},
		{name: "for another bot", authorization: bearer(bf.Token("00000000-0000-0000-0000-000000000000", bf.ServiceURL(), nil)), body: good, want: http.StatusForbidden},
		{name: "another issuer", authorization: bearer(bf.Token(fakebf.AppID, bf.ServiceURL(), func(c jwt.MapClaims) { c["iss"] = "https://evil.example" })), body: good, want: http.StatusForbidden},
		{name: "unknown key", authorization: bearer(bf.SignWith(bf.Claims(fakebf.AppID, bf.ServiceURL()), fakebf.UnknownKey(t))), body: good, want: http.StatusUnauthorized},
		{name: "unsigned", authorization: bearer(bf.Unsigned(bf.Claims(fakebf.AppID, bf.ServiceURL()))), body: good, want: http.StatusUnauthorized},
		{name: "for another serviceUrl", authorization: bearer(bf.Token(fakebf.AppID, "https://smba.evil.example/", nil)), body: good, want: http.StatusForbidden},
		{name: "token too long", authorization: bearer(strings.Repeat("a", 20<<10)), body: good, want: http.StatusUnauthorized},
		{name: "oversized", authorization: valid, body: huge, want: http.StatusRequestEntityTooLarge, wantBody: "too large"},
		{name: "oversized, no token", body: huge, want: http.StatusRequestEntityTooLarge},
		{name: "body breaks off", authorization: valid, body: good[:len(good)/2], broken: true, want: http.StatusBadRequest, wantBody: "incomplete"},
		{name: "body breaks off, no token", body: good[:len(good)/2], broken: true, want: http.StatusBadRequest},
		{name: "truncated JSON", authorization: valid, body: good[:len(good)/2], want: http.StatusBadRequest, wantBody: "malformed activity"},
		{name: "truncated JSON, no token", body: good[:len(good)/2], want: http.StatusUnauthorized},
		{name: "empty", authorization: valid, want: http.StatusBadRequest, wantBody: "malformed activity"},
		{name: "form-encoded", contentType: "application/x-www-form-urlencoded", authorization: valid,
			body: []byte(url.Values{"type": {"message"}, "text": {"lead Mallory"}, "serviceUrl": {bf.ServiceURL()}}.Encode()), want: http.StatusBadRequest},
		{name: "JSON array", authorization: valid, body: []byte(`[` + string(good) + `]`), want: http.StatusBadRequest},
		{name: "JSON null", authorization: valid, body: []byte(`null`), want: http.StatusBadRequest},
		{name: "text where an object goes", authorization: valid, body: shaped(func(a map[string]any) { a["from"] = "Megan" }), want: http.StatusBadRequest},
		{name: "no serviceUrl", authorization: valid, body: shaped(func(a map[string]any) { delete(a, "serviceUrl") }), want: http.StatusBadRequest},
		{name: "no serviceUrl, no token", body: shaped(func(a map[string]any) { delete(a, "serviceUrl") }), want: http.StatusUnauthorized},
		{name: "no sender", authorization: valid, body: shaped(func(a map[string]any) { delete(a, "from") }), want: http.StatusBadRequest},
		{name: "no conversation", authorization: valid, body: shaped(func(a map[string]any) { delete(a, "conversation") }), want: http.StatusBadRequest},
	}
	snapshot := func() []byte {
		t.Helper()
		var b bytes.Buffer
		if _, err := db.Backup(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	send := func(c badActivity) *httptest.ResponseRecorder {
		t.Helper()
		var body io.Reader = bytes.NewReader(c.body)
		if c.broken {
			body = &brokenReader{r: body}
		}
		method := c.method
		if method == "" {
			method = http.MethodPost
		}
		req := httptest.NewRequest(method, "/api/messages", body)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		if c.authorization != "" {
			req.Header.Set("Authorization", c.authorization)
		}
		rec := httptest.NewRecorder()
		bot.ServeHTTP(rec, req)
		return rec
	}
	before := snapshot()
	for _, c := range cases {
		rec := send(c)
		if rec.Code != c.want {
			t.Errorf("%s: status %d (%q), want %d", c.name, rec.Code, rec.Body.String(), c.want)
		}
		if !strings.Contains(rec.Body.String(), c.wantBody) {
			t.Errorf("%s: body %q, want it to contain %q", c.name, rec.Body.String(), c.wantBody)
		}
		if (rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden) && rec.Body.Len() > 0 {
			t.Errorf("%s: %d with a body %q, want none: an unauthenticated caller learns nothing", c.name, rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusMethodNotAllowed && rec.Header().Get("Allow") != http.MethodPost {
			t.Errorf("%s: 405 with Allow %q, want POST", c.name, rec.Header().Get("Allow"))
		}
		if n := len(bf.Attempts()); n > 0 || bf.TokenCalls() > 0 {
			t.Fatalf("%s: sent %d activities to Teams and asked %d times for a token", c.name, n, bf.TokenCalls())
		}
		if !bytes.Equal(snapshot(), before) {
			t.Fatalf("%s: wrote to the database", c.name)
		}
	}
	// The activity itself is acted on: each refusal above was for what was
	// wrong with the request.
	if rec := send(badActivity{authorization: valid, body: good}); rec.Code != http.StatusOK {
		t.Fatalf("the good activity: status %d (%q), want 200", rec.Code, rec.Body.String())
	}
	var leads []*touchbase.Lead
	if err := db.View(context.Background(), func(tx touchbase.Tx) (err error) {
		leads, err = tx.Leads(touchbase.LeadFilter{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(leads) != 2 || leads[1].Name != "Mallory" {
		t.Fatalf("leads=%d, want the good activity's lead after the scene's", len(leads))
	}
}
