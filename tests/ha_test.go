package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// haWorker is one of several listener workers sharing a database and a key
// prefix, each with its own id, pool and Redis client. Its LISTEN
// connection is named "listener <id>" so the test can see who listens.
type haWorker struct {
	t     *testing.T
	id    string
	w     *listenerworker.Worker
	rdb   redis.UniversalClient
	store *cachestore.Store
	built chan cachestore.Rebuild

	mu     sync.Mutex
	builds []cachestore.Rebuild
	cancel context.CancelFunc
	done   chan struct{}
}

// newHAWorker makes worker id with lease TTL ttl; logger nil logs as the
// other tests do, extra are further environment variables (name, value).
func newHAWorker(t *testing.T, vars map[string]string, id string, ttl time.Duration, logger *slog.Logger,
	extra ...string) *haWorker {
	t.Helper()
	if logger == nil {
		logger = testLogger()
	}
	cfg := configFrom(t, vars, append([]string{"PGRST_WORKER_ID", id}, extra...)...)
	ctx := context.Background()
	pool, err := pgpool.Connect(ctx, cfg.DBURI, 2)
	if err != nil {
		t.Fatal(err)
	}
	rdb, err := cachestore.DialConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	connect := func(ctx context.Context) (*pgx.Conn, error) {
		cc := pool.Config().ConnConfig.Copy()
		cc.RuntimeParams["application_name"] = "listener " + id
		return pgx.ConnectConfig(ctx, cc)
	}
	store := cachestore.New(rdb, cfg.CacheKeyPrefix)
	h := &haWorker{t: t, id: id, rdb: rdb, store: store, built: make(chan cachestore.Rebuild, 1000),
		w: listenerworker.New(cfg, pool, connect, store, logger)}
	h.w.LeaseTTL = ttl
	h.w.OnRebuild(func(r cachestore.Rebuild) {
		h.mu.Lock()
		h.builds = append(h.builds, r)
		h.mu.Unlock()
		h.built <- r
	})
	t.Cleanup(func() {
		h.stop()
		pool.Close()
		_ = rdb.Close()
	})
	return h
}

// run starts Worker.Run; stop cancels it and waits for it to return.
func (h *haWorker) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.mu.Lock()
	h.cancel, h.done = cancel, make(chan struct{})
	done := h.done
	h.mu.Unlock()
	go func() { defer close(done); _ = h.w.Run(ctx) }()
}

func (h *haWorker) stop() {
	h.mu.Lock()
	cancel, done := h.cancel, h.done
	h.cancel = nil
	h.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (h *haWorker) rebuilds() []cachestore.Rebuild {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]cachestore.Rebuild(nil), h.builds...)
}

// drain forgets the rebuilds not yet waited for.
func (h *haWorker) drain() {
	for {
		select {
		case <-h.built:
		default:
			return
		}
	}
}

// waitBuild waits for h's next rebuild, which must succeed with trigger.
func (h *haWorker) waitBuild(trigger string, within time.Duration) cachestore.Rebuild {
	h.t.Helper()
	select {
	case r := <-h.built:
		if r.Err != nil || r.Trigger != trigger {
			h.t.Fatalf("%s: rebuild %q (%v), want a successful %q", h.id, r.Trigger, r.Err, trigger)
		}
		return r
	case <-time.After(within):
		h.t.Fatalf("%s: no %q rebuild within %v", h.id, trigger, within)
	}
	return cachestore.Rebuild{}
}

// firstStartup waits for the first of a and b to make a startup build and
// returns it as the new leader, then the other one, then the build.
func firstStartup(t *testing.T, a, b *haWorker, within time.Duration) (leader, standby *haWorker, r cachestore.Rebuild) {
	t.Helper()
	select {
	case r = <-a.built:
		leader, standby = a, b
	case r = <-b.built:
		leader, standby = b, a
	case <-time.After(within):
		t.Fatalf("neither %s nor %s made a startup build within %v", a.id, b.id, within)
	}
	if r.Err != nil || r.Trigger != "startup" {
		t.Fatalf("%s: rebuild %q (%v), want a successful startup build", leader.id, r.Trigger, r.Err)
	}
	return leader, standby, r
}

