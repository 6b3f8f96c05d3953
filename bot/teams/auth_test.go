package teams_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/touchbase/touchbase/bot/teams"
)

const (
	testAppID      = "8a6f3c2e-1b7d-4e9a-9c1f-2d5b7e0a4c11"
	testServiceURL = "https://smba.trafficmanager.net/amer/"
	kid0, kid1     = "key-0", "key-1"
)

// Test keys: RSA generation is slow, so once per test binary.
var (
	keysOnce sync.Once
	rsaKeys  [3]*rsa.PrivateKey
)

// testKey returns the i'th test key (0, 1 or 2). Keys 0 and 1 are served by
// the fake login service; key 2 never is.
func testKey(tb testing.TB, i int) *rsa.PrivateKey {
	tb.Helper()
	keysOnce.Do(func() {
		for j := range rsaKeys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			rsaKeys[j] = k
		}
	})
	return rsaKeys[i]
}

// jwtFixture is testdata/jwt_connector_to_bot_components.docs.txt, the docs'
// example of a token from the Connector: header and payload fields by name.
type jwtFixture struct {
	header, payload map[string]string
}

var fixtureField = regexp.MustCompile(`^\s*(\w+):\s*"?([^"]*?)"?,?\s*$`)

func mustLoadJWTFixture(tb testing.TB) jwtFixture {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", "jwt_connector_to_bot_components.docs.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	fx := jwtFixture{header: map[string]string{}, payload: map[string]string{}}
	var section map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch strings.TrimSpace(line) {
		case "header:":
			section = fx.header
			continue
		case "payload:":
			section = fx.payload
			continue
		}
		if m := fixtureField.FindStringSubmatch(line); m != nil && section != nil {
			section[m[1]] = m[2]
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	for _, name := range []string{"aud", "iss", "nbf", "exp"} {
		if _, ok := fx.payload[name]; !ok {
			tb.Fatalf("fixture payload has no %s: %v", name, fx.payload)
		}
	}
	return fx
}

// unix reads a numeric payload field.
func (fx jwtFixture) unix(tb testing.TB, name string) time.Time {
	tb.Helper()
	n, err := strconv.ParseInt(fx.payload[name], 10, 64)
	if err != nil {
		tb.Fatalf("fixture %s: %v", name, err)
	}
	return time.Unix(n, 0)
}

// now is a moment well inside the fixture token's lifetime.
func (fx jwtFixture) now(tb testing.TB) time.Time {
	return fx.unix(tb, "nbf").Add(10 * time.Minute)
}

// claims are the fixture's payload for this bot and testServiceURL, with
// nbf and exp moved by shift.
func (fx jwtFixture) claims(tb testing.TB, shift time.Duration) jwt.MapClaims {
	tb.Helper()
	c := jwt.MapClaims{}
	for k, v := range fx.payload {
		c[k] = v
	}
	if !strings.HasPrefix(fx.payload["aud"], "<") {
		tb.Fatalf("fixture aud %q is not a placeholder", fx.payload["aud"])
	}
	c["aud"] = testAppID
	c["nbf"] = fx.unix(tb, "nbf").Add(shift).Unix()
	c["exp"] = fx.unix(tb, "exp").Add(shift).Unix()
	c["serviceurl"] = testServiceURL
	return c
}

// sign mints a token with the fixture's header fields, kid and x5t set to kid.
func (fx jwtFixture) sign(tb testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	tb.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range fx.header {
		if strings.HasPrefix(v, "<") {
			v = kid
		}
		tok.Header[k] = v
	}
	tok.Header["alg"] = method.Alg()
	if kid == "" {
		delete(tok.Header, "kid")
		delete(tok.Header, "x5t")
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// rs256 mints an RS256 token signed by test key i.
func (fx jwtFixture) rs256(tb testing.TB, i int, kid string, claims jwt.MapClaims) string {
	tb.Helper()
	return fx.sign(tb, jwt.SigningMethodRS256, testKey(tb, i), kid, claims)
}

// servedKey is a key in the fake login service's JWKS.
type servedKey struct {
	kid          string
	pub          *rsa.PublicKey
	endorsements []string
}

func (k servedKey) jwk() map[string]any {
	m := map[string]any{
		"kty": "RSA",
		"use": "sig",
		"kid": k.kid,
		"x5t": k.kid,
		"n":   base64.RawURLEncoding.EncodeToString(k.pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.pub.E)).Bytes()),
	}
	if k.endorsements != nil {
		m["endorsements"] = k.endorsements
	}
	return m
}

// fakeLogin serves login.botframework.com's OpenID metadata (the fixture,
// with jwks_uri pointing back at itself) and a JWKS of test keys, counting
// requests.
type fakeLogin struct {
	tb      testing.TB
	base    string // scheme and host jwks_uri points at
	handler http.Handler
	srv     *httptest.Server // nil for in-memory use

	mu            sync.Mutex
	keys          []servedKey
	extra         []map[string]any // raw JWKs served after keys
	jwksURI       string           // overrides base + keysPath
	down          bool
	metadataGets  int
	keysGets      int
	metadataShape map[string]any
}

const (
	metadataPath = "/v1/.well-known/openidconfiguration"
	keysPath     = "/v1/.well-known/keys"
)

// newFakeLogin returns a fake serving key 0 as kid0 over TLS.
func newFakeLogin(tb testing.TB) *fakeLogin {
	tb.Helper()
	f := newInMemoryLogin(tb, "")
	f.srv = httptest.NewTLSServer(f.handler)
	tb.Cleanup(f.srv.Close)
	f.base = f.srv.URL
	return f
}

// newInMemoryLogin returns a fake to be reached through handlerTransport at
// base.
func newInMemoryLogin(tb testing.TB, base string) *fakeLogin {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "openid_configuration.docs.json"))
	if err != nil {
		tb.Fatal(err)
	}
	f := &fakeLogin{
		tb:   tb,
		base: base,
		keys: []servedKey{{kid: kid0, pub: &testKey(tb, 0).PublicKey, endorsements: []string{"msteams", "webchat"}}},
	}
	if err := json.Unmarshal(b, &f.metadataShape); err != nil {
		tb.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+metadataPath, f.serveMetadata)
	mux.HandleFunc("GET "+keysPath, f.serveKeys)
	f.handler = mux
	return f
}

