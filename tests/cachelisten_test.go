package tests

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// currentReads counts the GETs of the stack's current-version key: the
// version checks of its request side.
type currentReads struct {
	key string
	n   atomic.Int64
}

func (c *currentReads) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *currentReads) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if args := cmd.Args(); len(args) == 2 && cmd.Name() == "get" && args[1] == c.key {
			c.n.Add(1)
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
