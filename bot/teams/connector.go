package teams

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Connector sends activities to Teams through the Bot Framework connector
// of a conversation's serviceUrl, with the bot's token.
type Connector struct {
	Tokens     *TokenSource
	HTTPClient *http.Client
}

// ConnectorError is a failed connector call: its status, and how long to
// wait when the connector rate-limited it.
type ConnectorError struct {
	Status     int
	Body       string
	retryAfter time.Duration
}

func (e *ConnectorError) Error() string {
	return fmt.Sprintf("teams: connector answered %d: %s", e.Status, e.Body)
}

// RetryAfter is set on 429.
type rateLimitError struct{ *ConnectorError }

// RetryAfter returns the wait the connector asked for.
func (e rateLimitError) RetryAfter() time.Duration { return e.retryAfter }

// Permanent reports errors no retry fixes: 4xx other than 408 and 429.
func (e *ConnectorError) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != 408 && e.Status != 429
}

// Send posts an activity into a conversation, as a reply to replyTo when it
// is set, and returns the new activity's id.
func (c *Connector) Send(ctx context.Context, serviceURL, conversationID, replyTo string, a *Activity) (string, error) {
	u := strings.TrimSuffix(serviceURL, "/") + "/v3/conversations/" + url.PathEscape(conversationID) + "/activities"
	if replyTo != "" {
		u += "/" + url.PathEscape(replyTo)
	}
	body, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("teams: encode activity: %w", err)
	}
	token, err := c.Tokens.Token(ctx)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("teams: send activity: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode >= 300 {
		e := &ConnectorError{Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
		if resp.StatusCode == http.StatusTooManyRequests {
			e.retryAfter = time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				e.retryAfter = time.Duration(s) * time.Second
			}
			return "", rateLimitError{e}
		}
		return "", e
	}
	var r struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &r)
	return r.ID, nil
}
