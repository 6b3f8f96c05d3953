package teams_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/touchbase/touchbase/bot/teams"
)

const (
	testTenantID = "3c9d1e5f-7a2b-4c8d-9e0f-1a2b3c4d5e6f"
	testPassword = "Xy7~q.Secret_Value-42"
)

var tokenEpoch = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// tokenRequest is testdata/token_request_singletenant.docs.http with its
// placeholders replaced by the test's app id, password and tenant.
type tokenRequest struct {
	method, url string
	header      http.Header
	form        map[string][]string
}

func mustLoadTokenRequest(tb testing.TB) tokenRequest {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "token_request_singletenant.docs.http"))
	if err != nil {
		tb.Fatal(err)
	}
	text := strings.NewReplacer(
		"MICROSOFT-TENANT-ID", testTenantID,
		"MICROSOFT-APP-ID", testAppID,
		"MICROSOFT-APP-PASSWORD", testPassword,
	).Replace(string(b))
	head, body, ok := strings.Cut(text, "\n\n")
	if !ok {
		tb.Fatal("fixture has no body")
	}
	sc := bufio.NewScanner(strings.NewReader(head))
	sc.Scan()
	method, u, _ := strings.Cut(sc.Text(), " ")
	req := tokenRequest{method: method, url: u, header: http.Header{}}
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		req.header.Add(k, strings.TrimSpace(v))
	}
	form, err := url.ParseQuery(strings.TrimSpace(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.form = form
	return req
}

// fakeTokenEndpoint is Entra ID's token endpoint: it records requests and
// answers with testdata/token_response.docs.json, its access_token numbered
// by fetch, or with status and body if status is set.
type fakeTokenEndpoint struct {
	tb testing.TB

	mu        sync.Mutex
	requests  []recordedRequest
	status    int
	body      string
	expiresIn any // replaces expires_in if not nil
	tokenType any // replaces token_type if not nil
	response  map[string]any
}

type recordedRequest struct {
	method, url string
	header      http.Header
	form        map[string][]string
}

func newFakeTokenEndpoint(tb testing.TB) *fakeTokenEndpoint {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "token_response.docs.json"))
	if err != nil {
		tb.Fatal(err)
	}
	f := &fakeTokenEndpoint{tb: tb}
	if err := json.Unmarshal(b, &f.response); err != nil {
		tb.Fatal(err)
	}
	return f
}

// accessToken is the token the fixture response carries on fetch n (from 1).
func (f *fakeTokenEndpoint) accessToken(n int) string {
	return fmt.Sprintf("%s%d", f.response["access_token"], n)
}

func (f *fakeTokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		f.tb.Error(err)
	}
	f.mu.Lock()
	f.requests = append(f.requests, recordedRequest{method: r.Method, url: r.URL.String(), header: r.Header.Clone(), form: r.PostForm})
	n := len(f.requests)
	status, body := f.status, f.body
	resp := map[string]any{}
	for k, v := range f.response {
		resp[k] = v
	}
	resp["access_token"] = f.accessToken(n)
	if f.expiresIn != nil {
		resp["expires_in"] = f.expiresIn
	}
	if f.tokenType != nil {
		resp["token_type"] = f.tokenType
	}
	f.mu.Unlock()
	if status != 0 {
		w.WriteHeader(status)
		fmt.Fprint(w, body)
		return
	}
	writeJSON(f.tb, w, resp)
}

func (f *fakeTokenEndpoint) fetches() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// newTokenSource returns a TokenSource for the test app whose requests go to
// h in memory.
func newTokenSource(h http.Handler, c *clock) *teams.TokenSource {
	return &teams.TokenSource{
		AppID:      testAppID,
		Password:   testPassword,
		TenantID:   testTenantID,
		HTTPClient: &http.Client{Transport: handlerTransport{h: h}},
		Now:        c.Now,
	}
}

