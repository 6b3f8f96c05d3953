package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/touchbase/touchbase/bot/slack"
	"github.com/touchbase/touchbase/store"
)

// The workload: leads leads owned by reps reps, lead i by rep i%reps.
const (
	leads = 1000
	reps  = 50
	// maxConcurrency keeps a typo from opening tens of thousands of sockets.
	maxConcurrency = 5000
)

// Options say what to load and for how long.
type Options struct {
	Concurrency []int         // one pair of runs for each
	Requests    int           // measured requests per run, at most
	Duration    time.Duration // measured time per run, at most
	Warmup      int           // requests sent first and not measured
	// Target, when set, is the URL of a running touchbase serve on a
	// loopback address, loaded instead of the in-process servers; Secret is
	// its signing secret.
	Target, Secret string
	// Progress receives a line per step; nil for none.
	Progress io.Writer

	// inspect, when set, sees the full server's database after each of its
	// runs, before it is closed (the tests count the activities).
	inspect func(ctx context.Context, r Result, db *store.DB) error
}

// Result is one run: one server at one concurrency.
type Result struct {
	Server      string
	Concurrency int
	Requests    int // measured requests sent
	Errors      int // of which answered other than 200, with ":x:", or not at all
	Late        int // of which answered "Working on it…": the command outlived Slack's acknowledgement
	Elapsed     time.Duration
	// Latencies of the measured requests that were answered, sorted.
	Latencies    []time.Duration
	Warmup       int // warmup requests sent
	WarmupErrors int
}

// Rate returns the measured requests per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile returns the latency that p percent of the answered requests
// did not exceed (nearest rank, exact), or 0 when none was answered.
func (r Result) Percentile(p float64) time.Duration {
	n := len(r.Latencies)
	if n == 0 {
		return 0
	}
	k := int(math.Ceil(p/100*float64(n))) - 1
	return r.Latencies[min(max(k, 0), n-1)]
}

