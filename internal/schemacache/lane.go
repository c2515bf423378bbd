package schemacache

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// secondLaneWait bounds how long Load waits for a second connection: a
// pool whose other connections are busy loads on one rather than queue.
const secondLaneWait = 50 * time.Millisecond

// snapshotID is the shape of pg_export_snapshot's result, checked before
// it is written into SET TRANSACTION SNAPSHOT (which takes no parameter).
var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f]+(-[0-9A-Fa-f]+)+$`)

// openSecondLane returns a READ ONLY transaction on another connection of
// db that sees exactly what tx sees (tx's snapshot exported and imported),
// with the same empty search_path, and the transaction to go on with on
// the first connection: tx, or a new one begun by begin when the export
// failed and aborted tx. The lane is nil when db is not a pool with a
// connection to spare within secondLaneWait, or when the snapshot cannot
// be exported or imported. Only failing to begin is an error.
func openSecondLane(ctx context.Context, db Beginner, tx pgx.Tx,
	begin func() (pgx.Tx, error)) (lane, first pgx.Tx, err error) {
	pool, ok := db.(*pgxpool.Pool)
	if !ok || pool.Config().MaxConns < 2 {
		return nil, tx, nil
	}
	var id string
	if err := tx.QueryRow(ctx, "SELECT pg_catalog.pg_export_snapshot()").Scan(&id); err != nil || !snapshotID.MatchString(id) {
		// Not exportable here (or an odd answer): one lane, in a new
		// transaction, since a failed statement aborted this one.
		_ = tx.Rollback(ctx)
		first, err := begin()
		return nil, first, err
	}
	wctx, cancel := context.WithTimeout(ctx, secondLaneWait)
	lane, err = pool.BeginTx(wctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	cancel()
	if err != nil {
		return nil, tx, nil
	}
	for _, q := range []string{"SET TRANSACTION SNAPSHOT '" + id + "'", "SET LOCAL search_path = ''"} {
		if _, err := lane.Exec(ctx, q); err != nil {
			_ = lane.Rollback(ctx)
			return nil, tx, nil
		}
	}
	return lane, tx, nil
}

// loadJob is one catalog query of a load, run on whichever lane is free;
// label names it in Timings.
type loadJob struct {
	label string
	run   func(tx pgx.Tx) error
}

// runJobs runs jobs on lanes, each lane taking the next job not taken, in
// order, so they are best listed longest first. After a failure no lane
// starts another job; the first error is returned once every lane is done
// (each uses ctx and its connection until then).
func runJobs(ctx context.Context, lanes []pgx.Tx, jobs []loadJob,
	step func(label string, f func() error) error) error {
	var next atomic.Int64
	var failed atomic.Bool
	errs := make([]error, len(lanes))
	var wg sync.WaitGroup
	for i, tx := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() && ctx.Err() == nil {
				j := int(next.Add(1)) - 1
				if j >= len(jobs) {
					return
				}
				if err := step(jobs[j].label, func() error { return jobs[j].run(tx) }); err != nil {
					errs[i] = err
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}
