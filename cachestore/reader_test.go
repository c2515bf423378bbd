package cachestore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// cacheBlob encodes a schema cache holding tables api.<name>.
func cacheBlob(t *testing.T, names ...string) []byte {
	t.Helper()
	sc := &schemacache.SchemaCache{Schemas: []string{"api"}}
	for _, n := range names {
		sc.Tables = append(sc.Tables, schemacache.Table{Schema: "api", Name: n})
	}
	blob, err := snapshot.EncodeCache(sc)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// newerFormatBlob is blob relabelled with the next format version.
func newerFormatBlob(blob []byte) []byte {
	out := append([]byte(nil), blob...)
	binary.BigEndian.PutUint16(out[4:6], snapshot.FormatVersion+1)
	return out
}

func publishBlob(t *testing.T, s *cachestore.Store, blob []byte) int64 {
	t.Helper()
	v, err := reserveAndPublish(context.Background(), s, blob, cachestore.Meta{Trigger: "manual"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// current calls r.Current and fails t on error.
func current(t *testing.T, r *cachestore.Reader) (*schemacache.SchemaCache, int64) {
	t.Helper()
	snap, v, err := r.Current(context.Background())
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	if snap == nil || snap.Cache == nil {
		t.Fatal("Current returned a nil cache without error")
	}
	return snap.Cache, v
}

// tableNames loads the whole cache of sc (a lazily backed one reads its
// sections from Redis) and lists its tables.
func tableNames(sc *schemacache.SchemaCache) string {
	whole, err := sc.Complete(context.Background())
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(whole.TableNames("api"))
}

func TestReaderNothingPublished(t *testing.T) {
	s, _ := newStore(t)
	sc, v, err := cachestore.NewReader(s, nil).Current(context.Background())
	if !errors.Is(err, cachestore.ErrNoCache) || sc != nil || v != 0 {
		t.Errorf("Current = %v, %d, %v; want ErrNoCache", sc, v, err)
	}
}

func TestReaderDecodesOnlyOnChange(t *testing.T) {
	s, _ := newStore(t)
	r := cachestore.NewReader(s, nil)
	v1 := publishBlob(t, s, cacheBlob(t, "a"))

	first, gotV := current(t, r)
	if gotV != v1 || tableNames(first) != "[a]" {
		t.Fatalf("Current = %s v%d, want [a] v%d", tableNames(first), gotV, v1)
	}
	if first.Table(schemacache.QI{Schema: "api", Name: "a"}) == nil {
		t.Error("decoded cache is not indexed")
	}
	for range 3 {
		// The same pointer: nothing was decoded again.
		if again, v := current(t, r); again != first || v != v1 {
			t.Fatalf("unchanged version gave %p v%d, want %p v%d", again, v, first, v1)
		}
	}

	v2 := publishBlob(t, s, cacheBlob(t, "a", "b"))
	second, gotV := current(t, r)
	if second == first || gotV != v2 || tableNames(second) != "[a b]" {
		t.Fatalf("after publish: %p %s v%d, want a new cache [a b] v%d", second, tableNames(second), gotV, v2)
	}
	if again, _ := current(t, r); again != second {
		t.Error("second cache decoded again")
	}
}

func TestReaderConcurrentCallers(t *testing.T) {
	s, _ := newStore(t)
	r := cachestore.NewReader(s, nil)
	publishBlob(t, s, cacheBlob(t, "a"))
	want, _ := current(t, r)
	var wg sync.WaitGroup
	got := make([]*schemacache.SchemaCache, 8)
	errs := make([]error, len(got))
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var snap *snapshot.Snapshot
			snap, _, errs[i] = r.Current(context.Background())
			if snap != nil {
				got[i] = snap.Cache
			}
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil || got[i] != want {
			t.Errorf("caller %d: %p, %v; want %p", i, got[i], errs[i], want)
		}
	}
}

// TestReaderConcurrentChanges: callers racing with new versions always get
// a snapshot that matches the version returned with it, never an older
// version after a newer one, and each version is decoded once.
func TestReaderConcurrentChanges(t *testing.T) {
	s, _ := newStore(t)
	r := cachestore.NewReader(s, nil)
	names := map[int64]string{}
	var mu sync.Mutex
	publish := func(tables ...string) {
		v := publishBlob(t, s, cacheBlob(t, tables...))
		mu.Lock()
		names[v] = fmt.Sprint(tables)
		mu.Unlock()
	}
	publish("a")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	decoded := make([]map[int64]*schemacache.SchemaCache, 6)
	errs := make(chan error, len(decoded))
	for i := range decoded {
		decoded[i] = map[int64]*schemacache.SchemaCache{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var last int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				snap, v, err := r.Current(context.Background())
				if err != nil {
					errs <- err
					return
				}
				if v < last {
					errs <- fmt.Errorf("v%d after v%d", v, last)
					return
				}
				last = v
				decoded[i][v] = snap.Cache
			}
		}()
	}
	for i := range 5 {
		time.Sleep(5 * time.Millisecond)
		publish(fmt.Sprint("t", i), "x")
	}
	time.Sleep(5 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Each version holds what was published under it, and is the same
	// decoded cache for every caller.
	first := map[int64]*schemacache.SchemaCache{}
	for _, d := range decoded {
		for v, c := range d {
			if got := tableNames(c); got != names[v] {
				t.Errorf("v%d holds %s, want %s", v, got, names[v])
			}
			if f, ok := first[v]; ok && f != c {
				t.Errorf("v%d decoded more than once", v)
			}
			first[v] = c
		}
	}
	if len(first) < 2 {
		t.Errorf("the callers saw %d versions; the test needs them to see changes", len(first))
	}
}

func TestReaderKeepsLastGoodCache(t *testing.T) {
	tests := []struct {
		name string
		bad  func(t *testing.T) []byte
	}{
		{"garbage", func(*testing.T) []byte { return []byte("not a schema cache") }},
		{"truncated", func(t *testing.T) []byte { b := cacheBlob(t, "x"); return b[:len(b)-3] }},
		{"newer format", func(t *testing.T) []byte { return newerFormatBlob(cacheBlob(t, "x")) }},
		{"empty", func(*testing.T) []byte { return []byte{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			warm := cachestore.NewReader(s, nil)
			good := publishBlob(t, s, cacheBlob(t, "a"))
			last, _ := current(t, warm)

			publishBlob(t, s, tt.bad(t))
			for range 2 {
				sc, v := current(t, warm)
				if sc != last || v != good {
					t.Fatalf("warm reader after a bad blob: %p v%d, want its last good cache %p v%d", sc, v, last, good)
				}
			}

			_, _, err := cachestore.NewReader(s, nil).Current(context.Background())
			if err == nil {
				t.Fatal("fresh reader meeting a bad blob: no error")
			}
			if got, want := errors.Is(err, snapshot.ErrUnsupportedFormat), tt.name == "newer format"; got != want {
				t.Errorf("errors.Is(%v, ErrUnsupportedFormat) = %v, want %v", err, got, want)
			}

			// The next good version is picked up.
			next := publishBlob(t, s, cacheBlob(t, "c"))
			if sc, v := current(t, warm); v != next || tableNames(sc) != "[c]" {
				t.Errorf("after a good publish: %s v%d, want [c] v%d", tableNames(sc), v, next)
			}
		})
	}
}

func TestReaderCorruptBlobUnderCurrentKey(t *testing.T) {
	ctx := context.Background()
	s, rdb := newStore(t)
	warm := cachestore.NewReader(s, nil)
	v := publishBlob(t, s, cacheBlob(t, "a"))
	last, _ := current(t, warm)

	if err := rdb.Set(ctx, s.Key(fmt.Sprintf("cache:%d", v)), "\x00garbage", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if sc, gotV := current(t, warm); sc != last || gotV != v {
		t.Errorf("warm reader: %p v%d, want %p v%d", sc, gotV, last, v)
	}
	sc, gotV, err := cachestore.NewReader(s, nil).Current(ctx)
	if err == nil || sc != nil || gotV != 0 {
		t.Errorf("fresh reader: %v v%d, %v; want an error", sc, gotV, err)
	}

	if err := rdb.Del(ctx, s.Key(fmt.Sprintf("cache:%d", v))).Err(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := cachestore.NewReader(s, nil).Current(ctx); err == nil || errors.Is(err, cachestore.ErrNoCache) {
		t.Errorf("fresh reader, current version without blob: %v", err)
	}
}

// startRedis starts a server of the test's own, for tests that stop or
// restart it.
func startRedis(t *testing.T) *testharness.Redis {
	t.Helper()
	srv, err := testharness.StartRedis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	return srv
}

func TestReaderRedisStopped(t *testing.T) {
	srv := startRedis(t)
	s := cachestore.New(noRetryClient(t, srv), "stopped")
	v := publishBlob(t, s, cacheBlob(t, "a"))
	warm := cachestore.NewReader(s, nil)
	last, _ := current(t, warm)
	cold := cachestore.NewReader(s, nil)

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if sc, gotV := current(t, warm); sc != last || gotV != v {
			t.Errorf("warm reader with Redis stopped: %p v%d, want %p v%d", sc, gotV, last, v)
		}
	}
	sc, gotV, err := cold.Current(context.Background())
	if err == nil || sc != nil || gotV != 0 || errors.Is(err, cachestore.ErrNoCache) {
		t.Errorf("cold reader with Redis stopped: %v v%d, %v; want a connection error", sc, gotV, err)
	}
}

func TestReaderRedisRestartedEmpty(t *testing.T) {
	srv := startRedis(t)
	s := cachestore.New(client(t, srv), "restarted")
	v := publishBlob(t, s, cacheBlob(t, "a"))
	warm := cachestore.NewReader(s, nil)
	last, _ := current(t, warm)

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// Every key is gone: the warm reader keeps serving, a cold one has nothing.
	if sc, gotV := current(t, warm); sc != last || gotV != v {
		t.Errorf("warm reader after the restart: %p v%d, want %p v%d", sc, gotV, last, v)
	}
	if _, _, err := cachestore.NewReader(s, nil).Current(context.Background()); !errors.Is(err, cachestore.ErrNoCache) {
		t.Errorf("cold reader after the restart: %v, want ErrNoCache", err)
	}
}

// TestVersionsIncreaseAcrossDataLoss: Redis without persistence forgets the
// sequence on restart; the next version must still exceed the one a warm
// reader holds, or the reader would keep its stale cache.
func TestVersionsIncreaseAcrossDataLoss(t *testing.T) {
	srv := startRedis(t)
	s := cachestore.New(client(t, srv), "dataloss")
	v1 := publishBlob(t, s, cacheBlob(t, "before"))
	warm := cachestore.NewReader(s, nil)
	current(t, warm)
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	v2 := publishBlob(t, s, cacheBlob(t, "after"))
	if v2 <= v1 {
		t.Fatalf("version after the restart %d <= %d before it", v2, v1)
	}
	sc, v := current(t, warm)
	if v != v2 || tableNames(sc) != "[after]" {
		t.Fatalf("warm reader after the restart serves v%d, want v%d with table after", v, v2)
	}
}

// TestReaderDoesNotRefetchABadVersion: a blob that failed to decode is not
// downloaded again while it stays current (a newer-format worker during a
// rolling deploy must not cost every request a full GET and decode).
func TestReaderDoesNotRefetchABadVersion(t *testing.T) {
	rdb := client(t, rds)
	s := cachestore.New(rdb, fmt.Sprintf("bad%d", prefixSeq.Add(1)))
	good := publishBlob(t, s, cacheBlob(t, "a"))
	r := cachestore.NewReader(s, nil)
	last, _ := current(t, r)
	bad := publishBlob(t, s, []byte("PGSC\x00\x09 from a newer worker"))
	if sc, v := current(t, r); sc != last || v != good {
		t.Fatalf("after a bad blob: %p v%d, want the last good %p v%d", sc, v, last, good)
	}
	// Replace the bad blob's bytes with a good cache under the same version:
	// a reader that skips the known-bad version does not notice.
	if err := rdb.Set(context.Background(), s.Key(fmt.Sprintf("cache:%d", bad)), cacheBlob(t, "b"), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if sc, v := current(t, r); sc != last || v != good {
		t.Fatalf("the known-bad version was downloaded again: v%d", v)
	}
	next := publishBlob(t, s, cacheBlob(t, "c"))
	if _, v := current(t, r); v != next {
		t.Fatalf("after a good publish: v%d, want v%d", v, next)
	}
}

func TestReaderRevalidateEvery(t *testing.T) {
	s, _ := newStore(t)
	v1 := publishBlob(t, s, cacheBlob(t, "a"))
	// A window far longer than a publish, so a loaded machine cannot close it early.
	const window = 1500 * time.Millisecond
	r := cachestore.NewReaderWithOptions(s, cachestore.ReaderOptions{RevalidateEvery: window})
	current(t, r)
	v2 := publishBlob(t, s, cacheBlob(t, "b"))
	if _, v := current(t, r); v != v1 {
		t.Fatalf("within the revalidation window: v%d, want the memoised v%d", v, v1)
	}
	time.Sleep(window + 50*time.Millisecond)
	if _, v := current(t, r); v != v2 {
		t.Fatalf("after the window: v%d, want v%d", v, v2)
	}
}

// TestReaderColdBuildIsSingle: many cold readers meet an empty namespace;
// exactly one builds, the others wait for its publish.
func TestReaderColdBuildIsSingle(t *testing.T) {
	s, _ := newStore(t)
	var builds atomic.Int32
	build := func(ctx context.Context) error {
		builds.Add(1)
		time.Sleep(100 * time.Millisecond) // a catalog load takes a while
		_, err := reserveAndPublish(ctx, s, cacheBlob(t, "built"), cachestore.Meta{Trigger: "cold-start"})
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := cachestore.NewReaderWithOptions(s, cachestore.ReaderOptions{Build: build, Holder: fmt.Sprintf("fn%d", i)})
			snap, _, err := r.Current(context.Background())
			if err == nil && !strings.Contains(tableNames(snap.Cache), "built") {
				err = fmt.Errorf("reader %d got a cache without the built table", i)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := builds.Load(); n != 1 {
		t.Fatalf("%d builds, want exactly 1", n)
	}
}

// TestReaderCheckAllocations bounds what a version check that finds the
// memo current allocates (the request path's allocation goal counts it on
// every request with PGRST_CACHE_REVALIDATE_MS=0): go-redis's command, its
// reply and its connection handling, nothing of ours per check.
func TestReaderCheckAllocations(t *testing.T) {
	s, _ := newStore(t)
	r := cachestore.NewReader(s, nil)
	publishBlob(t, s, cacheBlob(t, "a"))
	_, v := current(t, r)
	ctx := context.Background()
	const most = 5
	if n := testing.AllocsPerRun(100, func() {
		if _, got, err := r.Current(ctx); err != nil || got != v {
			t.Fatalf("Current = v%d, %v; want v%d", got, err, v)
		}
	}); n > most {
		t.Errorf("a check of an unchanged version allocates %.0f times, want at most %d", n, most)
	}
}

// TestReaderCancelledCheckKeepsRedis: a check cancelled with its request
// (the client gone) is no Redis failure: Redis is not skipped afterwards.
func TestReaderCancelledCheckKeepsRedis(t *testing.T) {
	s, _ := newStore(t)
	r := cachestore.NewReader(s, nil)
	publishBlob(t, s, cacheBlob(t, "a"))
	current(t, r)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := r.Current(ctx); err != nil {
		t.Fatalf("a cancelled check: %v, want the memo", err)
	}
	if r.RedisSkipped() {
		t.Fatal("a cancelled check made the Reader skip Redis")
	}
}