// WriteTable writes results as one markdown table.
func WriteTable(w io.Writer, results []Result) error {
	var b strings.Builder
	b.WriteString("| server | concurrency | requests | errors | req/s | p50 | p90 | p99 | max |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %.0f | %s | %s | %s | %s |\n",
			r.Server, r.Concurrency, r.Requests, r.Errors, r.Rate(),
			ms(r.Percentile(50)), ms(r.Percentile(90)), ms(r.Percentile(99)), ms(r.Percentile(100)))
	}
	for _, r := range results {
		if r.Late > 0 {
			fmt.Fprintf(&b, "\n%s at %d: %d requests were acknowledged late (\"Working on it…\") and answered through response_url.\n", r.Server, r.Concurrency, r.Late)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
}

// Run runs the load of o and returns a result per run, in order; on an
// error (or when ctx is done) it returns the runs finished so far. Every
// server it started is closed and every temporary file removed when it
// returns.
func Run(ctx context.Context, o Options) ([]Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	stub, err := startSlackStub()
	if err != nil {
		return nil, err
	}
	defer stub.Close()
	if o.Target != "" {
		return runTarget(ctx, o, stub)
	}
	secret := randomHex(16)
	var results []Result
	for _, c := range o.Concurrency {
		for _, full := range []bool{true, false} {
			r, err := runInProcess(ctx, o, full, c, secret, stub)
			if err != nil {
				return results, err
			}
			results = append(results, r)
		}
	}
	return results, nil
}

func (o *Options) validate() error {
	var problems []string
	if len(o.Concurrency) == 0 {
		problems = append(problems, "no concurrency given")
	}
	for _, c := range o.Concurrency {
		if c < 1 || c > maxConcurrency {
			problems = append(problems, fmt.Sprintf("concurrency %d is not between 1 and %d", c, maxConcurrency))
		}
	}
	if o.Requests < 1 {
		problems = append(problems, "-requests must be at least 1")
	}
	if o.Warmup < 0 {
		problems = append(problems, "-warmup must not be negative")
	}
	if o.Duration <= 0 {
		problems = append(problems, "-duration must be positive")
	}
	if o.Target != "" {
		if err := checkLoopbackURL(o.Target); err != nil {
			problems = append(problems, err.Error())
		}
		if o.Secret == "" {
			problems = append(problems, "-target needs the server's signing secret: -secret or SLACK_SIGNING_SECRET")
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// runInProcess runs one server (full or verify-only) at concurrency c.
func runInProcess(ctx context.Context, o Options, full bool, c int, secret string, stub *slackStub) (r Result, err error) {
	// Every goroutine started from here on (the server's, its committer's,
	// the clients') carries the server's name in a CPU profile, so that
	// `go tool pprof -tagfocus server=full` shows one server alone.
	name := "verify-only"
	if full {
		name = "full"
	}
	defer pprof.SetGoroutineLabels(ctx)
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("server", name)))
	dir, err := os.MkdirTemp("", "loadgen-")
	if err != nil {
		return r, err
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = rerr
		}
	}()
	var s *server
	if full {
		start := time.Now()
		s, err = startFull(ctx, dir, secret, stub)
		if err == nil {
			o.progress("full, concurrency %d: seeded %d leads of %d reps in %v", c, leads, reps, time.Since(start).Round(time.Millisecond))
		}
	} else {
		s, err = startVerifyOnly(secret)
	}
	if err != nil {
		return r, err
	}
	defer func() {
		if cerr := s.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	w := newWorkload("Company", secret, stub.URL()+"/response")
	o.progress("%s, concurrency %d: loading…", s.name, c)
	var commits0, updates0 uint64
	if s.db != nil {
		commits0, updates0 = s.db.CommitStats()
	}
	cpu0, wall0 := processCPU(), time.Now()
	r, err = load(ctx, s.name, s.url, w, c, o)
	if err != nil {
		return r, err
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		wall := time.Since(wall0)
		o.progress("%s, concurrency %d: %v of CPU in %v, %.2f cores busy, %.0f µs a request (server and clients)",
			s.name, c, cpu.Round(time.Millisecond), wall.Round(time.Millisecond), cpu.Seconds()/wall.Seconds(), float64(cpu.Microseconds())/float64(r.Requests+o.Warmup))
	}
	if s.db != nil {
		commits, updates := s.db.CommitStats()
		if n := commits - commits0; n > 0 {
			o.progress("%s, concurrency %d: %d writes in %d commits, %.1f a commit", s.name, c, updates-updates0, n, float64(updates-updates0)/float64(n))
		}
	}
	if o.inspect != nil && s.db != nil {
		s.wait()
		err = o.inspect(ctx, r, s.db)
	}
	return r, err
}

// workload makes the requests: signed slash commands, as Slack sends them.
type workload struct {
	secret string
	logs   [][]byte // the body of /log on lead i
	seeds  [][]byte // the body of /lead creating lead i (for -target)
}

// newWorkload names the leads "<prefix> 123 KK".
func newWorkload(prefix, secret, responseURL string) *workload {
	w := &workload{secret: secret, logs: make([][]byte, leads), seeds: make([][]byte, leads)}
	for i := range leads {
		w.logs[i] = commandBody(repID(i%reps), "/log", fmt.Sprintf(`call "%s %d" asked for pricing next:fri`, strings.ToLower(prefix), i), responseURL)
		w.seeds[i] = commandBody(repID(i%reps), "/lead", fmt.Sprintf(`"Person %d" company:"%s %d KK"`, i, prefix, i), responseURL)
	}
	return w
}

// repID names rep i: U0000 … U0049.
func repID(i int) string { return fmt.Sprintf("U%04d", i) }

// repName is how Slack names a rep (the stub's users.info agrees).
func repName(id string) string { return "rep" + strings.TrimPrefix(id, "U") }

// commandBody encodes a slash command the way Slack posts it.
func commandBody(user, command, text, responseURL string) []byte {
	v := []string{
		"token=loadgen",
		"team_id=T0LOADGEN", "team_domain=loadgen",
		"channel_id=C0LOADGEN", "channel_name=sales",
		"user_id=" + user, "user_name=" + repName(user),
		"command=" + url.QueryEscape(command), "text=" + url.QueryEscape(text),
		"api_app_id=A0LOADGEN", "is_enterprise_install=false",
		"response_url=" + url.QueryEscape(responseURL),
		"trigger_id=1.2.loadgen",
	}
	return []byte(strings.Join(v, "&"))
}

// load sends o.Warmup requests (for at most a fifth of o.Duration), then
// measures up to o.Requests for at most o.Duration, with c requests in
// flight.
func load(ctx context.Context, name, endpoint string, w *workload, c int, o Options) (Result, error) {
	client := newClient(c)
	defer client.CloseIdleConnections()
	r := Result{Server: name, Concurrency: c}
	if o.Warmup > 0 {
		p := shoot(ctx, client, endpoint, w, w.logs, c, 0, o.Warmup, time.Now().Add(o.Duration/5), nil)
		r.Warmup, r.WarmupErrors = p.sent, p.errors
		if err := ctx.Err(); err != nil {
			return r, err
		}
	}
	lat := make([]time.Duration, o.Requests)
	for i := range lat {
		lat[i] = -1
	}
	p := shoot(ctx, client, endpoint, w, w.logs, c, o.Warmup, o.Requests, time.Now().Add(o.Duration), lat)
	r.Requests, r.Errors, r.Late, r.Elapsed = p.sent, p.errors, p.late, p.elapsed
	// Keep the latencies of the answered requests; the others (not sent,
	// or not answered) are -1.
	lat = slices.DeleteFunc(lat, func(d time.Duration) bool { return d < 0 })
	slices.Sort(lat)
	r.Latencies = lat
	if p.firstErr != nil {
		o.progress("%s, concurrency %d: %d errors; the first: %v", name, c, r.Errors+r.WarmupErrors, p.firstErr)
	}
	return r, ctx.Err()
}

// phase is what shoot did.
type phase struct {
	sent, errors, late int
	elapsed            time.Duration
	firstErr           error
}

// shoot sends n requests, bodies[(first+i) % len(bodies)] for i < n, from c
// workers, and sends no more once deadline passes or ctx is done. When lat
// is not nil, shoot sets lat[i] to the latency of request i if it was
// answered, to -1 if it was sent but not answered.
func shoot(ctx context.Context, client *http.Client, endpoint string, w *workload, bodies [][]byte, c, first, n int, deadline time.Time, lat []time.Duration) phase {
	var (
		next          atomic.Int64
		sent, errs    atomic.Int64
		late          atomic.Int64
		firstErr      error
		firstErrOnce  sync.Once
		wg            sync.WaitGroup
		start         = time.Now()
		workingOnIt   = []byte("Working on it")
		errorInAnswer = []byte(":x:")
	)
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n || time.Now().After(deadline) {
					return
				}
				sent.Add(1)
				body := bodies[(first+i)%len(bodies)]
				d, status, answer, err := w.send(ctx, client, endpoint, body)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("status %d: %.200s", status, answer)
				} else if err == nil && bytes.Contains(answer, errorInAnswer) {
					err = fmt.Errorf("refused: %.300s", answer)
				}
				if err != nil {
					errs.Add(1)
					firstErrOnce.Do(func() { firstErr = err })
				} else if bytes.Contains(answer, workingOnIt) {
					late.Add(1)
				}
				if lat != nil {
					if status == 0 {
						d = -1
					}
					lat[i] = d
				}
			}
		})
	}
	wg.Wait()
	return phase{
		sent: int(sent.Load()), errors: int(errs.Load()), late: int(late.Load()),
		elapsed: time.Since(start), firstErr: firstErr,
	}
}

