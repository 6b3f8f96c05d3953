// Package fakebf is a local fake of the Bot Framework for touchbase's tests.
//
// A Server listens on 127.0.0.1 only and is closed by tb.Cleanup. It plays the three Microsoft
// services a Teams bot talks to, so that tests need no network:
//
//   - the Bot Framework's OpenID metadata (MetadataURL) and its signing keys, a JWKS of RSA
//     keys the fake holds the private halves of, so that Token can mint the JWT the Bot
//     Connector sends with each activity;
//   - Entra ID's token endpoint (TokenURL), which grants the bot an access token for the
//     client-credentials grant of AppID, Password and TenantID;
//   - the Bot Connector (ServiceURL), which takes the bot's activities and new conversations
//     when they carry a token the fake granted, and records them.
//
// Requests are recorded before they are answered, so a test can assert on what the bot sent
// as soon as the bot's call returns, or wait for calls made on other goroutines with
// WaitActivities. The connector can inject the failures a bot must survive: HTTP 429 with
// Retry-After, and 5xx.
//
// The answers follow the shapes of the Bot Framework and Teams docs, as recorded in the shared
// Teams fixtures (copied to testdata): the metadata of openid_configuration.docs.json, the
// token of token_response.docs.json, and {"id": ...} for activities and conversations.
package fakebf

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The bot's credentials the fake expects unless a test sets others on the Server. They are
// made up: the app and tenant IDs are not anyone's.
const (
	AppID       = "5a1e5b0e-7ca3-4b1d-9c0f-70cb0a5e0001"
	AppPassword = "fakebf-client-secret~not-a-real-one"
	TenantID    = "0d1e2f3a-4b5c-4d6e-8f70-81920a3b4c5d"
)

// Values of the Bot Framework the fake uses as the real services do.
const (
	// Issuer is the iss of the tokens the Bot Connector sends to a bot.
	Issuer = "https://api.botframework.com"
	// Scope is the scope a bot asks for to call the Bot Connector.
	Scope = "https://api.botframework.com/.default"
	// TokenLifetime is the expires_in of the access tokens the token endpoint grants.
	TokenLifetime = 3600 * time.Second
)

// Bounds that keep a misbehaving client from exhausting the test process.
const (
	// maxActivityBytes is the Bot Connector's limit on a request body; above it, it answers
	// 413 MessageSizeTooBig ("The request content length exceeded limit of 262144 bytes").
	maxActivityBytes = 262144
	maxFormBytes     = 64 << 10
	maxRecords       = 10000
	keyBits          = 2048
)

// Sent is one request the bot made to the connector to send an activity.
type Sent struct {
	// ConversationID is the {conversationId} of the URL, unescaped.
	ConversationID string
	// ReplyToID is the {activityId} of a reply (POST .../activities/{activityId}), or "" for
	// a new message in the conversation (POST .../activities).
	ReplyToID string
	// Activity is the activity the bot sent, decoded; nil if the body was not a JSON object.
	Activity map[string]any
	// JSON is the body as sent.
	JSON json.RawMessage
	// Authorization is the request's Authorization header.
	Authorization string
	// Time is when the fake received the request, by Server.Now.
	Time time.Time
	// Status is the HTTP status the fake answered with.
	Status int
	// ID is the activity id the fake answered with, or "" if it refused the activity.
	ID string
}

// Conversation is one request the bot made to create a conversation (POST /v3/conversations).
type Conversation struct {
	// Request is the request body, decoded: bot, isGroup, members, topicName, channelData.
	Request map[string]any
	// Authorization is the request's Authorization header.
	Authorization string
	// Time is when the fake received the request, by Server.Now.
	Time time.Time
	// Status is the HTTP status the fake answered with.
	Status int
	// ID is the conversation id the fake answered with, or "" if it refused the request.
	ID string
}