func (f *fakeLogin) metadataURL() string { return f.base + metadataPath }

func (f *fakeLogin) serveMetadata(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.metadataGets++
	down := f.down
	m := map[string]any{}
	for k, v := range f.metadataShape {
		m[k] = v
	}
	m["jwks_uri"] = f.base + keysPath
	if f.jwksURI != "" {
		m["jwks_uri"] = f.jwksURI
	}
	f.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	writeJSON(f.tb, w, m)
}

func (f *fakeLogin) serveKeys(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.keysGets++
	down := f.down
	var keys []map[string]any
	for _, k := range f.keys {
		keys = append(keys, k.jwk())
	}
	keys = append(keys, f.extra...)
	f.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	writeJSON(f.tb, w, map[string]any{"keys": keys})
}

func writeJSON(tb testing.TB, w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		tb.Error(err)
	}
}

func (f *fakeLogin) setKeys(keys ...servedKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = keys
}

func (f *fakeLogin) setDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// fetches is how many times the metadata document was requested.
func (f *fakeLogin) fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.metadataGets
}

// handlerTransport serves requests in memory with h, each one first waiting
// for gate if it is not nil.
type handlerTransport struct {
	h    http.Handler
	gate <-chan struct{}
}

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.gate != nil {
		select {
		case <-t.gate:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// clock is an injected clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newAuthenticator returns an Authenticator for testAppID reading f's keys
// on clock c, logging to the test's output.
func newAuthenticator(tb testing.TB, f *fakeLogin, c *clock) *teams.Authenticator {
	tb.Helper()
	a := teams.NewAuthenticator(testAppID, f.metadataURL())
	if f.srv != nil {
		a.HTTPClient = f.srv.Client()
	} else {
		a.HTTPClient = &http.Client{Transport: handlerTransport{h: f.handler}}
	}
	a.Now = c.Now
	// Not tb's output: a key fetch shared by callers may outlive the test
	// that started it.
	a.Logger = slog.New(slog.DiscardHandler)
	return a
}

func bearer(token string) string { return "Bearer " + token }

// checkErr fails unless err is nil when want is, or wraps want.
func checkErr(tb testing.TB, err, want error) {
	tb.Helper()
	switch {
	case want == nil && err != nil:
		tb.Fatalf("err=%v, want nil", err)
	case want != nil && !errors.Is(err, want):
		tb.Fatalf("err=%v, want %v", err, want)
	}
}

func TestAuthenticator_Verify(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	f := newFakeLogin(t)
	now := fx.now(t)
	exp := fx.unix(t, "exp")
	nbf := fx.unix(t, "nbf")

	// with returns the fixture claims changed by edit.
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := fx.claims(t, 0)
		edit(c)
		return c
	}
	valid := fx.rs256(t, 0, kid0, fx.claims(t, 0))
	pubDER, err := x509.MarshalPKIXPublicKey(&testKey(t, 0).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	parts := strings.Split(valid, ".")
	otherClaims, err := json.Marshal(with(func(c jwt.MapClaims) { c["aud"] = "someone-else" }))
	if err != nil {
		t.Fatal(err)
	}
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(otherClaims) + "." + parts[2]

	for _, tt := range []struct {
		name          string
		authorization string
		serviceURL    string // testServiceURL if empty
		now           time.Time
		want          error
	}{
		// Ensure the docs' example token, signed by a served key, passes.
		{name: "valid", authorization: bearer(valid), now: now},
		// Ensure the scheme is matched without regard to case (RFC 7235).
		{name: "lower-case scheme", authorization: "bearer " + valid, now: now},
		// Ensure a token is good from its nbf.
		{name: "at nbf", authorization: bearer(valid), now: nbf},
		// Ensure five minutes of skew are allowed before nbf.
		{name: "nbf within skew", authorization: bearer(valid), now: nbf.Add(-4 * time.Minute)},
		// Ensure a token is refused more than five minutes before nbf.
		{name: "nbf beyond skew", authorization: bearer(valid), now: nbf.Add(-6 * time.Minute), want: teams.ErrUnauthorized},
		// Ensure five minutes of skew are allowed after exp.
		{name: "expired within skew", authorization: bearer(valid), now: exp.Add(4 * time.Minute)},
		// Ensure a token more than five minutes past exp is refused.
		{name: "expired beyond skew", authorization: bearer(valid), now: exp.Add(6 * time.Minute), want: teams.ErrUnauthorized},
		// Ensure a token without exp is refused: it would never expire.
		{name: "no exp", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { delete(c, "exp") }))), now: now, want: teams.ErrUnauthorized},
		// Ensure a token for another bot is forbidden.
		{name: "wrong audience", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { c["aud"] = "another-bot" }))), now: now, want: teams.ErrForbidden},
		// Ensure an audience list naming this bot passes (RFC 7519).
		{name: "audience list", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { c["aud"] = []string{"other", testAppID} }))), now: now},
		// Ensure a token without an audience is forbidden.
		{name: "no audience", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { delete(c, "aud") }))), now: now, want: teams.ErrForbidden},
		// Ensure a token from another issuer is forbidden.
		{name: "wrong issuer", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { c["iss"] = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/" }))), now: now, want: teams.ErrForbidden},
		// Ensure a token without an issuer is forbidden.
		{name: "no issuer", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { delete(c, "iss") }))), now: now, want: teams.ErrForbidden},
		// Ensure a token for another serviceUrl is forbidden.
		{name: "serviceUrl mismatch", authorization: bearer(valid), serviceURL: "https://smba.trafficmanager.net/emea/", now: now, want: teams.ErrForbidden},
		// Ensure a trailing slash on either side does not matter.
		{name: "serviceUrl without slash", authorization: bearer(valid), serviceURL: strings.TrimSuffix(testServiceURL, "/"), now: now},
		// Ensure an activity without serviceUrl is forbidden.
		{name: "activity without serviceUrl", authorization: bearer(valid), serviceURL: "/", now: now, want: teams.ErrForbidden},
		// Ensure a token without the serviceurl claim is forbidden.
		{name: "no serviceurl claim", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { delete(c, "serviceurl") }))), now: now, want: teams.ErrForbidden},
		// Ensure the claim spelled as the docs' prose spells it is read too.
		{name: "serviceUrl claim", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { delete(c, "serviceurl"); c["serviceUrl"] = testServiceURL }))), now: now},
		// Ensure both spellings must agree when both are present.
		{name: "serviceurl spellings disagree", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { c["serviceUrl"] = "https://evil.example/" }))), now: now, want: teams.ErrForbidden},
		// Ensure other spellings are not read generously.
		{name: "serviceURL claim", authorization: bearer(fx.rs256(t, 0, kid0, with(func(c jwt.MapClaims) { delete(c, "serviceurl"); c["SERVICEURL"] = testServiceURL }))), now: now, want: teams.ErrForbidden},
		// Ensure a request without Authorization is refused.
		{name: "no header", authorization: "", now: now, want: teams.ErrUnauthorized},
		// Ensure another scheme is refused.
		{name: "basic", authorization: "Basic " + base64.StdEncoding.EncodeToString([]byte(testAppID+":secret")), now: now, want: teams.ErrUnauthorized},
		// Ensure a bare token without scheme is refused.
		{name: "no scheme", authorization: valid, now: now, want: teams.ErrUnauthorized},
		// Ensure "Bearer" alone is refused.
		{name: "empty bearer", authorization: "Bearer ", now: now, want: teams.ErrUnauthorized},
		// Ensure garbage is refused.
		{name: "garbage", authorization: "Bearer not.a.jwt", now: now, want: teams.ErrUnauthorized},
		// Ensure alg none is refused.
		{name: "alg none", authorization: bearer(fx.sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid0, fx.claims(t, 0))), now: now, want: teams.ErrUnauthorized},
		// Ensure HS256 keyed with the public key is refused (algorithm confusion).
		{name: "HS256 with public key", authorization: bearer(fx.sign(t, jwt.SigningMethodHS256, pubPEM, kid0, fx.claims(t, 0))), now: now, want: teams.ErrUnauthorized},
		// Ensure RS512, though RSA, is refused: the metadata says RS256.
		{name: "RS512", authorization: bearer(fx.sign(t, jwt.SigningMethodRS512, testKey(t, 0), kid0, fx.claims(t, 0))), now: now, want: teams.ErrUnauthorized},
		// Ensure a token signed by another key under a served kid is refused.
		{name: "wrong key for kid", authorization: bearer(fx.rs256(t, 2, kid0, fx.claims(t, 0))), now: now, want: teams.ErrUnauthorized},
		// Ensure a payload changed after signing is refused.
		{name: "tampered payload", authorization: bearer(tampered), now: now, want: teams.ErrUnauthorized},
		// Ensure a token without kid is refused.
		{name: "no kid", authorization: bearer(fx.rs256(t, 0, "", fx.claims(t, 0))), now: now, want: teams.ErrUnauthorized},
		// Ensure a token with an unknown kid is refused.
		{name: "unknown kid", authorization: bearer(fx.rs256(t, 2, "key-2", fx.claims(t, 0))), now: now, want: teams.ErrUnauthorized},
		// Ensure an oversized header is refused before parsing.
		{name: "huge header", authorization: bearer(strings.Repeat("a", 20<<10)), now: now, want: teams.ErrUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuthenticator(t, f, newClock(tt.now))
			serviceURL := tt.serviceURL
			if serviceURL == "" {
				serviceURL = testServiceURL
			}
			err := a.Verify(t.Context(), tt.authorization, serviceURL)
			checkErr(t, err, tt.want)
			if err != nil && strings.Contains(err.Error(), strings.TrimPrefix(tt.authorization, "Bearer ")) && len(tt.authorization) > 40 {
				t.Fatalf("err=%v repeats the token", err)
			}
		})
	}
}

