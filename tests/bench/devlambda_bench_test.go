package bench

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/app"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// Load of BenchmarkDevLambda; the defaults are what `make bench` runs.
var (
	dlColdStarts = flag.Int("devlambda.cold", 5, "BenchmarkDevLambda: measured cold starts per server and catalog")            //nolint:gochecknoglobals
	dlRequests   = flag.Int("devlambda.requests", 1000, "BenchmarkDevLambda: measured warm requests per server and catalog")   //nolint:gochecknoglobals
	dlRounds     = flag.Int("devlambda.rounds", 5, "BenchmarkDevLambda: rounds the warm requests are split into, alternating") //nolint:gochecknoglobals
)

// dlPath is the simple read of the warm measurement (and of each cold
// start's first request): a primary key lookup on the catalog's first
// table, which is empty, so the body is [].
const dlPath = "/t00001?id=eq.1"

// dlWarmup is the number of unmeasured requests sent to each warm server
// before the rounds.
const dlWarmup = 100

// dlPoolSize is the in-process server's pool, as localdev.New's; the
// bootstrap uses its own (functions/api: 2). Requests here are one at a time.
const dlPoolSize = 10

// Servers of BenchmarkDevLambda.
const (
	dlInProcess = "in-process"
	dlLambda    = "dev-lambda"
)

// dlResult is one catalog's measurements.
type dlResult struct {
	cold map[string]dist
	// init is each dev-lambda cold start's init duration, as the Runtime
	// API logs it: process start to the first invocation/next.
	init dist
	warm map[string]dist
}

// BenchmarkDevLambda compares `make dev-lambda` with the in-process server
// on the synthetic catalogs, the schema cache of each published in Redis
// first. dev-lambda is the compiled bootstrap (built as dev.sh builds it)
// under localdev.RuntimeAPI behind a localdev.Gateway of kind HTTP API; the
// in-process server is what `make dev` serves, localdev.GatewayHandler →
// app.Invoker → app.Handler in this process. Cold start: a request sent to
// a gateway without a container (a new process) or to a handler not built
// yet (its pool, Redis client and Reader are built inside the timing), to
// its response. Warm: one request at a time to a warm container or handler.
func BenchmarkDevLambda(b *testing.B) {
	bin := buildBootstrap(b)
	res := map[int]*dlResult{}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			var r *dlResult
			for b.Loop() {
				r = measureDevLambda(b, bin, n)
			}
			b.ReportMetric(r.cold[dlLambda].ms(0.5), "cold-ms-median")
			b.ReportMetric(r.cold[dlInProcess].ms(0.5), "inproc-cold-ms-median")
			b.ReportMetric(r.warm[dlLambda].ms(0.5), "warm-ms-p50")
			b.ReportMetric(r.warm[dlInProcess].ms(0.5), "inproc-warm-ms-p50")
			res[n] = r
		})
	}
	printDevLambdaSummary(os.Stdout, res)
}

// buildBootstrap builds functions/api as `make dev-lambda` does (dev.sh:
// as `make build`, for this machine's architecture).
func buildBootstrap(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, "./functions/api")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build bootstrap: %v\n%s", err, out)
	}
	return bin
}

