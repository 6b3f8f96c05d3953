package fakeslack

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Stall says where a held call waits.
type Stall int

const (
	// BeforeRecord holds a call before the fake records or applies it. A held call whose
	// client goes away leaves no trace: a request that never reached Slack.
	BeforeRecord Stall = iota + 1
	// AfterRecord holds a call's answer after the fake recorded and applied it (a posted
	// message is in its conversation): Slack did the work and its answer is late, or lost
	// if the client goes away.
	AfterRecord
)

// Hold keeps calls of one method waiting, so a test can kill its client at a chosen moment
// of a call. Make one with Server.Hold.
type Hold struct {
	s        *Server
	method   string
	at       Stall
	released chan struct{}
	release  sync.Once

	// Under s.mu:
	pass      int    // calls still to let through
	held      []Call // calls that waited, in arrival order
	abandoned int    // held calls whose client went away
}

// Hold lets the next pass calls of method through, then holds every later one at stall until
// Release or until its client goes away. It replaces (and releases) an earlier hold of the
// same method. Injected failures and Handle still apply to a call once it goes on.
func (s *Server) Hold(method string, at Stall, pass int) *Hold {
	h := &Hold{s: s, method: method, at: at, pass: pass, released: make(chan struct{})}
	s.mu.Lock()
	old := s.holds[method]
	s.holds[method] = h
	s.mu.Unlock()
	if old != nil {
		old.Release()
	}
	return h
}

// Release lets every held call go on, and holds no more calls. It is safe to call twice.
func (h *Hold) Release() {
	h.release.Do(func() {
		h.s.mu.Lock()
		if h.s.holds[h.method] == h {
			delete(h.s.holds, h.method)
		}
		h.s.mu.Unlock()
		close(h.released)
	})
}

// Wait waits until n calls have been held and returns them as received (Time, Status and
// Error are those of a call that was not answered yet). It fails the test if they have not
// come within timeout.
func (h *Hold) Wait(n int, timeout time.Duration) []Call {
	h.s.tb.Helper()
	var got []Call
	if !h.s.waitUntil(timeout, func() bool {
		got = slices.Clone(h.held)
		return len(got) >= n
	}) {
		h.s.tb.Fatalf("fakeslack: %d %q calls held within %v, want %d", len(got), h.method, timeout, n)
	}
	return got[:n]
}

// WaitAbandoned waits until the clients of n held calls have gone away, failing the test if
// they have not within timeout.
func (h *Hold) WaitAbandoned(n int, timeout time.Duration) {
	h.s.tb.Helper()
	got := 0
	if !h.s.waitUntil(timeout, func() bool {
		got = h.abandoned
		return got >= n
	}) {
		h.s.tb.Fatalf("fakeslack: %d held %q calls abandoned within %v, want %d", got, h.method, timeout, n)
	}
}

// holding returns the hold that the current call of method must wait for at stall, if any.
func (s *Server) holding(method string, at Stall) *Hold {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.holds[method]
	if h == nil || h.at != at {
		return nil
	}
	if h.pass > 0 {
		h.pass--
		return nil
	}
	return h
}

// wait holds c until the hold is released or c's client goes away, and reports whether the
// client is still there.
func (h *Hold) wait(ctx context.Context, c Call) bool {
	h.s.mu.Lock()
	h.held = append(h.held, c)
	h.s.notifyLocked()
	h.s.mu.Unlock()
	select {
	case <-h.released:
	case <-ctx.Done():
	}
	if ctx.Err() == nil {
		return true
	}
	h.s.mu.Lock()
	h.abandoned++
	h.s.notifyLocked()
	h.s.mu.Unlock()
	return false
}
