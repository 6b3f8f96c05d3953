package slack_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/touchbase/touchbase/bot/slack"
)

// signingFixture is the shape of testdata/signing_*.json.
type signingFixture struct {
	Secret        string            `json:"signing_secret"`
	InvalidSecret string            `json:"invalid_signing_secret"`
	Headers       map[string]string `json:"headers"`
	Body          string            `json:"body"`
	InvalidBody   string            `json:"invalid_body"`
	Expected      string            `json:"expected_signature"`
}

func mustLoadSigning(tb testing.TB, name string) signingFixture {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var f signingFixture
	if err := json.Unmarshal(b, &f); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return f
}

// fixtureTime is the clock at the fixture's timestamp.
func (f signingFixture) time(tb testing.TB) time.Time {
	tb.Helper()
	ts, err := strconv.ParseInt(f.Headers["X-Slack-Request-Timestamp"], 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return time.Unix(ts, 0)
}

func signedHeader(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set("X-Slack-Request-Timestamp", ts)
	}
	if sig != "" {
		h.Set("X-Slack-Signature", sig)
	}
	return h
}

// flip returns s with the byte at i changed.
func flip(s string, i int) string {
	b := []byte(s)
	b[i] ^= 0x01
	return string(b)
}

func TestVerify(t *testing.T) {
	official := mustLoadSigning(t, "signing_official_example.json")
	vector := mustLoadSigning(t, "signing_slackgo_test_vector.json")
	wire, err := os.ReadFile(filepath.Join("testdata", "slash_command_signed_body.docs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	at := official.time(t)
	ts, sig := official.Headers["X-Slack-Request-Timestamp"], official.Headers["X-Slack-Signature"]

	tests := []struct {
		name   string
		header http.Header
		body   string
		secret string
		now    time.Time
		ok     bool
	}{
		// Ensure Slack's worked example verifies with the clock at its timestamp.
		{"official example", signedHeader(ts, sig), official.Body, official.Secret, at, true},
		// Ensure the raw wire body of the same example verifies.
		{"official wire body", signedHeader(ts, sig), string(wire), official.Secret, at, true},
		// Ensure a request a minute old still verifies.
		{"one minute later", signedHeader(ts, sig), official.Body, official.Secret, at.Add(time.Minute), true},
		// Ensure exactly five minutes either way is still inside the window.
		{"five minutes later", signedHeader(ts, sig), official.Body, official.Secret, at.Add(5 * time.Minute), true},
		{"five minutes earlier", signedHeader(ts, sig), official.Body, official.Secret, at.Add(-5 * time.Minute), true},
		// Ensure a request older than five minutes is refused (a replay).
		{"five minutes and a second later", signedHeader(ts, sig), official.Body, official.Secret, at.Add(5*time.Minute + time.Second), false},
		{"six minutes later", signedHeader(ts, sig), official.Body, official.Secret, at.Add(6 * time.Minute), false},
		// Ensure a timestamp from the future is refused too.
		{"six minutes earlier", signedHeader(ts, sig), official.Body, official.Secret, at.Add(-6 * time.Minute), false},
		// Ensure one changed byte of the body or the signature is refused.
		{"body byte flipped", signedHeader(ts, sig), flip(official.Body, 10), official.Secret, at, false},
		{"last body byte flipped", signedHeader(ts, sig), flip(official.Body, len(official.Body)-1), official.Secret, at, false},
		{"body with a trailing newline", signedHeader(ts, sig), official.Body + "\n", official.Secret, at, false},
		{"signature byte flipped", signedHeader(ts, flip(sig, len(sig)-1)), official.Body, official.Secret, at, false},
		{"signature of another timestamp", signedHeader(strconv.FormatInt(at.Unix()+1, 10), sig), official.Body, official.Secret, at, false},
		// Ensure a wrong or missing secret is refused.
		{"wrong secret", signedHeader(ts, sig), official.Body, official.Secret + "x", at, false},
		{"empty secret", signedHeader(ts, sig), official.Body, "", at, false},
		// Ensure missing and garbled headers are refused.
		{"no headers", http.Header{}, official.Body, official.Secret, at, false},
		{"no timestamp", signedHeader("", sig), official.Body, official.Secret, at, false},
		{"no signature", signedHeader(ts, ""), official.Body, official.Secret, at, false},
		{"signed timestamp", signedHeader("+"+ts, sig), official.Body, official.Secret, at, false},
		{"timestamp with a space", signedHeader(ts+" ", sig), official.Body, official.Secret, at, false},
		{"timestamp in exponent form", signedHeader("1.531420618e9", sig), official.Body, official.Secret, at, false},
		{"timestamp too large", signedHeader("99999999999999999999", sig), official.Body, official.Secret, at, false},
		{"unknown scheme", signedHeader(ts, "v1="+sig[3:]), official.Body, official.Secret, at, false},
		{"scheme only", signedHeader(ts, "v0="), official.Body, official.Secret, at, false},
		{"not hex", signedHeader(ts, "v0=zz"+sig[5:]), official.Body, official.Secret, at, false},
		{"short signature", signedHeader(ts, sig[:len(sig)-2]), official.Body, official.Secret, at, false},
		{"long signature", signedHeader(ts, sig+"00"), official.Body, official.Secret, at, false},
		// Ensure slack-go's own test vector verifies, and its negative cases do not.
		{"slack-go vector", signedHeader(vector.Headers["X-Slack-Request-Timestamp"], vector.Headers["X-Slack-Signature"]), vector.Body, vector.Secret, vector.time(t), true},
		{"slack-go invalid secret", signedHeader(vector.Headers["X-Slack-Request-Timestamp"], vector.Headers["X-Slack-Signature"]), vector.Body, vector.InvalidSecret, vector.time(t), false},
		{"slack-go invalid body", signedHeader(vector.Headers["X-Slack-Request-Timestamp"], vector.Headers["X-Slack-Signature"]), vector.InvalidBody, vector.Secret, vector.time(t), false},
		{"slack-go vector stale", signedHeader(vector.Headers["X-Slack-Request-Timestamp"], vector.Headers["X-Slack-Signature"]), vector.Body, vector.Secret, vector.time(t).Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := slack.Verify(tt.header, []byte(tt.body), tt.secret, tt.now)
			if got, want := err == nil, tt.ok; got != want {
				t.Fatalf("Verify=%v, want ok=%v", err, want)
			}
			if err != nil && !errors.Is(err, slack.ErrUnverified) {
				t.Fatalf("Verify=%v, want an ErrUnverified", err)
			}
		})
	}
}

func TestVerify_ReasonHasNoSignature(t *testing.T) {
	// Ensure the reason that is logged does not carry what would let the
	// request be replayed with a valid signature.
	f := mustLoadSigning(t, "signing_official_example.json")
	_, good := slack.Sign([]byte(f.Body), f.Secret, f.time(t))
	err := slack.Verify(signedHeader(f.Headers["X-Slack-Request-Timestamp"], f.Headers["X-Slack-Signature"]), []byte(f.Body+"x"), f.Secret, f.time(t))
	if err == nil || bytes.Contains([]byte(err.Error()), []byte(good[3:])) {
		t.Fatalf("Verify=%v, want a refusal without the signature", err)
	}
}

func TestSign(t *testing.T) {
	tests := []struct {
		fixture string
	}{
		// Ensure Sign reproduces Slack's worked example.
		{"signing_official_example.json"},
		// Ensure Sign reproduces slack-go's test vector.
		{"signing_slackgo_test_vector.json"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := mustLoadSigning(t, tt.fixture)
			ts, sig := slack.Sign([]byte(f.Body), f.Secret, f.time(t))
			if got, want := ts, f.Headers["X-Slack-Request-Timestamp"]; got != want {
				t.Fatalf("timestamp=%q, want %q", got, want)
			}
			if got, want := sig, f.Expected; got != want {
				t.Fatalf("signature=%q, want %q", got, want)
			}
		})
	}
}

