package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// cacheCheck is a version check (CacheSource.Current) running beside the
// request's own work, or a lazy one run only when first waited for; wait
// returns its result, as often as asked.
type cacheCheck struct {
	ctx   context.Context
	cache CacheSource
	// running is set for a check started at once: wait waits for its
	// goroutine. A lazy check (nil) runs on its first wait and sets ran;
	// it is waited for by its request's goroutine only, so it needs no
	// lock: without one (a sync.Once's, or a WaitGroup in this struct) it
	// does not escape to the heap.
	running *runningCheck
	ran     bool

	snap    *snapshot.Snapshot
	version int64
	err     error
}

// runningCheck is a check started at once and what signals its end, in
// one allocation (a channel would be a second one per request).
type runningCheck struct {
	check cacheCheck
	done  sync.WaitGroup
}

// startCheck starts cache.Current in its own goroutine. A panic there is
// returned as an error rather than taking the process down: the request
// then stands on the memo, as it would on a failed Redis round trip.
func startCheck(ctx context.Context, cache CacheSource) *cacheCheck {
	r := &runningCheck{check: cacheCheck{ctx: ctx, cache: cache}}
	r.check.running = r
	r.done.Add(1)
	go func() {
		defer r.done.Done()
		r.check.run()
	}()
	return &r.check
}

// lazyCheck is a check that runs only if waited for, on the waiter's
// goroutine, which must be the request's own: a request on an untouched
// memo (PGRST_CACHE_LISTEN) asks Redis only before a write, after an
// error, or when a notice arrived.
func lazyCheck(ctx context.Context, cache CacheSource) *cacheCheck {
	return &cacheCheck{ctx: ctx, cache: cache}
}

func (c *cacheCheck) run() {
	defer func() {
		if p := recover(); p != nil {
			c.err = fmt.Errorf("schema cache check: %v", p)
		}
	}()
	c.snap, c.version, c.err = c.cache.Current(c.ctx)
}

// wait blocks until the check is done (running a lazy one first) and
// returns its snapshot, version and error.
func (c *cacheCheck) wait() (*snapshot.Snapshot, int64, error) {
	if c.running != nil {
		c.running.done.Wait()
	} else if !c.ran {
		c.ran = true
		c.run()
	}
	return c.snap, c.version, c.err
}
