package fakeslack

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// maxResponseURLUses is how many times Slack lets an app post to one response_url.
const maxResponseURLUses = 5

type responseURL struct {
	bodies []json.RawMessage
}

// NewResponseURL returns a new response_url on the fake, shaped like Slack's
// https://hooks.slack.com/commands/T…/…/…, to put in a slash-command or interactive payload.
// Each call returns a different URL. Like Slack's, it takes up to five JSON posts.
func (s *Server) NewResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	path := fmt.Sprintf("/commands/%s/%d/%s", TeamID, s.seq, rand.Text())
	s.responses[path] = &responseURL{}
	return s.srv.URL + path
}

// ResponseURL is NewResponseURL.
func (s *Server) ResponseURL() string { return s.NewResponseURL() }

// Responses returns the JSON bodies posted to responseURL, oldest first.
func (s *Server) Responses(responseURL string) []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.responses[pathOf(responseURL)]; r != nil {
		return slices.Clone(r.bodies)
	}
	return nil
}

// WaitResponse waits for the first JSON body posted to responseURL and returns it. It fails
// the test if none arrives within timeout, so call it from the test's goroutine.
func (s *Server) WaitResponse(responseURL string, timeout time.Duration) json.RawMessage {
	s.tb.Helper()
	path := pathOf(responseURL)
	var body json.RawMessage
	if !s.waitUntil(timeout, func() bool {
		if r := s.responses[path]; r != nil && len(r.bodies) > 0 {
			body = r.bodies[0]
			return true
		}
		return false
	}) {
		s.tb.Fatalf("fakeslack: nothing posted to %s within %v", responseURL, timeout)
	}
	return body
}

func pathOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil {
		return u.Path
	}
	return rawURL
}

// serveResponseURL records a post to a response_url. slack-go accepts either a JSON answer
// or the plain "ok" incoming webhooks give; the fake answers {"ok":true}.
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		http.Error(w, "request_too_large", http.StatusRequestEntityTooLarge)
		return
	}
	body = bytes.TrimSpace(body)

	s.mu.Lock()
	resp := s.responses[r.URL.Path]
	switch {
	case resp == nil:
		s.mu.Unlock()
		http.Error(w, "no_such_response_url", http.StatusNotFound)
		return
	case len(resp.bodies) >= maxResponseURLUses:
		s.mu.Unlock()
		http.Error(w, "used_url", http.StatusNotFound)
		return
	case !json.Valid(body):
		s.mu.Unlock()
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	resp.bodies = append(resp.bodies, json.RawMessage(body))
	s.notifyLocked()
	s.mu.Unlock()

	success(nil).write(w)
}