// Ensure an Authenticator with no app id refuses everything.
func TestAuthenticator_NoAppID(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	f := newFakeLogin(t)
	a := newAuthenticator(t, f, newClock(fx.now(t)))
	a.AppID = ""
	err := a.Verify(t.Context(), bearer(fx.rs256(t, 0, kid0, fx.claims(t, 0))), testServiceURL)
	checkErr(t, err, teams.ErrUnauthorized)
	if got, want := f.fetches(), 0; got != want {
		t.Fatalf("fetches=%d, want %d", got, want)
	}
}

// Ensure an unknown kid triggers a refetch at most once a minute, and that a
// key rotated in after the cache was filled is accepted after one refetch.
func TestAuthenticator_UnknownKid(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	f := newFakeLogin(t)
	c := newClock(fx.now(t))
	a := newAuthenticator(t, f, c)

	steps := []struct {
		name        string
		advance     time.Duration
		rotate      bool // serve key 1 as kid1 beside key 0, without endorsements
		key         int
		kid         string
		want        error
		wantFetches int
	}{
		// Ensure the first token fills the cache.
		{name: "first", key: 0, kid: kid0, wantFetches: 1},
		// Ensure a cached key needs no fetch.
		{name: "cached", advance: 10 * time.Second, key: 0, kid: kid0, wantFetches: 1},
		// Ensure an unknown kid within a minute of the last fetch does not refetch.
		{name: "unknown, too soon", advance: 10 * time.Second, key: 2, kid: "key-2", want: teams.ErrUnauthorized, wantFetches: 1},
		// Ensure an unknown kid later refetches, and is still refused if still unknown.
		{name: "unknown, refetch", advance: 2 * time.Minute, key: 2, kid: "key-2", want: teams.ErrUnauthorized, wantFetches: 2},
		// Ensure a key rotated in is not seen before the next allowed fetch.
		{name: "rotated, too soon", rotate: true, advance: 30 * time.Second, key: 1, kid: kid1, want: teams.ErrUnauthorized, wantFetches: 2},
		// Ensure a key rotated in is accepted after one refetch.
		{name: "rotated, refetch", advance: time.Minute, key: 1, kid: kid1, wantFetches: 3},
		// Ensure the rotated key is then cached.
		{name: "rotated, cached", advance: time.Second, key: 1, kid: kid1, wantFetches: 3},
		// Ensure the old key still works while it is served.
		{name: "old key", advance: time.Second, key: 0, kid: kid0, wantFetches: 3},
	}
	var shift time.Duration
	for _, st := range steps {
		c.Add(st.advance)
		shift += st.advance
		if st.rotate {
			f.setKeys(
				servedKey{kid: kid0, pub: &testKey(t, 0).PublicKey, endorsements: []string{"msteams"}},
				servedKey{kid: kid1, pub: &testKey(t, 1).PublicKey},
			)
		}
		err := a.Verify(t.Context(), bearer(fx.rs256(t, st.key, st.kid, fx.claims(t, shift))), testServiceURL)
		if st.want == nil && err != nil || st.want != nil && !errors.Is(err, st.want) {
			t.Fatalf("%s: err=%v, want %v", st.name, err, st.want)
		}
		if got := f.fetches(); got != st.wantFetches {
			t.Fatalf("%s: fetches=%d, want %d", st.name, got, st.wantFetches)
		}
	}
}