// Server is a fake Bot Framework. It is safe for concurrent use. The Wait methods that fail
// the test fail the tb given to New.
type Server struct {
	// Now is the clock of the tokens the fake mints and grants, and of the records. Set it
	// right after New, before the fake is used; it defaults to time.Now.
	Now func() time.Time
	// AppID, Password and TenantID are the credentials the token endpoint grants a token
	// for. Set them right after New, before the fake is used; they default to the package's
	// AppID, AppPassword and TenantID.
	AppID, Password, TenantID string

	tb  testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever something is recorded
	overflow bool
	seq      int

	keys     []*signingKey // published, oldest first; the last one signs
	granted  map[string]time.Time
	tokens   int // requests to the token endpoint
	attempts []Sent
	convs    []Conversation
	oneToOne map[string]string // member id → the conversation created for them alone
	faults   []*fault
}

// signingKey is an RSA key and its key id.
type signingKey struct {
	kid string
	key *rsa.PrivateKey
}

// New starts a fake Bot Framework on 127.0.0.1 and closes it when the test ends.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{
		Now:      time.Now,
		AppID:    AppID,
		Password: AppPassword,
		TenantID: TenantID,
		tb:       tb,
		changed:  make(chan struct{}),
		granted:  make(map[string]time.Time),
		oneToOne: make(map[string]string),
	}
	s.keys = []*signingKey{newSigningKey(sharedKey(tb, 0))}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/.well-known/openidconfiguration", s.serveMetadata)
	mux.HandleFunc("GET /v1/.well-known/keys", s.serveKeys)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.serveToken)
	mux.HandleFunc("POST /serviceurl/v3/conversations/{conversation}/activities", s.serveActivity)
	mux.HandleFunc("POST /serviceurl/v3/conversations/{conversation}/activities/{replyTo}", s.serveActivity)
	mux.HandleFunc("POST /serviceurl/v3/conversations", s.serveConversation)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("fakebf: listen: %v", err)
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
	tb.Cleanup(s.srv.Close)
	return s
}

// URL returns the base URL of the server.
func (s *Server) URL() string { return s.srv.URL }

// MetadataURL returns the URL of the OpenID metadata document, in place of
// https://login.botframework.com/v1/.well-known/openidconfiguration.
func (s *Server) MetadataURL() string { return s.srv.URL + "/v1/.well-known/openidconfiguration" }

// KeysURL returns the URL of the signing keys, the metadata's jwks_uri.
func (s *Server) KeysURL() string { return s.srv.URL + "/v1/.well-known/keys" }

// TokenURL returns the token endpoint of tenant, in place of
// https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token.
func (s *Server) TokenURL(tenant string) string {
	return s.srv.URL + "/" + url.PathEscape(tenant) + "/oauth2/v2.0/token"
}

// ServiceURL returns the connector's base URL, ending in "/", as an activity's serviceUrl
// gives it ("https://smba.trafficmanager.net/amer/").
func (s *Server) ServiceURL() string { return s.srv.URL + "/serviceurl/" }

// --- Keys and the tokens the Bot Connector sends to the bot.

// sharedKeys are RSA keys generated once per test process: a 2048-bit key takes tens of
// milliseconds, and every test of the bot starts a Server. The keys are test keys only, and
// never change once made, so sharing them between Servers is harmless.
var sharedKeys [4]struct {
	once sync.Once
	key  *rsa.PrivateKey
	err  error
}

// sharedKey returns the i-th shared key, or a new one past the shared ones.
func sharedKey(tb testing.TB, i int) *rsa.PrivateKey {
	tb.Helper()
	if i >= len(sharedKeys) {
		k, err := rsa.GenerateKey(rand.Reader, keyBits)
		if err != nil {
			tb.Fatalf("fakebf: generate key: %v", err)
		}
		return k
	}
	sk := &sharedKeys[i]
	sk.once.Do(func() { sk.key, sk.err = rsa.GenerateKey(rand.Reader, keyBits) })
	if sk.err != nil {
		tb.Fatalf("fakebf: generate key: %v", sk.err)
	}
	return sk.key
}

// UnknownKey returns an RSA key no Server publishes, for tokens a bot must refuse.
func UnknownKey(tb testing.TB) *rsa.PrivateKey {
	tb.Helper()
	return sharedKey(tb, len(sharedKeys)-1)
}

func newSigningKey(k *rsa.PrivateKey) *signingKey {
	return &signingKey{kid: KeyID(&k.PublicKey), key: k}
}

