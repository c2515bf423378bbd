package cachestore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// gatedFetch is a fetch whose calls each block until released, answering
// 10 × their number (1, 2, …).
type gatedFetch struct {
	calls atomic.Int64
	gates [8]chan struct{}
}

func newGatedFetch() *gatedFetch {
	g := &gatedFetch{}
	for i := range g.gates {
		g.gates[i] = make(chan struct{})
	}
	return g
}

func (g *gatedFetch) fetch(ctx context.Context, have, skip int64) (int64, []byte, error) {
	n := g.calls.Add(1)
	select {
	case <-g.gates[n-1]:
	case <-ctx.Done():
		return 0, nil, fmt.Errorf("fetch schema cache: %w", ctx.Err())
	}
	return 10 * n, nil, nil
}

// waitCalls waits until n fetches have begun.
func (g *gatedFetch) waitCalls(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); g.calls.Load() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d fetches began, want %d", g.calls.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCheckRoundsAlone: one caller at a time runs a round of its own, at
// once and without allocating.
func TestCheckRoundsAlone(t *testing.T) {
	var c checkRounds
	var n int64
	fetch := func(context.Context, int64, int64) (int64, []byte, error) { n++; return n, nil, nil }
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		if v, _, _ := c.do(ctx, 1, 0, time.Now(), fetch); v != want {
			t.Fatalf("call %d got %d", want, v)
		}
	}
	since := time.Now()
	if a := testing.AllocsPerRun(100, func() { _, _, _ = c.do(ctx, 1, 0, since, fetch) }); a != 0 {
		t.Errorf("a round nobody joins allocates %.0f times", a)
	}
}

// TestCheckRoundsJoinARoundSentAfterArrival: callers whose requests
// arrived before a round in flight began share it; one whose request
// arrived after it began never gets its answer: it starts a round of its
// own at once instead of waiting, and the callers that arrived before that
// one share it in turn.
func TestCheckRoundsJoinARoundSentAfterArrival(t *testing.T) {
	var c checkRounds
	g := newGatedFetch()
	ctx := context.Background()
	early := time.Now()
	time.Sleep(2 * time.Millisecond)
	first := make(chan int64)
	go func() {
		v, _, _ := c.do(ctx, 1, 0, early, g.fetch)
		first <- v
	}()
	g.waitCalls(t, 1)
	time.Sleep(2 * time.Millisecond)
	late := time.Now()
	time.Sleep(2 * time.Millisecond)
	var wg sync.WaitGroup
	var gotEarly, gotLate [3]int64
	for i := range 3 {
		wg.Go(func() { gotEarly[i], _, _ = c.do(ctx, 1, 0, early, g.fetch) })
	}
	// The first late caller starts round 2 (round 1 may predate its
	// request); the others, which arrived before round 2 began, share it.
	wg.Go(func() { gotLate[0], _, _ = c.do(ctx, 1, 0, late, g.fetch) })
	g.waitCalls(t, 2)
	for i := 1; i < 3; i++ {
		wg.Go(func() { gotLate[i], _, _ = c.do(ctx, 1, 0, late, g.fetch) })
	}
	time.Sleep(20 * time.Millisecond)
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	// Round 2 may end before round 1: nobody waits for an older round.
	close(g.gates[1])
	close(g.gates[0])
	if v := <-first; v != 10 {
		t.Fatalf("first caller got %d", v)
	}
	wg.Wait()
	for i := range 3 {
		// Both rounds began after the early callers arrived: either will do.
		if gotEarly[i] != 10 && gotEarly[i] != 20 {
			t.Errorf("early caller %d got %d, want round 1's 10 or round 2's 20", i, gotEarly[i])
		}
		if gotLate[i] != 20 {
			t.Errorf("late caller %d got %d, want round 2's 20", i, gotLate[i])
		}
	}
	if n := g.calls.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	if len(c.inFlight) != 0 {
		t.Fatalf("%d rounds left in flight", len(c.inFlight))
	}
}

// TestCheckRoundsOtherParameters: a caller holding another version, or
// without an arrival time, shares no round; a joined caller stops
// waiting when its context ends, and one whose round ended with its
// runner's cancellation runs a round of its own.
func TestCheckRoundsOtherParameters(t *testing.T) {
	var c checkRounds
	g := newGatedFetch()
	ctx := context.Background()
	early := time.Now()
	time.Sleep(2 * time.Millisecond)
	rctx, cancelRunner := context.WithCancel(ctx)
	go func() { _, _, _ = c.do(rctx, 1, 0, early, g.fetch) }()
	g.waitCalls(t, 1)

	close(g.gates[1])
	if v, _, _ := c.do(ctx, 2, 0, early, g.fetch); v != 20 {
		t.Fatalf("have=2 got %d, want a round of its own", v)
	}
	close(g.gates[2])
	if v, _, _ := c.do(ctx, 1, 0, time.Time{}, g.fetch); v != 30 {
		t.Fatalf("no arrival time: got %d, want a round of its own", v)
	}

	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, err := c.do(cctx, 1, 0, early, g.fetch); err == nil {
		t.Fatal("a joined caller outlived its context")
	}

	got := make(chan int64)
	go func() {
		v, _, _ := c.do(ctx, 1, 0, early, g.fetch)
		got <- v
	}()
	time.Sleep(10 * time.Millisecond)
	close(g.gates[3])
	cancelRunner()
	if v := <-got; v != 40 {
		t.Fatalf("after its round's runner was cancelled, a joined caller got %d, want a round of its own", v)
	}
}

// TestCheckRoundsPanickedFetch: a round whose fetch panics still ends:
// the caller that joined it gets an error instead of waiting on, and the
// round leaves inFlight.
func TestCheckRoundsPanickedFetch(t *testing.T) {
	var c checkRounds
	gate := make(chan struct{})
	fetch := func(context.Context, int64, int64) (int64, []byte, error) {
		<-gate
		panic("fetch broke")
	}
	ctx := context.Background()
	early := time.Now()
	time.Sleep(2 * time.Millisecond)
	go func() {
		defer func() { _ = recover() }()
		_, _, _ = c.do(ctx, 1, 0, early, fetch)
	}()
	for {
		c.mu.Lock()
		n := len(c.inFlight)
		c.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	joined := make(chan error)
	go func() {
		_, _, err := c.do(ctx, 1, 0, early, func(context.Context, int64, int64) (int64, []byte, error) {
			return 0, nil, nil
		})
		joined <- err
	}()
	time.Sleep(10 * time.Millisecond)
	close(gate)
	select {
	case err := <-joined:
		if !errors.Is(err, errRoundAbandoned) {
			t.Fatalf("the joined caller got %v, want errRoundAbandoned", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the joined caller still waits for a round whose fetch panicked")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.inFlight) != 0 {
		t.Fatalf("%d rounds left in flight", len(c.inFlight))
	}
}
