package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/klauspost/compress/zstd"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// sizes are the catalog sizes (tables) the upstream figures exist for.
var sizes = []int{100, 1000, 5000} //nolint:gochecknoglobals

// notifyN is the catalog size of the NOTIFY benchmark.
const notifyN = 1000

var loadOpts = schemacache.LoadOptions{Schemas: []string{"api"}} //nolint:gochecknoglobals

func connect(b *testing.B, db string) *pgx.Conn {
	b.Helper()
	conn, err := pgx.Connect(context.Background(), pg.URI(db))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func load(b *testing.B, conn *pgx.Conn) *schemacache.SchemaCache {
	b.Helper()
	sc, err := schemacache.Load(context.Background(), conn, loadOpts)
	if err != nil {
		b.Fatal(err)
	}
	return sc
}

// cacheFor returns a schema cache of the catalog of size n: the last one
// BenchmarkIntrospection built, or a new one. Large catalogs take seconds to
// introspect, so the other benchmarks share it.
func cacheFor(b *testing.B, n int) *schemacache.SchemaCache {
	b.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if sc := loaded[n]; sc != nil {
		return sc
	}
	loaded[n] = load(b, connect(b, catalog(b, n)))
	return loaded[n]
}

var (
	loadedMu sync.Mutex                           //nolint:gochecknoglobals
	loaded   = map[int]*schemacache.SchemaCache{} //nolint:gochecknoglobals
)

func reportDist(b *testing.B, prefix string, d dist) {
	b.ReportMetric(d.ms(0.5), prefix+"ms-median")
	b.ReportMetric(d.ms(0), prefix+"ms-min")
}

// BenchmarkIntrospection is a full schemacache.Load on a warm connection,
// the counterpart of upstream's querySchemaCache on the same catalog.
func BenchmarkIntrospection(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			conn := connect(b, catalog(b, n))
			// The upstream figures are for a warm connection: fill its
			// relcache and plan caches first.
			load(b, conn)
			var d dist
			var sc *schemacache.SchemaCache
			queries := map[string][]float64{}
			for b.Loop() {
				start := time.Now()
				sc = load(b, conn)
				d = append(d, time.Since(start))
				for label, ms := range sc.Timings {
					queries[label] = append(queries[label], ms)
				}
			}
			loadedMu.Lock()
			loaded[n] = sc
			loadedMu.Unlock()
			reportDist(b, "", d)
			medians := map[string]float64{}
			for label, v := range queries {
				medians[label] = medianF(v)
				b.ReportMetric(medians[label], label+"-ms")
			}
			record(func(r *summary) { r.intro[n] = introResult{d, medians} })
		})
	}
}

// BenchmarkEncode is snapshot.EncodeCache; it reports the blob size.
func BenchmarkEncode(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			sc := cacheFor(b, n)
			var d dist
			var blob []byte
			for b.Loop() {
				start := time.Now()
				var err error
				if blob, err = snapshot.EncodeCache(sc); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(start))
			}
			reportDist(b, "", d)
			b.ReportMetric(float64(len(blob)), "blob-bytes")
			record(func(r *summary) { r.blob[n] = blobResult{len(blob), d} })
		})
	}
}

// BenchmarkDecode is snapshot.DecodeCache alone on the blob of each
// catalog, with its allocations; it reports the blob size.
func BenchmarkDecode(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			blob, err := snapshot.EncodeCache(cacheFor(b, n))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(blob)))
			for b.Loop() {
				if _, err := snapshot.DecodeCache(blob); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(blob)), "blob-bytes")
		})
	}
}

