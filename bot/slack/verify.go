package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrUnverified is the error of a request that is not proven to come from
// Slack. Verify wraps it with the reason, for the log; the requester is told
// nothing but 401.
var ErrUnverified = errors.New("slack: request not verified")

// Slack's signature headers and the clock skew it allows.
const (
	headerTimestamp = "X-Slack-Request-Timestamp"
	headerSignature = "X-Slack-Signature"
	signatureScheme = "v0"
	maxSkew         = 5 * time.Minute
)

// Verify checks that body, with headers h, was signed by Slack with secret
// (Slack's v0 scheme: HMAC-SHA256 of "v0:TIMESTAMP:BODY"), at most five
// minutes before or after now. It must run on the raw body, before anything
// parses it. Every refusal wraps ErrUnverified with the reason, which never
// includes a full signature (that would let a rejected request be replayed).
func Verify(h http.Header, body []byte, secret string, now time.Time) error {
	if secret == "" {
		return fmt.Errorf("%w: no signing secret configured", ErrUnverified)
	}
	tsHeader := h.Get(headerTimestamp)
	if tsHeader == "" {
		return fmt.Errorf("%w: missing %s", ErrUnverified, headerTimestamp)
	}
	ts, ok := parseTimestamp(tsHeader)
	if !ok {
		return fmt.Errorf("%w: garbled %s %.20q", ErrUnverified, headerTimestamp, tsHeader)
	}
	// Compare whole seconds first, so that no timestamp, however far off,
	// can overflow the time arithmetic below.
	skew := int64(maxSkew / time.Second)
	if sec := now.Unix(); ts < sec-skew-1 || ts > sec+skew+1 || now.Sub(time.Unix(ts, 0)).Abs() > maxSkew {
		return fmt.Errorf("%w: timestamp %d is more than %v from now (%d)", ErrUnverified, ts, maxSkew, now.Unix())
	}
	sigHeader := h.Get(headerSignature)
	if sigHeader == "" {
		return fmt.Errorf("%w: missing %s", ErrUnverified, headerSignature)
	}
	hexSig, ok := strings.CutPrefix(sigHeader, signatureScheme+"=")
	if !ok {
		return fmt.Errorf("%w: %s is not a %s signature", ErrUnverified, headerSignature, signatureScheme)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: garbled %s", ErrUnverified, headerSignature)
	}
	if !hmac.Equal(got, signV0(body, secret, tsHeader)) {
		return fmt.Errorf("%w: signature mismatch", ErrUnverified)
	}
	return nil
}

// Sign signs body with secret as Slack would at ts, and returns the values
// of the X-Slack-Request-Timestamp and X-Slack-Signature headers. It is for
// tests and load generators.
func Sign(body []byte, secret string, ts time.Time) (timestampHeader, signatureHeader string) {
	timestampHeader = strconv.FormatInt(ts.Unix(), 10)
	return timestampHeader, signatureScheme + "=" + hex.EncodeToString(signV0(body, secret, timestampHeader))
}

func signV0(body []byte, secret, timestamp string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signatureScheme + ":" + timestamp + ":"))
	m.Write(body)
	return m.Sum(nil)
}

// parseTimestamp reads Unix seconds: decimal digits only, so that "+1",
// " 1" and "1e9" are refused rather than read generously.
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	ts, err := strconv.ParseInt(s, 10, 64)
	return ts, err == nil
}