// Ensure the request is the docs' single-tenant client-credentials request
// and the token is the one in the response.
func TestTokenSource_Request(t *testing.T) {
	want := mustLoadTokenRequest(t)
	f := newFakeTokenEndpoint(t)
	s := newTokenSource(f, newClock(tokenEpoch))

	token, err := s.Token(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := token, f.accessToken(1); got != want {
		t.Fatalf("Token=%q, want %q", got, want)
	}
	got := f.requests[0]
	if got.method != want.method {
		t.Fatalf("method=%s, want %s", got.method, want.method)
	}
	if got.url != want.url {
		t.Fatalf("URL=%s, want %s", got.url, want.url)
	}
	if got, want := got.header.Get("Content-Type"), want.header.Get("Content-Type"); got != want {
		t.Fatalf("Content-Type=%q, want %q", got, want)
	}
	if !reflect.DeepEqual(got.form, want.form) {
		t.Fatalf("form=%v, want %v", got.form, want.form)
	}
}

// Ensure a token is cached until five minutes before it expires (or half its
// life, if it lives less than ten minutes), then fetched again.
func TestTokenSource_Cache(t *testing.T) {
	for _, tt := range []struct {
		name        string
		expiresIn   any // the fixture's 3600 if nil
		advance     time.Duration
		wantFetches int
	}{
		// Ensure a second call soon after uses the cached token.
		{name: "cached", advance: time.Second, wantFetches: 1},
		// Ensure the token is still used just over five minutes before expiry.
		{name: "just before margin", advance: 55*time.Minute - time.Second, wantFetches: 1},
		// Ensure the token is replaced five minutes before expiry.
		{name: "at margin", advance: 55 * time.Minute, wantFetches: 2},
		// Ensure an expired token is replaced.
		{name: "expired", advance: 2 * time.Hour, wantFetches: 2},
		// Ensure expires_in as a string (the v1 endpoint's way) is read.
		{name: "string expires_in", expiresIn: "3600", advance: 55 * time.Minute, wantFetches: 2},
		{name: "string expires_in, cached", expiresIn: "3600", advance: 54 * time.Minute, wantFetches: 1},
		// Ensure a five-minute token is kept for half its life.
		{name: "short-lived, cached", expiresIn: 300, advance: 149 * time.Second, wantFetches: 1},
		{name: "short-lived, renewed", expiresIn: 300, advance: 150 * time.Second, wantFetches: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTokenEndpoint(t)
			f.expiresIn = tt.expiresIn
			c := newClock(tokenEpoch)
			s := newTokenSource(f, c)
			if _, err := s.Token(t.Context()); err != nil {
				t.Fatal(err)
			}
			c.Add(tt.advance)
			token, err := s.Token(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if got := f.fetches(); got != tt.wantFetches {
				t.Fatalf("fetches=%d, want %d", got, tt.wantFetches)
			}
			if got, want := token, f.accessToken(tt.wantFetches); got != want {
				t.Fatalf("Token=%q, want %q", got, want)
			}
		})
	}
}

// Ensure concurrent callers share one fetch.
func TestTokenSource_Concurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeTokenEndpoint(t)
		gate := make(chan struct{})
		s := newTokenSource(f, newClock(tokenEpoch))
		s.HTTPClient = &http.Client{Transport: handlerTransport{h: f, gate: gate}}

		const n = 8
		type result struct {
			token string
			err   error
		}
		results := make(chan result, n)
		for range n {
			go func() {
				token, err := s.Token(t.Context())
				results <- result{token, err}
			}()
		}
		synctest.Wait() // every caller is waiting for the one fetch
		close(gate)
		for range n {
			r := <-results
			if r.err != nil {
				t.Fatal(r.err)
			}
			if got, want := r.token, f.accessToken(1); got != want {
				t.Fatalf("Token=%q, want %q", got, want)
			}
		}
		if got, want := f.fetches(), 1; got != want {
			t.Fatalf("fetches=%d, want %d", got, want)
		}
	})
}