// BenchmarkColdRead is what a request function with no cache (or an old
// version) does before its first request to one table, in two ways on
// the same published version: "whole" fetches every key of the version
// (Store.Blob: head and all sections) and decodes it all
// (snapshot.DecodeWith), what the format before sections did with one
// blob; "first" (what the Reader and the handler do now) fetches the head
// (Store.Fetch), opens it (snapshot.Open) and loads the one section of
// the table the request names (SchemaCache.Prefetch, one MGET). It
// reports both, the bytes each reads from Redis and their zstd sizes.
func BenchmarkColdRead(b *testing.B) {
	ctx := context.Background()
	for _, n := range sizes {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			blob, err := snapshot.EncodeCache(cacheFor(b, n))
			if err != nil {
				b.Fatal(err)
			}
			rdb, err := cachestore.Dial(rds.URL())
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = rdb.Close() })
			store := cachestore.New(rdb, fmt.Sprintf("bench_cold_%d", n))
			version, err := store.Reserve(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := store.Publish(ctx, version, blob, cachestore.Meta{Trigger: "bench"}); err != nil {
				b.Fatal(err)
			}
			// A warm container keeps its Redis connection: open it first.
			if _, _, err := store.Fetch(ctx, 0, 0); err != nil {
				b.Fatal(err)
			}
			qi := schemacache.QI{Schema: "api", Name: "t00001"}
			var fetch, decode, total, first dist
			var firstBytes int
			for b.Loop() {
				start := time.Now()
				got, err := store.Blob(ctx, version)
				if err != nil || len(got) != len(blob) {
					b.Fatalf("fetch: %d bytes, %v", len(got), err)
				}
				mid := time.Now()
				if _, err := snapshot.DecodeCache(got); err != nil {
					b.Fatal(err)
				}
				end := time.Now()
				fetch, decode, total = append(fetch, mid.Sub(start)), append(decode, end.Sub(mid)), append(total, end.Sub(start))

				start = time.Now()
				v, head, err := store.Fetch(ctx, 0, 0)
				if err != nil {
					b.Fatal(err)
				}
				var secBytes int
				snap, err := snapshot.Open(head, nil, func(ctx context.Context, idx []int) ([][]byte, error) {
					secs, err := store.Sections(ctx, v, idx)
					for _, s := range secs {
						secBytes += len(s)
					}
					return secs, err
				}, nil)
				if err != nil {
					b.Fatal(err)
				}
				view := snap.Cache.View()
				if err := view.Prefetch(ctx, qi); err != nil || view.Table(qi) == nil {
					b.Fatalf("first request's table: %v", err)
				}
				first = append(first, time.Since(start))
				firstBytes = len(head) + secBytes
			}
			reportDist(b, "", total)
			b.ReportMetric(fetch.ms(0.5), "fetch-ms-median")
			b.ReportMetric(decode.ms(0.5), "decode-ms-median")
			b.ReportMetric(first.ms(0.5), "first-ms-median")
			b.ReportMetric(first.ms(0), "first-ms-min")
			b.ReportMetric(float64(firstBytes), "first-bytes")
			b.ReportMetric(float64(len(blob)), "whole-bytes")
			head, secs, _ := snapshot.SplitBlob(blob)
			sec := secs[schemacache.SectionOf(qi, len(secs)-1)]
			zw, zh, zs := zstdSize(blob), zstdSize(head), zstdSize(sec)
			b.ReportMetric(float64(zw), "whole-zstd-bytes")
			b.ReportMetric(float64(zh+zs), "first-zstd-bytes")
			record(func(r *summary) {
				r.cold[n] = coldResult{fetch, decode, total}
				r.first[n] = firstResult{first, firstBytes, len(blob), zh + zs, zw, len(head), len(secs) - 1}
			})
		})
	}
}

// zstdSize is the length of b compressed by zstd at the default level.
func zstdSize(b []byte) int {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	return len(enc.EncodeAll(b, nil))
}

// reloadPause is longer than the worker's pause after each rebuild (100 ms,
// as PostgREST), so every NOTIFY starts a rebuild at once.
const reloadPause = 200 * time.Millisecond

// pollInterval spaces the requests that wait for the new table: a busy
// loop would take one of the two cores from the rebuild it is timing.
const pollInterval = time.Millisecond