func FuzzVerifySignature(f *testing.F) {
	official := mustLoadSigning(f, "signing_official_example.json")
	f.Add([]byte(official.Body), official.Secret, official.Headers["X-Slack-Request-Timestamp"], official.Headers["X-Slack-Signature"], uint16(3), byte(1))
	f.Add([]byte{}, "s", "", "", uint16(0), byte(0))
	now := official.time(f)
	f.Fuzz(func(t *testing.T, body []byte, secret, tsHeader, sigHeader string, pos uint16, mask byte) {
		// Whatever arrives, Verify answers without panicking, and refuses
		// with ErrUnverified.
		h := http.Header{"X-Slack-Request-Timestamp": {tsHeader}, "X-Slack-Signature": {sigHeader}}
		if err := slack.Verify(h, body, secret, now); err != nil && !errors.Is(err, slack.ErrUnverified) {
			t.Fatalf("Verify=%v, want nil or an ErrUnverified", err)
		}
		if secret == "" {
			return
		}
		// A body signed by Sign verifies...
		ts, sig := slack.Sign(body, secret, now)
		h = signedHeader(ts, sig)
		if err := slack.Verify(h, body, secret, now); err != nil {
			t.Fatalf("Verify(signed)=%v, want nil", err)
		}
		// ...and any change to it does not.
		mutated := bytes.Clone(body)
		if len(mutated) > 0 && mask != 0 {
			mutated[int(pos)%len(mutated)] ^= mask
		} else {
			mutated = append(mutated, mask)
		}
		if err := slack.Verify(h, mutated, secret, now); !errors.Is(err, slack.ErrUnverified) {
			t.Fatalf("Verify(mutated)=%v, want ErrUnverified", err)
		}
	})
}
