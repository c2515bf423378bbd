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
	m.loads.WithLabelValues("SUCCESS")
	m.loads.WithLabelValues("FAIL")
	m.reg.MustRegister(m.loads, m.queryTime, m.publishLatency, m.reconnects, m.bytes, m.version, m.querySeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe registers m's hooks on w; call it before w.Run.
func (m *Metrics) Observe(w *Worker) {
	w.OnRebuild(m.RecordRebuild)
	w.OnReconnect(m.RecordReconnect)
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
