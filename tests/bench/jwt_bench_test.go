package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/app"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
)

// jwtBenchSecret signs the tokens of BenchmarkJWTOverhead.
const jwtBenchSecret = "reallyreallyreallyreallyverysafe-secret"

// BenchmarkJWTOverhead measures what authentication adds to the simple read
// (`GET /books?id=eq.1` on the sample schema, revalidation 1000 ms, the
// handler called directly): an anonymous request, a verified token found in
// the token cache (the same token every time) and a verified token with the
// cache off (every request verifies the signature and claims). The token
// names the anon role, so the SQL is the same in all three. The variants
// alternate in each round and each keeps its fastest round; the summary
// prints both verified variants as ratios to the anonymous one of the same
// run (goal: a cache hit adds under 5 %).
func BenchmarkJWTOverhead(b *testing.B) {
	ctx := context.Background()
	db := sampleDatabase(b, "jwt_sample")
	cfgFor := func(cacheEntries string) *config.Config {
		return sampleConfig(b, db, "PGRST_CACHE_REVALIDATE_MS", "1000", "PGRST_JWT_SECRET", jwtBenchSecret,
			"PGRST_JWT_CACHE_MAX_ENTRIES", cacheEntries)
	}
	cached, uncached := cfgFor("1000"), cfgFor("0")
	pool, err := pgpool.Connect(ctx, cached.DBURI, reqPoolSize)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	rdb, err := cachestore.Dial(cached.RedisURL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = rdb.Close() })
	store := cachestore.New(rdb, cached.CacheKeyPrefix)
	if r := (&cachestore.Builder{Config: cached, DB: pool, Store: store, WorkerID: "bench"}).Build(ctx, "bench"); r.Err != nil {
		b.Fatal(r.Err)
	}
	handler := func(cfg *config.Config) http.Handler {
		logger := logging.New(io.Discard, cfg.LogLevel)
		builder := &cachestore.Builder{Config: cfg, DB: pool, Store: store, WorkerID: "bench", Logger: logger}
		return app.New(cfg, builder.NewReader(), pool, logger)
	}
	tok := jwt.New()
	_ = tok.Set("role", "web_anon")
	_ = tok.Set("exp", time.Now().Add(time.Hour).Unix())
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), []byte(jwtBenchSecret)))
	if err != nil {
		b.Fatal(err)
	}
	bearer := "Bearer " + string(signed)
	variants := []struct {
		name, auth string
		h          http.Handler
	}{
		{"anonymous", "", handler(cached)},
		{"token, cache hit", bearer, handler(cached)},
		{"token, cache off", bearer, handler(uncached)},
	}
	const path = "/books?id=eq.1"
	for _, v := range variants {
		if rec := serveAuth(v.h, path, v.auth); rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", v.name, rec.Code, rec.Body)
		}
	}
	best := make([]time.Duration, len(variants))
	allocs := make([]float64, len(variants))
	for i := range best {
		best[i] = time.Hour
	}
	for b.Loop() {
		for i, v := range variants {
			const n = 400
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			for range n {
				serveAuth(v.h, path, v.auth)
			}
			best[i] = min(best[i], time.Since(start)/n)
			runtime.ReadMemStats(&after)
			allocs[i] = float64(after.Mallocs-before.Mallocs) / n
		}
	}
	fmt.Printf("\nJWT overhead on %s (fastest of %d rounds of 400, same run)\n", path, b.N)
	fmt.Printf("%-18s %10s %8s %8s\n", "variant", "µs/req", "allocs", "ratio")
	for i, v := range variants {
		fmt.Printf("%-18s %10.1f %8.0f %8.3f\n", v.name, float64(best[i].Nanoseconds())/1e3, allocs[i],
			float64(best[i])/float64(best[0]))
	}
	b.ReportMetric(float64(best[1])/float64(best[0]), "hit/anon")
	b.ReportMetric(float64(best[2])/float64(best[0]), "miss/anon")
}

// serveAuth serves one GET of path with the Authorization header auth
// ("" for none).
func serveAuth(h http.Handler, path, auth string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	h.ServeHTTP(rec, r)
	return rec
}
