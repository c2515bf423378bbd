package listenerworker

import (
	"context"
	"time"
)

// RunBefore runs w as Run does, but ends margin before ctx's deadline: the
// leader then stops listening and releases the leader lease, so a standby
// polling for it takes over within a tenth of the lease TTL and starts its
// term with a full rebuild (trigger "startup", after its LISTEN), which
// covers any NOTIFY sent while nobody listened. A standby that has not got
// the lease by then just returns. Without a deadline on ctx, RunBefore is
// Run. It is the loop of a worker inside a time-limited invocation (the
// WorkerFunction, functions/worker), where invocations overlap and each
// hands the lease to the next.
func (w *Worker) RunBefore(ctx context.Context, margin time.Duration) error {
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-margin))
		defer cancel()
	}
	return w.Run(ctx)
}
