package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/touchbase/touchbase"
)

// logBuffer collects JSON log lines written from many goroutines.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{} // closed and replaced at each write
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
		b.written = nil
	}
	return b.buf.Write(p)
}

// waitFor waits until a line holds every one of wants, or fails the test
// after timeout: a line logged by another goroutine (the outbox's) after
// what the test can see of its work.
func (b *logBuffer) waitFor(t *testing.T, timeout time.Duration, wants ...string) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		for _, line := range strings.Split(b.buf.String(), "\n") {
			found := true
			for _, w := range wants {
				found = found && strings.Contains(line, w)
			}
			if found {
				b.mu.Unlock()
				return
			}
		}
		if b.written == nil {
			b.written = make(chan struct{})
		}
		written := b.written
		b.mu.Unlock()
		select {
		case <-written:
		case <-deadline:
			t.Fatalf("no log line with %q within %v:\n%s", wants, timeout, b.String())
		}
	}
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns every line, decoded.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// wantLine fails unless exactly one record has message msg, request id id
// and every attribute of attrs.
func wantLine(t *testing.T, records []map[string]any, id, msg string, attrs map[string]any) {
	t.Helper()
	n := 0
	for _, r := range records {
		if r["msg"] != msg || r["request_id"] != id {
			continue
		}
		match := true
		for k, v := range attrs {
			if fmt.Sprint(r[k]) != fmt.Sprint(v) {
				match = false
			}
		}
		if match {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d %q lines with request_id %q and %v, want 1; the log:\n%s", n, msg, id, attrs, dump(records))
	}
}

func dump(records []map[string]any) string {
	var b strings.Builder
	for _, r := range records {
		j, _ := json.Marshal(r)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// Ensure one request id follows a slash command through every layer of
// the real serve: it is echoed in X-Request-Id, and carried by the HTTP
// line, the handler's command line and the delivery line of the handoff
// notice the command caused (delivered by the outbox, later, on its own
// goroutine). An X-Request-Id from a proxy is kept when it is short and
// safe, replaced otherwise. The info-level log holds no command text, no
// note, no customer's name and no secret.
func TestServe_RequestID(t *testing.T) {
	logs := &logBuffer{}
	s := serveAt(t, nil, filepath.Join(t.TempDir(), "touchbase.db"), time.Time{}, nil, func(m *Main) {
		m.ServeLogger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	const note = "CFO whispered the budget: quokka yen"
	s.slash("U2", "/followups", "") // U2 is a rep
	s.slash("U1", "/lead", `"Taro Yamada" company:"Acme KK" email:taro@acme.co.jp`)
	if _, text := s.slash("U1", "/log", `call Acme "`+note+`"`); !strings.Contains(text, "touch 1 of 5") {
		t.Fatalf("/log: %s", text)
	}
	if _, text := s.slash("U1", "/qualify", `Acme b:"yes `+note+`" n:yes`); !strings.Contains(text, "2 of 4 yes") {
		t.Fatalf("/qualify: %s", text)
	}
	resp, body := s.slashWith("U1", "/convert", "Acme amount:5m to:<@U2|ae>", nil)
	wantContains(t, "/convert", string(body), "Handed to")
	id := resp.Header.Get("X-Request-Id")
	if !touchbase.ValidRequestID(id) {
		t.Fatalf("X-Request-Id=%q, want a request id", id)
	}
	delivered := s.fake.WaitFor("chat.postMessage", 1, 10*time.Second)
	wantContains(t, "notice", delivered[0].Param("text"), "handed you a new opportunity")
	logs.waitFor(t, 10*time.Second, `"msg":"message delivered"`, id)

	// An id from a proxy in front: kept when fit, else replaced.
	const proxied = "lb-4f2a9c0d.7"
	if resp, _ := s.slashWith("U1", "/pipeline", "", http.Header{"X-Request-Id": {proxied}}); resp.Header.Get("X-Request-Id") != proxied {
		t.Fatalf("X-Request-Id=%q, want the proxy's %q", resp.Header.Get("X-Request-Id"), proxied)
	}
	for _, bad := range []string{`x" injected="1`, "injected\t{\"level\":\"ERROR\"}", "injected-é", "injected" + strings.Repeat("7", 80)} {
		resp, _ := s.slashWith("U1", "/pipeline", "", http.Header{"X-Request-Id": {bad}})
		if got := resp.Header.Get("X-Request-Id"); got == bad || !touchbase.ValidRequestID(got) {
			t.Fatalf("X-Request-Id=%q for %q, want a fresh id", got, bad)
		}
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, s.stdout.String())
	}

	records := logs.records(t)
	wantLine(t, records, id, "http request", map[string]any{"method": "POST", "path": "/slack/commands", "status": 200})
	wantLine(t, records, id, "command", map[string]any{"verb": "convert", "outcome": "ok", "user": "U1"})
	wantLine(t, records, id, "message delivered", map[string]any{"kind": "notice"})
	wantLine(t, records, proxied, "http request", map[string]any{"path": "/slack/commands", "status": 200})
	wantLine(t, records, proxied, "command", map[string]any{"verb": "pipeline", "outcome": "ok"})
	// Every command had its own id.
	ids := map[any]bool{}
	for _, r := range records {
		if r["msg"] == "command" {
			if ids[r["request_id"]] || r["request_id"] == nil {
				t.Errorf("command line %v: request_id missing or not its own", r)
			}
			ids[r["request_id"]] = true
		}
	}
	if len(ids) != 10 {
		t.Errorf("%d command lines, want 10:\n%s", len(ids), dump(records))
	}

	all := logs.String()
	for _, never := range []string{note, "quokka", "CFO", "Taro", "Yamada", "Acme", "taro@acme", "amount:5m", "injected", secret, "xoxb-test"} {
		if strings.Contains(all, never) {
			t.Errorf("the info log holds %q:\n%s", never, all)
		}
	}
}