// listening counts h's LISTEN connections to the test database.
func (h *haWorker) listening(db *pgx.Conn) int {
	h.t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = $1`, "listener "+h.id).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// waitFor polls cond every 5 ms until it holds and returns how long that
// took; it fails the test after within.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func holder(t *testing.T, store *cachestore.Store) string {
	t.Helper()
	h, err := store.Holder(context.Background(), cachestore.LeaderLease)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestTwoWorkersOneLeader runs two workers on one namespace: one leads and
// rebuilds, the other stands by. The standby takes over when the leader
// stops; a leader whose lease is taken steps down within a renewal
// period; one cut off from Redis steps down as its lease expires, when the
// standby takes over.
func TestTwoWorkersOneLeader(t *testing.T) {
	t.Parallel()
	const ttl = time.Second
	db, vars := newDatabase(t, "")
	ctx := context.Background()
	a, b := newHAWorker(t, vars, "worker-a", ttl, nil), newHAWorker(t, vars, "worker-b", ttl, nil)
	// The function's store observes Redis: its client is never cut.
	fn, api := newFunction(t, configFrom(t, vars))
	store := fn.Store
	a.run()
	b.run()

	var leader, standby *haWorker
	var first cachestore.Rebuild
	select {
	case first = <-a.built:
		leader, standby = a, b
	case first = <-b.built:
		leader, standby = b, a
	case <-time.After(10 * time.Second):
		t.Fatal("no startup build within 10 s")
	}
	if first.Err != nil || first.Trigger != "startup" || first.Outcome != "published" {
		t.Fatalf("first build: %q %q %v", first.Trigger, first.Outcome, first.Err)
	}
	if h := holder(t, store); !strings.HasPrefix(h, leader.id+"/") {
		t.Fatalf("lease holder %q, leader %q", h, leader.id)
	}
	if l, s := leader.listening(db), standby.listening(db); l != 1 || s != 0 {
		t.Fatalf("LISTEN connections: leader %d, standby %d", l, s)
	}

	// A burst of NOTIFYs: only the leader rebuilds, versions only increase.
	for i := 1; i <= 20; i++ {
		mustExec(t, db, fmt.Sprintf(`CREATE TABLE api.burst_%d (id int); NOTIFY pgrst`, i))
		time.Sleep(15 * time.Millisecond) // spreads the burst over several debounce windows
	}
	waitFor(t, "/burst_20 served", 5*time.Second, func() bool { return fetch(t, api.URL, "/burst_20").Status == 200 })
	time.Sleep(300 * time.Millisecond) // past the cooldown: a trailing rebuild would have started
	if n := len(standby.rebuilds()); n != 0 {
		t.Fatalf("the standby rebuilt %d times", n)
	}
	builds := leader.rebuilds()
	prev := int64(0)
	for i, r := range builds {
		if r.Err != nil {
			t.Fatalf("rebuild %d failed: %v", i, r.Err)
		}
		if r.Version < prev || (r.Outcome == "published" && r.Version == prev) {
			t.Fatalf("rebuild %d: version %d (%s) after %d", i, r.Version, r.Outcome, prev)
		}
		prev = r.Version
	}
	if cur, err := store.Current(ctx); err != nil || cur != prev {
		t.Fatalf("current = %d (%v), last rebuild's %d", cur, err, prev)
	}
	t.Logf("20 NOTIFYs → %d rebuilds on the leader", len(builds)-1)
	if len(builds)-1 < 2 {
		t.Fatalf("%d rebuilds for a burst spanning several debounce windows", len(builds)-1)
	}

	// Graceful handover: the stopping leader releases the lease.
	a.drain()
	b.drain()
	start := time.Now()
	leader.stop()
	stopped := time.Since(start)
	took := waitFor(t, "standby holds the lease", time.Second, func() bool { return strings.HasPrefix(holder(t, store), standby.id+"/") })
	r := standby.waitBuild("startup", 5*time.Second)
	t.Logf("leader stopped in %v; standby held the lease %v later; its startup build finished %v after the stop began",
		stopped, took, r.Finished.Sub(start))
	if stopped+took > time.Second {
		t.Errorf("takeover took %v", stopped+took)
	}
	if d := r.Finished.Sub(start); d > 2*time.Second {
		t.Errorf("standby's startup build finished %v after the leader stopped", d)
	}
	if n := leader.listening(db); n != 0 {
		t.Errorf("stopped leader still has %d LISTEN connections", n)
	}
	mustExec(t, db, `CREATE TABLE api.after_handover (id int); NOTIFY pgrst`)
	standby.waitBuild("notify", 5*time.Second)
	if r := fetch(t, api.URL, "/after_handover"); r.Status != 200 {
		t.Fatalf("after the handover: %d %s", r.Status, r.Body)
	}
	leader, standby = standby, leader
	standby.run() // the old leader comes back as a standby

	// Lease loss: the lease is taken by another holder behind the leader's
	// back; the leader steps down, the standby takes the lease once it expires.
	a.drain()
	b.drain()
	start = time.Now()
	if err := store.Redis().Set(ctx, store.Key(cachestore.LeaderLease), "intruder/0", ttl).Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "old leader stops listening", 2*ttl, func() bool { return leader.listening(db) == 0 })
	stepped := time.Since(start)
	// Once the intruder's lease expires both workers compete for it: the
	// one that stepped down is a standby like the other.
	leader, standby, r = firstStartup(t, standby, leader, 5*time.Second)
	t.Logf("old leader stopped listening %v after losing the lease; %s's startup build finished after %v",
		stepped, leader.id, r.Finished.Sub(start))
	// Loss is noticed at the next renewal (a third of the TTL); the slack
	// covers closing the connection on a loaded machine.
	if stepped > ttl+ttl/2 {
		t.Errorf("the old leader kept listening %v after losing its lease (TTL %v)", stepped, ttl)
	}
	if h := holder(t, store); !strings.HasPrefix(h, leader.id+"/") {
		t.Fatalf("lease holder %q, want %q", h, leader.id)
	}
	before := len(standby.rebuilds())
	mustExec(t, db, `CREATE TABLE api.after_takeover (id int); NOTIFY pgrst`)
	leader.waitBuild("notify", 5*time.Second)
	time.Sleep(300 * time.Millisecond) // the standby, were it listening, would have rebuilt by now
	if n := len(standby.rebuilds()) - before; n != 0 {
		t.Fatalf("the standby rebuilt %d times after the takeover", n)
	}
	if r := fetch(t, api.URL, "/after_takeover"); r.Status != 200 {
		t.Fatalf("after the takeover: %d %s", r.Status, r.Body)
	}

	// The leader cut off from Redis can neither renew nor release: the
	// standby waits for the lease to expire.
	a.drain()
	b.drain()
	start = time.Now()
	_ = leader.rdb.Close()
	r = standby.waitBuild("startup", 5*time.Second)
	waitFor(t, "cut-off leader stops listening", 3*ttl, func() bool { return leader.listening(db) == 0 })
	stepped = time.Since(start)
	t.Logf("standby's startup build finished %v after the cut; the old leader stopped listening after %v",
		r.Finished.Sub(start), stepped)
	if d := r.Finished.Sub(start); d > 3*ttl {
		t.Errorf("takeover took %v with a lease TTL of %v", d, ttl)
	}
	if h := holder(t, store); !strings.HasPrefix(h, standby.id+"/") {
		t.Fatalf("lease holder %q, want %q", h, standby.id)
	}
}

// TestRedisRestartUnderLoad stops the stack's Redis while requests run and
// starts it again, empty: warm functions keep answering 200 from their
// memoised cache, and the worker keeps its lease and publishes again.
func TestRedisRestartUnderLoad(t *testing.T) {
	t.Parallel()
	r2, err := testharness.StartRedis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r2.Stop() })
	e := newEnv(t, `CREATE TABLE api.items (id int); INSERT INTO api.items VALUES (1);`,
		func(c *config.Config) { c.RedisURL = r2.URL() })
	ctx := context.Background()
	if r := e.get("/items"); r.Status != 200 {
		t.Fatalf("warm-up: %d %s", r.Status, r.Body)
	}
	before, err := e.stack.Store.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	workerID := cachestore.DefaultWorkerID()
	if h := holder(t, e.stack.Store); !strings.HasPrefix(h, workerID+"/") {
		t.Fatalf("lease holder %q, want %q", h, workerID)
	}

	// Ten warm function containers, each serving one request at a time with
	// its own Redis client and reader, as Lambda runs them.
	cfg := configFrom(t, e.vars, "REDIS_URL", r2.URL())
	pool, err := pgpool.Connect(ctx, cfg.DBURI, 10)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	containers := make([]http.Handler, 10)
	for i := range containers {
		rdb, err := cachestore.Dial(cfg.RedisURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		b := &cachestore.Builder{Config: cfg, DB: pool, Store: cachestore.New(rdb, cfg.CacheKeyPrefix),
			WorkerID: fmt.Sprintf("fn-%d", i)}
		containers[i] = localdev.GatewayHandler(app.NewInvoker(app.New(cfg, b.NewReader(), pool, nil)).Invoke)
	}
	var (
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		total    atomic.Int64
		outage   atomic.Bool  // Redis is down
		inOutage atomic.Int64 // requests started while it was
		mu       sync.Mutex
		failures []string
		slowest  time.Duration
	)
	for _, h := range containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if outage.Load() {
					inOutage.Add(1)
				}
				start := time.Now()
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/items", nil))
				took := time.Since(start)
				total.Add(1)
				mu.Lock()
				slowest = max(slowest, took)
				if rec.Code != 200 || rec.Body.String() != `[{"id":1}]` {
					failures = append(failures, fmt.Sprintf("%d %s", rec.Code, rec.Body))
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(200 * time.Millisecond) // requests against a healthy Redis
	admin := redis.NewClient(&redis.Options{Addr: r2.Addr()})
	_ = admin.ShutdownNoSave(ctx).Err() // the connection drops: no reply
	_ = admin.Close()
	down := time.Now()
	waitFor(t, "Redis refuses connections", 5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", r2.Addr(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	outage.Store(true)
	time.Sleep(500 * time.Millisecond) // the outage, under load
	outage.Store(false)
	if err := r2.Restart(); err != nil {
		close(stop)
		wg.Wait()
		t.Fatal(err)
	}
	downFor := time.Since(down)
	time.Sleep(300 * time.Millisecond) // requests against the empty Redis
	close(stop)
	wg.Wait()
	t.Logf("%d requests, %d started during the %v outage, slowest %v", total.Load(), inOutage.Load(), downFor, slowest)
	if len(failures) > 0 {
		t.Fatalf("%d failed requests, first: %s", len(failures), failures[0])
	}
	if n := inOutage.Load(); n < int64(len(containers)/2) {
		t.Fatalf("only %d requests while Redis was down", n)
	}
	if slowest > time.Second {
		t.Errorf("slowest request took %v", slowest)
	}

	// The worker keeps leading: it takes the lease again in the empty Redis
	// at its next renewal (a third of the 10 s TTL).
	took := waitFor(t, "lease re-acquired", 5*time.Second, func() bool { return strings.HasPrefix(holder(t, e.stack.Store), workerID+"/") })
	t.Logf("lease back %v after the restart", took)
	mustExec(t, e.db, `CREATE TABLE api.after_restart (id int); NOTIFY pgrst`)
	r := e.waitBuild("notify")
	if r.Outcome != "published" || r.Version <= before {
		t.Fatalf("rebuild after the restart: %s v%d (before: v%d)", r.Outcome, r.Version, before)
	}
	if got := e.get("/after_restart"); got.Status != 200 {
		t.Fatalf("new table after the restart: %d %s", got.Status, got.Body)
	}
	// The reload subscription is back too.
	waitFor(t, "reload subscription restored", 5*time.Second, func() bool {
		n, err := e.stack.Store.RequestReload(ctx, "reload schema")
		return err == nil && n == 1
	})
	e.waitBuild("manual")
}

// signalHandler sends on ch each log record whose message is msg.
type signalHandler struct {
	msg string
	ch  chan struct{}
}

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.ch <- struct{}{}
	}
	return nil
}

func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h signalHandler) WithGroup(string) slog.Handler      { return h }

// TestNewTermStartsWithoutStaleTriggers: a worker whose term ends while a
// NOTIFY waits behind a running rebuild, and which leads again later,
// starts its new term with a startup build; the old term's pending
// trigger must neither run first under its old name nor carry its old
// request time (which would count the whole gap as publish latency).
func TestNewTermStartsWithoutStaleTriggers(t *testing.T) {
	t.Parallel()
	db, vars := newDatabase(t, "")
	received := make(chan struct{}, 100)
	logger := slog.New(signalHandler{msg: "received a schema cache reload message", ch: received})
	w := newHAWorker(t, vars, "worker", time.Second, logger, "PGRST_INTERNAL_SCHEMA_CACHE_QUERY_SLEEP", "300")
	w.run()
	w.waitBuild("startup", 10*time.Second)
	waitReceived := func() {
		t.Helper()
		select {
		case <-received:
		case <-time.After(5 * time.Second):
			t.Fatal("the NOTIFY was not received")
		}
	}
	mustExec(t, db, `NOTIFY pgrst`) // starts a 300 ms rebuild
	waitReceived()
	mustExec(t, db, `NOTIFY pgrst`) // waits behind it
	waitReceived()
	w.stop() // ends the term during the rebuild
	w.drain()

	restart := time.Now()
	w.run()
	select {
	case r := <-w.built:
		if r.Err != nil {
			t.Fatalf("first rebuild of the new term failed: %v", r.Err)
		}
		if r.Trigger != "startup" {
			t.Errorf("first rebuild of the new term has trigger %q, want startup", r.Trigger)
		}
		if !r.Requested.IsZero() && r.Requested.Before(restart) {
			t.Errorf("first rebuild of the new term was requested %v before the term began", restart.Sub(r.Requested))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no rebuild in the new term")
	}
}
