package app

import (
	"context"
	"fmt"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// cacheCheck is a version check (CacheSource.Current) run at most once, on
// the request's goroutine: by the execution stage while the request's
// statements are in flight (overlap), or at its first wait. wait returns
// its result, as often as asked. It needs no lock, and without one (a
// sync.Once's or a WaitGroup's) it does not escape to the heap.
type cacheCheck struct {
	ctx   context.Context
	cache CacheSource
	// since is when the request arrived: the check may share a Redis read
	// begun after it (sinceSource); the zero time for a lazy check, whose
	// Reader, told of versions by notices, shares none.
	since time.Time
	ran   bool
	// overlap: the execution stage runs the check while the request's
	// statements are in flight (maintx.Run's whileSent).
	overlap bool

	snap    *snapshot.Snapshot
	version int64
	err     error
}

// lazyCheck is a check that runs only if waited for, on the waiter's
// goroutine, which must be the request's own: a request on an untouched
// memo (PGRST_CACHE_LISTEN) asks Redis only before a write, after an
// error, or when a notice arrived.
func lazyCheck(ctx context.Context, cache CacheSource) *cacheCheck {
	return &cacheCheck{ctx: ctx, cache: cache}
}

// overlappedCheck is a check that the execution stage runs once the
// request's statements are sent, before it reads their results: the Redis
// and the database round trips overlap without a goroutine of their own.
// A request that reaches no database round trip runs it at its first
// wait. A panic in the check is returned as its error: the request then
// stands on the memo, as it would on a failed Redis round trip.
func overlappedCheck(ctx context.Context, cache CacheSource, since time.Time) *cacheCheck {
	return &cacheCheck{ctx: ctx, cache: cache, since: since, overlap: true}
}

// sinceSource is a CacheSource whose check may share a Redis read begun
// after the request arrived (*cachestore.Reader).
type sinceSource interface {
	CurrentSince(ctx context.Context, since time.Time) (*snapshot.Snapshot, int64, error)
}

func (c *cacheCheck) run() {
	defer func() {
		if p := recover(); p != nil {
			c.err = fmt.Errorf("schema cache check: %v", p)
		}
	}()
	if s, ok := c.cache.(sinceSource); ok {
		c.snap, c.version, c.err = s.CurrentSince(c.ctx, c.since)
		return
	}
	c.snap, c.version, c.err = c.cache.Current(c.ctx)
}

// wait blocks until the check is done (running a lazy one first) and
// returns its snapshot, version and error.
func (c *cacheCheck) wait() (*snapshot.Snapshot, int64, error) {
	if !c.ran {
		c.ran = true
		c.run()
	}
	return c.snap, c.version, c.err
}
