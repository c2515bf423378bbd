package cachestore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCheckRoundsShareTheNextRound: callers that arrive while a round is
// in flight do not take its answer (it may predate them) but share one
// round started after them; a caller alone runs its own at once.
func TestCheckRoundsShareTheNextRound(t *testing.T) {
	var c checkRounds
	var calls atomic.Int64
	var mu sync.Mutex
	var starts []time.Time
	gate := make(chan struct{})
	fetch := func(ctx context.Context, have, skip int64) (int64, []byte, error) {
		n := calls.Add(1)
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		if n == 1 {
			<-gate
		}
		return 10 * n, nil, nil
	}
	ctx := context.Background()
	first := make(chan int64)
	go func() {
		v, _, _ := c.do(ctx, 1, 0, fetch)
		first <- v
	}()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	arrived := time.Now()
	var wg sync.WaitGroup
	got := make([]int64, 5)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], _, _ = c.do(ctx, 1, 0, fetch)
		}()
	}
	time.Sleep(20 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d fetches while the first round is in flight, want 1", n)
	}
	close(gate)
	if v := <-first; v != 10 {
		t.Fatalf("first caller got %d", v)
	}
	wg.Wait()
	for i, v := range got {
		if v != 20 {
			t.Fatalf("caller %d got %d, want the second round's 20", i, v)
		}
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	if !starts[1].After(arrived) {
		t.Fatal("the shared round started before its callers arrived")
	}
	// Alone again: a round of its own, at once.
	if v, _, _ := c.do(ctx, 1, 0, fetch); v != 30 {
		t.Fatalf("alone: got %d", v)
	}
}

// TestCheckRoundsOtherParameters: a caller holding another version does
// not join a queued round for the held one, and a waiting caller stops
// when its context ends.
func TestCheckRoundsOtherParameters(t *testing.T) {
	var c checkRounds
	gate := make(chan struct{})
	var calls atomic.Int64
	fetch := func(ctx context.Context, have, skip int64) (int64, []byte, error) {
		if calls.Add(1) == 1 {
			<-gate
		}
		return have, nil, nil
	}
	ctx := context.Background()
	go func() { _, _, _ = c.do(ctx, 1, 0, fetch) }()
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// Queues the next round for have=1, and gives up when its context ends.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, _, err := c.do(cctx, 1, 0, fetch); err == nil {
		t.Fatal("a waiting caller outlived its context")
	}
	// have=2 cannot share the queued round: it fetches on its own.
	if v, _, _ := c.do(ctx, 2, 0, fetch); v != 2 {
		t.Fatalf("have=2 got %d", v)
	}
	close(gate)
}