// KeyID returns the key id the fake gives key: its JWK thumbprint (RFC 7638).
func KeyID(key *rsa.PublicKey) string {
	// The members in lexicographic order, without spaces, as RFC 7638 asks.
	doc := `{"e":"` + b64(big.NewInt(int64(key.E)).Bytes()) + `","kty":"RSA","n":"` + b64(key.N.Bytes()) + `"}`
	sum := sha256.Sum256([]byte(doc))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// RotateKey publishes a new signing key, with a new key id, and signs with it from now on.
// The old keys stay published, as the Bot Framework keeps a key listed for a while after it
// stops signing with it. It returns the new key id.
func (s *Server) RotateKey() string {
	s.mu.Lock()
	n := len(s.keys)
	s.mu.Unlock()
	// Shared key len(sharedKeys)-1 is UnknownKey's; rotation uses the ones before it.
	i := n
	if i >= len(sharedKeys)-1 {
		i = len(sharedKeys) // a fresh key
	}
	k := newSigningKey(sharedKey(s.tb, i))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = append(s.keys, k)
	return k.kid
}

// SigningKey returns the key the fake signs with now, and its key id.
func (s *Server) SigningKey() (*rsa.PrivateKey, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keys[len(s.keys)-1]
	return k.key, k.kid
}

// Claims returns the claims of a token from the Bot Connector to the bot appID about an
// activity from serviceURL: iss Issuer, aud appID, serviceurl, and iat and nbf now and exp an
// hour from now by s.Now.
func (s *Server) Claims(appID, serviceURL string) jwt.MapClaims {
	now := s.Now()
	return jwt.MapClaims{
		"iss":        Issuer,
		"aud":        appID,
		"serviceurl": serviceURL,
		"iat":        now.Unix(),
		"nbf":        now.Unix(),
		"exp":        now.Add(time.Hour).Unix(),
	}
}

// Token mints the token the Bot Connector sends with an activity to the bot appID from
// serviceURL: s.Claims changed by mutate (if not nil), signed RS256 with the current signing
// key, whose id is the header's kid and x5t.
func (s *Server) Token(appID, serviceURL string, mutate func(jwt.MapClaims)) string {
	claims := s.Claims(appID, serviceURL)
	if mutate != nil {
		mutate(claims)
	}
	key, kid := s.SigningKey()
	return s.SignWithKeyID(claims, key, kid)
}

// SignWith signs claims RS256 with key, with the key's own id (KeyID) as kid: a token the
// bot must refuse unless key is one the fake publishes, such as UnknownKey's.
func (s *Server) SignWith(claims jwt.MapClaims, key *rsa.PrivateKey) string {
	return s.SignWithKeyID(claims, key, KeyID(&key.PublicKey))
}

// SignWithKeyID signs claims RS256 with key, naming kid in the header: with a published kid
// and another key, a token whose signature does not verify.
func (s *Server) SignWithKeyID(claims jwt.MapClaims, key *rsa.PrivateKey, kid string) string {
	s.tb.Helper()
	signed, err := sign(claims, key, kid)
	if err != nil {
		s.tb.Fatalf("fakebf: sign: %v", err)
	}
	return signed
}

func sign(claims jwt.MapClaims, key *rsa.PrivateKey, kid string) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = kid
	t.Header["x5t"] = kid
	return t.SignedString(key)
}

// Unsigned returns claims as a token with "alg": "none" and the current key's kid, which a
// bot must refuse.
func (s *Server) Unsigned(claims jwt.MapClaims) string {
	s.tb.Helper()
	_, kid := s.SigningKey()
	t := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	t.Header["kid"] = kid
	signed, err := t.SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		s.tb.Fatalf("fakebf: sign: %v", err)
	}
	return signed
}

