package touchbase_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/touchbase/touchbase"
)

// Ensure the request id travels in a context, and a context without one
// has none.
func TestRequestID(t *testing.T) {
	ctx := context.Background()
	if got := touchbase.RequestID(ctx); got != "" {
		t.Fatalf("RequestID(Background)=%q, want none", got)
	}
	ctx = touchbase.WithRequestID(ctx, "abc")
	if got, want := touchbase.RequestID(context.WithoutCancel(ctx)), "abc"; got != want {
		t.Fatalf("RequestID=%q, want %q", got, want)
	}
	a, b := touchbase.NewRequestID(), touchbase.NewRequestID()
	if a == b || len(a) != 16 || !touchbase.ValidRequestID(a) {
		t.Fatalf("NewRequestID gave %q and %q, want two different valid 16-digit ids", a, b)
	}
	// Ensure the digits are lower-case hex, as hex.EncodeToString writes them.
	if strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("NewRequestID=%q, want lower-case hex digits", a)
	}
}

// Ensure an id from outside is taken only when it is short and made of
// safe characters; anything else is replaced by a fresh one.
func TestValidRequestID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{"4f2a9c0d1e3b5a67", true},
		{"dbdd0ef3-1543-4f94-bfb4-133d0e6c1545", true}, // a Socket Mode envelope id
		{"lb_01.A-z", true},
		{strings.Repeat("a", touchbase.MaxRequestIDLen), true},
		{strings.Repeat("a", touchbase.MaxRequestIDLen+1), false},
		{"", false},
		{"two words", false},
		{`x" injected="1`, false},
		{"line\nbreak", false},
		{"tab\t", false},
		{"é", false},
		{"a/b", false},
		{"a=b;c", false},
	} {
		if got := touchbase.ValidRequestID(tt.id); got != tt.want {
			t.Errorf("ValidRequestID(%q)=%v, want %v", tt.id, got, tt.want)
		}
		got := touchbase.RequestIDOr(tt.id)
		if tt.want && got != tt.id || !tt.want && (got == tt.id || !touchbase.ValidRequestID(got)) {
			t.Errorf("RequestIDOr(%q)=%q", tt.id, got)
		}
	}
}

// lines decodes JSON log lines.
func lines(t *testing.T, b *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		out = append(out, r)
	}
	return out
}

// Ensure LogHandler adds request_id to every record logged with a context
// that carries one, and only then; keeps the record's attributes and the
// logger's (With); leaves the level to the handler it wraps; and adds the
// id once when wrapped twice.
func TestLogHandler(t *testing.T) {
	var buf bytes.Buffer
	h := touchbase.NewLogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if touchbase.NewLogHandler(h) != h {
		t.Fatal("NewLogHandler wrapped a LogHandler again")
	}
	l := slog.New(touchbase.NewLogHandler(h)).With(slog.String("component", "outbox"))
	ctx := touchbase.WithRequestID(context.Background(), "req-1")

	l.InfoContext(ctx, "with", slog.String("key", "notice/1/0"))
	l.Info("without")
	l.DebugContext(ctx, "below the level")
	// A record with more attributes than slog keeps inline.
	l.LogAttrs(ctx, slog.LevelWarn, "many", slog.Int("a", 1), slog.Int("b", 2), slog.Int("c", 3), slog.Int("d", 4), slog.Int("e", 5), slog.Int("f", 6))
	l.InfoContext(context.Background(), "empty context")

	got := lines(t, &buf)
	if len(got) != 4 {
		t.Fatalf("%d lines, want 4 (debug is below the level):\n%s", len(got), buf.String())
	}
	for i, want := range []struct {
		msg, id string
	}{{"with", "req-1"}, {"without", ""}, {"many", "req-1"}, {"empty context", ""}} {
		r := got[i]
		if r["msg"] != want.msg || r["component"] != "outbox" {
			t.Errorf("line %d=%v, want %q with component=outbox", i, r, want.msg)
		}
		id, ok := r["request_id"]
		if want.id == "" && ok || want.id != "" && id != want.id {
			t.Errorf("line %d (%s): request_id=%v, want %q", i, want.msg, id, want.id)
		}
	}
	if n := strings.Count(buf.String(), `"request_id"`); n != 2 {
		t.Errorf("request_id appears %d times, want 2 (once per line with an id)", n)
	}
	if got[0]["key"] != "notice/1/0" || got[2]["f"] != float64(6) {
		t.Errorf("record attributes lost: %v, %v", got[0], got[2])
	}
}
