package listenerworker

import (
	"context"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// awaitLease blocks until this worker holds the leader lease (true) or ctx
// ends (false). A standby polls ten times per TTL, so it takes over within
// a tenth of the TTL of the lease expiring or being released.
func (w *Worker) awaitLease(ctx context.Context) bool {
	logged := false
	for {
		ok, err := w.store.Acquire(ctx, cachestore.LeaderLease, w.holder, w.LeaseTTL)
		if ok {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		w.mu.Lock()
		hooks := append([]func(error){}, w.onLease...)
		w.mu.Unlock()
		for _, f := range hooks {
			f(err)
		}
		switch {
		case err != nil:
			w.logger.Error("cannot reach the cache store for the leader lease", "error", err.Error())
		case !logged:
			holder, _ := w.store.Holder(ctx, cachestore.LeaderLease)
			w.logger.Info("standing by", "worker_id", w.id, "leader", holder)
			w.emitRole(RoleStandby)
			logged = true
		}
		if !sleep(ctx, w.LeaseTTL/10) {
			return false
		}
	}
}

// keepLease renews the lease every third of its TTL and calls lose when
// another worker holds it or when renewals have failed for a whole TTL
// (Redis unreachable: the lease may have expired and been taken).
func (w *Worker) keepLease(ctx context.Context, lose func()) {
	last := time.Now()
	for sleep(ctx, w.LeaseTTL/3) {
		ok, err := w.store.Acquire(ctx, cachestore.LeaderLease, w.holder, w.LeaseTTL)
		switch {
		case ok:
			last = time.Now()
		case err == nil:
			w.logger.Error("lost the leader lease to another worker", "worker_id", w.id)
			lose()
			return
		case time.Since(last) >= w.LeaseTTL:
			w.logger.Error("could not renew the leader lease", "worker_id", w.id, "error", err.Error())
			lose()
			return
		}
	}
}

// subscribeReloads takes reload requests published on the cache store's
// reload channel (pgrst-cache reload, or PUBLISH '{pgrst}:reload' 'reload
// schema') and handles them like NOTIFY payloads, for platforms where
// neither signals nor NOTIFY reach the worker. It resubscribes after errors.
func (w *Worker) subscribeReloads(ctx context.Context) {
	for ctx.Err() == nil {
		sub := w.store.Redis().Subscribe(ctx, w.store.ReloadChannel())
		// ReceiveMessage does not return on cancellation while it waits on
		// the connection: closing the subscription ends it.
		stop := context.AfterFunc(ctx, func() { _ = sub.Close() })
		for {
			msg, err := sub.ReceiveMessage(ctx)
			if err != nil {
				break
			}
			w.handleRequest(msg.Payload, "manual")
		}
		stop()
		_ = sub.Close()
		sleep(ctx, time.Second)
	}
}
