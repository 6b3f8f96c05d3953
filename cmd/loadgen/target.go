package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// runTarget loads the running server at o.Target: it adds the leads over
// HTTP first, as their owners would, named for this run ("Loadgen 1a2b3c 123
// KK") so that a second run does not find its names ambiguous.
func runTarget(ctx context.Context, o Options, stub *slackStub) ([]Result, error) {
	endpoint := strings.TrimSuffix(o.Target, "/") + "/slack/commands"
	w := newWorkload("Loadgen "+randomHex(3), o.Secret, stub.URL()+"/response")
	o.progress("target %s: seeding %d leads of %d reps over HTTP…", o.Target, leads, reps)
	client := newClient(8)
	defer client.CloseIdleConnections()
	// One lead first, so that a wrong secret or address is one refusal, not
	// a thousand.
	deadline := time.Now().Add(time.Minute)
	for _, p := range []struct{ c, first, n int }{{1, 0, 1}, {8, 1, leads - 1}} {
		r := shoot(ctx, client, endpoint, w, w.seeds, p.c, p.first, p.n, deadline, nil)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r.firstErr != nil || r.sent < p.n {
			return nil, fmt.Errorf("target %s: seeding failed (%d of %d leads not added); the first error: %v", o.Target, r.errors+p.n-r.sent, p.n, r.firstErr)
		}
	}
	var results []Result
	for _, c := range o.Concurrency {
		o.progress("target, concurrency %d: loading…", c)
		r, err := load(ctx, "target", endpoint, w, c, o)
		if err != nil {
			return results, err
		}
		results = append(results, r)
	}
	return results, nil
}
