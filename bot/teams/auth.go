package teams

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrUnauthorized is the error of a request whose token is missing,
// malformed, expired, not yet valid, badly signed or signed by an unknown
// key. The handler answers 401.
var ErrUnauthorized = errors.New("teams: unauthorized")

// ErrForbidden is the error of a request whose token is genuine but not
// meant for this bot or this activity: wrong issuer, wrong audience, or a
// serviceurl claim other than the activity's serviceUrl. The handler answers
// 403.
var ErrForbidden = errors.New("teams: forbidden")

// Bot Framework's published values for tokens from the Bot Connector to a
// bot (security protocol v3.1).
const (
	DefaultMetadataURL = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	DefaultIssuer      = "https://api.botframework.com"
)

const (
	// maxSkew is the clock skew the Bot Framework docs call industry
	// standard, allowed on both exp and nbf.
	maxSkew = 5 * time.Minute
	// maxRefresh is the longest keys are trusted without re-reading them:
	// the SDKs cache for days, but a revoked key should not outlive a day.
	maxRefresh = 24 * time.Hour
	// minRefetch limits key fetches, so that tokens with made-up key ids
	// cannot turn the bot into a load generator against the metadata host.
	minRefetch = time.Minute
	// fetchTimeout bounds one fetch of metadata plus keys.
	fetchTimeout = 10 * time.Second
	// maxDocument bounds the metadata and key documents we read.
	maxDocument = 1 << 20
	// maxAuthorization bounds the header we hand to the JWT parser. The
	// Connector's tokens are around 1.5 KB.
	maxAuthorization = 16 << 10
	// minKeyBits refuses keys too weak to trust whatever the JWKS says.
	minKeyBits = 2048
)

// Claim names. The docs' prose calls the claim "serviceUrl"; the tokens the
// Connector sends, and every Bot Framework SDK, spell it "serviceurl".
const (
	claimServiceURL     = "serviceurl"
	claimServiceURLDocs = "serviceUrl"
)

// Authenticator verifies the bearer tokens the Bot Connector sends with each
// activity, as the Bot Framework's "Connector to Bot" authentication requires:
// RS256 signed by a key from the OpenID metadata's jwks_uri, issued by
// Issuer, for audience AppID, within its lifetime give or take five minutes,
// and naming the activity's serviceUrl.
//
// Key endorsements are not checked. They bind a key to channel ids, but
// Verify is not given the activity's channelId, and touchbase does not let a
// channelId decide anything a signature has not already proved: the
// signature shows the Connector sent the activity, the serviceurl claim shows
// where replies go. Keys are used whether or not they carry endorsements.
//
// An Authenticator is safe for concurrent use. Its exported fields must not
// change once Verify has been called.
type Authenticator struct {
	// AppID is the bot's Microsoft App ID, the audience tokens must name.
	AppID string
	// MetadataURL is the OpenID metadata document, whose jwks_uri lists the
	// signing keys. Empty means DefaultMetadataURL.
	MetadataURL string
	// Issuer is the issuer tokens must name. Empty means DefaultIssuer.
	Issuer string
	// HTTPClient fetches metadata and keys. Nil means http.DefaultClient.
	HTTPClient *http.Client
	// Now is the clock for exp, nbf and the key cache. Nil means time.Now.
	Now func() time.Time
	// Logger hears about failed key fetches. Nil means no logging.
	Logger *slog.Logger
	// Refresh is how often keys are re-read; zero, or more than a day, means
	// a day. A token with an unknown key id also triggers a re-read. Either
	// way there is at most one fetch a minute, and a failed fetch keeps the
	// keys already known.
	Refresh time.Duration

	mu        sync.Mutex
	keys      map[string]*rsa.PublicKey // by kid
	fetched   time.Time                 // when keys were last read successfully
	attempted time.Time                 // when a fetch last started
	lastErr   error                     // why the last fetch failed, if it did
	inflight  chan struct{}             // closed when the running fetch ends
}

// NewAuthenticator returns an Authenticator for the bot appID, reading keys
// from metadataURL (DefaultMetadataURL if empty), with the default issuer,
// clock, HTTP client and refresh interval, and no logging.
func NewAuthenticator(appID, metadataURL string) *Authenticator {
	if metadataURL == "" {
		metadataURL = DefaultMetadataURL
	}
	return &Authenticator{
		AppID:       appID,
		MetadataURL: metadataURL,
		Issuer:      DefaultIssuer,
		HTTPClient:  http.DefaultClient,
		Now:         time.Now,
		Logger:      slog.New(slog.DiscardHandler),
		Refresh:     maxRefresh,
	}
}