// Ensure keys are read again once Refresh has passed, and that Refresh is
// at most a day.
func TestAuthenticator_Refresh(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	f := newFakeLogin(t)
	for _, tt := range []struct {
		name        string
		refresh     time.Duration
		advance     time.Duration
		wantFetches int
	}{
		// Ensure keys younger than Refresh are used as they are.
		{name: "hour, before", refresh: time.Hour, advance: 59 * time.Minute, wantFetches: 1},
		// Ensure keys are read again once Refresh has passed.
		{name: "hour, after", refresh: time.Hour, advance: 61 * time.Minute, wantFetches: 2},
		// Ensure zero means a day.
		{name: "zero, before a day", refresh: 0, advance: 23 * time.Hour, wantFetches: 1},
		{name: "zero, after a day", refresh: 0, advance: 25 * time.Hour, wantFetches: 2},
		// Ensure more than a day means a day.
		{name: "week, after a day", refresh: 7 * 24 * time.Hour, advance: 25 * time.Hour, wantFetches: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(fx.now(t))
			a := newAuthenticator(t, f, c)
			a.Refresh = tt.refresh
			before := f.fetches()
			if err := a.Verify(t.Context(), bearer(fx.rs256(t, 0, kid0, fx.claims(t, 0))), testServiceURL); err != nil {
				t.Fatal(err)
			}
			c.Add(tt.advance)
			if err := a.Verify(t.Context(), bearer(fx.rs256(t, 0, kid0, fx.claims(t, tt.advance))), testServiceURL); err != nil {
				t.Fatal(err)
			}
			if got := f.fetches() - before; got != tt.wantFetches {
				t.Fatalf("fetches=%d, want %d", got, tt.wantFetches)
			}
		})
	}
}

