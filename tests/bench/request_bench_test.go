package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/app"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// Load of BenchmarkRequestPath; the defaults are what `make bench` runs.
var (
	reqConcurrency = flag.Int("reqpath.concurrency", 8, "BenchmarkRequestPath: requests in flight")                       //nolint:gochecknoglobals
	reqDuration    = flag.Duration("reqpath.duration", 2*time.Second, "BenchmarkRequestPath: measured time per round")    //nolint:gochecknoglobals
	reqWarmup      = flag.Duration("reqpath.warmup", 500*time.Millisecond, "BenchmarkRequestPath: unmeasured time first") //nolint:gochecknoglobals
	reqRounds      = flag.Int("reqpath.rounds", 10, "BenchmarkRequestPath: rounds over all servers, alternating")         //nolint:gochecknoglobals
	reqRTT         = flag.Duration("reqpath.rtt", 300*time.Microsecond,                                                   //nolint:gochecknoglobals
		"BenchmarkRequestPath: round trip added to PostgreSQL and Redis by a loopback delay proxy (0: none)")
)

// reqPoolSize is the API pool of the local stack (localdev.New); the
// baseline gets a pool of the same size.
const reqPoolSize = 10

// The goals for our handler, against the baseline in the same run: this
// share of its requests per second, a p50 latency at most this ratio of
// its, and at most this many allocations per request served one at a time.
const (
	targetThroughput = 0.95
	targetP50        = 1.05
	targetAllocs     = 90
)

// reqPaths are the requests measured, on localdev/sample_schema.sql.
var reqPaths = []struct{ name, path string }{ //nolint:gochecknoglobals
	{"books", "/books?id=eq.1"},
	{"embed", "/authors?select=name,books(title,tags(name))&id=eq.1"},
}

// Servers, in the order each round runs them.
const (
	srvBaseline   = "baseline"
	srvDirect     = "direct"
	srvSerial     = "serial"
	srvRevalidate = "revalidate"
	srvListen     = "listen"
	srvLambda     = "lambda"
)

var reqServers = []string{srvBaseline, srvDirect, srvSerial, srvRevalidate, srvListen, srvLambda} //nolint:gochecknoglobals

var reqServerDesc = map[string]string{ //nolint:gochecknoglobals
	srvBaseline:   "baseline: net/http + pgxpool, fixed SQL",
	srvDirect:     "app.Handler, revalidate 0 (Redis per request, while the request's statements are in flight)",
	srvSerial:     "as direct, the Redis check before the request (the request path before the overlap)",
	srvRevalidate: "app.Handler, revalidate 1000 ms",
	srvListen:     "app.Handler, PGRST_CACHE_LISTEN (the check rides on the request's PostgreSQL round trip)",
	srvLambda:     "GatewayHandler -> Invoker -> app.Handler, revalidate 0",
}

// reqStacks numbers the sample databases (one per run of the benchmark).
var reqStacks atomic.Int64 //nolint:gochecknoglobals

// reqStack is what BenchmarkRequestPath serves: the sample schema behind
// our handlers and the baseline.
type reqStack struct {
	store    *cachestore.Store
	handlers map[string]http.Handler
	// baselines holds one baseline handler per request name.
	baselines map[string]http.Handler
}

