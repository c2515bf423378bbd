package tests

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/app"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

func testLogger() *slog.Logger {
	if os.Getenv("E2E_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newFunction starts a fresh request function on cfg: a localdev stack whose
// worker never runs, so its reader is cold and only reads (or cold-builds)
// what is in Redis.
func newFunction(t *testing.T, cfg *config.Config) (*localdev.Stack, *httptest.Server) {
	t.Helper()
	stack, err := localdev.New(context.Background(), cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(stack.HTTP)
	t.Cleanup(func() { srv.Close(); stack.Close() })
	return stack, srv
}

// fetch sends GET base+path with the headers given as name, value pairs.
func fetch(t *testing.T, base, path string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

// wantNoCache checks PostgREST's answer when no schema cache can be had:
// 503 PGRST002 with a Retry-After header.
func wantNoCache(t *testing.T, r response) {
	t.Helper()
	wantError(t, r, 503, "PGRST002", "Could not query the database for the schema cache. Retrying.", "null", "null")
	if _, ok := r.Header["Retry-After"]; !ok {
		t.Errorf("503 without a Retry-After header: %v", r.Header)
	}
}

// listeners counts the backends LISTENing on the test database.
func listeners(t *testing.T, db *pgx.Conn) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReloadThroughRedis: with the database channel disabled a NOTIFY does
// nothing, and a reload request published on the cache store's reload
// channel rebuilds (trigger "manual").
func TestReloadThroughRedis(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "", func(c *config.Config) { c.DBChannelEnabled = false })
	ctx := context.Background()
	if n := listeners(t, e.db); n != 0 {
		t.Fatalf("%d LISTEN backends with PGRST_DB_CHANNEL_ENABLED=false", n)
	}
	mustExec(t, e.db, `CREATE TABLE api.by_request (id int); INSERT INTO api.by_request VALUES (7);
		NOTIFY pgrst, 'reload schema'`)
	wantError(t, e.get("/by_request"), 404, "PGRST205", "", "", "")

	// The leader subscribes when its term starts; retry until it receives.
	for deadline := time.Now().Add(5 * time.Second); ; {
		n, err := e.stack.Store.RequestReload(ctx, "reload schema")
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("reload request received by %d subscribers, want 1", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The next rebuild is the requested one: the NOTIFY caused none.
	r := e.waitBuild("manual")
	if r.Outcome != "published" {
		t.Fatalf("manual rebuild outcome %q", r.Outcome)
	}
	if got := e.get("/by_request"); got.Status != 200 || got.Body != `[{"id":7}]` {
		t.Fatalf("after the reload request: %d %s", got.Status, got.Body)
	}
	vs, err := e.stack.Store.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no versions kept")
	}
	if last := vs[len(vs)-1]; last.Version != r.Version || last.Meta["trigger"] != "manual" {
		t.Fatalf("newest version %d has trigger %q, want %d manual", last.Version, last.Meta["trigger"], r.Version)
	}
	if got := len(e.rebuilds()); got != 2 {
		t.Fatalf("%d rebuilds, want 2 (startup and manual)", got)
	}
}

// TestConfigReloadChangesSchemas: ALTER ROLE authenticator IN DATABASE ...
// SET pgrst.db_schemas and NOTIFY 'reload config' expose a new schema.
func TestConfigReloadChangesSchemas(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `CREATE SCHEMA v2; GRANT USAGE ON SCHEMA v2 TO web_anon;
		CREATE TABLE v2.thing (id int, name text); INSERT INTO v2.thing VALUES (1, 'two');
		GRANT SELECT ON v2.thing TO web_anon;`, nil)
	dbName := e.vars["PGRST_CACHE_KEY_PREFIX"]
	wantError(t, fetch(t, e.api.URL, "/thing", "Accept-Profile", "v2"), 406, "PGRST106",
		"The schema must be one of the following: api", "null", "null")

	mustExec(t, e.db, `ALTER ROLE authenticator IN DATABASE `+dbName+` SET pgrst.db_schemas = 'api,v2'`)
	t.Cleanup(func() {
		_, _ = e.db.Exec(context.Background(), `ALTER ROLE authenticator IN DATABASE `+dbName+` RESET ALL`)
	})
	mustExec(t, e.db, `NOTIFY pgrst, 'reload config'`)
	if r := e.waitBuild("config"); r.Outcome != "published" {
		t.Fatalf("config rebuild outcome %q", r.Outcome)
	}
	if r := fetch(t, e.api.URL, "/thing", "Accept-Profile", "v2"); r.Status != 200 || r.Body != `[{"id":1,"name":"two"}]` {
		t.Fatalf("GET /thing in v2 after the config reload: %d %s", r.Status, r.Body)
	}
	if r := fetch(t, e.api.URL, "/thing"); r.Status != 404 {
		t.Fatalf("GET /thing in the default schema api: %d %s", r.Status, r.Body)
	}
	wantError(t, fetch(t, e.api.URL, "/thing", "Accept-Profile", "v3"), 406, "PGRST106",
		"The schema must be one of the following: api, v2", "null", "null")
}

// TestDynamicSchemaRecipes runs the seed's three pre-config recipes for
// dynamic schemas as written there: schemas named by a pattern, owned by a
// role, or listed in a config table. A new tenant schema becomes reachable
// through its profile after `NOTIFY pgrst, 'reload config'` and
// `NOTIFY pgrst, 'reload schema'`, with nothing restarted.
func TestDynamicSchemaRecipes(t *testing.T) {
	t.Parallel()
	tenant := func(name, owner string, id int) string {
		auth := ""
		if owner != "" {
			auth = " AUTHORIZATION " + owner
		}
		return fmt.Sprintf(`CREATE SCHEMA %[1]s%[2]s; GRANT USAGE ON SCHEMA %[1]s TO web_anon;
			CREATE TABLE %[1]s.thing (id int); INSERT INTO %[1]s.thing VALUES (%[3]d);
			GRANT SELECT ON %[1]s.thing TO web_anon;`, name, auth, id)
	}
	for _, tc := range []struct {
		name, recipe, first, added, add string
	}{
		{"name pattern", `
create or replace function postgrest.pre_config()
returns void as $$
  select
    set_config('pgrst.db_schemas', string_agg(nspname, ','), true)
  from pg_namespace
  where nspname like 'tenant_%';
$$ language sql;`, tenant("tenant_a", "", 1), "tenant_b", tenant("tenant_b", "", 2)},
		{"owner role", `
DO $$ BEGIN CREATE ROLE joe; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
create or replace function postgrest.pre_config()
returns void as $$
  select
    set_config('pgrst.db_schemas', string_agg(nspname, ','), true)
  from pg_namespace
  where nspowner = 'joe'::regrole;
$$ language sql;`, tenant("tenant_a", "joe", 1), "mine", tenant("mine", "joe", 2)},
		{"config table", `
create table postgrest.config (schemas text);

create or replace function postgrest.pre_config()
returns void as $$
  select
    set_config('pgrst.db_schemas', schemas, true)
  from postgrest.config;
$$ language sql;
GRANT SELECT ON postgrest.config TO authenticator;
INSERT INTO postgrest.config VALUES ('tenant_a');`, tenant("tenant_a", "", 1),
			"other", tenant("other", "", 2) + ` UPDATE postgrest.config SET schemas = 'tenant_a, other';`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, `CREATE SCHEMA postgrest; GRANT USAGE ON SCHEMA postgrest TO authenticator;`+
				tc.recipe+tc.first, func(c *config.Config) { c.DBPreConfig = "postgrest.pre_config" })
			if r := fetch(t, e.api.URL, "/thing", "Accept-Profile", "tenant_a"); r.Status != 200 || r.Body != `[{"id":1}]` {
				t.Fatalf("tenant_a: %d %s", r.Status, r.Body)
			}
			added := tc.added
			wantError(t, fetch(t, e.api.URL, "/thing", "Accept-Profile", added), 406, "PGRST106",
				"The schema must be one of the following: tenant_a", "null", "null")

			mustExec(t, e.db, tc.add)
			mustExec(t, e.db, `NOTIFY pgrst, 'reload config'`)
			mustExec(t, e.db, `NOTIFY pgrst, 'reload schema'`)
			deadline := time.Now().Add(15 * time.Second)
			for {
				r := fetch(t, e.api.URL, "/thing", "Accept-Profile", added)
				if r.Status == 200 && r.Body == `[{"id":2}]` {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s after the reloads: %d %s", added, r.Status, r.Body)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if r := fetch(t, e.api.URL, "/thing", "Accept-Profile", "tenant_a"); r.Status != 200 || r.Body != `[{"id":1}]` {
				t.Fatalf("tenant_a after the reloads: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestUnreadableBlobs: a warm function keeps serving its memoised cache
// when the current blob is garbage or in a newer format; a fresh one has
// no cache to read and answers 503 PGRST002.
func TestUnreadableBlobs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		corrupt func(t *testing.T, store *cachestore.Store, current int64)
	}{
		{"garbage under the current key", func(t *testing.T, store *cachestore.Store, current int64) {
			key := store.Key(fmt.Sprintf("cache:%d", current))
			if err := store.Redis().Set(context.Background(), key, "not a schema cache", 0).Err(); err != nil {
				t.Fatal(err)
			}
		}},
		{"newer format published", func(t *testing.T, store *cachestore.Store, current int64) {
			ctx := context.Background()
			blob, err := store.Blob(ctx, current)
			if err != nil {
				t.Fatal(err)
			}
			binary.BigEndian.PutUint16(blob[4:6], snapshot.FormatVersion+1)
			v, err := store.Reserve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			res, err := store.Publish(ctx, v, blob, cachestore.Meta{Trigger: "manual", WorkerID: "newer-release",
				ContentHash: "from-a-newer-release"})
			if err != nil || !res.Published {
				t.Fatalf("publish the newer format: %+v, %v", res, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, `CREATE TABLE api.items (id int); INSERT INTO api.items VALUES (1);`, nil)
			ctx := context.Background()
			if r := e.get("/items"); r.Status != 200 { // warms the stack's reader
				t.Fatalf("before: %d %s", r.Status, r.Body)
			}
			current, err := e.stack.Store.Current(ctx)
			if err != nil || current == 0 {
				t.Fatalf("current = %d, %v", current, err)
			}
			tc.corrupt(t, e.stack.Store, current)
			for range 3 {
				if r := e.get("/items"); r.Status != 200 || r.Body != `[{"id":1}]` {
					t.Fatalf("warm function after the corruption: %d %s", r.Status, r.Body)
				}
			}
			_, fresh := newFunction(t, configFrom(t, e.vars))
			wantNoCache(t, fetch(t, fresh.URL, "/items"))
			wantNoCache(t, fetch(t, fresh.URL, "/items")) // the bad version is remembered, not retried into a 200
			if r := e.get("/items"); r.Status != 200 {
				t.Fatalf("warm function: %d %s", r.Status, r.Body)
			}
		})
	}
}

// TestReloadRepairsCorruptCurrentBlob: after the current blob is damaged, a
// schema reload must leave Redis with a readable current cache, even
// though the schema did not change.
func TestReloadRepairsCorruptCurrentBlob(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `CREATE TABLE api.items (id int); INSERT INTO api.items VALUES (1);`, nil)
	ctx := context.Background()
	current, err := e.stack.Store.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.stack.Store.Redis().Set(ctx, e.stack.Store.Key(fmt.Sprintf("cache:%d", current)), "garbage", 0).Err(); err != nil {
		t.Fatal(err)
	}
	mustExec(t, e.db, `NOTIFY pgrst, 'reload schema'`)
	r := e.waitBuild("notify")
	t.Logf("rebuild after the corruption: outcome %q, version %d (was %d)", r.Outcome, r.Version, current)
	blob, err := e.stack.Store.Blob(ctx, r.Version)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snapshot.Decode(blob); err != nil {
		t.Errorf("current version %d after the reload is unreadable: %v", r.Version, err)
	}
	_, fresh := newFunction(t, configFrom(t, e.vars))
	if got := fetch(t, fresh.URL, "/items"); got.Status != 200 {
		t.Fatalf("fresh function after the reload: %d %s", got.Status, got.Body)
	}
}

// countingHandler counts the log records whose message is msg.
type countingHandler struct {
	msg string
	n   *atomic.Int64
}

func (h countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h countingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}

func (h countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h countingHandler) WithGroup(string) slog.Handler      { return h }

// TestColdFunctionsBuildOnce: with no worker and an empty Redis, the first
// requests of several cold functions build one snapshot (trigger
// "cold-start") between them, and all answer 200.
func TestColdFunctionsBuildOnce(t *testing.T) {
	t.Parallel()
	_, vars := newDatabase(t, `CREATE TABLE api.items (id int); INSERT INTO api.items VALUES (1), (2);`)
	cfg := configFrom(t, vars)
	ctx := context.Background()
	pool, err := pgpool.Connect(ctx, cfg.DBURI, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	rdb, err := cachestore.Dial(cfg.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	store := cachestore.New(rdb, cfg.CacheKeyPrefix)
	var builds atomic.Int64
	logger := slog.New(countingHandler{msg: "no schema cache in Redis: building it", n: &builds})

	// Five containers, each with its own reader and holder id.
	const n = 5
	handlers := make([]http.Handler, n)
	for i := range handlers {
		b := &cachestore.Builder{Config: cfg, DB: pool, Store: store, WorkerID: fmt.Sprintf("fn-%d", i), Logger: logger}
		handlers[i] = localdev.GatewayHandler(app.NewInvoker(app.New(cfg, b.NewReader(), pool, nil)).Invoke)
	}
	start := make(chan struct{})
	results := make([]*httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i, h := range handlers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items?order=id", nil))
			results[i] = rec
		}()
	}
	close(start)
	wg.Wait()
	for i, rec := range results {
		// PostgreSQL's json_agg puts a line break between elements.
		if body := strings.Join(strings.Fields(rec.Body.String()), ""); rec.Code != 200 || body != `[{"id":1},{"id":2}]` {
			t.Errorf("function %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	vs, err := store.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 {
		t.Fatalf("%d versions published, want 1", len(vs))
	}
	if m := vs[0].Meta; m["trigger"] != "cold-start" || !strings.HasPrefix(m["worker_id"], "fn-") {
		t.Fatalf("version meta trigger %q worker_id %q, want cold-start by a function", m["trigger"], m["worker_id"])
	}
	// Every build reserves a version number: one reservation, one build.
	reserved, err := rdb.Get(ctx, store.Key("seq")).Int64()
	if err != nil {
		t.Fatal(err)
	}
	if reserved != vs[0].Version {
		t.Errorf("last reserved version %d, published %d: more than one build", reserved, vs[0].Version)
	}
	if got := builds.Load(); got != 1 {
		t.Errorf("%d cold builds, want 1", got)
	}
	if h, err := store.Holder(ctx, cachestore.BuildLease); err != nil || h != "" {
		t.Errorf("build lease still held by %q (%v)", h, err)
	}
}

// TestNeitherCacheNorDatabase: a fresh function whose Redis namespace is
// empty and whose database is unreachable answers 503 PGRST002.
func TestNeitherCacheNorDatabase(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	cfg := configFrom(t, map[string]string{
		"PGRST_DB_URI":     "postgres://authenticator@" + closed + "/nowhere?connect_timeout=2",
		"PGRST_DB_SCHEMAS": "api", "PGRST_DB_ANON_ROLE": "web_anon",
		"REDIS_URL": rds.URL(), "PGRST_CACHE_KEY_PREFIX": fmt.Sprintf("nodb_%d", seq.Add(1)),
	})
	stack, fn := newFunction(t, cfg)
	for range 2 {
		start := time.Now()
		wantNoCache(t, fetch(t, fn.URL, "/items"))
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("503 took %v", took)
		}
	}
	ctx := context.Background()
	if vs, err := stack.Store.Versions(ctx); err != nil || len(vs) != 0 {
		t.Errorf("versions = %v, %v; want none", vs, err)
	}
	if h, err := stack.Store.Holder(ctx, cachestore.BuildLease); err != nil || h != "" {
		t.Errorf("build lease still held by %q (%v)", h, err)
	}
}

// TestColdStackBuildsItself: a stack whose worker never runs answers its
// first, concurrent requests by building the snapshot once, itself.
func TestColdStackBuildsItself(t *testing.T) {
	t.Parallel()
	_, vars := newDatabase(t, `CREATE TABLE api.items (id int); INSERT INTO api.items VALUES (1);`)
	stack, fn := newFunction(t, configFrom(t, vars))
	var wg sync.WaitGroup
	statuses := make([]int, 5)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Get(fn.URL + "/items")
			if err != nil {
				return
			}
			res.Body.Close()
			statuses[i] = res.StatusCode
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != 200 {
			t.Errorf("request %d: status %d", i, s)
		}
	}
	vs, err := stack.Store.Versions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].Meta["trigger"] != "cold-start" {
		t.Fatalf("versions %+v, want one cold-start build", vs)
	}
}
