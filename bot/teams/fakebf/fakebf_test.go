package fakebf_test

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/touchbase/touchbase/bot/teams/fakebf"
)

// getJSON GETs u and decodes its JSON body into v.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// post sends body to u and returns the status, the headers and the body.
func post(t *testing.T, u, contentType, authorization, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// fixture reads a copy of a Teams docs fixture from testdata.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// keysOf returns the top-level keys of a JSON object, sorted.
func keysOf(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return slices.Sorted(maps.Keys(m))
}

// tokenForm is the client-credentials grant of the fake's default bot.
func tokenForm() url.Values {
	return url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {fakebf.AppID},
		"client_secret": {fakebf.AppPassword},
		"scope":         {fakebf.Scope},
	}
}

// accessToken gets a token from the fake's token endpoint.
func accessToken(t *testing.T, s *fakebf.Server) string {
	t.Helper()
	status, _, body := post(t, s.TokenURL(fakebf.TenantID), "application/x-www-form-urlencoded", "", tokenForm().Encode())
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		t.Fatalf("token: %s: %v", body, err)
	}
	return tr.AccessToken
}

// verify checks token the way a bot does: RS256, by a key of the fake's JWKS found through
// its metadata, for appID, from the fake's issuer.
func verify(t *testing.T, s *fakebf.Server, token, appID string, now time.Time) (jwt.MapClaims, error) {
	t.Helper()
	var meta struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	getJSON(t, s.MetadataURL(), &meta)
	var set fakebf.JWKS
	getJSON(t, meta.JWKSURI, &set)
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		pub, err := k.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		keys[k.Kid] = pub
	}
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if k, ok := keys[kid]; ok {
			return k, nil
		}
		return nil, fmt.Errorf("unknown kid %q", kid)
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithIssuer(meta.Issuer), jwt.WithAudience(appID),
		jwt.WithTimeFunc(func() time.Time { return now }), jwt.WithExpirationRequired())
	return claims, err
}

func TestMetadata(t *testing.T) {
	s := fakebf.New(t)
	// Ensure the metadata has the fields of Bot Framework's document, and
	// points at the fake's own keys.
	resp, err := http.Get(s.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if got, want := keysOf(t, body), keysOf(t, fixture(t, "openid_configuration.docs.json")); !slices.Equal(got, want) {
		t.Fatalf("metadata fields=%v, want %v", got, want)
	}
	var meta map[string]any
	_ = json.Unmarshal(body, &meta)
	if meta["issuer"] != "https://api.botframework.com" || meta["jwks_uri"] != s.KeysURL() {
		t.Fatalf("metadata=%s", body)
	}
	// Ensure the key set holds one 2048-bit RSA signing key.
	var set fakebf.JWKS
	getJSON(t, s.KeysURL(), &set)
	if len(set.Keys) != 1 {
		t.Fatalf("keys=%d, want 1", len(set.Keys))
	}
	k := set.Keys[0]
	pub, err := k.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if k.Kty != "RSA" || k.Use != "sig" || pub.N.BitLen() != 2048 || pub.E != 65537 || k.Kid != fakebf.KeyID(pub) {
		t.Fatalf("key=%+v (%d bits, e=%d)", k, pub.N.BitLen(), pub.E)
	}
}

func TestToken(t *testing.T) {
	s := fakebf.New(t)
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return now }
	serviceURL := "https://smba.trafficmanager.net/amer/"

	// Ensure a minted token verifies with the published key and carries the
	// Connector's claims.
	token := s.Token(fakebf.AppID, serviceURL, nil)
	claims, err := verify(t, s, token, fakebf.AppID, now)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if claims["serviceurl"] != serviceURL || claims["exp"] != float64(now.Add(time.Hour).Unix()) || claims["nbf"] != float64(now.Unix()) {
		t.Fatalf("claims=%v", claims)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	_, kid := s.SigningKey()
	if parsed.Header["kid"] != kid || parsed.Header["x5t"] != kid || parsed.Header["alg"] != "RS256" {
		t.Fatalf("header=%v", parsed.Header)
	}

	tests := []struct {
		name  string
		token string
		now   time.Time
	}{
		// Ensure mutate changes the claims: an expired token, another audience.
		{"expired", s.Token(fakebf.AppID, serviceURL, func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }), now},
		{"audience", s.Token("another-bot", serviceURL, nil), now},
		// Ensure a token from an unknown key, or with a known kid and another key, fails.
		{"unknown key", s.SignWith(s.Claims(fakebf.AppID, serviceURL), fakebf.UnknownKey(t)), now},
		{"wrong key for kid", s.SignWithKeyID(s.Claims(fakebf.AppID, serviceURL), fakebf.UnknownKey(t), kid), now},
		{"alg none", s.Unsigned(s.Claims(fakebf.AppID, serviceURL)), now},
		// Ensure the token's times come from s.Now.
		{"later", token, now.Add(2 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := verify(t, s, tt.token, fakebf.AppID, tt.now); err == nil {
				t.Fatal("verify=nil, want an error")
			}
		})
	}
}

