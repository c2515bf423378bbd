package cachestore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// checkRounds shares concurrent version checks without weakening them: a
// check must be a Redis read that starts after the caller's request
// arrived (since), so a caller joins a round in flight only when that
// round started after its request arrived; otherwise it starts a round of
// its own at once, which the requests arriving before it may join in
// turn. No caller waits for a round that may predate its request, and
// none queues behind one: one caller at a time (a Lambda container) runs
// its own round, without allocating; under load, the requests that
// arrived before a round began share it.
type checkRounds struct {
	mu  sync.Mutex
	seq uint64
	// inFlight are the rounds whose Fetch runs, in the order they began.
	inFlight []flight
}

// flight is a round in flight: when its Fetch was called, with what, and
// where it hands its result to the callers that joined it (made by the
// first of them, so a round nobody joins allocates nothing).
type flight struct {
	seq        uint64
	started    time.Time
	have, skip int64
	joined     *checkRound
}

// checkRound is the result of a round, for the callers that joined it.
type checkRound struct {
	done    chan struct{}
	version int64
	blob    []byte
	err     error
}

// do returns fetch(ctx, have, skip) for a caller whose request arrived at
// since (the zero time: a caller that may join no round in flight): the
// result of the latest round in flight asking with the same have and skip
// that began after since, else of a round of its own. A joining caller
// stops waiting when ctx ends; when the round it joined ended with its
// runner's cancellation, it runs a round of its own.
func (c *checkRounds) do(ctx context.Context, have, skip int64, since time.Time,
	fetch func(context.Context, int64, int64) (int64, []byte, error)) (int64, []byte, error) {
	c.mu.Lock()
	if j := c.joinable(have, skip, since); j != nil {
		c.mu.Unlock()
		select {
		case <-j.done:
			if j.err == nil || !(errors.Is(j.err, context.Canceled) || errors.Is(j.err, context.DeadlineExceeded)) {
				return j.version, j.blob, j.err
			}
			c.mu.Lock()
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
	c.seq++
	seq := c.seq
	c.inFlight = append(c.inFlight, flight{seq: seq, started: time.Now(), have: have, skip: skip})
	c.mu.Unlock()
	return c.run(ctx, seq, have, skip, fetch)
}

// errRoundAbandoned is what the callers that joined a round get when its
// fetch panicked.
var errRoundAbandoned = errors.New("fetch schema cache: the shared read was abandoned")

// run calls fetch for round seq and ends the round with its result, even
// when fetch panics: the round leaves inFlight and the callers that
// joined it get errRoundAbandoned instead of waiting on.
func (c *checkRounds) run(ctx context.Context, seq uint64, have, skip int64,
	fetch func(context.Context, int64, int64) (int64, []byte, error)) (v int64, blob []byte, err error) {
	err = errRoundAbandoned
	defer func() { c.end(seq, v, blob, err) }()
	return fetch(ctx, have, skip)
}

// end removes round seq from inFlight and hands its result to the callers
// that joined it.
func (c *checkRounds) end(seq uint64, v int64, blob []byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.inFlight {
		if c.inFlight[i].seq != seq {
			continue
		}
		if j := c.inFlight[i].joined; j != nil {
			j.version, j.blob, j.err = v, blob, err
			close(j.done)
		}
		c.inFlight = slices.Delete(c.inFlight, i, i+1)
		return
	}
}

// joinable returns where the latest round in flight asking with have and
// skip that began after since hands out its result, nil when there is
// none; c.mu is held.
func (c *checkRounds) joinable(have, skip int64, since time.Time) *checkRound {
	if since.IsZero() {
		return nil
	}
	for i := len(c.inFlight) - 1; i >= 0; i-- {
		f := &c.inFlight[i]
		if !f.started.After(since) {
			// The ones before it began earlier still.
			return nil
		}
		if f.have == have && f.skip == skip {
			if f.joined == nil {
				f.joined = &checkRound{done: make(chan struct{})}
			}
			return f.joined
		}
	}
	return nil
}
