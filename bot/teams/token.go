package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DefaultScope is the scope of a token for calling the Bot Connector.
const DefaultScope = "https://api.botframework.com/.default"

const (
	// tokenMargin is how long before its expiry a token is replaced, so that
	// a token is never sent just as it dies.
	tokenMargin = 5 * time.Minute
	// maxTokenResponse bounds the token endpoint's answer.
	maxTokenResponse = 64 << 10
	// maxErrorDescription bounds how much of the endpoint's error_description
	// goes into an error; Entra ID's run to several lines of trace ids.
	maxErrorDescription = 300
)

// TokenSource gets the bot's access token for the Bot Connector by the OAuth
// 2.0 client-credentials grant of a single-tenant app, and caches it until
// five minutes before it expires. It is safe for concurrent use; concurrent
// callers share one fetch. Its exported fields must not change once Token has
// been called.
type TokenSource struct {
	// AppID and Password are the bot's Microsoft App ID and client secret;
	// TenantID is the Entra ID tenant the app is registered in.
	AppID, Password, TenantID string
	// TokenURL is the token endpoint. Empty means
	// https://login.microsoftonline.com/{TenantID}/oauth2/v2.0/token.
	TokenURL string
	// Scope is the scope asked for. Empty means DefaultScope.
	Scope string
	// HTTPClient posts the request. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock for the cache. Nil means time.Now.
	Now func() time.Time

	mu       sync.Mutex
	token    string
	renew    time.Time   // when token must be replaced
	inflight *tokenFetch // the running fetch, if any
}

// tokenFetch is one request to the token endpoint, shared by the callers
// that wait for it.
type tokenFetch struct {
	done  chan struct{}
	token string
	err   error
}

// Token returns the bot's access token, from the cache if it has more than
// five minutes left. If a fetch is needed, callers share one; ctx bounds how
// long this caller waits. Errors say what failed (the endpoint's status,
// error and error_description) and never include the password.
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	if s.token != "" && s.now().Before(s.renew) {
		t := s.token
		s.mu.Unlock()
		return t, nil
	}
	f := s.inflight
	if f == nil {
		f = &tokenFetch{done: make(chan struct{})}
		s.inflight = f
		go s.fetch(ctx, f)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", fmt.Errorf("teams: token: %w", ctx.Err())
	}
}

// fetch runs one request and publishes its result. It runs on its own, so
// that a caller that gives up does not fail the callers sharing the fetch;
// fetchTimeout bounds it instead. Failures are not cached: the next call
// tries again.
func (s *TokenSource) fetch(ctx context.Context, f *tokenFetch) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	start := s.now()
	token, lifetime, err := s.request(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight = nil
	if err != nil {
		f.err = err
	} else {
		f.token = token
		s.token = token
		// A token living less than twice the margin is kept for half its
		// life instead, so that it is still reused.
		s.renew = start.Add(lifetime - min(tokenMargin, lifetime/2))
	}
	close(f.done)
}

// tokenResponse is the token endpoint's answer, success or error.
type tokenResponse struct {
	TokenType        string    `json:"token_type"`
	ExpiresIn        expiresIn `json:"expires_in"`
	AccessToken      string    `json:"access_token"`
	Error            string    `json:"error"`
	ErrorDescription string    `json:"error_description"`
}

// request posts the client-credentials grant and returns the token and how
// long it lives.
func (s *TokenSource) request(ctx context.Context) (string, time.Duration, error) {
	endpoint, err := s.tokenURL()
	if err != nil {
		return "", 0, err
	}
	if s.AppID == "" || s.Password == "" {
		return "", 0, errors.New("teams: token: app id or password not configured")
	}
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {s.AppID},
		"client_secret": {s.Password},
		"scope":         {s.scope()},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("teams: token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.httpClient().Do(req)
	if err != nil {
		// A *url.Error names the endpoint; the secret is in the body, not
		// the URL, so it cannot appear here.
		return "", 0, fmt.Errorf("teams: token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse+1))
	if err != nil {
		return "", 0, fmt.Errorf("teams: token: POST %s: %s: %w", endpoint, resp.Status, err)
	}
	if len(body) > maxTokenResponse {
		return "", 0, fmt.Errorf("teams: token: POST %s: %s: body over %d bytes", endpoint, resp.Status, maxTokenResponse)
	}
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		msg := fmt.Sprintf("teams: token: POST %s: %s", endpoint, resp.Status)
		if jsonErr == nil && tr.Error != "" {
			msg += ": " + s.redact(tr.Error)
			if tr.ErrorDescription != "" {
				msg += ": " + truncate(s.redact(tr.ErrorDescription), maxErrorDescription)
			}
		}
		return "", 0, errors.New(msg)
	}
	if jsonErr != nil {
		return "", 0, fmt.Errorf("teams: token: POST %s: %w", endpoint, jsonErr)
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("teams: token: POST %s: no access_token in the response", endpoint)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "Bearer") {
		return "", 0, fmt.Errorf("teams: token: POST %s: token_type %.20q, want Bearer", endpoint, tr.TokenType)
	}
	if tr.ExpiresIn <= 0 {
		return "", 0, fmt.Errorf("teams: token: POST %s: expires_in %d", endpoint, tr.ExpiresIn)
	}
	return tr.AccessToken, time.Duration(tr.ExpiresIn) * time.Second, nil
}

// expiresIn is a lifetime in seconds. Entra ID's v2 endpoint sends a number;
// the v1 endpoint sent a string, which is read too.
type expiresIn int64

func (e *expiresIn) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n > int64(100*365*24*time.Hour/time.Second) {
		return fmt.Errorf("expires_in %.20s is not a number of seconds", b)
	}
	*e = expiresIn(n)
	return nil
}

func (s *TokenSource) tokenURL() (string, error) {
	if s.TokenURL != "" {
		return s.TokenURL, nil
	}
	if s.TenantID == "" {
		return "", errors.New("teams: token: no tenant id or token URL configured")
	}
	return "https://login.microsoftonline.com/" + url.PathEscape(s.TenantID) + "/oauth2/v2.0/token", nil
}

func (s *TokenSource) scope() string {
	if s.Scope != "" {
		return s.Scope
	}
	return DefaultScope
}

func (s *TokenSource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *TokenSource) httpClient() *http.Client {
	if s.HTTPClient != nil {
		return s.HTTPClient
	}
	return http.DefaultClient
}

// redact removes the password from text the endpoint sent back, should it
// ever echo the request.
func (s *TokenSource) redact(text string) string {
	if s.Password == "" {
		return text
	}
	return strings.ReplaceAll(text, s.Password, "[redacted]")
}

// truncate cuts s to at most n bytes, at a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
