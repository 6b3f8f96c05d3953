// Command loadgen measures touchbase's signed slash-command path on the
// loopback interface, and prints one markdown table.
//
// For each concurrency it starts two servers in this process, one after the
// other, on 127.0.0.1:0:
//
//   - full: the HTTP wiring of `touchbase serve` on a fresh temporary
//     database seeded with 1,000 leads of 50 reps, its Slack client pointed
//     at a stub Slack on 127.0.0.1 (nothing leaves the machine). Each
//     request is a signed /log that is verified, parsed, resolved by name,
//     written in one durable bbolt transaction and answered.
//   - verify-only: the same server settings, signature check, form parsing
//     and command parsing, answering a fixed reply of similar size: the
//     baseline the full path is compared with.
//
// A run stops after -requests or -duration, whichever comes first, closes
// the servers, removes the temporary files and exits.
//
// Usage:
//
//	go run ./cmd/loadgen [-concurrency 50,200] [-requests 20000] [-duration 30s] [-warmup 500]
//	go run ./cmd/loadgen -target http://127.0.0.1:3000 -secret $SLACK_SIGNING_SECRET
//
// With -target it loads an already running `touchbase serve` instead, which
// must listen on a loopback address; it seeds that server's database over
// HTTP with 1,000 leads named for this run, so point it at a scratch
// database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := runMain(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// runMain parses the flags, runs the generator and prints the table to
// stdout; progress goes to stderr.
func runMain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	conc := fs.String("concurrency", "50,200", "comma-separated `list` of concurrencies; each gets its own servers")
	o := Options{}
	fs.IntVar(&o.Requests, "requests", 20000, "measured requests per server and concurrency, at most")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "measured time per server and concurrency, at most")
	fs.IntVar(&o.Warmup, "warmup", 500, "requests sent first and not measured")
	fs.StringVar(&o.Target, "target", "", "`URL` of a running touchbase serve on a loopback address to load instead (e.g. http://127.0.0.1:3000)")
	fs.StringVar(&o.Secret, "secret", "", "signing secret of -target (default $SLACK_SIGNING_SECRET)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var err error
	if o.Concurrency, err = parseList(*conc); err != nil {
		return err
	}
	if o.Target != "" && o.Secret == "" {
		o.Secret = strings.TrimSpace(os.Getenv("SLACK_SIGNING_SECRET"))
	}
	o.Progress = stderr
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	results, err := Run(ctx, o)
	if len(results) > 0 {
		if werr := WriteTable(stdout, results); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// parseList reads "50,200".
func parseList(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-concurrency %q: want positive numbers separated by commas, e.g. 50,200", s)
		}
		out = append(out, n)
	}
	return out, nil
}