// measureDevLambda publishes the catalog's snapshot, then takes the cold
// starts of both servers (alternating, after one unmeasured start of each)
// and their warm latencies (rounds alternating).
func measureDevLambda(b *testing.B, bin string, n int) *dlResult {
	b.Helper()
	ctx := context.Background()
	db := catalog(b, n)
	vars := map[string]string{
		"PGRST_DB_URI":     strings.Replace(pg.URI(db), "//postgres@", "//authenticator@", 1),
		"PGRST_DB_SCHEMAS": "api", "PGRST_DB_ANON_ROLE": "web_anon",
		"REDIS_URL": rds.URL(), "PGRST_CACHE_KEY_PREFIX": fmt.Sprintf("bench_devlambda_%d", n),
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		b.Fatal(err)
	}
	// The listener worker's build: both servers then only read Redis.
	pool, err := pgpool.Connect(ctx, cfg.DBURI, 2)
	if err != nil {
		b.Fatal(err)
	}
	rdb, err := cachestore.DialConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if r := (&cachestore.Builder{Config: cfg, DB: pool, Store: cachestore.New(rdb, cfg.CacheKeyPrefix), WorkerID: "bench"}).Build(ctx, "bench"); r.Err != nil {
		b.Fatal(r.Err)
	}
	pool.Close()
	_ = rdb.Close()

	// The bootstrap's environment is only the function's variables, as on
	// Lambda (the Runtime API adds AWS_LAMBDA_*).
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	lambda := &dlLambdaServer{bin: bin, env: env}
	b.Cleanup(lambda.close)
	inproc := &dlInProcessServer{cfg: cfg}
	inproc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*inproc.h.Load()).ServeHTTP(w, r)
	}))
	b.Cleanup(func() { inproc.srv.Close(); inproc.close() })

	r := &dlResult{cold: map[string]dist{}, warm: map[string]dist{}}
	for i := range *dlColdStarts + 1 {
		runtime.GC()
		d, err := inproc.coldStart(ctx)
		if err != nil {
			b.Fatalf("in-process cold start: %v", err)
		}
		runtime.GC()
		dl, initD, err := lambda.coldStart()
		if err != nil {
			b.Fatalf("dev-lambda cold start: %v\nbootstrap output:\n%s", err, lambda.out.String())
		}
		if i > 0 { // the first of each primes the page cache and PostgreSQL
			r.cold[dlInProcess] = append(r.cold[dlInProcess], d)
			r.cold[dlLambda] = append(r.cold[dlLambda], dl)
			r.init = append(r.init, initD)
		}
	}

	urls := map[string]string{dlInProcess: inproc.srv.URL + dlPath, dlLambda: lambda.srv.URL + dlPath}
	clients := map[string]*http.Client{}
	for name := range urls {
		tr := &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}
		b.Cleanup(tr.CloseIdleConnections)
		clients[name] = &http.Client{Transport: tr}
		for range dlWarmup {
			if _, err := timedGet(clients[name], urls[name]); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
		}
	}
	perRound := max(*dlRequests/max(*dlRounds, 1), 1)
	for range max(*dlRounds, 1) {
		for _, name := range []string{dlInProcess, dlLambda} {
			runtime.GC()
			for range perRound {
				d, err := timedGet(clients[name], urls[name])
				if err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				r.warm[name] = append(r.warm[name], d)
			}
		}
	}
	if c := lambda.rt.Containers(); c != 1 {
		b.Fatalf("dev-lambda ran %d containers for serial requests, want 1", c)
	}
	return r
}

// timedGet sends GET url and reads the response, which must be a 200.
func timedGet(client *http.Client, url string) (time.Duration, error) {
	start := time.Now()
	res, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %d %s", url, res.StatusCode, body)
	}
	return d, nil
}

// dlInProcessServer is `make dev`'s request path on one catalog: an HTTP
// server whose handler is rebuilt for each cold start.
type dlInProcessServer struct {
	cfg     *config.Config
	srv     *httptest.Server
	h       atomic.Pointer[http.Handler]
	closers []func()
}

// coldStart builds a new handler as localdev.New builds the request side
// (pool, Redis client, Reader, app.Handler, Invoker, GatewayHandler) and
// sends it its first request: the time from the start of the build to the
// response. The previous handler's pool and client are closed first.
func (s *dlInProcessServer) coldStart(ctx context.Context) (time.Duration, error) {
	s.close()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	logger := logging.New(io.Discard, s.cfg.LogLevel)
	rdb, err := cachestore.DialConfig(s.cfg)
	if err != nil {
		return 0, err
	}
	s.closers = append(s.closers, func() { _ = rdb.Close() })
	store := cachestore.New(rdb, s.cfg.CacheKeyPrefix)
	store.Keep = s.cfg.CacheKeepVersions
	if store.Keys, err = cachestore.KeysFromConfig(s.cfg, "bench", logger); err != nil {
		return 0, err
	}
	pool, err := pgpool.Connect(ctx, s.cfg.DBURI, dlPoolSize)
	if err != nil {
		return 0, err
	}
	s.closers = append(s.closers, pool.Close)
	builder := &cachestore.Builder{Config: s.cfg, DB: pool, Store: store, WorkerID: "bench-inprocess", Logger: logger}
	h := localdev.GatewayHandler(app.NewInvoker(app.New(s.cfg, builder.NewReader(), pool, logger)).Invoke)
	s.h.Store(&h)
	if _, err := timedGet(client, s.srv.URL+dlPath); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// close releases the current handler's pool and Redis client.
func (s *dlInProcessServer) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}