// Ensure a caller that gives up returns at once, and the shared fetch still
// fills the cache.
func TestTokenSource_CallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeTokenEndpoint(t)
		gate := make(chan struct{})
		s := newTokenSource(f, newClock(tokenEpoch))
		s.HTTPClient = &http.Client{Transport: handlerTransport{h: f, gate: gate}}

		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := s.Token(ctx)
			errc <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-errc; err == nil || !strings.Contains(err.Error(), context.Canceled.Error()) {
			t.Fatalf("err=%v, want context canceled", err)
		}
		close(gate)
		synctest.Wait()
		token, err := s.Token(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got, want := token, f.accessToken(1); got != want {
			t.Fatalf("Token=%q, want %q", got, want)
		}
		if got, want := f.fetches(), 1; got != want {
			t.Fatalf("fetches=%d, want %d", got, want)
		}
	})
}

// Ensure failures say what failed, never include the password, and are not
// cached.
func TestTokenSource_Errors(t *testing.T) {
	for _, tt := range []struct {
		name      string
		setup     func(f *fakeTokenEndpoint, s *teams.TokenSource)
		wantParts []string
		fetches   int // requests made by one call
	}{
		// Ensure a 401 names the status and the endpoint's error and description.
		{name: "invalid client", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			f.status = http.StatusUnauthorized
			f.body = `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '` + testAppID + `'. Trace ID: 0b9e Correlation ID: 7c1d Timestamp: 2026-03-02 09:00:00Z","error_codes":[7000215]}`
		}, wantParts: []string{"401 Unauthorized", "invalid_client", "AADSTS7000215"}, fetches: 1},
		// Ensure an endpoint echoing the secret does not get it into the error.
		{name: "echoed secret", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			f.status = http.StatusBadRequest
			f.body = `{"error":"invalid_request","error_description":"bad client_secret=` + testPassword + `"}`
		}, wantParts: []string{"400 Bad Request", "invalid_request", "[redacted]"}, fetches: 1},
		// Ensure a non-JSON error page still gives the status.
		{name: "html error", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			f.status = http.StatusBadGateway
			f.body = "<html>Bad Gateway</html>"
		}, wantParts: []string{"502 Bad Gateway"}, fetches: 1},
		// Ensure a 200 without a token is an error.
		{name: "no access_token", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			f.status = http.StatusOK
			f.body = `{"token_type":"Bearer","expires_in":3600}`
		}, wantParts: []string{"no access_token"}, fetches: 1},
		// Ensure a token of another type is refused.
		{name: "not bearer", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			f.tokenType = "mac"
		}, wantParts: []string{"token_type", "mac"}, fetches: 1},
		// Ensure a token without lifetime is refused rather than cached forever.
		{name: "no expires_in", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			f.expiresIn = 0
		}, wantParts: []string{"expires_in"}, fetches: 1},
		// Ensure a missing tenant is reported without a request.
		{name: "no tenant", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			s.TenantID = ""
		}, wantParts: []string{"tenant"}},
		// Ensure a missing password is reported without a request.
		{name: "no password", setup: func(f *fakeTokenEndpoint, s *teams.TokenSource) {
			s.Password = ""
		}, wantParts: []string{"password"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeTokenEndpoint(t)
			s := newTokenSource(f, newClock(tokenEpoch))
			tt.setup(f, s)
			for call := 1; call <= 2; call++ {
				token, err := s.Token(t.Context())
				if err == nil {
					t.Fatalf("Token=%q, want an error", token)
				}
				for _, part := range tt.wantParts {
					if !strings.Contains(err.Error(), part) {
						t.Fatalf("err=%v, want it to mention %q", err, part)
					}
				}
				if strings.Contains(err.Error(), testPassword) {
					t.Fatalf("err=%v includes the password", err)
				}
				if got, want := f.fetches(), tt.fetches*call; got != want {
					t.Fatalf("call %d: fetches=%d, want %d", call, got, want)
				}
			}
		})
	}
}
