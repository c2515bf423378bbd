package listenerworker

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// publishLatencyBuckets spans 1 ms (a NOTIFY on an idle worker, debounce
// skipped) to 10 s (a slow catalog behind several backoff retries), in
// seconds.
var publishLatencyBuckets = []float64{ //nolint:gochecknoglobals // constant bucket layout
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Metrics holds the worker's Prometheus metrics in a registry of its own,
// so several workers (or tests) in one process never collide on the global
// default registry.
//
// PostgREST's names are kept where PostgREST has the metric:
//
//   - pgrst_schema_cache_loads_total{status="SUCCESS"|"FAIL"}: counter of
//     rebuild attempts, as PostgREST counts schema cache loads.
//   - pgrst_schema_cache_query_time_seconds: gauge, duration of the last
//     successful rebuild (Started..Finished: catalog queries, encoding and
//     publish) in seconds. PostgREST sets it in milliseconds despite the
//     name; this one follows the name.
//
// The others are the worker's own:
//
//   - pgrst_schema_cache_publish_latency_seconds: histogram of
//     Requested..Finished of successful rebuilds, that is from the trigger
//     (a NOTIFY's arrival) to the new version being published, debounce
//     and retries included.
//   - pgrst_listener_reconnects_total: counter of LISTEN reconnections
//     after the connection was lost.
//   - pgrst_schema_cache_published_bytes: gauge, size of the last published
//     blob in bytes.
//   - pgrst_schema_cache_version: gauge, the last published version.
//   - pgrst_schema_cache_query_seconds{query}: gauge per introspection
//     query of the last successful rebuild, in seconds (the timings
//     PostgREST logs at debug level).
//
// The worker's role, Redis and the catalog fingerprint:
//
//   - pgrst_worker_leader: gauge, 1 while the worker holds the leader
//     lease, 0 otherwise (standing by or starting).
//   - pgrst_redis_errors_total: counter of failed Redis dials and commands
//     (a missing key is not a failure).
//   - pgrst_schema_cache_fingerprint_checks_total{result}: counter of
//     catalog fingerprint checks: unchanged, changed, skipped (a rebuild
//     was pending) or error.
//   - pgrst_schema_cache_missed_notifications_total: counter of schema
//     changes caught by the fingerprint check, that is made without a
//     notification reaching the worker.
//   - pgrst_schema_cache_fingerprint_checked_timestamp_seconds: gauge, Unix
//     time of the last fingerprint check.
//   - pgrst_db_notification_queue_usage: gauge, pg_notification_queue_usage()
//     at the last check (0 to 1).
//
// PostgREST's pool metrics (pgrst_db_pool_available, pgrst_db_pool_waiting,
// pgrst_db_pool_max, pgrst_db_pool_timeouts_total) describe the build pool
// of an observed worker whose database is a pgxpool.Pool.
//
// Go runtime (go_*) and process (process_*) metrics are included, as
// PostgREST exposes its runtime's ghc_* metrics.
type Metrics struct {
	reg            *prometheus.Registry
	loads          *prometheus.CounterVec
	queryTime      prometheus.Gauge
	publishLatency prometheus.Histogram
	reconnects     prometheus.Counter
	bytes          prometheus.Gauge
	version        prometheus.Gauge
	querySeconds   *prometheus.GaugeVec
	leader         prometheus.Gauge
	redisErrors    prometheus.Counter
	checks         *prometheus.CounterVec
	missed         prometheus.Counter
	checked        prometheus.Gauge
	queueUsage     prometheus.Gauge
}

// NewMetrics returns Metrics registered in a new registry. Both load
// statuses are exported at 0 from the start, so a FAIL rate can be computed
// before the first failure.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		loads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pgrst_schema_cache_loads_total",
			Help: "The total number of times the schema cache was loaded",
		}, []string{"status"}),
		queryTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pgrst_schema_cache_query_time_seconds",
			Help: "The query time in seconds of the last schema cache load",
		}),
		publishLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pgrst_schema_cache_publish_latency_seconds",
			Help:    "Time from a rebuild's trigger to the new schema cache version being published",
			Buckets: publishLatencyBuckets,
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pgrst_listener_reconnects_total",
			Help: "The total number of times the listener reconnected after losing its connection",
		}),
		bytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pgrst_schema_cache_published_bytes",
			Help: "Size in bytes of the last published schema cache",
		}),
		version: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "pgrst_schema_cache_version",
			Help: "The last published schema cache version",
		}),
		querySeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pgrst_schema_cache_query_seconds",
			Help: "Duration in seconds of each introspection query of the last successful schema cache load",
		}, []string{"query"}),
	}
	m.leader = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pgrst_worker_leader",
		Help: "1 while this worker holds the leader lease, 0 while it stands by",
	})
	m.redisErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pgrst_redis_errors_total",
		Help: "The total number of failed Redis dials and commands",
	})
	m.checks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pgrst_schema_cache_fingerprint_checks_total",
		Help: "The total number of catalog fingerprint checks, by result",
	}, []string{"result"})
	m.missed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pgrst_schema_cache_missed_notifications_total",
		Help: "The total number of schema changes caught by the fingerprint check without a notification",
	})
	m.checked = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pgrst_schema_cache_fingerprint_checked_timestamp_seconds",
		Help: "Unix time of the last catalog fingerprint check",
	})
	m.queueUsage = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "pgrst_db_notification_queue_usage",
		Help: "pg_notification_queue_usage() at the last fingerprint check",
	})
	m.loads.WithLabelValues("SUCCESS")
	m.loads.WithLabelValues("FAIL")
	for _, r := range []string{"unchanged", "changed", "skipped", "error"} {
		m.checks.WithLabelValues(r)
	}
	m.reg.MustRegister(m.loads, m.queryTime, m.publishLatency, m.reconnects, m.bytes, m.version, m.querySeconds,
		m.leader, m.redisErrors, m.checks, m.missed, m.checked, m.queueUsage,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe registers m's hooks on w; call it before w.Run. It also adds a
// hook counting errors to w's Redis client and, when w builds with a
// pgxpool.Pool, the pgrst_db_pool_* metrics (of the first worker observed).
func (m *Metrics) Observe(w *Worker) {
	w.OnRebuild(m.RecordRebuild)
	w.OnReconnect(m.RecordReconnect)
	w.OnRole(m.RecordRole)
	w.OnFingerprintCheck(m.RecordFingerprintCheck)
	w.store.Redis().AddHook(redisErrorHook{errors: m.redisErrors})
	if w.pool != nil {
		// A second observed worker's pool is not registered: the names are taken.
		_ = m.reg.Register(newPoolCollector(w.pool, w.waiting))
	}
}

// RecordRole sets pgrst_worker_leader.
func (m *Metrics) RecordRole(r Role) {
	if r == RoleLeader {
		m.leader.Set(1)
	} else {
		m.leader.Set(0)
	}
}

// RecordFingerprintCheck accounts for one catalog fingerprint check.
func (m *Metrics) RecordFingerprintCheck(c FingerprintCheck) {
	switch {
	case c.Err != nil:
		m.checks.WithLabelValues("error").Inc()
		return
	case c.Skipped:
		m.checks.WithLabelValues("skipped").Inc()
	case c.Changed:
		m.checks.WithLabelValues("changed").Inc()
		m.missed.Inc()
	default:
		m.checks.WithLabelValues("unchanged").Inc()
	}
	m.checked.Set(float64(c.At.UnixNano()) / 1e9)
	m.queueUsage.Set(c.QueueUsage)
}

// RecordRebuild accounts for one rebuild attempt. A failure only counts
// as a FAIL load: the gauges keep describing the version still published.
// A zero Requested (a rebuild nobody asked for) measures latency from
// Started.
func (m *Metrics) RecordRebuild(r cachestore.Rebuild) {
	if r.Err != nil {
		m.loads.WithLabelValues("FAIL").Inc()
		return
	}
	m.loads.WithLabelValues("SUCCESS").Inc()
	m.queryTime.Set(r.Finished.Sub(r.Started).Seconds())
	from := r.Requested
	if from.IsZero() {
		from = r.Started
	}
	m.publishLatency.Observe(r.Finished.Sub(from).Seconds())
	m.bytes.Set(float64(r.Bytes))
	m.version.Set(float64(r.Version))
	// Only the last load's queries: a query dropped from the loader must
	// not linger with a stale value.
	m.querySeconds.Reset()
	for q, ms := range r.QueryMs {
		m.querySeconds.WithLabelValues(q).Set(ms / 1000)
	}
}

// RecordReconnect counts one listener reconnection.
func (m *Metrics) RecordReconnect() { m.reconnects.Inc() }

// Handler serves the registry in the Prometheus exposition format chosen
// by the request's Accept header (text format by default).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
