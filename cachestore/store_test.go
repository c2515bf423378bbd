package cachestore_test

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

var (
	rds       *testharness.Redis //nolint:gochecknoglobals // started once per test binary
	prefixSeq atomic.Int64       //nolint:gochecknoglobals // unique key prefix per test
)

func TestMain(m *testing.M) { testharness.Main(m, nil, &rds) }

// client returns a client of srv closed when t ends.
func client(t *testing.T, srv *testharness.Redis) redis.UniversalClient {
	t.Helper()
	rdb, err := cachestore.Dial(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// noRetryClient returns a client of srv that fails at once when srv is
// down (go-redis otherwise retries three times with backoff).
func noRetryClient(t *testing.T, srv *testharness.Redis) redis.UniversalClient {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// newStore returns a store over the shared server in a namespace of its own.
func newStore(t *testing.T) (*cachestore.Store, redis.UniversalClient) {
	t.Helper()
	rdb := client(t, rds)
	return cachestore.New(rdb, fmt.Sprintf("t%d", prefixSeq.Add(1))), rdb
}

func publish(t *testing.T, s *cachestore.Store, blob string) int64 {
	t.Helper()
	v, err := reserveAndPublish(context.Background(), s, []byte(blob), cachestore.Meta{Trigger: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// reserveAndPublish is a worker's publish: reserve a version, then publish
// it; it fails unless the blob became current.
func reserveAndPublish(ctx context.Context, s *cachestore.Store, blob []byte, meta cachestore.Meta) (int64, error) {
	v, err := s.Reserve(ctx)
	if err != nil {
		return 0, err
	}
	res, err := s.Publish(ctx, v, blob, meta)
	if err != nil {
		return 0, err
	}
	if !res.Published || res.Current != v {
		return 0, fmt.Errorf("publish v%d: %+v", v, res)
	}
	return v, nil
}

// scanKeys returns the keys matching pattern, sorted.
func scanKeys(t *testing.T, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	var keys []string
	iter := rdb.Scan(context.Background(), 0, pattern, 100).Iterator()
	for iter.Next(context.Background()) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func TestKeyLayout(t *testing.T) {
	s := cachestore.New(nil, "pgrst")
	for name, want := range map[string]string{
		"current": "{pgrst}:current", "cache:42": "{pgrst}:cache:42", "": "{pgrst}:",
	} {
		if got := s.Key(name); got != want {
			t.Errorf("Key(%q) = %q, want %q", name, got, want)
		}
	}
	if got := s.Channel(); got != "{pgrst}:published" {
		t.Errorf("Channel() = %q", got)
	}
}

func TestFetchEmptyNamespace(t *testing.T) {
	s, _ := newStore(t)
	for _, have := range []int64{0, 7} {
		v, blob, err := s.Fetch(context.Background(), have, 0)
		if !errors.Is(err, cachestore.ErrNoCache) || v != 0 || blob != nil {
			t.Errorf("Fetch(%d) on an empty namespace = %d, %q, %v; want ErrNoCache", have, v, blob, err)
		}
	}
}

func TestPublishAndFetch(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	var versions []int64
	for i := 1; i <= 4; i++ {
		versions = append(versions, publish(t, s, fmt.Sprintf("blob %d", i)))
	}
	for i := 1; i < len(versions); i++ {
		if versions[i] <= versions[i-1] {
			t.Fatalf("versions not strictly increasing: %v", versions)
		}
	}
	cur := versions[len(versions)-1]

	tests := []struct {
		have     int64
		wantBlob []byte
	}{
		{have: 0, wantBlob: []byte("blob 4")},
		{have: versions[1], wantBlob: []byte("blob 4")}, // an older version
		{have: cur + 100, wantBlob: []byte("blob 4")},   // a version the store never had
		{have: cur, wantBlob: nil},                      // unchanged: no blob
	}
	for _, tt := range tests {
		v, blob, err := s.Fetch(ctx, tt.have, 0)
		if err != nil {
			t.Fatalf("Fetch(%d): %v", tt.have, err)
		}
		if v != cur {
			t.Errorf("Fetch(%d) version = %d, want %d", tt.have, v, cur)
		}
		if (blob == nil) != (tt.wantBlob == nil) || string(blob) != string(tt.wantBlob) {
			t.Errorf("Fetch(%d) blob = %q, want %q", tt.have, blob, tt.wantBlob)
		}
	}
}

func TestPublishBinaryBlob(t *testing.T) {
	s, _ := newStore(t)
	blob := []byte{0, 1, 2, 0xff, 0xfe, '\r', '\n', 0}
	v, err := reserveAndPublish(context.Background(), s, blob, cachestore.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	gotV, got, err := s.Fetch(context.Background(), 0, 0)
	if err != nil || gotV != v || string(got) != string(blob) {
		t.Errorf("Fetch = %d, %v, %v; want %d, %v", gotV, got, err, v, blob)
	}
}

func TestPublishMeta(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	blob := []byte("twelve bytes")
	v, err := reserveAndPublish(ctx, s, blob, cachestore.Meta{Trigger: "notify", BuildMs: 12.3456,
		BuiltAt: "2024-05-06T07:08:09Z", Tables: 3, Relationships: 5, Routines: 7, WorkerID: "w1",
		ContentHash: "abc", QueryMs: map[string]float64{"tables": 1.25}, Extra: map[string]string{"pg_version": "150018"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := rdb.HGetAll(ctx, s.Key(fmt.Sprintf("meta:%d", v))).Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"trigger": "notify", "build_ms": "12.346", "built_at": "2024-05-06T07:08:09Z",
		"tables": "3", "relationships": "5", "routines": "7", "bytes": strconv.Itoa(len(blob)),
		"worker_id": "w1", "content_hash": "abc", "query_ms.tables": "1.250", "pg_version": "150018",
		"blob_sha1": fmt.Sprintf("%x", sha1.Sum(blob)), "head_bytes": strconv.Itoa(len(blob)), "sections": "0",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("meta %s = %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("meta has %d fields, want %d: %v", len(got), len(want), got)
	}
	if cur, err := rdb.Get(ctx, s.Key("current")).Result(); err != nil || cur != strconv.FormatInt(v, 10) {
		t.Errorf("current = %q, %v; want %d", cur, err, v)
	}
}

func TestPublishKeepsLastVersions(t *testing.T) {
	tests := []struct {
		keep, publishes, wantKept int
	}{
		{keep: 3, publishes: 5, wantKept: 3},
		{keep: 3, publishes: 2, wantKept: 2},
		{keep: 1, publishes: 3, wantKept: 1},
		{keep: 0, publishes: cachestore.DefaultKeep + 2, wantKept: cachestore.DefaultKeep},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("keep %d of %d", tt.keep, tt.publishes), func(t *testing.T) {
			ctx := context.Background()
			s, rdb := newStore(t)
			s.Keep = tt.keep
			var versions []int64
			for i := range tt.publishes {
				versions = append(versions, publish(t, s, fmt.Sprintf("blob %d", i)))
			}
			kept := versions[len(versions)-tt.wantKept:]
			var wantCache, wantMeta, wantZ []string
			for _, v := range kept {
				wantCache = append(wantCache, s.Key(fmt.Sprintf("cache:%d", v)))
				wantMeta = append(wantMeta, s.Key(fmt.Sprintf("meta:%d", v)))
				wantZ = append(wantZ, strconv.FormatInt(v, 10))
			}
			slices.Sort(wantCache)
			slices.Sort(wantMeta)
			if got := scanKeys(t, rdb, s.Key("cache:*")); !slices.Equal(got, wantCache) {
				t.Errorf("cache keys = %v, want %v", got, wantCache)
			}
			if got := scanKeys(t, rdb, s.Key("meta:*")); !slices.Equal(got, wantMeta) {
				t.Errorf("meta keys = %v, want %v", got, wantMeta)
			}
			if got, err := rdb.ZRange(ctx, s.Key("versions"), 0, -1).Result(); err != nil || !slices.Equal(got, wantZ) {
				t.Errorf("versions zset = %v, %v; want %v", got, err, wantZ)
			}
			// Keys of the namespace: the kept versions plus seq, current and versions.
			if got := len(scanKeys(t, rdb, s.Key("*"))); got != 2*tt.wantKept+3 {
				t.Errorf("%d keys in the namespace, want %d", got, 2*tt.wantKept+3)
			}
		})
	}
}

func TestPublishAnnouncesVersions(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	sub := rdb.Subscribe(ctx, s.Channel())
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	var want []string
	for i := range 3 {
		want = append(want, strconv.FormatInt(publish(t, s, fmt.Sprint(i)), 10))
	}
	for i, w := range want {
		msg, err := sub.ReceiveTimeout(ctx, 5*time.Second)
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		m, ok := msg.(*redis.Message)
		if !ok {
			t.Fatalf("message %d: got %T %v", i, msg, msg)
		}
		if m.Channel != s.Channel() || m.Payload != w {
			t.Errorf("message %d = %s %q, want %s %q", i, m.Channel, m.Payload, s.Channel(), w)
		}
	}
}

func TestPrefixesAreIndependent(t *testing.T) {
	ctx := context.Background()
	rdb := client(t, rds)
	n := prefixSeq.Add(1)
	// "x" and "x:y" share a leading substring; their keys must not collide.
	a := cachestore.New(rdb, fmt.Sprintf("p%d", n))
	b := cachestore.New(rdb, fmt.Sprintf("p%d:y", n))
	a.Keep, b.Keep = 1, 1
	va1 := publish(t, a, "a1")
	va2 := publish(t, a, "a2")
	vb1 := publish(t, b, "b1")
	// Versions follow Redis's clock in ms, so only their order is known.
	if va2 <= va1 {
		t.Errorf("versions a: %d, %d; want increasing versions in a", va1, va2)
	}
	for _, tt := range []struct {
		s    *cachestore.Store
		v    int64
		blob string
	}{{a, va2, "a2"}, {b, vb1, "b1"}} {
		v, blob, err := tt.s.Fetch(ctx, 0, 0)
		if err != nil || v != tt.v || string(blob) != tt.blob {
			t.Errorf("Fetch(%s) = %d, %q, %v; want %d, %q", tt.s.Key(""), v, blob, err, tt.v, tt.blob)
		}
	}
	empty := cachestore.New(rdb, fmt.Sprintf("p%d:z", n))
	if _, _, err := empty.Fetch(ctx, 0, 0); !errors.Is(err, cachestore.ErrNoCache) {
		t.Errorf("Fetch on a third namespace: %v, want ErrNoCache", err)
	}
}

func TestConcurrentPublishes(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	const workers, each = 6, 15
	var (
		mu     sync.Mutex
		blobOf = map[int64]string{}
		wg     sync.WaitGroup
		errs   = make(chan error, workers*each)
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				blob := fmt.Sprintf("w%d-%d", w, i)
				v, err := s.Reserve(ctx)
				if err != nil {
					errs <- err
					return
				}
				if _, err := s.Publish(ctx, v, []byte(blob), cachestore.Meta{}); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if prev, dup := blobOf[v]; dup {
					errs <- fmt.Errorf("version %d handed out twice (%s, %s)", v, prev, blob)
				}
				blobOf[v] = blob
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(blobOf) != workers*each {
		t.Fatalf("%d distinct versions, want %d", len(blobOf), workers*each)
	}
	maxV := int64(0)
	for v := range blobOf {
		maxV = max(maxV, v)
	}
	v, blob, err := s.Fetch(ctx, 0, 0)
	if err != nil || v != maxV || string(blob) != blobOf[maxV] {
		t.Errorf("Fetch = %d, %q, %v; want the highest version %d, %q", v, blob, err, maxV, blobOf[maxV])
	}
}

func TestFetchInconsistentState(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		corrupt func(s *cachestore.Store, rdb redis.UniversalClient, v int64) error
		wantErr string
	}{
		{"current without blob", func(s *cachestore.Store, rdb redis.UniversalClient, v int64) error {
			return rdb.Del(ctx, s.Key(fmt.Sprintf("cache:%d", v))).Err()
		}, "has no blob"},
		{"current not a number", func(s *cachestore.Store, rdb redis.UniversalClient, _ int64) error {
			return rdb.Set(ctx, s.Key("current"), "abc", 0).Err()
		}, "bad current version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rdb := newStore(t)
			v := publish(t, s, "blob")
			if err := tt.corrupt(s, rdb, v); err != nil {
				t.Fatal(err)
			}
			gotV, blob, err := s.Fetch(ctx, 0, 0)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || errors.Is(err, cachestore.ErrNoCache) {
				t.Errorf("Fetch = %d, %q, %v; want an error containing %q", gotV, blob, err, tt.wantErr)
			}
		})
	}
}

func TestRedisDown(t *testing.T) {
	srv := startRedis(t)
	s := cachestore.New(noRetryClient(t, srv), "down")
	publish(t, s, "blob")
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := s.Fetch(ctx, 0, 0); err == nil || errors.Is(err, cachestore.ErrNoCache) {
		t.Errorf("Fetch with Redis stopped: %v, want a connection error", err)
	}
	if _, err := s.Publish(ctx, 1, []byte("x"), cachestore.Meta{}); err == nil {
		t.Error("Publish with Redis stopped succeeded")
	}
}

func TestDial(t *testing.T) {
	for _, url := range []string{"redis://127.0.0.1:6379/0", "rediss://user:pw@example.com:6380", "unix:///tmp/redis.sock"} {
		rdb, err := cachestore.Dial(url)
		if err != nil {
			t.Errorf("Dial(%q): %v", url, err)
			continue
		}
		_ = rdb.Close()
	}
	for url, want := range map[string]int{"redis://127.0.0.1:6379/0": 2, "redis://127.0.0.1:6379/0?protocol=3": 3} {
		rdb, err := cachestore.Dial(url)
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := rdb.(*redis.Client); !ok || c.Options().Protocol != want {
			t.Errorf("Dial(%q): protocol %d, want %d", url, c.Options().Protocol, want)
		}
		_ = rdb.Close()
	}
	for _, url := range []string{"", "http://example.com", "redis://:s3cr3t@host:notaport/0", "redis://u:s3cr3t@host/db9x"} {
		_, err := cachestore.Dial(url)
		if err == nil {
			t.Errorf("Dial(%q) succeeded", url)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Dial error leaks the password: %v", err)
		}
	}
}

// TestPublishCompareAndSet: a version reserved before the current one is
// dropped (a slow build never replaces a newer one), and a blob with the
// current version's content hash is not republished.
func TestPublishCompareAndSet(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	older, _ := s.Reserve(ctx)
	newer, _ := s.Reserve(ctx)
	if res, err := s.Publish(ctx, newer, []byte("new"), cachestore.Meta{ContentHash: "h1"}); err != nil || !res.Published || res.Current != newer {
		t.Fatalf("publish newer: %+v %v", res, err)
	}
	res, err := s.Publish(ctx, older, []byte("old"), cachestore.Meta{ContentHash: "h0"})
	if err != nil || res.Published || res.Outcome != "stale" || res.Current != newer {
		t.Fatalf("publish older after newer: %+v %v; want stale, current %d", res, err, newer)
	}
	same, _ := s.Reserve(ctx)
	res, err = s.Publish(ctx, same, []byte("new again"), cachestore.Meta{ContentHash: "h1"})
	if err != nil || res.Published || res.Outcome != "unchanged" || res.Current != newer {
		t.Fatalf("publish identical content: %+v %v; want unchanged", res, err)
	}
	if vs, _ := s.Versions(ctx); len(vs) != 1 || vs[0].Version != newer {
		t.Fatalf("kept versions %+v, want only %d", vs, newer)
	}
	if _, blob, _ := s.Fetch(ctx, 0, 0); string(blob) != "new" {
		t.Fatalf("current blob %q", blob)
	}
}

func TestPinAndUnpin(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	v1 := publish(t, s, "one")
	v2 := publish(t, s, "two")
	if err := s.Pin(ctx, v1); err != nil {
		t.Fatal(err)
	}
	if v, blob, _ := s.Fetch(ctx, 0, 0); v != v1 || string(blob) != "one" {
		t.Fatalf("pinned: current %d %q, want %d", v, blob, v1)
	}
	if p, _ := s.Pinned(ctx); p != v1 {
		t.Fatalf("Pinned = %d", p)
	}
	if err := s.Pin(ctx, 12345); !errors.Is(err, cachestore.ErrNoCache) {
		t.Fatalf("pin of a version not kept: %v", err)
	}
	if v, err := s.Unpin(ctx); err != nil || v != v2 {
		t.Fatalf("Unpin = %d, %v; want %d", v, err, v2)
	}
	if cur, _ := s.Current(ctx); cur != v2 {
		t.Fatalf("after unpin current = %d", cur)
	}
	// A pin lasts until the next publish.
	_ = s.Pin(ctx, v1)
	v3 := publish(t, s, "three")
	if p, _ := s.Pinned(ctx); p != 0 {
		t.Fatalf("pin survived a publish: %d", p)
	}
	if cur, _ := s.Current(ctx); cur != v3 {
		t.Fatalf("current %d, want %d", cur, v3)
	}
}

func TestLease(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	if ok, err := s.Acquire(ctx, cachestore.LeaderLease, "a", time.Second); !ok || err != nil {
		t.Fatalf("a acquires a free lease: %v %v", ok, err)
	}
	if ok, _ := s.Acquire(ctx, cachestore.LeaderLease, "b", time.Second); ok {
		t.Fatal("b acquired a lease a holds")
	}
	if ok, _ := s.Acquire(ctx, cachestore.LeaderLease, "a", time.Second); !ok {
		t.Fatal("a could not renew its lease")
	}
	if h, _ := s.Holder(ctx, cachestore.LeaderLease); h != "a" {
		t.Fatalf("holder %q", h)
	}
	_ = s.Release(ctx, cachestore.LeaderLease, "b") // not b's: no effect
	if h, _ := s.Holder(ctx, cachestore.LeaderLease); h != "a" {
		t.Fatalf("b released a's lease")
	}
	_ = s.Release(ctx, cachestore.LeaderLease, "a")
	if ok, _ := s.Acquire(ctx, cachestore.LeaderLease, "b", 50*time.Millisecond); !ok {
		t.Fatal("b could not take a released lease")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if ok, _ := s.Acquire(ctx, cachestore.LeaderLease, "c", time.Second); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("an expired lease was never free")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRequestReload(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	sub := rdb.Subscribe(ctx, s.ReloadChannel())
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RequestReload(ctx, "reload schema"); err != nil || n != 1 {
		t.Fatalf("RequestReload = %d, %v", n, err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Payload != "reload schema" {
		t.Fatalf("received %v %v", msg, err)
	}
	if _, err := s.RequestReload(ctx, "drop everything"); err == nil {
		t.Fatal("an unknown payload was published")
	}
}