// Verify checks authorization, the Authorization header of an incoming
// activity ("Bearer <jwt>"), and that the token's serviceurl claim is
// serviceURL, the activity's serviceUrl (a trailing slash aside). It returns
// nil, or an error wrapping ErrUnauthorized or ErrForbidden with the reason.
// The reason is for the log, never for the client, and never includes the
// token.
//
// Verify may fetch signing keys; ctx bounds how long it waits for them.
func (a *Authenticator) Verify(ctx context.Context, authorization, serviceURL string) error {
	if a.AppID == "" {
		return fmt.Errorf("%w: no app id configured", ErrUnauthorized)
	}
	if authorization == "" {
		return fmt.Errorf("%w: missing Authorization header", ErrUnauthorized)
	}
	if len(authorization) > maxAuthorization {
		return fmt.Errorf("%w: Authorization header of %d bytes", ErrUnauthorized, len(authorization))
	}
	scheme, raw, _ := strings.Cut(authorization, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return fmt.Errorf("%w: Authorization is not a Bearer token", ErrUnauthorized)
	}
	if raw == "" || strings.ContainsAny(raw, " \t") {
		return fmt.Errorf("%w: garbled Bearer token", ErrUnauthorized)
	}

	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithLeeway(maxSkew),
		jwt.WithTimeFunc(a.now),
		jwt.WithExpirationRequired(),
	)
	claims := jwt.MapClaims{}
	_, err := p.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if kid == "" {
			return nil, errors.New("no kid in token header")
		}
		return a.key(ctx, kid)
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}

	// Claims a genuine token may carry for someone else: 403, not 401.
	if iss, _ := claims.GetIssuer(); iss != a.issuer() {
		return fmt.Errorf("%w: issuer %.80q, want %q", ErrForbidden, iss, a.issuer())
	}
	aud, err := claims.GetAudience()
	if err != nil {
		return fmt.Errorf("%w: audience: %w", ErrForbidden, err)
	}
	if !slices.Contains(aud, a.AppID) {
		return fmt.Errorf("%w: audience %.80q is not this bot", ErrForbidden, aud)
	}
	return checkServiceURL(claims, serviceURL)
}

// checkServiceURL requires the token to name the activity's serviceUrl, so
// that a token captured from one conversation cannot send the bot's replies
// (and its own token) somewhere else. The claim is looked up by its exact
// spelling, "serviceurl" as the Connector sends it, or "serviceUrl" as the
// docs write it; every spelling present must match.
func checkServiceURL(claims jwt.MapClaims, serviceURL string) error {
	want := strings.TrimSuffix(serviceURL, "/")
	if want == "" {
		return fmt.Errorf("%w: activity has no serviceUrl", ErrForbidden)
	}
	found := false
	for _, name := range []string{claimServiceURL, claimServiceURLDocs} {
		v, ok := claims[name]
		if !ok {
			continue
		}
		found = true
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%w: %s claim is not a string", ErrForbidden, name)
		}
		if strings.TrimSuffix(s, "/") != want {
			return fmt.Errorf("%w: %s claim %.120q, activity serviceUrl %.120q", ErrForbidden, name, s, serviceURL)
		}
	}
	if !found {
		return fmt.Errorf("%w: token has no serviceurl claim", ErrForbidden)
	}
	return nil
}

// key returns the signing key kid, reading the keys again if they are older
// than Refresh or kid is unknown, at most once a minute. Concurrent callers
// share one fetch.
func (a *Authenticator) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	for {
		a.mu.Lock()
		now := a.now()
		k, known := a.keys[kid]
		fresh := !a.fetched.IsZero() && now.Sub(a.fetched) < a.refresh()
		if known && fresh {
			a.mu.Unlock()
			return k, nil
		}
		done := a.inflight
		if done == nil {
			if !a.attempted.IsZero() && now.Sub(a.attempted) < minRefetch {
				lastErr := a.lastErr
				a.mu.Unlock()
				if known {
					return k, nil // stale, but the last fetch failed: better than nothing
				}
				if lastErr != nil {
					return nil, fmt.Errorf("unknown key id %.40q; key fetch failed: %w", kid, lastErr)
				}
				return nil, fmt.Errorf("unknown key id %.40q", kid)
			}
			done = make(chan struct{})
			a.inflight = done
			a.attempted = now
			go a.refreshKeys(ctx, done)
		}
		a.mu.Unlock()
		select {
		case <-done:
			// Look again; the next round will not fetch within minRefetch.
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for signing keys: %w", ctx.Err())
		}
	}
}

// refreshKeys fetches the keys, installs them if the fetch worked, and closes
// done. It runs on its own, so that a caller that gives up does not cancel
// the fetch for the callers sharing it; fetchTimeout bounds it instead.
func (a *Authenticator) refreshKeys(ctx context.Context, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	keys, err := a.fetchKeys(ctx)

	a.mu.Lock()
	a.inflight = nil
	a.lastErr = err
	if err == nil {
		a.keys = keys
		a.fetched = a.now()
	}
	cached := len(a.keys)
	close(done)
	a.mu.Unlock()
	if err != nil {
		a.logger().WarnContext(ctx, "teams: fetch signing keys", slog.String("metadata_url", a.metadataURL()),
			slog.Int("cached_keys", cached), slog.Any("error", err))
	}
}