func TestRotateKey(t *testing.T) {
	s := fakebf.New(t)
	old := s.Token(fakebf.AppID, s.ServiceURL(), nil)
	_, oldKID := s.SigningKey()

	// Ensure a rotation publishes a new key and signs with it, and keeps the
	// old one published.
	kid := s.RotateKey()
	if kid == oldKID {
		t.Fatalf("kid=%q after rotation, the same as before", kid)
	}
	var set fakebf.JWKS
	getJSON(t, s.KeysURL(), &set)
	if len(set.Keys) != 2 || set.Keys[1].Kid != kid {
		t.Fatalf("keys=%+v, want the old and the new", set.Keys)
	}
	token := s.Token(fakebf.AppID, s.ServiceURL(), nil)
	parsed, _, _ := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if parsed.Header["kid"] != kid {
		t.Fatalf("kid=%v, want %q", parsed.Header["kid"], kid)
	}
	for _, tok := range []string{old, token} {
		if _, err := verify(t, s, tok, fakebf.AppID, time.Now()); err != nil {
			t.Fatalf("verify: %v", err)
		}
	}
	// Ensure rotating past the shared keys still gives new keys.
	seen := map[string]bool{oldKID: true, kid: true}
	for range 3 {
		k := s.RotateKey()
		if seen[k] {
			t.Fatalf("kid %q used twice", k)
		}
		seen[k] = true
	}
	if _, err := verify(t, s, s.Token(fakebf.AppID, s.ServiceURL(), nil), fakebf.AppID, time.Now()); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func TestTokenEndpoint(t *testing.T) {
	s := fakebf.New(t)
	// Ensure the client-credentials grant gets a token in the docs' shape.
	status, _, body := post(t, s.TokenURL(fakebf.TenantID), "application/x-www-form-urlencoded", "", tokenForm().Encode())
	if status != http.StatusOK {
		t.Fatalf("status=%d %s, want 200", status, body)
	}
	if got, want := keysOf(t, body), keysOf(t, fixture(t, "token_response.docs.json")); !slices.Equal(got, want) {
		t.Fatalf("fields=%v, want %v", got, want)
	}
	var tr struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(body, &tr)
	if tr.TokenType != "Bearer" || tr.ExpiresIn != 3600 || tr.AccessToken == "" {
		t.Fatalf("token=%s", body)
	}

	change := func(k, v string) string {
		f := tokenForm()
		f.Set(k, v)
		return f.Encode()
	}
	tests := []struct {
		name, tenant, contentType, body string
		status                          int
		error                           string
	}{
		// Ensure each mistake gets Entra ID's answer.
		{"wrong secret", fakebf.TenantID, "application/x-www-form-urlencoded", change("client_secret", "nope"), 401, "invalid_client"},
		{"wrong app", fakebf.TenantID, "application/x-www-form-urlencoded", change("client_id", "someone-else"), 400, "unauthorized_client"},
		{"wrong grant", fakebf.TenantID, "application/x-www-form-urlencoded", change("grant_type", "password"), 400, "unsupported_grant_type"},
		{"wrong scope", fakebf.TenantID, "application/x-www-form-urlencoded", change("scope", "https://graph.microsoft.com/.default"), 400, "invalid_scope"},
		{"wrong tenant", "botframework.com", "application/x-www-form-urlencoded", tokenForm().Encode(), 400, "invalid_request"},
		{"json body", fakebf.TenantID, "application/json", `{"grant_type":"client_credentials"}`, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, s.TokenURL(tt.tenant), tt.contentType, "", tt.body)
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			_ = json.Unmarshal(body, &e)
			if status != tt.status || e.Error != tt.error || !strings.HasPrefix(e.Description, "AADSTS") {
				t.Fatalf("answer=%d %s, want %d %s", status, body, tt.status, tt.error)
			}
			if strings.Contains(string(body), fakebf.AppPassword) {
				t.Fatalf("answer %s contains the secret", body)
			}
		})
	}
	// Ensure every call is counted, granted or not.
	if got, want := s.TokenCalls(), 1+len(tests); got != want {
		t.Fatalf("TokenCalls=%d, want %d", got, want)
	}
}