// metadata is the OpenID metadata document, as login.botframework.com serves it.
type metadata struct {
	Issuer                 string   `json:"issuer"`
	AuthorizationEndpoint  string   `json:"authorization_endpoint"`
	JWKSURI                string   `json:"jwks_uri"`
	SigningAlgs            []string `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMeths []string `json:"token_endpoint_auth_methods_supported"`
}

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, metadata{
		Issuer:                 Issuer,
		AuthorizationEndpoint:  "https://invalid.botframework.com",
		JWKSURI:                s.KeysURL(),
		SigningAlgs:            []string{"RS256"},
		TokenEndpointAuthMeths: []string{"private_key_jwt"},
	})
}

// JWK is one key of the key set. The Bot Framework's keys also carry x5c certificates, which
// the fake has none of, and endorsements, the channels a key may sign for.
type JWK struct {
	Kty          string   `json:"kty"`
	Use          string   `json:"use"`
	Kid          string   `json:"kid"`
	X5t          string   `json:"x5t"`
	N            string   `json:"n"`
	E            string   `json:"e"`
	Endorsements []string `json:"endorsements"`
}

// JWKS is the key set served at KeysURL.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// PublicKey returns the RSA key of k.
func (k JWK) PublicKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("fakebf: key %s: kty %q", k.Kid, k.Kty)
	}
	n, err := base64.RawURLEncoding.DecodeString(k.N)
	if err != nil {
		return nil, fmt.Errorf("fakebf: key %s: n: %w", k.Kid, err)
	}
	e, err := base64.RawURLEncoding.DecodeString(k.E)
	if err != nil {
		return nil, fmt.Errorf("fakebf: key %s: e: %w", k.Kid, err)
	}
	eInt := new(big.Int).SetBytes(e)
	if !eInt.IsInt64() || eInt.Int64() > math.MaxInt32 {
		return nil, fmt.Errorf("fakebf: key %s: e out of range", k.Kid)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(eInt.Int64())}, nil
}

func (s *Server) serveKeys(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	set := JWKS{Keys: []JWK{}}
	for _, k := range s.keys {
		pub := &k.key.PublicKey
		set.Keys = append(set.Keys, JWK{
			Kty: "RSA", Use: "sig", Kid: k.kid, X5t: k.kid,
			N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes()),
			Endorsements: []string{"msteams"},
		})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, set)
}

// --- The token endpoint.

// TokenCalls returns how many requests the token endpoint has received, granted or not.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens
}

// tokenError is Entra ID's error answer.
type tokenError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Codes       []int  `json:"error_codes"`
}

// serveToken grants the client-credentials grant as Entra ID does, with its error codes for
// the mistakes a bot's configuration makes.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokens++
	s.notifyLocked()
	s.mu.Unlock()

	fail := func(status int, code string, aadsts int, desc string) {
		writeJSON(w, status, tokenError{Error: code, Description: fmt.Sprintf("AADSTS%d: %s", aadsts, desc), Codes: []int{aadsts}})
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxFormBytes))
	if err != nil {
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body is too large.")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		fail(http.StatusBadRequest, "invalid_request", 900144, "The request body is not a form.")
		return
	}
	switch {
	case r.PathValue("tenant") != s.TenantID:
		fail(http.StatusBadRequest, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found.", r.PathValue("tenant")))
	case form.Get("grant_type") != "client_credentials":
		fail(http.StatusBadRequest, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
	case form.Get("client_id") != s.AppID:
		fail(http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory.", form.Get("client_id")))
	case form.Get("client_secret") != s.Password:
		fail(http.StatusUnauthorized, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.")
	case form.Get("scope") != Scope:
		fail(http.StatusBadRequest, "invalid_scope", 1002012, fmt.Sprintf("The provided value for scope %s is not valid.", form.Get("scope")))
	default:
		token, err := s.grant()
		if err != nil {
			fail(http.StatusInternalServerError, "server_error", 50000, "fakebf: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"token_type":     "Bearer",
			"expires_in":     int(TokenLifetime / time.Second),
			"ext_expires_in": int(TokenLifetime / time.Second),
			"access_token":   token,
		})
	}
}

// grant mints an access token for the connector, as Entra ID does: a JWT whose audience is
// the Bot Framework, for the bot's app.
func (s *Server) grant() (string, error) {
	now := s.Now()
	exp := now.Add(TokenLifetime)
	s.mu.Lock()
	s.seq++
	jti := strconv.Itoa(s.seq)
	s.mu.Unlock()
	key, kid := s.SigningKey()
	token, err := sign(jwt.MapClaims{
		"iss":   "https://sts.windows.net/" + s.TenantID + "/",
		"aud":   "https://api.botframework.com",
		"appid": s.AppID,
		"tid":   s.TenantID,
		"iat":   now.Unix(),
		"nbf":   now.Unix(),
		"exp":   exp.Unix(),
		"jti":   jti,
	}, key, kid)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.granted[token] = exp
	return token, nil
}

// --- The connector.

// fault is one injected failure, answered to the next remaining connector requests.
type fault struct {
	status     int
	retryAfter time.Duration
	remaining  int
}

// RateLimit answers the next times connector requests with HTTP 429 Too Many Requests and a
// Retry-After header in whole seconds (rounded up), as the Bot Connector does when a bot
// sends too fast. Injected failures are answered in the order they were injected.
func (s *Server) RateLimit(times int, retryAfter time.Duration) {
	s.inject(&fault{status: http.StatusTooManyRequests, retryAfter: retryAfter, remaining: times})
}

// Fail5xx answers the next times connector requests with HTTP 500.
func (s *Server) Fail5xx(times int) {
	s.inject(&fault{status: http.StatusInternalServerError, remaining: times})
}

func (s *Server) inject(f *fault) {
	if f.remaining <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// popFaultLocked returns the failure to answer the current request with, if any.
func (s *Server) popFaultLocked() *fault {
	if len(s.faults) == 0 {
		return nil
	}
	f := s.faults[0]
	f.remaining--
	if f.remaining == 0 {
		s.faults = s.faults[1:]
	}
	return f
}

// connectorError is the Bot Connector's error answer.
type connectorError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeConnectorError(w http.ResponseWriter, status int, code, msg string) {
	var e connectorError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

// checkLocked answers a connector request that must not go through: an injected failure, a
// token the fake did not grant or that has expired, or a body that is not JSON. It returns
// the status it answered with, or 0 if the request may go through.
func (s *Server) checkLocked(w http.ResponseWriter, r *http.Request, body []byte, readErr error) int {
	if f := s.popFaultLocked(); f != nil {
		if f.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(f.retryAfter.Seconds())), 10))
			writeConnectorError(w, f.status, "TooManyRequests", "The bot is sending too fast; retry after the Retry-After interval.")
		} else {
			writeConnectorError(w, f.status, "ServiceError", "The service failed; try again.")
		}
		return f.status
	}
	token, ok := bytes.CutPrefix([]byte(r.Header.Get("Authorization")), []byte("Bearer "))
	exp, granted := s.granted[string(token)]
	if !ok || !granted || !s.Now().Before(exp) {
		// The Bot Connector answers a bad token with this body, not its usual error shape.
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Authorization has been denied for this request."})
		return http.StatusUnauthorized
	}
	if readErr != nil {
		writeConnectorError(w, http.StatusRequestEntityTooLarge, "MessageSizeTooBig", fmt.Sprintf("The request content length exceeded limit of %d bytes.", maxActivityBytes))
		return http.StatusRequestEntityTooLarge
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeConnectorError(w, http.StatusUnsupportedMediaType, "BadArgument", "The request must be application/json.")
		return http.StatusUnsupportedMediaType
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		writeConnectorError(w, http.StatusBadRequest, "BadSyntax", "The request body is not a JSON object.")
		return http.StatusBadRequest
	}
	return 0
}

// serveActivity takes an activity, new (POST .../activities) or a reply (POST
// .../activities/{replyTo}): it records the request, then answers 201 Created and
// {"id": ...}, as the connector does; a bot must take any 2xx as sent.
func (s *Server) serveActivity(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActivityBytes))
	sent := Sent{
		ConversationID: r.PathValue("conversation"),
		ReplyToID:      r.PathValue("replyTo"),
		JSON:           json.RawMessage(body),
		Authorization:  r.Header.Get("Authorization"),
	}
	_ = json.Unmarshal(body, &sent.Activity)

	s.mu.Lock()
	defer s.mu.Unlock()
	sent.Time = s.Now()
	if s.fullLocked(len(s.attempts)) {
		http.Error(w, "fakebf: too many requests recorded", http.StatusInternalServerError)
		return
	}
	sent.Status = s.checkLocked(w, r, body, readErr)
	if sent.Status == 0 {
		if typ, _ := sent.Activity["type"].(string); typ == "" {
			sent.Status = http.StatusBadRequest
			writeConnectorError(w, sent.Status, "BadArgument", "Activity must have a type.")
		} else {
			s.seq++
			sent.ID = fmt.Sprintf("1:fakebf-activity-%d", s.seq)
			sent.Status = http.StatusCreated
			writeJSON(w, sent.Status, map[string]string{"id": sent.ID})
		}
	}
	s.attempts = append(s.attempts, sent)
	s.notifyLocked()
}

// serveConversation creates a conversation (POST /v3/conversations), as a bot does to
// message a rep first. As in Teams, a conversation with one member and isGroup false is that
// member's one-to-one chat with the bot, so asking again gives the same id.
func (s *Server) serveConversation(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxActivityBytes))
	c := Conversation{Authorization: r.Header.Get("Authorization")}
	_ = json.Unmarshal(body, &c.Request)

	s.mu.Lock()
	defer s.mu.Unlock()
	c.Time = s.Now()
	if s.fullLocked(len(s.convs)) {
		http.Error(w, "fakebf: too many requests recorded", http.StatusInternalServerError)
		return
	}
	c.Status = s.checkLocked(w, r, body, readErr)
	if c.Status == 0 {
		var req struct {
			IsGroup bool `json:"isGroup"`
			Members []struct {
				ID string `json:"id"`
			} `json:"members"`
		}
		_ = json.Unmarshal(body, &req)
		switch {
		case len(req.Members) == 0 || req.Members[0].ID == "":
			c.Status = http.StatusBadRequest
			writeConnectorError(w, c.Status, "BadArgument", "Conversation must have members.")
		case !req.IsGroup && len(req.Members) > 1:
			c.Status = http.StatusBadRequest
			writeConnectorError(w, c.Status, "BadArgument", "A conversation that is not a group has one member.")
		default:
			c.ID = s.conversationIDLocked(req.IsGroup, req.Members[0].ID)
			c.Status = http.StatusCreated
			writeJSON(w, c.Status, map[string]string{"id": c.ID})
		}
	}
	s.convs = append(s.convs, c)
	s.notifyLocked()
}

func (s *Server) conversationIDLocked(group bool, member string) string {
	if !group {
		if id, ok := s.oneToOne[member]; ok {
			return id
		}
	}
	s.seq++
	id := fmt.Sprintf("a:fakebf-conversation-%d", s.seq)
	if !group {
		s.oneToOne[member] = id
	}
	return id
}

// Activities returns the activities the connector accepted, oldest first.
func (s *Server) Activities() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activitiesLocked()
}

func (s *Server) activitiesLocked() []Sent {
	var out []Sent
	for _, a := range s.attempts {
		if a.ID != "" {
			out = append(out, a)
		}
	}
	return out
}

// Attempts returns every request to send an activity, accepted or not, oldest first: the
// refusals a bot retried (429, 5xx) and those it should not have made (401, 400).
func (s *Server) Attempts() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.attempts...)
}

// Conversations returns every request to create a conversation, oldest first; those the
// connector accepted have an ID.
func (s *Server) Conversations() []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Conversation(nil), s.convs...)
}

// WaitActivities waits until the connector has accepted n activities and returns the first
// n. It fails the test if they have not arrived within timeout, so call it from the test's
// goroutine.
func (s *Server) WaitActivities(n int, timeout time.Duration) []Sent {
	s.tb.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		s.mu.Lock()
		got := s.activitiesLocked()
		changed := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got[:n]
		}
		select {
		case <-changed:
		case <-timer.C:
			s.tb.Fatalf("fakebf: %d activities within %v, want %d", len(got), timeout, n)
			return nil
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
		s.tb.Errorf("fakebf: more than %d records; is the client looping?", maxRecords)
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "fakebf: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
