package listenerworker

import (
	"context"
	"errors"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// poolStater is what the worker needs of a pgxpool.Pool for the
// pgrst_db_pool_* metrics.
type poolStater interface {
	Stat() *pgxpool.Stat
}

// waitCounter counts the connection requests in progress and those that
// gave up, for pgrst_db_pool_waiting and pgrst_db_pool_timeouts_total.
type waitCounter struct {
	waiting  atomic.Int64
	timeouts atomic.Int64
}

// countingDB is a schemacache.Beginner that counts, in waiting, the
// BeginTx calls that have not returned yet (acquiring a connection and
// beginning), and those that failed because their context ended.
type countingDB struct {
	db      schemacache.Beginner
	waiting *waitCounter
}

// BeginTx begins a transaction on the wrapped Beginner.
func (c countingDB) BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	c.waiting.waiting.Add(1)
	defer c.waiting.waiting.Add(-1)
	tx, err := c.db.BeginTx(ctx, opts)
	if err != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		c.waiting.timeouts.Add(1)
	}
	return tx, err
}

// poolCollector exports PostgREST's pool metrics (Metrics.hs) for the
// worker's build pool, read when scraped:
//
//   - pgrst_db_pool_available: idle connections, ready for use;
//   - pgrst_db_pool_waiting: requests for a connection not yet served;
//   - pgrst_db_pool_max: the pool's maximum size;
//   - pgrst_db_pool_timeouts_total: requests that gave up waiting.
type poolCollector struct {
	pool    poolStater
	waiting *waitCounter

	available, waitingDesc, max, timeouts *prometheus.Desc
}

func newPoolCollector(pool poolStater, waiting *waitCounter) *poolCollector {
	return &poolCollector{
		pool: pool, waiting: waiting,
		available:   prometheus.NewDesc("pgrst_db_pool_available", "Available connections in the pool", nil, nil),
		waitingDesc: prometheus.NewDesc("pgrst_db_pool_waiting", "Requests waiting to acquire a pool connection", nil, nil),
		max:         prometheus.NewDesc("pgrst_db_pool_max", "Max pool connections", nil, nil),
		timeouts:    prometheus.NewDesc("pgrst_db_pool_timeouts_total", "The total number of pool connection timeouts", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.available
	ch <- c.waitingDesc
	ch <- c.max
	ch <- c.timeouts
}

// Collect implements prometheus.Collector.
func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	var idle, maxConns float64
	if c.pool != nil {
		st := c.pool.Stat()
		idle, maxConns = float64(st.IdleConns()), float64(st.MaxConns())
	}
	ch <- prometheus.MustNewConstMetric(c.available, prometheus.GaugeValue, idle)
	ch <- prometheus.MustNewConstMetric(c.waitingDesc, prometheus.GaugeValue, float64(c.waiting.waiting.Load()))
	ch <- prometheus.MustNewConstMetric(c.max, prometheus.GaugeValue, maxConns)
	ch <- prometheus.MustNewConstMetric(c.timeouts, prometheus.CounterValue, float64(c.waiting.timeouts.Load()))
}