// Ensure that when the metadata service goes down after a successful fetch,
// cached keys still verify tokens, even past Refresh, and unknown kids are
// refused.
func TestAuthenticator_MetadataDown(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	f := newFakeLogin(t)
	c := newClock(fx.now(t))
	a := newAuthenticator(t, f, c)
	a.Refresh = time.Hour

	verify := func(shift time.Duration, key int, kid string) error {
		return a.Verify(t.Context(), bearer(fx.rs256(t, key, kid, fx.claims(t, shift))), testServiceURL)
	}
	if err := verify(0, 0, kid0); err != nil {
		t.Fatal(err)
	}
	f.setDown(true)

	// Ensure cached keys pass while the keys are fresh.
	c.Add(time.Minute)
	if err := verify(time.Minute, 0, kid0); err != nil {
		t.Fatal(err)
	}
	// Ensure stale keys still pass when the refresh fails, and a refresh was tried.
	c.Add(2 * time.Hour)
	if err := verify(2*time.Hour+time.Minute, 0, kid0); err != nil {
		t.Fatal(err)
	}
	if got, want := f.fetches(), 2; got != want {
		t.Fatalf("fetches=%d, want %d", got, want)
	}
	// Ensure the failure is not retried on every request.
	if err := verify(2*time.Hour+time.Minute, 0, kid0); err != nil {
		t.Fatal(err)
	}
	if got, want := f.fetches(), 2; got != want {
		t.Fatalf("fetches=%d, want %d", got, want)
	}
	// Ensure an unknown kid is refused, naming the failed fetch.
	c.Add(2 * time.Minute)
	err := verify(2*time.Hour+3*time.Minute, 2, "key-2")
	checkErr(t, err, teams.ErrUnauthorized)
	if !strings.Contains(err.Error(), "503") {
		t.Fatalf("err=%v, want the fetch failure", err)
	}
}