// openIDMetadata is the part of the OpenID metadata document we use.
type openIDMetadata struct {
	JWKSURI string `json:"jwks_uri"`
}

// jwks is a JSON Web Key Set (RFC 7517) as the Bot Framework serves it.
type jwks struct {
	Keys []jwk `json:"keys"`
}

// jwk is one key. Bot Framework keys also carry "endorsements", the channel
// ids they may sign for, and "x5c"; see Authenticator for why neither is used.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// fetchKeys reads the metadata document, then the key set it points to.
func (a *Authenticator) fetchKeys(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	metaURL := a.metadataURL()
	var meta openIDMetadata
	if err := a.getJSON(ctx, metaURL, &meta); err != nil {
		return nil, fmt.Errorf("openid metadata: %w", err)
	}
	jwksURL, err := checkJWKSURI(metaURL, meta.JWKSURI)
	if err != nil {
		return nil, fmt.Errorf("openid metadata: %w", err)
	}
	var set jwks
	if err := a.getJSON(ctx, jwksURL, &set); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	keys := make(map[string]*rsa.PublicKey, len(set.Keys))
	var skipped []string
	for _, k := range set.Keys {
		pub, err := k.rsaPublicKey()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%.40q: %v", k.Kid, err))
			continue
		}
		keys[k.Kid] = pub
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("signing keys: no usable RSA key in %s (skipped %s)", jwksURL, strings.Join(skipped, "; "))
	}
	if len(skipped) > 0 {
		a.logger().InfoContext(ctx, "teams: skipped signing keys", slog.String("jwks_uri", jwksURL), slog.Any("keys", skipped))
	}
	return keys, nil
}

// checkJWKSURI requires jwks_uri to be an absolute http(s) URL, and https if
// the metadata came over https: the keys are what every check rests on.
func checkJWKSURI(metaURL, jwksURI string) (string, error) {
	if jwksURI == "" {
		return "", errors.New("no jwks_uri")
	}
	u, err := url.Parse(jwksURI)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("jwks_uri %.120q is not an http(s) URL", jwksURI)
	}
	if m, err := url.Parse(metaURL); err == nil && m.Scheme == "https" && u.Scheme != "https" {
		return "", fmt.Errorf("jwks_uri %.120q is not https", jwksURI)
	}
	return u.String(), nil
}

// rsaPublicKey turns an RSA signing JWK into a key.
func (k jwk) rsaPublicKey() (*rsa.PublicKey, error) {
	switch {
	case k.Kid == "":
		return nil, errors.New("no kid")
	case k.Kty != "RSA":
		return nil, fmt.Errorf("kty %.20q is not RSA", k.Kty)
	case k.Use != "" && k.Use != "sig":
		return nil, fmt.Errorf("use %.20q is not sig", k.Use)
	}
	nb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.N, "="))
	if err != nil {
		return nil, fmt.Errorf("modulus: %w", err)
	}
	eb, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(k.E, "="))
	if err != nil {
		return nil, fmt.Errorf("exponent: %w", err)
	}
	n := new(big.Int).SetBytes(nb)
	if n.BitLen() < minKeyBits {
		return nil, fmt.Errorf("modulus of %d bits", n.BitLen())
	}
	e := new(big.Int).SetBytes(eb)
	if !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
		return nil, errors.New("exponent out of range")
	}
	return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
}

// getJSON GETs u and decodes a JSON body of at most maxDocument bytes.
func (a *Authenticator) getJSON(ctx context.Context, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.httpClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	if len(body) > maxDocument {
		return fmt.Errorf("GET %s: body over %d bytes", u, maxDocument)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}

func (a *Authenticator) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Authenticator) refresh() time.Duration {
	if a.Refresh <= 0 || a.Refresh > maxRefresh {
		return maxRefresh
	}
	return a.Refresh
}

func (a *Authenticator) issuer() string {
	if a.Issuer != "" {
		return a.Issuer
	}
	return DefaultIssuer
}

func (a *Authenticator) metadataURL() string {
	if a.MetadataURL != "" {
		return a.MetadataURL
	}
	return DefaultMetadataURL
}

func (a *Authenticator) httpClient() *http.Client {
	if a.HTTPClient != nil {
		return a.HTTPClient
	}
	return http.DefaultClient
}

func (a *Authenticator) logger() *slog.Logger {
	if a.Logger != nil {
		return a.Logger
	}
	return slog.New(slog.DiscardHandler)
}