// dlLambdaServer is `make dev-lambda` on one catalog: an HTTP API gateway
// in front of a Runtime API that is replaced for each cold start.
type dlLambdaServer struct {
	bin string
	env []string
	rt  *localdev.RuntimeAPI
	srv *httptest.Server
	out testharness.SyncBuffer
}

// coldStart stops the previous container, puts a new Runtime API (no
// container yet) behind a new gateway and sends it a request: the time
// from sending it to the response, which includes starting the process,
// and the init duration the Runtime API logs for that container.
func (s *dlLambdaServer) coldStart() (time.Duration, time.Duration, error) {
	s.close()
	inits := make(chan time.Duration, 1)
	s.out.Reset()
	s.rt = &localdev.RuntimeAPI{Bootstrap: s.bin, Env: s.env, Concurrency: 1, Output: &s.out,
		Logger: slog.New(coldStartHandler(inits))}
	s.srv = httptest.NewServer(&localdev.Gateway{Kind: localdev.HTTPAPI, Invoke: s.rt.Invoke})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	d, err := timedGet(client, s.srv.URL+dlPath)
	if err != nil {
		return 0, 0, err
	}
	select {
	case initD := <-inits:
		return d, initD, nil
	default:
		return 0, 0, fmt.Errorf("no cold start logged")
	}
}

// close stops the gateway and the container.
func (s *dlLambdaServer) close() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
	if s.rt != nil {
		s.rt.Close()
		s.rt = nil
	}
}

// coldStartHandler is a slog handler that sends the init_duration_ms of
// the Runtime API's "cold start" lines to ch and drops everything else.
type coldStartHandler chan time.Duration

func (h coldStartHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h coldStartHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h coldStartHandler) WithGroup(string) slog.Handler            { return h }
func (h coldStartHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "cold start" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "init_duration_ms" {
			select {
			case h <- time.Duration(a.Value.Float64() * float64(time.Millisecond)):
			default:
			}
			return false
		}
		return true
	})
	return nil
}

func printDevLambdaSummary(out io.Writer, res map[int]*dlResult) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	defer w.Flush()
	fmt.Fprintf(w, "\ndev-lambda (bootstrap under localdev.RuntimeAPI, HTTP API gateway) vs in-process (GatewayHandler -> Invoker -> app.Handler),\n"+
		"schema cache published in Redis before; GET %s; ratio = dev-lambda / in-process, same run (lower is better).\n"+
		"Cold: %d starts per server, alternating, after one unmeasured start of each; median (min-max).\n"+
		"  dev-lambda = request sent to a gateway with no container -> response (process start, init, first invocation);\n"+
		"  init = process start -> first invocation/next, as the Runtime API logs it;\n"+
		"  in-process = build pool, Redis client, Reader, handler -> first response.\n",
		dlPath, *dlColdStarts)
	fmt.Fprintln(w, "N\tin-process ms\tdev-lambda ms\tof which init ms\tcold ratio\t")
	for _, n := range sortedKeys(res) {
		r := res[n]
		ip, dl := r.cold[dlInProcess], r.cold[dlLambda]
		fmt.Fprintf(w, "%d\t%.1f (%.1f-%.1f)\t%.1f (%.1f-%.1f)\t%.1f\t%.2f\t\n", n, ip.ms(0.5), ip.ms(0), ip.ms(1),
			dl.ms(0.5), dl.ms(0), dl.ms(1), r.init.ms(0.5), dl.ms(0.5)/ip.ms(0.5))
	}
	fmt.Fprintf(w, "Warm: %d requests per server, one at a time over keep-alive HTTP, in %d rounds alternating the servers,\n"+
		"after %d unmeasured; dev-lambda's one warm container.\n", *dlRequests, *dlRounds, dlWarmup)
	fmt.Fprintln(w, "N\tin-process p50 ms\tp99 ms\tdev-lambda p50 ms\tp99 ms\tp50 ratio\tp99 ratio\t")
	for _, n := range sortedKeys(res) {
		ip, dl := res[n].warm[dlInProcess], res[n].warm[dlLambda]
		fmt.Fprintf(w, "%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.2f\t%.2f\t\n", n, ip.ms(0.5), ip.ms(0.99), dl.ms(0.5), dl.ms(0.99),
			dl.ms(0.5)/ip.ms(0.5), dl.ms(0.99)/ip.ms(0.99))
	}
}
