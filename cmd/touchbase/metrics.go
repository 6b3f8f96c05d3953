package main

import (
	"context"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
)

// metrics are touchbase's Prometheus metrics, on a registry of their own
// (no global state), served at /metrics.
type metrics struct {
	reg        *prometheus.Registry
	commands   *prometheus.CounterVec
	commandDur *prometheus.HistogramVec
	requests   *prometheus.HistogramVec
	apiCalls   *prometheus.CounterVec
	deliveries *prometheus.CounterVec
	jobRuns    *prometheus.CounterVec
	jobDur     *prometheus.HistogramVec
	sent       *prometheus.CounterVec
}

func newMetrics(db handlers.DB) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "touchbase_commands_total", Help: "Commands run, by verb and outcome (ok, choices, duplicate, the refusal's code, or panic).",
		}, []string{"verb", "outcome"}),
		commandDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "touchbase_command_duration_seconds", Help: "Time to run a command, including its store transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"verb"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "touchbase_http_request_duration_seconds", Help: "HTTP requests by route and status, to the response.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"route", "status"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "touchbase_platform_api_calls_total", Help: "Calls to Slack's Web API and the Teams connector, by platform, method and HTTP status (429s included).",
		}, []string{"platform", "method", "status"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "touchbase_outbox_deliveries_total", Help: "Outbox delivery attempts by kind of message and outcome (sent, retry, rate_limited, failed).",
		}, []string{"kind", "outcome"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "touchbase_job_runs_total", Help: "Scheduled job runs by job and result.",
		}, []string{"job", "result"}),
		jobDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "touchbase_job_duration_seconds", Help: "Time a job run took.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"job"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "touchbase_messages_sent_total", Help: "Messages delivered by kind: reminders, digests, handoff notices, stalled deals, renewals.",
		}, []string{"kind"}),
	}
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "touchbase_outbox_depth", Help: "Messages waiting in the outbox (not sent, not failed).",
	}, func() float64 {
		n := 0
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = db.View(ctx, func(tx touchbase.Tx) (err error) { n, err = tx.OutboxDepth(); return err })
		return float64(n)
	})
	m.reg.MustRegister(m.commands, m.commandDur, m.requests, m.apiCalls, m.deliveries, m.jobRuns, m.jobDur, m.sent, depth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The group commit: writes per fsync is updates ÷ commits.
	if st, ok := db.(interface{ CommitStats() (uint64, uint64) }); ok {
		m.reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "touchbase_store_commits_total", Help: "bbolt transactions committed (each one fsync) by the store's group commit.",
			}, func() float64 { c, _ := st.CommitStats(); return float64(c) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "touchbase_store_updates_committed_total", Help: "Writes committed; divided by touchbase_store_commits_total, the writes that shared each fsync.",
			}, func() float64 { _, u := st.CommitStats(); return float64(u) }),
		)
	}
	return m
}

// kind is the kind of an outbox message, from its key: reminders/…,
// digest/…, notice/…
func kind(key string) string {
	k, _, _ := strings.Cut(key, "/")
	return k
}

func (m *metrics) observeCommand(verb, outcome string, took time.Duration) {
	m.commands.WithLabelValues(verb, outcome).Inc()
	m.commandDur.WithLabelValues(verb).Observe(took.Seconds())
}

func (m *metrics) observeDelivery(key, outcome string) {
	m.deliveries.WithLabelValues(kind(key), outcome).Inc()
	if outcome == "sent" {
		m.sent.WithLabelValues(kind(key)).Inc()
	}
}

func (m *metrics) observeJob(job string, _ int, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
	m.jobDur.WithLabelValues(job).Observe(took.Seconds())
}

// handler serves /metrics.
func (m *metrics) handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// instrument times every request by its route: the path of one of the
// patterns served, else "other", which keeps the label set small.
func (m *metrics) instrument(next http.Handler, patterns []string) http.Handler {
	known := map[string]bool{}
	for _, p := range patterns {
		_, path, _ := strings.Cut(p, " ")
		known[path] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := "other"
		if known[r.URL.Path] {
			route = r.URL.Path
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	})
}

// countingTransport counts a platform's API calls by method and status.
type countingTransport struct {
	platform string
	next     http.RoundTripper
	m        *metrics
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	method := path.Base(r.URL.Path) // chat.postMessage, activities, token
	if t.platform == "teams" && strings.Contains(r.URL.Path, "/v3/conversations/") {
		method = "activities"
	}
	t.m.apiCalls.WithLabelValues(t.platform, method, status).Inc()
	return resp, err
}

// client returns an HTTP client whose calls are counted for platform.
func (m *metrics) client(platform string, timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &countingTransport{platform: platform, next: http.DefaultTransport, m: m}}
}
