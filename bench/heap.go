package main

import (
	"runtime/metrics"
	"sync"
	"time"
)

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
