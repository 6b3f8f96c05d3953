package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/touchbase/touchbase"
	"github.com/touchbase/touchbase/handlers"
	"github.com/touchbase/touchbase/store"
)

// measureDigestHeap runs this program again to compute the digest of the
// touchbase database at path and nothing else, and returns the peak heap of
// that process during the digest: touchbase's own, with none of the
// generator's or SQLite's memory beside it.
func measureDigestHeap(ctx context.Context, path string) (uint64, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	out, err := exec.CommandContext(ctx, exe, "-digest-heap", path).Output()
	if err != nil {
		return 0, fmt.Errorf("digest in a process of its own: %w", err)
	}
	var r struct{ Peak uint64 }
	if err := json.Unmarshal(out, &r); err != nil {
		return 0, fmt.Errorf("digest in a process of its own: %w", err)
	}
	return r.Peak, nil
}

// digestHeapChild is that process: it opens the database, computes the
// digest of the benchmark's week while sampling the heap, and writes the
// peak as JSON.
func digestHeapChild(path string, w io.Writer) error {
	db := store.NewDB(path)
	if err := db.Open(); err != nil {
		return err
	}
	defer db.Close()
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		return err
	}
	runtime.GC()
	mem := startHeapSampler(time.Millisecond)
	_, err = handlers.ComputeDigest(context.Background(), db, touchbase.DefaultConfig(), benchDay.In(tokyo), tokyo)
	peak := mem.stop()
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(struct{ Peak uint64 }{peak})
}

// heapSampler records the highest heap in use (live objects and those not
// yet swept, from runtime/metrics) by sampling it every few milliseconds
// from its own goroutine.
type heapSampler struct {
	mu   sync.Mutex
	s    []metrics.Sample
	max  uint64
	done chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler(every time.Duration) *heapSampler {
	h := &heapSampler{s: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}, done: make(chan struct{})}
	h.sample()
	h.wg.Go(func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.done:
				return
			case <-t.C:
				h.sample()
			}
		}
	})
	return h
}

func (h *heapSampler) sample() {
	h.mu.Lock()
	defer h.mu.Unlock()
	metrics.Read(h.s)
	h.max = max(h.max, h.s[0].Value.Uint64())
}

// peak returns the highest heap seen so far.
func (h *heapSampler) peak() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.max
}

// stop takes a last sample, stops sampling and returns the peak.
func (h *heapSampler) stop() uint64 {
	h.sample()
	close(h.done)
	h.wg.Wait()
	return h.peak()
}