// send posts body signed now, and returns the time from sending it to
// having read the whole answer, the status (0 when there was no answer) and
// the answer.
func (w *workload) send(ctx context.Context, client *http.Client, endpoint string, body []byte) (time.Duration, int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return 0, 0, nil, err
	}
	ts, sig := slack.Sign(body, w.secret, time.Now())
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Slackbot 1.0 (+https://api.slack.com/robots)")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sig)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return time.Since(start), 0, nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return d, 0, nil, err
	}
	return d, resp.StatusCode, answer, nil
}

// newClient returns a client for c requests in flight that keeps c
// connections open (so that connection setup is not measured), dials
// loopback addresses only, and follows no redirect.
func newClient(c int) *http.Client {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		// Control sees the address after name resolution: the last word on
		// where a connection goes.
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("loadgen: refusing to connect to %s: loopback only", address)
			}
			return nil
		},
	}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			MaxIdleConns:        c,
			MaxIdleConnsPerHost: c,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// checkLoopbackURL accepts http(s) URLs of localhost, 127.0.0.0/8 or ::1.
func checkLoopbackURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("-target %q: %v", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("-target %q is not an http(s) URL: e.g. http://127.0.0.1:3000", s)
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-target %q: loadgen loads loopback servers only (localhost, 127.0.0.0/8, ::1), not %q", s, host)
}

func randomHex(n int) string {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return hex.EncodeToString(p)
}

func (o *Options) progress(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "loadgen: "+format+"\n", args...)
	}
}
