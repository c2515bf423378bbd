package tests

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// TestCluster runs the stack on a real Redis Cluster (three masters, three
// replicas, an ACL user), found by REDIS_CLUSTER=auto.
func TestCluster(t *testing.T) {
	cl, err := testharness.StartRedisCluster(testharness.RedisClusterOptions{User: "pgrst", Password: "cluster-pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	onCluster := func(cfg *config.Config) { cfg.RedisURL, cfg.RedisCluster = cl.URL(), config.RedisClusterAuto }
	const items = `CREATE TABLE api.items (id int PRIMARY KEY); INSERT INTO api.items VALUES (1), (2);`

	t.Run("serve, NOTIFY and reload through Redis", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		e := newEnv(t, items, onCluster)
		if _, ok := e.stack.Store.Redis().(*redis.ClusterClient); !ok {
			t.Fatalf("the stack's client is a %T, want a cluster client", e.stack.Store.Redis())
		}
		startup := e.rebuilds()[0]
		if r := e.get("/items"); r.Status != 200 || r.Body != "[{\"id\":1}, \n {\"id\":2}]" {
			t.Fatalf("GET /items: %d %s", r.Status, r.Body)
		}
		// The snapshot sits on the master of the namespace's slot.
		master, err := cl.MasterOf(ctx, e.stack.Store.Key("current"))
		if err != nil {
			t.Fatal(err)
		}
		node := redis.NewClient(&redis.Options{Addr: master, Username: "pgrst", Password: "cluster-pw"})
		defer node.Close()
		if v, err := node.Get(ctx, e.stack.Store.Key("current")).Int64(); err != nil || v != startup.Version {
			t.Fatalf("current on %s = %d, %v; want %d", master, v, err, startup.Version)
		}
		// A fresh function reads the worker's snapshot from the cluster.
		cfg := configFrom(t, e.vars)
		onCluster(cfg)
		fn, api := newFunction(t, cfg)
		if r := fetch(t, api.URL, "/items"); r.Status != 200 {
			t.Fatalf("fresh function: %d %s", r.Status, r.Body)
		}
		if _, v, err := fn.Reader.Current(ctx); err != nil || v != startup.Version {
			t.Fatalf("fresh function serves v%d (%v), want the worker's v%d", v, err, startup.Version)
		}

		mustExec(t, e.db, `CREATE TABLE api.widgets (id int); NOTIFY pgrst, 'reload schema'`)
		e.waitBuild("notify")
		if r, took := e.pollUntil("/widgets", 200, 2*time.Second); r.Status != 200 {
			t.Fatalf("after NOTIFY: %d %s", r.Status, r.Body)
		} else {
			t.Logf("NOTIFY → 200 through the cluster in %v", took)
		}

		// A reload request on {prefix}:reload, no NOTIFY.
		mustExec(t, e.db, `CREATE TABLE api.gadgets (id int)`)
		wantError(t, e.get("/gadgets"), 404, "PGRST205", "", "", "")
		requestReload(t, e.stack.Store)
		e.waitBuild("manual")
		if r, _ := e.pollUntil("/gadgets", 200, 2*time.Second); r.Status != 200 {
			t.Fatalf("after a reload through Redis: %d %s", r.Status, r.Body)
		}
	})

	t.Run("two workers share the leader lease", func(t *testing.T) {
		t.Parallel()
		const ttl = time.Second
		db, vars := newDatabase(t, items)
		vars["REDIS_URL"] = cl.URL()
		a, b := clusterWorker(t, vars, "cluster-a", ttl), clusterWorker(t, vars, "cluster-b", ttl)
		a.run()
		b.run()
		leader, standby, _ := firstStartup(t, a, b, 10*time.Second)
		if h := holder(t, leader.store); !strings.HasPrefix(h, leader.id+"/") {
			t.Fatalf("lease holder %q, leader %s", h, leader.id)
		}
		mustExec(t, db, `CREATE TABLE api.one (id int); NOTIFY pgrst`)
		leader.waitBuild("notify", 5*time.Second)
		time.Sleep(300 * time.Millisecond)
		if n := len(standby.rebuilds()); n != 0 {
			t.Fatalf("the standby rebuilt %d times", n)
		}
		// Hand-over: the standby takes the lease and rebuilds.
		start := time.Now()
		leader.stop()
		waitFor(t, "standby holds the lease", 2*time.Second, func() bool {
			return strings.HasPrefix(holder(t, standby.store), standby.id+"/")
		})
		standby.waitBuild("startup", 5*time.Second)
		t.Logf("hand-over through the cluster in %v", time.Since(start))
		mustExec(t, db, `CREATE TABLE api.two (id int); NOTIFY pgrst`)
		standby.waitBuild("notify", 5*time.Second)
		cfg := configFrom(t, vars)
		onCluster(cfg)
		_, api := newFunction(t, cfg)
		if r := fetch(t, api.URL, "/two"); r.Status != 200 {
			t.Fatalf("after the hand-over: %d %s", r.Status, r.Body)
		}
	})

	t.Run("cold functions build once", func(t *testing.T) {
		t.Parallel()
		_, vars := newDatabase(t, items)
		cfg := configFrom(t, vars)
		onCluster(cfg)
		// Three cold functions, no worker, an empty namespace: the build
		// lease lets one of them build.
		var wg sync.WaitGroup
		var ok atomic.Int64
		for range 3 {
			_, api := newFunction(t, cfg)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := fetch(t, api.URL, "/items"); r.Status == 200 {
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		if ok.Load() != 3 {
			t.Fatalf("%d of 3 cold functions answered 200", ok.Load())
		}
		fn, _ := newFunction(t, cfg)
		vs, err := fn.Store.Versions(context.Background())
		if err != nil || len(vs) != 1 || vs[0].Meta["trigger"] != "cold-start" {
			t.Fatalf("versions %+v (%v), want one cold-start build", vs, err)
		}
	})

	t.Run("failover under load", func(t *testing.T) {
		// Not parallel: the failover moves a third of the slots.
		ctx := context.Background()
		e := newEnv(t, items, onCluster)
		key := e.stack.Store.Key("current")

		stop := make(chan struct{})
		var wg sync.WaitGroup
		var served, failed atomic.Int64
		var firstBad atomic.Value
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					r := e.get("/items")
					if r.Status == 200 {
						served.Add(1)
					} else {
						failed.Add(1)
						firstBad.CompareAndSwap(nil, fmt.Sprintf("%d %s", r.Status, r.Body))
					}
					time.Sleep(2 * time.Millisecond)
				}
			}()
		}
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		oldMaster, newMaster, err := cl.Failover(ctx, key)
		if err != nil {
			close(stop)
			wg.Wait()
			t.Fatal(err)
		}
		t.Logf("slot of %s moved from %s to %s in %v", key, oldMaster, newMaster, time.Since(start))
		time.Sleep(300 * time.Millisecond)

		// A reload after the failover is published on the new master and served.
		mustExec(t, e.db, `CREATE TABLE api.after_failover (id int); NOTIFY pgrst`)
		r := e.waitBuild("notify")
		if r.Outcome != "published" {
			t.Fatalf("rebuild after the failover: %s", r.Outcome)
		}
		if res, took := e.pollUntil("/after_failover", 200, 5*time.Second); res.Status != 200 {
			t.Fatalf("after the failover: %d %s", res.Status, res.Body)
		} else {
			t.Logf("NOTIFY after the failover → 200 in %v", took)
		}
		node := redis.NewClient(&redis.Options{Addr: newMaster, Username: "pgrst", Password: "cluster-pw"})
		defer node.Close()
		if v, err := node.Get(ctx, key).Int64(); err != nil || v != r.Version {
			t.Fatalf("current on the new master %s = %d, %v; want %d", newMaster, v, err, r.Version)
		}
		// The worker's reload subscription survived the failover.
		mustExec(t, e.db, `CREATE TABLE api.after_failover_manual (id int)`)
		requestReload(t, e.stack.Store)
		e.waitBuild("manual")
		if res, _ := e.pollUntil("/after_failover_manual", 200, 5*time.Second); res.Status != 200 {
			t.Fatalf("reload through Redis after the failover: %d %s", res.Status, res.Body)
		}
		close(stop)
		wg.Wait()
		t.Logf("during and after the failover: %d requests answered 200, %d did not; %d served from the memoised snapshot",
			served.Load(), failed.Load(), e.stack.Reader.Fallbacks.Load())
		if failed.Load() != 0 {
			t.Fatalf("%d requests failed, first: %v", failed.Load(), firstBad.Load())
		}
		if served.Load() < 50 {
			t.Fatalf("only %d requests ran during the failover", served.Load())
		}
	})
}

// requestReload sends "reload schema" on the reload channel, retrying
// until a worker has subscribed (at most 5 s).
func requestReload(t *testing.T, s *cachestore.Store) {
	t.Helper()
	waitFor(t, "a worker receives the reload request", 5*time.Second, func() bool {
		n, err := s.RequestReload(context.Background(), "reload schema")
		return err == nil && n >= 1
	})
}

// clusterWorker is newHAWorker with the cluster mode of REDIS_CLUSTER
// (cachestore.DialConfig).
func clusterWorker(t *testing.T, vars map[string]string, id string, ttl time.Duration) *haWorker {
	t.Helper()
	h := newHAWorker(t, vars, id, ttl, nil)
	if _, ok := h.rdb.(*redis.ClusterClient); !ok {
		t.Fatalf("%s: a %T, want a cluster client", id, h.rdb)
	}
	return h
}