// newReqStack loads the sample schema into its own database, publishes its
// schema cache to Redis and builds the handlers.
func newReqStack(b *testing.B) *reqStack {
	b.Helper()
	ctx := context.Background()
	db := sampleDatabase(b, "req_sample")
	network := networkVars(b, db, *reqRTT)
	cfg := sampleConfig(b, db, append(network, "PGRST_CACHE_REVALIDATE_MS", "0")...)
	cfgRevalidate := sampleConfig(b, db, append(network, "PGRST_CACHE_REVALIDATE_MS", "1000")...)
	cfgListen := sampleConfig(b, db, append(network, "PGRST_CACHE_LISTEN", "true")...)

	pool, err := pgpool.Connect(ctx, cfg.DBURI, reqPoolSize)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	rdb, err := cachestore.Dial(cfg.RedisURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	store := cachestore.New(rdb, cfg.CacheKeyPrefix)
	// The listener worker's build: the handlers then only read Redis.
	if r := (&cachestore.Builder{Config: cfg, DB: pool, Store: store, WorkerID: "bench"}).Build(ctx, "bench"); r.Err != nil {
		b.Fatal(r.Err)
	}
	// As functions/api: a JSON logger at the configured level (default
	// error, so no line per request), here writing nowhere.
	handler := func(cfg *config.Config, serial bool) *app.Handler {
		logger := logging.New(io.Discard, cfg.LogLevel)
		builder := &cachestore.Builder{Config: cfg, DB: pool, Store: store, WorkerID: "bench", Logger: logger}
		var src app.CacheSource = builder.NewReader()
		if serial {
			src = serialCheck{src}
		}
		return app.New(cfg, src, pool, logger)
	}
	direct := handler(cfg, false)
	// As functions/api with PGRST_CACHE_LISTEN: its own pool, listening.
	notices, listen := cachestore.Listening(cfgListen, nil)
	listenPool, err := pgpool.ConnectListening(ctx, cfgListen.DBURI, reqPoolSize, listen)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(listenPool.Close)
	listenBuilder := &cachestore.Builder{Config: cfgListen, DB: listenPool, Store: store, WorkerID: "bench"}
	listening := app.New(cfgListen, listenBuilder.NewListeningReader(notices), listenPool, logging.New(io.Discard, cfgListen.LogLevel))
	s := &reqStack{
		store: store,
		handlers: map[string]http.Handler{
			srvDirect:     direct,
			srvSerial:     handler(cfg, true),
			srvRevalidate: handler(cfgRevalidate, false),
			srvListen:     listening,
			srvLambda:     localdev.GatewayHandler(app.NewInvoker(handler(cfg, false)).Invoke),
		},
		baselines: map[string]http.Handler{},
	}

	basePool := baselinePool(b, cfg.DBURI)
	snap, _, err := builderReader(cfg, pool, store).Current(ctx)
	if err != nil {
		b.Fatal(err)
	}
	// The snapshot opens lazily; the baseline's statements are planned once
	// from the whole cache.
	whole, err := snap.Cache.Complete(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for _, rp := range reqPaths {
		st := plannedStatement(b, cfg, whole, snap.RoleSettings[cfg.DBAnonRole].Settings, rp.path)
		s.baselines[rp.name] = st.handler(basePool)
		// Same body from both, or the comparison is meaningless.
		ours, base := serve(direct, rp.path), serve(s.baselines[rp.name], rp.path)
		if ours.Code != http.StatusOK || base.Code != http.StatusOK || ours.Body.String() != base.Body.String() {
			b.Fatalf("%s: ours %d %q, baseline %d %q", rp.path, ours.Code, ours.Body, base.Code, base.Body)
		}
	}
	return s
}

// serialCheck hides the memo of a CacheSource, so the handler asks Redis
// before anything else on every request, as it did before the check ran
// beside the request.
type serialCheck struct{ app.CacheSource }

func (serialCheck) Memo() (*snapshot.Snapshot, int64, bool) { return nil, 0, false }

// networkVars returns PGRST_DB_URI and REDIS_URL overrides (name, value
// pairs for sampleConfig) that reach db's server and Redis through delay
// proxies adding rtt; none when rtt is 0.
func networkVars(b *testing.B, db string, rtt time.Duration) []string {
	b.Helper()
	if rtt <= 0 {
		return nil
	}
	through := func(raw string) string {
		u, err := url.Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		u.Host = startDelayProxy(b, u.Host, rtt)
		return u.String()
	}
	return []string{
		"PGRST_DB_URI", through(strings.Replace(pg.URI(db), "//postgres@", "//authenticator@", 1)),
		"REDIS_URL", through(rds.URL()),
	}
}

// sampleDatabase loads localdev/sample_schema.sql into a new database
// named prefix_N and returns its name.
func sampleDatabase(b *testing.B, prefix string) string {
	b.Helper()
	ctx := context.Background()
	db := fmt.Sprintf("%s_%d", prefix, reqStacks.Add(1))
	if err := pg.CreateDatabase(ctx, db); err != nil {
		b.Fatal(err)
	}
	schema, err := os.ReadFile("../../localdev/sample_schema.sql")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := connect(b, db).Exec(ctx, string(schema)+";ANALYZE"); err != nil {
		b.Fatalf("load sample schema: %v", err)
	}
	return db
}

// sampleConfig is the configuration of a handler on db (schema api, anon
// role web_anon, its own key prefix) with extra variables as name, value
// pairs.
func sampleConfig(b *testing.B, db string, extra ...string) *config.Config {
	b.Helper()
	vars := map[string]string{
		"PGRST_DB_URI":     strings.Replace(pg.URI(db), "//postgres@", "//authenticator@", 1),
		"PGRST_DB_SCHEMAS": "api", "PGRST_DB_ANON_ROLE": "web_anon",
		"REDIS_URL": rds.URL(), "PGRST_CACHE_KEY_PREFIX": "bench_" + db,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		vars[extra[i]] = extra[i+1]
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

func builderReader(cfg *config.Config, pool *pgxpool.Pool, store *cachestore.Store) *cachestore.Reader {
	return (&cachestore.Builder{Config: cfg, DB: pool, Store: store, WorkerID: "bench"}).NewReader()
}

// baselinePool is a pool like pgpool.Connect's: same size, exec mode.
func baselinePool(b *testing.B, uri string) *pgxpool.Pool {
	b.Helper()
	pcfg, err := pgxpool.ParseConfig(uri)
	if err != nil {
		b.Fatal(err)
	}
	pcfg.MaxConns = reqPoolSize
	pcfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// statement is what our handler sends to PostgreSQL for one request: the
// transaction's settings statement and the planned statement.
type statement struct {
	preSQL  string
	preArgs []any
	sql     string
	args    []any
}

// plannedStatement runs our parse → plan → query once for path and
// returns the statements maintx.Execute sends for it.
func plannedStatement(b *testing.B, cfg *config.Config, sc *schemacache.SchemaCache, roleSettings map[string]string, path string) statement {
	b.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	req, perr := apirequest.Parse(r, nil, cfg.DBSchemas)
	if perr != nil {
		b.Fatal(perr)
	}
	a, perr := plan.New(req, sc, plan.Env{Config: cfg, Role: cfg.DBAnonRole,
		RoleSettings: config.RoleSettings{Settings: roleSettings}})
	if perr != nil {
		b.Fatal(perr)
	}
	q, perr := query.Build(a)
	if perr != nil {
		b.Fatal(perr)
	}
	if q.CountPlan != nil || a.Checks.Any() || q.Scan != query.ScanMain {
		b.Fatalf("%s: the baseline only runs a plain read", path)
	}
	// maintx.Execute's settings statement, for a request of the load
	// generator (its only header is the Go client's User-Agent).
	tx := a.Tx
	tx.Headers = `{"user-agent":"Go-http-client/1.1"}`
	preSQL, preArgs := query.PreQuery(tx)
	return statement{preSQL: preSQL, preArgs: preArgs, sql: q.Main.SQL, args: q.Main.Args}
}

// handler is the baseline server: whatever the request, it runs st in one
// pipelined round trip (BEGIN, settings, statement, COMMIT) as
// maintx.Execute does, and writes the body.
func (st statement) handler(pool *pgxpool.Pool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		conn, err := pool.Acquire(ctx)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer conn.Release()
		var (
			rows, inserted   *int64
			total            int64
			body, guch, gucs *string
		)
		batch := &pgx.Batch{}
		batch.Queue("BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY")
		batch.Queue(st.preSQL, st.preArgs...)
		batch.Queue(st.sql, st.args...).QueryRow(func(row pgx.Row) error {
			return row.Scan(&rows, &total, &body, &guch, &gucs, &inserted)
		})
		batch.Queue("COMMIT")
		if err := conn.SendBatch(ctx, batch).Close(); err != nil || body == nil {
			http.Error(w, fmt.Sprint(err), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, *body)
	})
}

func serve(h http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// loadResult is one fixed-duration run of the load generator.
type loadResult struct {
	requests int
	elapsed  time.Duration
	lat      dist
	// cpu is the CPU time used during the measured time.
	cpu cpuSample
}

func (l loadResult) rps() float64 { return float64(l.requests) / l.elapsed.Seconds() }

// drive sends GET url from conc workers over keep-alive connections for
// warmup+measure, counting only the requests that started after the warm-up
// and finished within the measured time.
func drive(url string, conc int, warmup, measure time.Duration) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	begin := time.Now()
	from, until := begin.Add(warmup), begin.Add(warmup+measure)
	lats := make([]dist, conc)
	errs := make([]error, conc)
	var wg sync.WaitGroup
	for i := range conc {
		wg.Go(func() {
			lat := make(dist, 0, 1<<16)
			for {
				start := time.Now()
				if !start.Before(until) {
					break
				}
				res, err := client.Get(url)
				if err != nil {
					errs[i] = err
					return
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					errs[i] = fmt.Errorf("GET %s: status %d", url, res.StatusCode)
					return
				}
				if end := time.Now(); !start.Before(from) && !end.After(until) {
					lat = append(lat, end.Sub(start))
				}
			}
			lats[i] = lat
		})
	}
	time.Sleep(time.Until(from))
	c0 := sampleCPU()
	time.Sleep(time.Until(until))
	c1 := sampleCPU()
	wg.Wait()
	out := loadResult{elapsed: measure, cpu: c1.sub(c0)}
	for i := range conc {
		if errs[i] != nil {
			return out, errs[i]
		}
		out.lat = append(out.lat, lats[i]...)
	}
	out.requests = len(out.lat)
	return out, nil
}

// serialCost is a handler's cost per request when called directly
// (ServeHTTP into a ResponseRecorder, one at a time, no HTTP).
type serialCost struct {
	perReq        time.Duration
	allocs, bytes float64
}

// measureSerial measures each handler n times per round, the handlers
// alternating, and keeps each one's fastest round: the machine's other
// work only ever adds time.
func measureSerial(handlers map[string]http.Handler, path string, rounds, n int) map[string]serialCost {
	out := map[string]serialCost{}
	for name, h := range handlers {
		for range n / 10 {
			serve(h, path)
		}
		out[name] = serialCost{perReq: time.Hour}
	}
	for range rounds {
		for _, name := range reqServers {
			h, ok := handlers[name]
			if !ok {
				continue
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			for range n {
				serve(h, path)
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			c := out[name]
			c.perReq = min(c.perReq, elapsed/time.Duration(n))
			c.allocs = float64(after.Mallocs-before.Mallocs) / float64(n)
			c.bytes = float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
			out[name] = c
		}
	}
	return out
}

// redisRoundTrip is the fastest of rounds of n calls of what the Reader
// does per request with revalidation off: Store.Fetch of a version it
// already holds (no blob comes back).
func redisRoundTrip(store *cachestore.Store, rounds, n int) (time.Duration, error) {
	ctx := context.Background()
	version, err := store.Current(ctx)
	if err != nil {
		return 0, err
	}
	best := time.Hour
	for range rounds {
		start := time.Now()
		for range n {
			if _, blob, err := store.Fetch(ctx, version, 0); err != nil || blob != nil {
				return 0, fmt.Errorf("fetch: %v, %d bytes", err, len(blob))
			}
		}
		best = min(best, time.Since(start)/time.Duration(n))
	}
	return best, nil
}

// reqKey names one server on one request.
type reqKey struct{ request, server string }

// BenchmarkRequestPath serves two requests on the sample schema from our
// handler (directly, with cache revalidation, and through the Lambda event
// conversion) and from a minimal baseline running the same SQL, all over
// loopback HTTP with the same load generator, and prints requests/s and
// latency as ratios to the baseline, plus each handler's serial cost and
// allocations per request. Each server runs once per round and the rounds
// alternate them, so a busy spell of the machine hits all of them.
func BenchmarkRequestPath(b *testing.B) {
	s := newReqStack(b)
	runs := map[reqKey][]loadResult{}
	serial := map[reqKey]serialCost{}
	for _, rp := range reqPaths {
		b.Run(rp.name, func(b *testing.B) {
			handlers := map[string]http.Handler{srvBaseline: s.baselines[rp.name]}
			for k, h := range s.handlers {
				handlers[k] = h
			}
			servers := map[string]*httptest.Server{}
			for _, name := range reqServers {
				servers[name] = httptest.NewServer(handlers[name])
				b.Cleanup(servers[name].Close)
			}
			for round := range *reqRounds {
				// Each round starts with the next server, so none always
				// runs first (after the idle moment between rounds) or
				// right after the same neighbour.
				for j := range reqServers {
					name := reqServers[(j+round)%len(reqServers)]
					b.Run(name, func(b *testing.B) {
						runtime.GC()
						var res loadResult
						for b.Loop() {
							var err error
							if res, err = drive(servers[name].URL+rp.path, *reqConcurrency, *reqWarmup, *reqDuration); err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(1e9/res.rps(), "ns/op")
						b.ReportMetric(res.rps(), "req/s")
						b.ReportMetric(res.lat.ms(0.5), "p50-ms")
						b.ReportMetric(res.lat.ms(0.99), "p99-ms")
						k := reqKey{rp.name, name}
						runs[k] = append(runs[k], res)
					})
				}
			}
			// Only the servers -bench selected (all, in `make bench`).
			ran := map[string]http.Handler{}
			for _, name := range reqServers {
				if len(runs[reqKey{rp.name, name}]) > 0 {
					ran[name] = handlers[name]
				}
			}
			for name, c := range measureSerial(ran, rp.path, 5, 400) {
				serial[reqKey{rp.name, name}] = c
			}
		})
	}
	rt, err := redisRoundTrip(s.store, 5, 1000)
	if err != nil {
		b.Fatal(err)
	}
	printRequestSummary(os.Stdout, runs, serial, rt)
}

func printRequestSummary(out io.Writer, runs map[reqKey][]loadResult, serial map[reqKey]serialCost, redisRT time.Duration) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer w.Flush()
	fmt.Fprintf(w, "\nRequest path over loopback HTTP, sample schema: %d connections, %v measured after %v warm-up, per server and round;\n"+
		"PostgreSQL and Redis behind loopback delay proxies adding a %v round trip (all servers, the baseline too);\n"+
		"servers alternate within each round; all runs share one in-process load generator and the 2 cores.\n"+
		"ratio = ours / baseline (req/s: higher is better; p50, p99: lower is better), over all rounds pooled;\n"+
		"round ratios = median (min-max) of the ratios to the baseline's run in the same round, which the machine's drift\n"+
		"between rounds does not move; targets, on the round medians: req/s ratio >= %.2f, p50 ratio <= %.2f.\n",
		*reqConcurrency, *reqDuration, *reqWarmup, *reqRTT, targetThroughput, targetP50)
	fmt.Fprintln(w, "request\tserver\truns\treq/s\tp50 ms\tp99 ms\treq/s ratio\tp50 ratio\tp99 ratio\treq/s round ratios\tp50 round ratios\ttargets met\t")
	for _, rp := range reqPaths {
		base, ok := pooled(runs[reqKey{rp.name, srvBaseline}])
		for _, name := range reqServers {
			rs := runs[reqKey{rp.name, name}]
			if len(rs) == 0 {
				continue
			}
			r, _ := pooled(rs)
			ratio, p50, p99, roundRPS, roundP50, verdictS := "-", "-", "-", "-", "-", "-"
			if ok && name != srvBaseline {
				ratio = fmt.Sprintf("%.3f", r.rps()/base.rps())
				p50 = fmt.Sprintf("%.2f", r.lat.ms(0.5)/base.lat.ms(0.5))
				p99 = fmt.Sprintf("%.2f", r.lat.ms(0.99)/base.lat.ms(0.99))
				if rr, pr := roundRatios(rs, runs[reqKey{rp.name, srvBaseline}]); len(rr) > 0 {
					roundRPS, roundP50 = rr.String("%.3f"), pr.String("%.2f")
					verdictS = verdict(rr.median() >= targetThroughput && pr.median() <= targetP50)
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%d\t%.0f\t%.3f\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", rp.name, name, len(rs), r.rps(),
				r.lat.ms(0.5), r.lat.ms(0.99), ratio, p50, p99, roundRPS, roundP50, verdictS)
		}
	}
	fmt.Fprintln(w, "\nCPU per request during the measured time (µs): go = this process (server and load generator),\n"+
		"postgres and redis = the servers it started, own = their sum, proxies = the delay proxies (the simulated network),\n"+
		"other = the rest of the machine (other work on it); idle = share of both cores unused.\n"+
		"own ratio = baseline own / ours own: the throughput ratio on a machine doing nothing else, over a network that costs no CPU.")
	fmt.Fprintln(w, "request\tserver\tgo\tpostgres\tredis\town\tproxies\tother\tidle\town ratio\t")
	for _, rp := range reqPaths {
		base, _ := pooled(runs[reqKey{rp.name, srvBaseline}])
		baseOwn := base.cpu.own() / float64(max(base.requests, 1))
		for _, name := range reqServers {
			rs := runs[reqKey{rp.name, name}]
			if len(rs) == 0 {
				continue
			}
			r, _ := pooled(rs)
			if !r.cpu.ok || r.requests == 0 {
				continue
			}
			c, n := r.cpu, float64(r.requests)
			us := func(d time.Duration) float64 { return float64(d.Microseconds()) / n }
			ratio := "-"
			if name != srvBaseline && base.cpu.ok && baseOwn > 0 {
				ratio = fmt.Sprintf("%.3f", baseOwn/(c.own()/n))
			}
			fmt.Fprintf(w, "%s\t%s\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f%%\t%s\t\n", rp.name, name, us(c.goProc), us(c.postgres),
				us(c.redis), c.own()/n, us(c.proxy), us(max(c.busy-c.goProc-c.postgres-c.redis-c.proxy, 0)),
				100*float64(c.idle)/float64(c.busy+c.idle), ratio)
		}
	}
	if len(serial) > 0 {
		fmt.Fprintln(w, "\nOne request at a time, ServeHTTP into an httptest.ResponseRecorder (no HTTP, no load generator);\n"+
			"fastest of 5 rounds of 400 requests, the servers alternating; target: allocations per request <= "+fmt.Sprint(targetAllocs)+":")
		fmt.Fprintln(w, "request\tserver\tµs/req\tallocs/req\tbytes/req\tµs over baseline\t<= "+fmt.Sprint(targetAllocs)+" allocs\t")
		for _, rp := range reqPaths {
			base, ok := serial[reqKey{rp.name, srvBaseline}]
			for _, name := range reqServers {
				c, found := serial[reqKey{rp.name, name}]
				if !found {
					continue
				}
				extra, met := "-", "-"
				if ok && name != srvBaseline {
					extra, met = fmt.Sprintf("%+.1f", float64(c.perReq-base.perReq)/1e3), verdict(c.allocs <= targetAllocs)
				}
				fmt.Fprintf(w, "%s\t%s\t%.1f\t%.1f\t%.0f\t%s\t%s\t\n", rp.name, name, float64(c.perReq)/1e3, c.allocs, c.bytes, extra, met)
			}
		}
		fmt.Fprintf(w, "Redis round trip of the cache check alone (Store.Fetch of the held version), one at a time: %.1f µs\n",
			float64(redisRT)/1e3)
	}
	fmt.Fprintln(w, "\nservers:")
	for _, name := range reqServers {
		fmt.Fprintf(w, "  %s = %s\n", name, reqServerDesc[name])
	}
}

// pooled merges the rounds of one server: all their requests over their
// total measured time, and all their latencies.
func pooled(rs []loadResult) (loadResult, bool) {
	out := loadResult{cpu: cpuSample{ok: true}}
	for _, r := range rs {
		out.requests += r.requests
		out.elapsed += r.elapsed
		out.lat = append(out.lat, r.lat...)
		out.cpu = out.cpu.add(r.cpu)
	}
	out.lat = slices.Clip(out.lat)
	return out, len(rs) > 0
}

// ratios are per-round ratios of one server to the baseline.
type ratios []float64

// roundRatios pairs the runs of a server with the baseline's runs of the
// same rounds (both lists are in round order; a round either lacks is
// left out) and returns the req/s and p50 ratios of each pair.
func roundRatios(rs, base []loadResult) (rps, p50 ratios) {
	for i := range min(len(rs), len(base)) {
		if rs[i].requests == 0 || base[i].requests == 0 {
			continue
		}
		rps = append(rps, rs[i].rps()/base[i].rps())
		p50 = append(p50, rs[i].lat.ms(0.5)/base[i].lat.ms(0.5))
	}
	return rps, p50
}

// median is the middle ratio (the mean of the two middle ones for an even
// count); NaN for none.
func (r ratios) median() float64 {
	if len(r) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(r))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// String formats the median and range with verb, e.g. "0.961 (0.902-1.010)".
func (r ratios) String(verb string) string {
	return fmt.Sprintf(verb+" ("+verb+"-"+verb+")", r.median(), slices.Min(r), slices.Max(r))
}
