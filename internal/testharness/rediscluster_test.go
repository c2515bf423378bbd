package testharness

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestRedisCluster(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c, err := StartRedisCluster(RedisClusterOptions{User: "app", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if n := len(c.Addrs()); n != 6 {
		t.Fatalf("%d nodes, want 6", n)
	}
	if !strings.HasPrefix(c.URL(), "redis://app:s3cret@127.0.0.1:") {
		t.Fatalf("URL %q", c.URL())
	}

	// Without credentials the nodes refuse commands.
	anon := redis.NewClient(&redis.Options{Addr: c.Addrs()[0], MaxRetries: -1})
	if err := anon.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Errorf("PING without credentials: %v", err)
	}
	_ = anon.Close()

	opts, err := redis.ParseClusterURL(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClusterClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	// Keys spread over the three masters.
	masters := map[string]bool{}
	for i := range 30 {
		key := fmt.Sprintf("k%d", i)
		if err := rdb.Set(ctx, key, i, 0).Err(); err != nil {
			t.Fatal(err)
		}
		m, err := c.MasterOf(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		masters[m] = true
	}
	if len(masters) != 3 {
		t.Fatalf("keys on %d masters, want 3", len(masters))
	}

	oldMaster, newMaster, err := c.Failover(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	if oldMaster == newMaster {
		t.Fatalf("failover kept master %s", oldMaster)
	}
	if m, err := c.MasterOf(ctx, "k1"); err != nil || m != newMaster {
		t.Fatalf("after failover k1 is on %s (%v), want %s", m, err, newMaster)
	}
	// The data survived on the promoted replica.
	if v, err := rdb.Get(ctx, "k1").Int(); err != nil || v != 1 {
		t.Fatalf("GET k1 after failover: %d, %v", v, err)
	}

	pids := c.pids()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		requireGone(t, pid)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}
