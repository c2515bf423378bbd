package listenerworker

import (
	"context"
	"time"
)

// SchemaReloadCooldown is the pause PostgREST takes after every schema cache
// load before it starts the next one (the threadDelay 100000 in its
// makeDebouncer call).
const SchemaReloadCooldown = 100 * time.Millisecond

// Debouncer runs an action on the leading edge of a burst of triggers and
// once more after the burst, mirroring PostgREST's makeDebouncer
// (src/library/PostgREST/Debounce.hs) as used for schema cache reloads.
//
// It is a one-slot flag drained by a single loop: take the flag, run the
// action, sleep the cooldown, repeat. Consequently:
//
//   - the first trigger while idle runs the action at once;
//   - any number of triggers that arrive while the action or its cooldown
//     is running coalesce into exactly one further run after the cooldown;
//   - no trigger is ever lost, and a burst causes at most two runs.
//
// The effective window is therefore "action duration + cooldown", not a
// fixed timer. The zero value is not usable; create one with NewDebouncer.
type Debouncer struct {
	action   func(ctx context.Context)
	cooldown time.Duration
	// flag holds at most one pending trigger; its capacity of one is what
	// coalesces a burst into a single trailing run.
	flag chan struct{}
}

// NewDebouncer returns a Debouncer that calls action, then waits cooldown
// before it may call action again. PostgREST uses SchemaReloadCooldown.
// A cooldown of zero or less means no pause between runs; triggers that
// arrive during a run still coalesce into one trailing run.
func NewDebouncer(action func(ctx context.Context), cooldown time.Duration) *Debouncer {
	return &Debouncer{
		action:   action,
		cooldown: cooldown,
		flag:     make(chan struct{}, 1),
	}
}

// Trigger asks for the action to run. It never blocks and is safe to call
// from any goroutine, including before Run starts: a pending trigger is kept
// until Run takes it. Calling it while a trigger is already pending is a
// no-op, like PostgREST's tryPutMVar.
func (d *Debouncer) Trigger() {
	select {
	case d.flag <- struct{}{}:
	default:
	}
}

// Reset drops a pending trigger, if any. A worker calls it when a new
// leadership term starts, so a trigger left from the previous term does not
// run before the term's own startup build.
func (d *Debouncer) Reset() {
	select {
	case <-d.flag:
	default:
	}
}

// Run executes the debounce loop until ctx is done, calling the action with
// ctx on the loop's goroutine. It returns as soon as ctx is done while idle or
// cooling down; if ctx ends during the action, Run returns once the action
// does, so the action should honour ctx. A pending trigger is not run after
// ctx is done. Run must not be called concurrently with itself.
func (d *Debouncer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.flag:
		}
		// Both cases may be ready at once; cancellation wins.
		if ctx.Err() != nil {
			return
		}
		d.action(ctx)
		if d.cooldown > 0 && !d.sleep(ctx) {
			return
		}
	}
}

// sleep waits out the cooldown and reports whether it did so before ctx ended.
func (d *Debouncer) sleep(ctx context.Context) bool {
	t := time.NewTimer(d.cooldown)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
