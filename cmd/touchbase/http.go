package main

import (
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/touchbase/touchbase"
)

// headerRequestID carries a request's id: taken from a proxy in front when
// it is fit to be one, and always echoed in the response.
const headerRequestID = "X-Request-Id"

// logRequests is the edge of every HTTP request: it gives the request its
// id (the incoming X-Request-Id when short and safe, else a fresh one),
// carries it in the request's context and the response's X-Request-Id, and
// logs one line when the request is answered: method, path, status and
// duration, never the query, headers or body (they hold signatures, tokens
// and what reps typed). Probes (/healthz, /readyz, /metrics) are logged at
// debug, so that they do not drown the rest.
func logRequests(l *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := touchbase.RequestIDOr(r.Header.Get(headerRequestID))
		ctx := touchbase.WithRequestID(r.Context(), id)
		w.Header().Set(headerRequestID, id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		level := slog.LevelInfo
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			level = slog.LevelDebug
		}
		l.LogAttrs(ctx, level, "http request", slog.String("method", r.Method), slog.String("path", clip(r.URL.Path, 100)),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	})
}

// clip cuts s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