func TestConnector(t *testing.T) {
	s := fakebf.New(t)
	auth := "Bearer " + accessToken(t, s)
	conv := "a:17I0kl9EkpE1O9PH5TWrzrLNwnWWcfrU7QZjKR0WSfOpzbfcAg2IaydGElSo10tVr4C7Fc6GtieTJX663WuJCc1uA83n4CSrHSgGBj5XNYLcVlJAs2ZX8DbYBPck201w-"
	reply := string(fixture(t, "reply_activity.docs.json"))

	// Ensure a reply, as the docs send it, is accepted and recorded.
	status, _, body := post(t, s.ServiceURL()+"v3/conversations/"+url.PathEscape(conv)+"/activities/5d5cdc723", "application/json", auth, reply)
	if status != http.StatusCreated {
		t.Fatalf("reply: %d %s, want 201", status, body)
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &res); err != nil || res.ID == "" {
		t.Fatalf("reply answer=%s, want an id", body)
	}
	// Ensure a new message in a channel thread, whose id has ; and @, is accepted.
	thread := "19:abc123@thread.tacv2;messageid=1700000000000"
	status, _, body = post(t, s.ServiceURL()+"v3/conversations/"+url.PathEscape(thread)+"/activities", "application/json", auth, `{"type":"message","text":"hi"}`)
	if status != http.StatusCreated {
		t.Fatalf("message: %d %s, want 201", status, body)
	}

	got := s.Activities()
	if len(got) != 2 {
		t.Fatalf("activities=%d, want 2", len(got))
	}
	if a := got[0]; a.ConversationID != conv || a.ReplyToID != "5d5cdc723" || a.Authorization != auth || a.Activity["text"] != "My bot's reply" || a.ID != res.ID {
		t.Fatalf("reply recorded as %+v", a)
	}
	if a := got[1]; a.ConversationID != thread || a.ReplyToID != "" || a.Activity["text"] != "hi" {
		t.Fatalf("message recorded as %+v", a)
	}

	tests := []struct {
		name, contentType, auth, body string
		status                        int
	}{
		// Ensure what a bot must not send is refused, and not delivered.
		{"no token", "application/json", "", reply, 401},
		{"token not granted", "application/json", "Bearer " + s.Token(fakebf.AppID, s.ServiceURL(), nil), reply, 401},
		{"not bearer", "application/json", strings.Replace(auth, "Bearer", "Basic", 1), reply, 401},
		{"not json", "application/json", auth, `{"type":`, 400},
		{"no type", "application/json", auth, `{"text":"hi"}`, 400},
		{"form", "application/x-www-form-urlencoded", auth, "type=message", 415},
		{"too large", "application/json", auth, `{"type":"message","text":"` + strings.Repeat("x", 300<<10) + `"}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := post(t, s.ServiceURL()+"v3/conversations/c1/activities", tt.contentType, tt.auth, tt.body)
			if status != tt.status {
				t.Fatalf("status=%d %s, want %d", status, body, tt.status)
			}
		})
	}
	if got, want := len(s.Activities()), 2; got != want {
		t.Fatalf("activities=%d, want %d", got, want)
	}
	if got, want := len(s.Attempts()), 2+len(tests); got != want {
		t.Fatalf("attempts=%d, want %d", got, want)
	}

	// Ensure a token stops working when it expires, by s.Now.
	s.Now = func() time.Time { return time.Now().Add(fakebf.TokenLifetime) }
	if status, _, _ := post(t, s.ServiceURL()+"v3/conversations/c1/activities", "application/json", auth, reply); status != http.StatusUnauthorized {
		t.Fatalf("status=%d with an expired token, want 401", status)
	}
}

func TestConnector_CreateConversation(t *testing.T) {
	s := fakebf.New(t)
	auth := "Bearer " + accessToken(t, s)
	create := func(body string) (int, string) {
		t.Helper()
		status, _, b := post(t, s.ServiceURL()+"v3/conversations", "application/json", auth, body)
		var res map[string]any
		_ = json.Unmarshal(b, &res)
		if status == http.StatusCreated {
			if got, want := slices.Sorted(maps.Keys(res)), keysOf(t, fixture(t, "start_conversation_response.docs.json")); !slices.Equal(got, want) {
				t.Fatalf("answer fields=%v, want %v", got, want)
			}
		}
		id, _ := res["id"].(string)
		return status, id
	}
	// Ensure the docs' request creates a conversation, and asking again for
	// the same member gives the same one-to-one chat.
	req := string(fixture(t, "start_conversation_request.docs.json"))
	status, id := create(req)
	if status != http.StatusCreated || id == "" {
		t.Fatalf("create=%d %q, want 201 and an id", status, id)
	}
	if _, again := create(req); again != id {
		t.Fatalf("id=%q the second time, want %q", again, id)
	}
	// Ensure another member gets another chat, and a group a new one each time.
	if _, other := create(`{"members":[{"id":"29:other"}],"channelData":{"tenant":{"id":"` + fakebf.TenantID + `"}}}`); other == id || other == "" {
		t.Fatalf("id=%q for another member", other)
	}
	g1, g2 := `{"isGroup":true,"members":[{"id":"29:a"},{"id":"29:b"}]}`, `{"isGroup":true,"members":[{"id":"29:a"},{"id":"29:b"}]}`
	if _, a := create(g1); a == "" {
		t.Fatal("no id for a group")
	} else if _, b := create(g2); b == a {
		t.Fatalf("group id %q twice", a)
	}
	// Ensure a request without members, or a 1:1 with two, is refused.
	if status, _ := create(`{"isGroup":false}`); status != http.StatusBadRequest {
		t.Fatalf("status=%d without members, want 400", status)
	}
	if status, _ := create(`{"members":[{"id":"29:a"},{"id":"29:b"}]}`); status != http.StatusBadRequest {
		t.Fatalf("status=%d for a 1:1 with two members, want 400", status)
	}
	convs := s.Conversations()
	if len(convs) != 7 {
		t.Fatalf("conversations=%d, want 7", len(convs))
	}
	if c := convs[0]; c.ID != id || c.Status != http.StatusCreated || c.Authorization != auth || c.Request["topicName"] != "News Alert" {
		t.Fatalf("first conversation: id %q, status %d, request %v", c.ID, c.Status, c.Request)
	}
	if c := convs[5]; c.ID != "" || c.Status != http.StatusBadRequest {
		t.Fatalf("refused conversation: id %q, status %d", c.ID, c.Status)
	}
}

func TestConnector_Faults(t *testing.T) {
	s := fakebf.New(t)
	auth := "Bearer " + accessToken(t, s)
	send := func() (int, http.Header) {
		t.Helper()
		status, h, _ := post(t, s.ServiceURL()+"v3/conversations/c1/activities", "application/json", auth, `{"type":"message","text":"hi"}`)
		return status, h
	}
	// Ensure 429s come with Retry-After in whole seconds, rounded up, then 5xx,
	// in the order injected, and then the activity goes through.
	s.RateLimit(2, 1500*time.Millisecond)
	s.Fail5xx(1)
	for i, want := range []int{429, 429, 500, 201} {
		status, h := send()
		if status != want {
			t.Fatalf("request %d: status=%d, want %d", i, status, want)
		}
		if ra := h.Get("Retry-After"); (status == 429) != (ra == "2") {
			t.Fatalf("request %d: Retry-After=%q", i, ra)
		}
	}
	if got := len(s.Activities()); got != 1 {
		t.Fatalf("activities=%d, want 1", got)
	}
	attempts := s.Attempts()
	if len(attempts) != 4 || attempts[0].Status != 429 || attempts[2].Status != 500 || attempts[3].Status != 201 {
		t.Fatalf("attempts=%+v", attempts)
	}
	// Ensure faults apply to creating conversations too.
	s.Fail5xx(1)
	if status, _, _ := post(t, s.ServiceURL()+"v3/conversations", "application/json", auth, `{"members":[{"id":"29:a"}]}`); status != 500 {
		t.Fatalf("status=%d, want 500", status)
	}
}

func TestWaitActivities(t *testing.T) {
	s := fakebf.New(t)
	auth := "Bearer " + accessToken(t, s)
	// Ensure WaitActivities returns once activities sent from other
	// goroutines arrive.
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, s.ServiceURL()+"v3/conversations/c1/activities", bytes.NewReader([]byte(fmt.Sprintf(`{"type":"message","text":"%d"}`, i))))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", auth)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	got := s.WaitActivities(3, 10*time.Second)
	wg.Wait()
	if len(got) != 3 {
		t.Fatalf("activities=%d, want 3", len(got))
	}
}

// fatalTB records the Fatalf of a Server, for testing that a wait fails.
type fatalTB struct {
	testing.TB
	fatal chan string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.fatal <- fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestWaitActivities_Timeout(t *testing.T) {
	// Ensure WaitActivities fails the test when the activities do not come.
	tb := &fatalTB{TB: t, fatal: make(chan string, 1)}
	s := fakebf.New(tb)
	go s.WaitActivities(1, 10*time.Millisecond)
	if msg := <-tb.fatal; !strings.Contains(msg, "0 activities") {
		t.Fatalf("Fatalf(%q), want it to say none came", msg)
	}
}
