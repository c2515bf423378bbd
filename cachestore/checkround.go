package cachestore

import (
	"context"
	"sync"
)

// checkRounds coalesces concurrent version checks without weakening
// them: a check must be a Redis read that starts after the caller asked,
// so a caller never joins a round already in flight (it may have started
// before the caller arrived). It waits for that round to end and joins
// the next one, started once for every caller that queued meanwhile. One
// caller at a time (a Lambda container) always runs its own round at
// once; under load, requests share rounds and Redis sees one GET per
// round trip time instead of one per request.
type checkRounds struct {
	mu      sync.Mutex
	running bool
	next    *checkRound
}

// checkRound is one Fetch shared by the callers that joined it.
type checkRound struct {
	have, skip int64
	done       chan struct{}
	version    int64
	blob       []byte
	err        error
}

// do returns fetch(ctx, have, skip), run by this caller when no round is
// in flight, else by the next round, which this caller joins; callers
// asking with other have or skip values than the queued round run their
// own fetch. A joined round runs without the caller's cancellation
// (bounded by probeTimeout); the caller stops waiting when ctx ends.
func (c *checkRounds) do(ctx context.Context, have, skip int64,
	fetch func(context.Context, int64, int64) (int64, []byte, error)) (int64, []byte, error) {
	c.mu.Lock()
	if !c.running {
		c.running = true
		c.mu.Unlock()
		v, blob, err := fetch(ctx, have, skip)
		c.finish(ctx, fetch)
		return v, blob, err
	}
	r := c.next
	if r == nil {
		r = &checkRound{have: have, skip: skip, done: make(chan struct{})}
		c.next = r
	} else if r.have != have || r.skip != skip {
		c.mu.Unlock()
		return fetch(ctx, have, skip)
	}
	c.mu.Unlock()
	select {
	case <-r.done:
		return r.version, r.blob, r.err
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
}

// finish ends the running round and starts the queued one, if any, in
// its own goroutine: the caller that ran the round does not wait for it.
func (c *checkRounds) finish(ctx context.Context, fetch func(context.Context, int64, int64) (int64, []byte, error)) {
	c.mu.Lock()
	r := c.next
	c.next = nil
	if r == nil {
		c.running = false
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	go func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
		r.version, r.blob, r.err = fetch(rctx, r.have, r.skip)
		cancel()
		close(r.done)
		c.finish(ctx, fetch)
	}()
}
