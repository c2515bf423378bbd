package listenerworker

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// Every test runs inside a synctest bubble, so time.Sleep advances a fake
// clock instantly and synctest.Wait replaces any real waiting.

// runRecorder records, relative to its creation, the fake time at which each
// action run started.
type runRecorder struct {
	start    time.Time
	duration time.Duration // how long each run takes, in fake time

	mu     sync.Mutex
	starts []time.Duration
}

func newRunRecorder(duration time.Duration) *runRecorder {
	return &runRecorder{start: time.Now(), duration: duration}
}

func (r *runRecorder) action(ctx context.Context) {
	r.mu.Lock()
	r.starts = append(r.starts, time.Since(r.start))
	r.mu.Unlock()
	if r.duration > 0 {
		select {
		case <-ctx.Done():
		case <-time.After(r.duration):
		}
	}
}

func (r *runRecorder) runs() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.starts)
}

// debounceBundle is a Debouncer running in the background of a bubble.
type debounceBundle struct {
	d      *Debouncer
	rec    *runRecorder
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned
}

// startDebouncer starts Run for a Debouncer with the PostgREST cooldown whose
// action takes actionTime. It must be called inside a synctest bubble. The
// loop is stopped when the test ends.
func startDebouncer(t *testing.T, actionTime time.Duration, beforeRun func(*Debouncer)) *debounceBundle {
	t.Helper()
	rec := newRunRecorder(actionTime)
	b := &debounceBundle{
		d:    NewDebouncer(rec.action, SchemaReloadCooldown),
		rec:  rec,
		done: make(chan struct{}),
	}
	if beforeRun != nil {
		beforeRun(b.d)
	}
	ctx, cancel := context.WithCancel(t.Context())
	b.cancel = cancel
	go func() {
		defer close(b.done)
		b.d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-b.done
	})
	synctest.Wait()
	return b
}

func requireRuns(t *testing.T, rec *runRecorder, want ...time.Duration) {
	t.Helper()
	if got := rec.runs(); !slices.Equal(got, want) {
		t.Fatalf("action started at %v, want %v", got, want)
	}
}

func requireReturned(t *testing.T, b *debounceBundle) {
	t.Helper()
	synctest.Wait()
	select {
	case <-b.done:
	default:
		t.Fatal("Run has not returned after its context was cancelled")
	}
}

func TestDebouncer(t *testing.T) {
	t.Parallel()

	const ms = time.Millisecond

	t.Run("SingleTriggerRunsOnceImmediately", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, 0, nil)
			requireRuns(t, b.rec)

			b.d.Trigger()
			synctest.Wait()
			requireRuns(t, b.rec, 0)

			time.Sleep(10 * SchemaReloadCooldown)
			requireRuns(t, b.rec, 0)
		})
	})

	t.Run("BurstCoalescesIntoOneTrailingRun", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, 0, nil)
			// 50 triggers, 2 ms apart: the whole burst fits in 100 ms.
			for i := range 50 {
				if i > 0 {
					time.Sleep(2 * ms)
				}
				b.d.Trigger()
			}
			synctest.Wait()
			requireRuns(t, b.rec, 0)

			time.Sleep(time.Second)
			requireRuns(t, b.rec, 0, SchemaReloadCooldown)
		})
	})

	t.Run("ConcurrentTriggersCoalesce", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, 0, nil)
			var wg sync.WaitGroup
			for range 50 {
				wg.Go(b.d.Trigger)
			}
			wg.Wait()
			time.Sleep(time.Second)
			requireRuns(t, b.rec, 0, SchemaReloadCooldown)
		})
	})

	t.Run("TriggerDuringSlowActionRunsOnceAfterActionAndCooldown", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, time.Second, nil)
			b.d.Trigger()
			synctest.Wait()
			requireRuns(t, b.rec, 0)

			// Triggers during the action and during the cooldown after it.
			time.Sleep(500 * ms)
			b.d.Trigger()
			b.d.Trigger()
			time.Sleep(550 * ms) // now 1.05 s: in the cooldown
			b.d.Trigger()
			synctest.Wait()
			requireRuns(t, b.rec, 0)

			time.Sleep(49 * ms) // 1.099 s: cooldown not over yet
			requireRuns(t, b.rec, 0)

			time.Sleep(5 * time.Second)
			requireRuns(t, b.rec, 0, time.Second+SchemaReloadCooldown)
		})
	})

	t.Run("TriggerDuringTrailingRunIsNotLost", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, time.Second, nil)
			b.d.Trigger()
			time.Sleep(500 * ms)
			b.d.Trigger()            // trailing run starts at 1.1 s
			time.Sleep(1100*ms + ms) // 1.601 s: inside the trailing run
			b.d.Trigger()
			time.Sleep(10 * time.Second)
			requireRuns(t, b.rec, 0, 1100*ms, 2200*ms)
		})
	})

	t.Run("SpreadOutTriggersRunOnceEach", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, 0, nil)
			const gap = SchemaReloadCooldown + 50*ms
			for i := range 4 {
				if i > 0 {
					time.Sleep(gap)
				}
				b.d.Trigger()
			}
			time.Sleep(time.Second)
			requireRuns(t, b.rec, 0, gap, 2*gap, 3*gap)
		})
	})

	t.Run("TriggerBeforeRunIsNotLost", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, 0, func(d *Debouncer) {
				d.Trigger()
				d.Trigger()
			})
			requireRuns(t, b.rec, 0)
			time.Sleep(time.Second)
			requireRuns(t, b.rec, 0)
		})
	})

	t.Run("CancelWhileIdleReturns", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			b := startDebouncer(t, 0, nil)
			b.cancel()
			requireReturned(t, b)
			requireRuns(t, b.rec)
		})
	})

	t.Run("CancelDuringCooldownReturnsAndDropsPendingTrigger", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			b := startDebouncer(t, 0, nil)
			b.d.Trigger()
			time.Sleep(50 * ms)
			b.d.Trigger() // pending for the trailing run
			b.cancel()
			requireReturned(t, b)
			if elapsed := time.Since(start); elapsed != 50*ms {
				t.Fatalf("Run returned after %v, want 50ms (mid-cooldown)", elapsed)
			}
			time.Sleep(time.Second)
			requireRuns(t, b.rec, 0)
		})
	})

	t.Run("CancelDuringActionReturnsWhenActionDoes", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			b := startDebouncer(t, time.Hour, nil)
			b.d.Trigger()
			time.Sleep(200 * ms)
			b.d.Trigger()
			b.cancel()
			requireReturned(t, b)
			if elapsed := time.Since(start); elapsed != 200*ms {
				t.Fatalf("Run returned after %v, want 200ms", elapsed)
			}
			requireRuns(t, b.rec, 0)
		})
	})

	t.Run("ZeroCooldownStillCoalesces", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			rec := newRunRecorder(time.Second)
			d := NewDebouncer(rec.action, 0)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go d.Run(ctx)
			d.Trigger()
			time.Sleep(500 * ms)
			d.Trigger()
			d.Trigger()
			time.Sleep(10 * time.Second)
			requireRuns(t, rec, 0, time.Second)
		})
	})
}
