package app

import (
	"context"
	"fmt"

	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// cacheCheck is a version check (CacheSource.Current) running beside the
// request's own work; wait returns its result, as often as asked.
type cacheCheck struct {
	done    chan struct{}
	snap    *snapshot.Snapshot
	version int64
	err     error
}

// startCheck starts cache.Current in its own goroutine. A panic there is
// returned as an error rather than taking the process down: the request
// then stands on the memo, as it would on a failed Redis round trip.
func startCheck(ctx context.Context, cache CacheSource) *cacheCheck {
	c := &cacheCheck{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		defer func() {
			if p := recover(); p != nil {
				c.err = fmt.Errorf("schema cache check: %v", p)
			}
		}()
		c.snap, c.version, c.err = cache.Current(ctx)
	}()
	return c
}

// wait blocks until the check is done and returns its snapshot, version
// and error.
func (c *cacheCheck) wait() (*snapshot.Snapshot, int64, error) {
	<-c.done
	return c.snap, c.version, c.err
}
