package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/app"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// currentReads counts the GETs of the stack's current-version key: the
// version checks of its request side; with delay, it holds each one that
// long before sending it (a slow Redis round trip).
type currentReads struct {
	key   string
	delay time.Duration
	n     atomic.Int64
}

func (c *currentReads) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *currentReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); len(args) == 2 && cmd.Name() == "get" && args[1] == c.key {
			c.n.Add(1)
			time.Sleep(c.delay)
		}
		return next(ctx, cmd)
	}
}

func (c *currentReads) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestCacheListen: with PGRST_CACHE_LISTEN, reads on a memo no notice has
// touched ask Redis nothing; the notice of a new version, read ahead of a
// read's results on its own connection, makes that read ask Redis and be
// served from the new version; a table only the new version has is found
// at once (the error asks Redis); a write asks Redis before its
// transaction.
func TestCacheListen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `CREATE TABLE api.items (id int PRIMARY KEY); INSERT INTO api.items VALUES (1);
		GRANT SELECT, INSERT ON api.items TO web_anon;`,
		func(c *config.Config) {
			c.CacheListen = true
			// Trust the memo for a minute without a notice: only notices
			// can make a read ask Redis here.
			c.CacheRevalidateMs = 60_000
		})
	reads := &currentReads{key: e.stack.Store.Key("current")}
	e.stack.Store.Redis().AddHook(reads)

	// The first read loads the memo and opens the first connection; that
	// connection began to listen after the memo was read, so the second
	// read confirms the memo in Redis.
	for range 2 {
		if r := e.get("/items"); r.Status != 200 {
			t.Fatalf("first reads: %d %s", r.Status, r.Body)
		}
	}
	reads.n.Store(0)
	for range 20 {
		if r := e.get("/items"); r.Status != 200 || r.Body != `[{"id":1}]` {
			t.Fatalf("read: %d %s", r.Status, r.Body)
		}
	}
	if n := reads.n.Load(); n != 0 {
		t.Fatalf("20 reads on an untouched memo asked Redis %d times, want 0", n)
	}

	// A new version, whose notice reaches the idle connections.
	_, before, _ := e.stack.Reader.Memo()
	mustExec(t, e.db, `CREATE TABLE api.other (id int); NOTIFY pgrst, 'reload schema'`)
	rb := e.waitBuild("notify")
	if rb.Version <= before {
		t.Fatalf("rebuild published v%d, memo holds v%d", rb.Version, before)
	}
	time.Sleep(100 * time.Millisecond)
	if r := e.get("/items"); r.Status != 200 {
		t.Fatalf("read after the notice: %d %s", r.Status, r.Body)
	}
	if _, v, _ := e.stack.Reader.Memo(); v != rb.Version {
		t.Fatalf("after one read the memo holds v%d, want v%d", v, rb.Version)
	}
	if n := reads.n.Load(); n < 1 {
		t.Fatal("the read that saw the notice did not ask Redis")
	}

	// A table only the next version has, asked for as soon as it is published.
	mustExec(t, e.db, `CREATE TABLE api.fresh (id int); INSERT INTO api.fresh VALUES (7);
		GRANT SELECT ON api.fresh TO web_anon; NOTIFY pgrst, 'reload schema'`)
	e.waitBuild("notify")
	if r := e.get("/fresh"); r.Status != 200 || r.Body != `[{"id":7}]` {
		t.Fatalf("new table: %d %s", r.Status, r.Body)
	}

	reads.n.Store(0)
	if r := e.do("POST", "/items", `{"id":2}`); r.Status != 201 {
		t.Fatalf("write: %d %s", r.Status, r.Body)
	}
	if n := reads.n.Load(); n != 1 {
		t.Fatalf("a write asked Redis %d times, want 1", n)
	}
}

// TestCacheListenOnStandby: pointed at a hot standby, which refuses
// LISTEN, a function with PGRST_CACHE_LISTEN keeps its connections, says
// so once in its log, and checks the version in Redis on every read, as
// without the setting: a new version is served on the next read.
func TestCacheListenOnStandby(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary, err := testharness.StartPostgres()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = primary.Stop() })
	db, err := pgx.Connect(ctx, primary.URI("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	mustExec(t, db, `CREATE ROLE web_anon NOLOGIN; CREATE SCHEMA api; GRANT USAGE ON SCHEMA api TO web_anon;
		CREATE TABLE api.items (id int PRIMARY KEY); INSERT INTO api.items VALUES (1); GRANT SELECT ON api.items TO web_anon;`)
	standby, err := primary.StartStandby()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = standby.Stop() })

	prefix := fmt.Sprintf("standby_%d", seq.Add(1))
	vars := map[string]string{"PGRST_DB_SCHEMAS": "api", "PGRST_DB_ANON_ROLE": "web_anon",
		"REDIS_URL": rds.URL(), "PGRST_CACHE_KEY_PREFIX": prefix, "PGRST_CACHE_REVALIDATE_MS": "60000"}
	rdb, err := cachestore.Dial(rds.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	store := cachestore.New(rdb, prefix)
	// The worker builds on the primary.
	primaryCfg := configFrom(t, vars, "PGRST_DB_URI", primary.URI("postgres"))
	primaryPool, err := pgpool.Connect(ctx, primaryCfg.DBURI, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(primaryPool.Close)
	build := func() int64 {
		r := (&cachestore.Builder{Config: primaryCfg, DB: primaryPool, Store: store}).Build(ctx, "test")
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		return r.Version
	}
	build()

	// The function reads from the standby.
	cfg := configFrom(t, vars, "PGRST_DB_URI", standby.URI("postgres"), "PGRST_CACHE_LISTEN", "true")
	var logs testharness.SyncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	notices, listen := cachestore.Listening(cfg, logger)
	pool, err := pgpool.ConnectListening(ctx, cfg.DBURI, 2, listen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	reader := (&cachestore.Builder{Config: cfg, DB: pool, Store: store}).NewListeningReader(notices)
	reads := &currentReads{key: store.Key("current")}
	rdb.AddHook(reads)
	h := app.New(cfg, reader, pool, logger)
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}
	for range 3 {
		if w := get("/items"); w.Code != 200 || w.Body.String() != `[{"id":1}]` {
			t.Fatalf("read from the standby: %d %s", w.Code, w.Body)
		}
	}
	reads.n.Store(0)
	for range 5 {
		get("/items")
	}
	if n := reads.n.Load(); n != 5 {
		t.Fatalf("5 reads with LISTEN refused asked Redis %d times, want 5", n)
	}
	if got := strings.Count(logs.String(), "refused LISTEN"); got != 1 {
		t.Fatalf("refused LISTEN logged %d times, want 1:\n%s", got, logs.String())
	}
	mustExec(t, db, `CREATE TABLE api.more (id int); GRANT SELECT ON api.more TO web_anon`)
	// The standby must have replayed the table before the cache names it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ok bool
		if err := pool.QueryRow(ctx, "SELECT to_regclass('api.more') IS NOT NULL").Scan(&ok); err == nil && ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the standby did not replay api.more within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	v := build()
	if w := get("/more"); w.Code != 200 {
		t.Fatalf("new table on the next read: %d %s", w.Code, w.Body)
	}
	if _, got, _ := reader.Memo(); got != v {
		t.Fatalf("memo v%d, want v%d", got, v)
	}
}
