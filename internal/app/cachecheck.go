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
	// started marks a check started at once, done when it has finished
	// (a WaitGroup, not a channel: one allocation less per request). A
	// lazy check runs on its first wait and sets ran; it is waited for by
	// its request's goroutine only, so it needs no lock: without one (a
	// sync.Once's) it does not escape to the heap.
	started bool
	done    sync.WaitGroup
	ran     bool

	snap    *snapshot.Snapshot
	version int64
	err     error
}

// startCheck starts cache.Current in its own goroutine. A panic there is
// returned as an error rather than taking the process down: the request
// then stands on the memo, as it would on a failed Redis round trip.
func startCheck(ctx context.Context, cache CacheSource) *cacheCheck {
	c := &cacheCheck{ctx: ctx, cache: cache, started: true}
	c.done.Add(1)
	go func() {
		defer c.done.Done()
		c.run()
	}()
	return c
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
	if c.started {
		c.done.Wait()
	} else if !c.ran {
		c.ran = true
		c.run()
	}
	return c.snap, c.version, c.err
}