// BenchmarkNotifyToVisible runs the whole stack (listener worker, Redis,
// request function behind HTTP) on the N=1000 catalog and measures from
// sending NOTIFY pgrst to the first request that sees a table created just
// before it, against the rebuild time the worker reports.
func BenchmarkNotifyToVisible(b *testing.B) {
	ctx := context.Background()
	db := catalog(b, notifyN)
	ddl := connect(b, db)
	vars := map[string]string{
		"PGRST_DB_URI":     strings.Replace(pg.URI(db), "//postgres@", "//authenticator@", 1),
		"PGRST_DB_SCHEMAS": "api", "PGRST_DB_ANON_ROLE": "web_anon",
		"REDIS_URL": rds.URL(), "PGRST_CACHE_KEY_PREFIX": "bench_notify",
	}
	cfg, err := config.FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		b.Fatal(err)
	}
	stack, err := localdev.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	built := make(chan cachestore.Rebuild, 100)
	stack.Worker.OnRebuild(func(r cachestore.Rebuild) { built <- r })
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = stack.Worker.Run(runCtx) }()
	api := httptest.NewServer(stack.HTTP)
	var created []string
	b.Cleanup(func() {
		api.Close()
		cancel()
		// Bounded waits: a worker that misses the cancellation must not
		// hang the run; closing the stack's clients unblocks it too.
		stopped := func() bool {
			select {
			case <-done:
				return true
			case <-time.After(5 * time.Second):
				return false
			}
		}
		if !stopped() {
			b.Log("listener worker still running 5 s after cancel; closing the stack under it")
			stack.Close()
			if !stopped() {
				b.Log("listener worker did not stop")
			}
		} else {
			stack.Close()
		}
		if len(created) > 0 {
			_, _ = ddl.Exec(context.Background(), "DROP TABLE "+strings.Join(created, ", "))
		}
	})
	waitBuild := func(trigger string) cachestore.Rebuild {
		select {
		case r := <-built:
			if r.Err != nil || r.Trigger != trigger {
				b.Fatalf("rebuild %q: %v, want trigger %q", r.Trigger, r.Err, trigger)
			}
			return r
		case <-time.After(30 * time.Second):
			b.Fatalf("no %s rebuild within 30 s", trigger)
		}
		return cachestore.Rebuild{}
	}
	get := func(path string) int {
		res, err := http.Get(api.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res.StatusCode
	}
	exec := func(sql string) {
		if _, err := ddl.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	waitBuild("startup")
	get("/t00001?limit=1") // the request function's first, cold read

	var visible, rebuild, overhead, delivery, toVisible dist
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		table := fmt.Sprintf("bench_new_%d", i)
		exec("CREATE TABLE api." + table + " (id int)")
		created = append(created, "api."+table)
		if st := get("/" + table); st != http.StatusNotFound {
			b.Fatalf("GET /%s before NOTIFY: %d, want 404", table, st)
		}
		time.Sleep(reloadPause)
		b.StartTimer()

		start := time.Now()
		exec("NOTIFY pgrst")
		for get("/"+table) != http.StatusOK {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("GET /%s: not 200 within 30 s of NOTIFY", table)
			}
			time.Sleep(pollInterval)
		}
		vis := time.Since(start)

		b.StopTimer()
		r := waitBuild("notify")
		rb := r.Finished.Sub(r.Started)
		visible, rebuild, overhead = append(visible, vis), append(rebuild, rb), append(overhead, vis-rb)
		delivery = append(delivery, r.Requested.Sub(start))
		toVisible = append(toVisible, start.Add(vis).Sub(r.Finished))
		b.StartTimer()
	}
	b.ReportMetric(visible.ms(0.5), "visible-ms-p50")
	b.ReportMetric(visible.ms(1), "visible-ms-max")
	b.ReportMetric(rebuild.ms(0.5), "rebuild-ms-p50")
	b.ReportMetric(overhead.ms(0.5), "overhead-ms-p50")
	b.ReportMetric(overhead.ms(1), "overhead-ms-max")
	record(func(r *summary) {
		r.notify = &notifyResult{visible, rebuild, overhead, delivery, toVisible}
	})
}