// Ensure a first fetch that fails refuses tokens, and is retried a minute later.
func TestAuthenticator_FirstFetchFails(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	f := newFakeLogin(t)
	f.setDown(true)
	c := newClock(fx.now(t))
	a := newAuthenticator(t, f, c)
	token := bearer(fx.rs256(t, 0, kid0, fx.claims(t, 0)))

	checkErr(t, a.Verify(t.Context(), token, testServiceURL), teams.ErrUnauthorized)
	checkErr(t, a.Verify(t.Context(), token, testServiceURL), teams.ErrUnauthorized)
	if got, want := f.fetches(), 1; got != want {
		t.Fatalf("fetches=%d, want %d", got, want)
	}
	f.setDown(false)
	c.Add(time.Minute)
	checkErr(t, a.Verify(t.Context(), token, testServiceURL), nil)
}

// Ensure bad key documents are refused and good keys beside bad ones are used.
func TestAuthenticator_KeyDocuments(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	pub := &testKey(t, 0).PublicKey
	short := servedKey{kid: kid0, pub: &rsa.PublicKey{N: new(big.Int).SetBytes(pub.N.Bytes()[:128]), E: pub.E}}.jwk()
	for _, tt := range []struct {
		name    string
		setup   func(f *fakeLogin)
		want    error
		fetches int
	}{
		// Ensure unusable keys are skipped and the usable one is used.
		{name: "mixed keys", setup: func(f *fakeLogin) {
			f.extra = []map[string]any{
				{"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"},
				{"kty": "RSA", "kid": "enc", "use": "enc", "n": "AA", "e": "AQAB"},
				{"kty": "RSA", "kid": "bad-n", "n": "!!", "e": "AQAB"},
			}
		}},
		// Ensure a key below 2048 bits is not trusted.
		{name: "short key", setup: func(f *fakeLogin) {
			f.keys = nil
			f.extra = []map[string]any{short}
		}, want: teams.ErrUnauthorized},
		// Ensure an even exponent is not trusted.
		{name: "even exponent", setup: func(f *fakeLogin) {
			k := servedKey{kid: kid0, pub: pub}.jwk()
			k["e"] = "AQAA"
			f.keys = nil
			f.extra = []map[string]any{k}
		}, want: teams.ErrUnauthorized},
		// Ensure https metadata cannot send us to http for keys.
		{name: "jwks_uri downgrade", setup: func(f *fakeLogin) {
			f.jwksURI = strings.Replace(f.base, "https:", "http:", 1) + keysPath
		}, want: teams.ErrUnauthorized},
		// Ensure a relative jwks_uri is refused.
		{name: "relative jwks_uri", setup: func(f *fakeLogin) {
			f.jwksURI = ""
			f.base = ""
		}, want: teams.ErrUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLogin(t)
			a := newAuthenticator(t, f, newClock(fx.now(t)))
			f.mu.Lock()
			tt.setup(f)
			f.mu.Unlock()
			err := a.Verify(t.Context(), bearer(fx.rs256(t, 0, kid0, fx.claims(t, 0))), testServiceURL)
			checkErr(t, err, tt.want)
		})
	}
}

