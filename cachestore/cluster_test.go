package cachestore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// TestCluster runs the store against a real Redis Cluster (three masters,
// three replicas, an ACL user) started for it.
func TestCluster(t *testing.T) {
	cl, err := testharness.StartRedisCluster(testharness.RedisClusterOptions{User: "pgrst", Password: "cluster-pw"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	dial := func(t *testing.T, url, mode string) redis.UniversalClient {
		t.Helper()
		rdb, err := cachestore.DialMode(url, mode)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = rdb.Close() })
		return rdb
	}

	t.Run("detect", func(t *testing.T) {
		if _, ok := dial(t, cl.URL(), config.RedisClusterAuto).(*redis.ClusterClient); !ok {
			t.Error("auto against a cluster: not a cluster client")
		}
		if _, ok := dial(t, rds.URL(), config.RedisClusterAuto).(*redis.Client); !ok {
			t.Error("auto against a single node: not a single-node client")
		}
		if _, ok := dial(t, rds.URL(), config.RedisClusterOn).(*redis.ClusterClient); !ok {
			t.Error("on: not a cluster client")
		}
		if _, ok := dial(t, cl.URL(), config.RedisClusterOff).(*redis.Client); !ok {
			t.Error("off: not a single-node client")
		}
		if _, err := cachestore.DialMode(cl.URL()+"/2", config.RedisClusterOn); err == nil {
			t.Error("cluster mode accepted database 2")
		}
		if _, err := cachestore.DialMode(cl.URL(), "maybe"); err == nil {
			t.Error("mode maybe accepted")
		}
		ctx := t.Context()
		for url, want := range map[string]bool{cl.URL(): true, rds.URL(): false} {
			opts, _ := redis.ParseURL(url)
			c := redis.NewClient(opts)
			got, err := cachestore.DetectCluster(ctx, c)
			_ = c.Close()
			if err != nil || got != want {
				t.Errorf("DetectCluster(%s) = %v, %v; want %v", url, got, err, want)
			}
		}
		// A wrong password: the client is made, every command fails.
		bad := strings.Replace(cl.URL(), "cluster-pw", "wrong", 1)
		rdb := dial(t, bad, config.RedisClusterAuto)
		if err := rdb.Get(ctx, "{x}:y").Err(); err == nil || errors.Is(err, redis.Nil) {
			t.Errorf("GET with a wrong password: %v", err)
		}
	})

	t.Run("store", func(t *testing.T) {
		ctx := t.Context()
		rdb := dial(t, cl.URL(), config.RedisClusterAuto)
		s := cachestore.New(rdb, fmt.Sprintf("c%d", prefixSeq.Add(1)))
		s.Keep = 3
		sub := rdb.Subscribe(ctx, s.Channel())
		t.Cleanup(func() { _ = sub.Close() })
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		var last int64
		for i := range 5 {
			last = publish(t, s, fmt.Sprintf("blob %d", i))
		}
		// The announcement of each publish reaches the subscriber, wherever
		// in the cluster it is connected.
		for i := range 5 {
			msg, err := sub.ReceiveTimeout(ctx, 5*time.Second)
			if err != nil {
				t.Fatalf("announcement %d: %v", i, err)
			}
			if m, ok := msg.(*redis.Message); !ok || (i == 4 && m.Payload != fmt.Sprint(last)) {
				t.Fatalf("announcement %d: %#v, want version %d last", i, msg, last)
			}
		}
		v, blob, err := s.Fetch(ctx, 0, 0)
		if err != nil || v != last || string(blob) != "blob 4" {
			t.Fatalf("Fetch = %d, %q, %v; want %d, blob 4", v, blob, err, last)
		}
		if v, blob, err := s.Fetch(ctx, last, 0); err != nil || v != last || blob != nil {
			t.Fatalf("Fetch(have current) = %d, %d bytes, %v", v, len(blob), err)
		}
		vs, err := s.Versions(ctx)
		if err != nil || len(vs) != 3 || vs[2].Version != last || vs[2].Meta["trigger"] != "manual" {
			t.Fatalf("Versions = %+v, %v; want 3 kept, newest %d", vs, err, last)
		}
		if err := s.Pin(ctx, vs[0].Version); err != nil {
			t.Fatal(err)
		}
		if cur, _ := s.Current(ctx); cur != vs[0].Version {
			t.Fatalf("after pin current = %d, want %d", cur, vs[0].Version)
		}
		if v, err := s.Unpin(ctx); err != nil || v != last {
			t.Fatalf("Unpin = %d, %v; want %d", v, err, last)
		}

		// Leases: one holder at a time.
		ok1, err1 := s.Acquire(ctx, cachestore.BuildLease, "a", time.Minute)
		ok2, err2 := s.Acquire(ctx, cachestore.BuildLease, "b", time.Minute)
		if !ok1 || ok2 || err1 != nil || err2 != nil {
			t.Fatalf("Acquire a = %v %v, b = %v %v; want only a", ok1, err1, ok2, err2)
		}
		if err := s.Release(ctx, cachestore.BuildLease, "a"); err != nil {
			t.Fatal(err)
		}
		if h, err := s.Holder(ctx, cachestore.BuildLease); err != nil || h != "" {
			t.Fatalf("holder after release %q, %v", h, err)
		}

		// Every key of the namespace lives on the master of its hash tag.
		cc := rdb.(*redis.ClusterClient)
		master, err := cl.MasterOf(ctx, s.Key("current"))
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		where := map[string][]string{}
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			keys, err := c.Keys(ctx, s.Key("*")).Result()
			mu.Lock()
			where[c.Options().Addr] = keys
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		for addr, keys := range where {
			if addr != master && len(keys) > 0 {
				t.Errorf("keys %v on %s, want all on %s", keys, addr, master)
			}
		}
		// seq, current, 3 × (cache, meta), versions.
		if n := len(where[master]); n != 9 {
			t.Errorf("%d keys on %s (%v), want 9", n, master, where[master])
		}
	})

	t.Run("reload channel", func(t *testing.T) {
		ctx := t.Context()
		rdb := dial(t, cl.URL(), config.RedisClusterAuto)
		s := cachestore.New(rdb, fmt.Sprintf("c%d", prefixSeq.Add(1)))
		if n, err := s.RequestReload(ctx, "reload schema"); err != nil || n != 0 {
			t.Fatalf("RequestReload with no subscriber = %d, %v", n, err)
		}
		sub := rdb.Subscribe(ctx, s.ReloadChannel())
		t.Cleanup(func() { _ = sub.Close() })
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		// PUBLISH may run on any node: the count is cluster-wide.
		for range 5 {
			if n, err := s.RequestReload(ctx, "reload config"); err != nil || n != 1 {
				t.Fatalf("RequestReload = %d, %v; want 1 subscriber", n, err)
			}
			msg, err := sub.ReceiveMessage(ctx)
			if err != nil || msg.Payload != "reload config" {
				t.Fatalf("received %v, %v", msg, err)
			}
		}
	})

	t.Run("adaptive client", func(t *testing.T) {
		// The client made when the server could not be asked at Dial works
		// with both kinds of server once they answer.
		for name, url := range map[string]string{"single": rds.URL(), "cluster": cl.URL()} {
			rdb := cachestore.AdaptiveClient(url)
			s := cachestore.New(rdb, fmt.Sprintf("c%d", prefixSeq.Add(1)))
			v := publish(t, s, "adaptive")
			got, blob, err := s.Fetch(t.Context(), 0, 0)
			if err != nil || got != v || string(blob) != "adaptive" {
				t.Errorf("%s: Fetch = %d, %q, %v; want %d", name, got, blob, err, v)
			}
			_ = rdb.Close()
		}
	})
}