// Ensure concurrent first Verify calls share one fetch of the keys.
func TestAuthenticator_ConcurrentFetch(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	token := bearer(fx.rs256(t, 0, kid0, fx.claims(t, 0)))
	synctest.Test(t, func(t *testing.T) {
		f := newInMemoryLogin(t, "https://login.botframework.test")
		gate := make(chan struct{})
		a := newAuthenticator(t, f, newClock(fx.now(t)))
		a.HTTPClient = &http.Client{Transport: handlerTransport{h: f.handler, gate: gate}}

		const n = 8
		errs := make(chan error, n)
		for range n {
			go func() { errs <- a.Verify(t.Context(), token, testServiceURL) }()
		}
		synctest.Wait() // every caller is waiting for the one fetch
		close(gate)
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if got, want := f.fetches(), 1; got != want {
			t.Fatalf("fetches=%d, want %d", got, want)
		}
	})
}

// Ensure a caller that gives up while keys are fetched gets an error at
// once, and the fetch still completes for the next caller.
func TestAuthenticator_CallerGivesUp(t *testing.T) {
	fx := mustLoadJWTFixture(t)
	token := bearer(fx.rs256(t, 0, kid0, fx.claims(t, 0)))
	synctest.Test(t, func(t *testing.T) {
		f := newInMemoryLogin(t, "https://login.botframework.test")
		gate := make(chan struct{})
		a := newAuthenticator(t, f, newClock(fx.now(t)))
		a.HTTPClient = &http.Client{Transport: handlerTransport{h: f.handler, gate: gate}}

		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- a.Verify(ctx, token, testServiceURL) }()
		synctest.Wait()
		cancel()
		err := <-errc
		checkErr(t, err, teams.ErrUnauthorized)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err=%v, want context.Canceled", err)
		}
		close(gate)
		synctest.Wait() // the fetch finishes on its own
		checkErr(t, a.Verify(t.Context(), token, testServiceURL), nil)
		if got, want := f.fetches(), 1; got != want {
			t.Fatalf("fetches=%d, want %d", got, want)
		}
	})
}

// FuzzVerify ensures that no Authorization header panics Verify or passes it:
// without the private keys nothing should.
func FuzzVerify(f *testing.F) {
	fx := mustLoadJWTFixture(f)
	login := newFakeLogin(f)
	a := newAuthenticator(f, login, newClock(fx.now(f)))

	valid := fx.rs256(f, 0, kid0, fx.claims(f, 0))
	parts := strings.Split(valid, ".")
	for _, seed := range []string{
		"",
		"Bearer",
		"Bearer ",
		"Bearer a.b.c",
		"Bearer ..",
		"Basic dXNlcjpwYXNz",
		bearer(parts[0] + "." + parts[1] + "."),
		bearer(parts[0] + "." + parts[1]),
		bearer(fx.rs256(f, 0, kid0, fx.claims(f, -2*time.Hour))),
		bearer(fx.rs256(f, 2, kid0, fx.claims(f, 0))),
		bearer(fx.rs256(f, 2, "key-2", fx.claims(f, 0))),
		bearer(fx.sign(f, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid0, fx.claims(f, 0))),
		bearer(fx.sign(f, jwt.SigningMethodHS256, []byte("secret"), kid0, fx.claims(f, 0))),
		bearer(fx.rs256(f, 0, kid0, jwt.MapClaims{"aud": testAppID})),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, authorization string) {
		err := a.Verify(t.Context(), authorization, testServiceURL)
		if err == nil {
			t.Fatalf("Verify(%q) passed", authorization)
		}
		if !errors.Is(err, teams.ErrUnauthorized) && !errors.Is(err, teams.ErrForbidden) {
			t.Fatalf("err=%v, want ErrUnauthorized or ErrForbidden", err)
		}
	})
}
