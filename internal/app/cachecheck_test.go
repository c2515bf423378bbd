package app

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// movingCache holds a memo of version 1 that is never fresh; its check
// (Current) takes delay and answers version current.
type movingCache struct {
	snaps   map[int64]*snapshot.Snapshot
	current int64
	delay   time.Duration
	checked atomic.Bool
}

func (c *movingCache) Current(context.Context) (*snapshot.Snapshot, int64, error) {
	time.Sleep(c.delay)
	c.checked.Store(true)
	return c.snaps[c.current], c.current, nil
}

func (c *movingCache) Memo() (*snapshot.Snapshot, int64, bool) { return c.snaps[1], 1, false }

// recordingPool refuses every connection, recording whether the check had
// finished at each Acquire: the transaction would have started there.
type recordingPool struct {
	cache *movingCache
	mu    sync.Mutex
	calls []bool
}

func (p *recordingPool) Acquire(context.Context) (*pgxpool.Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, p.cache.checked.Load())
	return nil, errors.New("no database here")
}

func booksSnapshot(columns ...string) *snapshot.Snapshot { return tableSnapshot("books", columns...) }

func tableSnapshot(name string, columns ...string) *snapshot.Snapshot {
	t := schemacache.Table{Schema: "api", Name: name, Insertable: true, Updatable: true, Deletable: true}
	for _, c := range columns {
		t.Columns = append(t.Columns, schemacache.Column{Name: c, Type: "integer", NominalType: "integer", Nullable: true})
	}
	sc := &schemacache.SchemaCache{Schemas: []string{"api"}, Tables: []schemacache.Table{t}}
	sc.Index()
	return &snapshot.Snapshot{Cache: sc}
}

// TestCheckOverlapsReads: a read runs on the memo while the version check
// is in flight, and runs again from the new snapshot when the check finds
// one; a write never starts its transaction before the check has answered,
// and runs once, from the snapshot the check returned.
func TestCheckOverlapsReads(t *testing.T) {
	cfg := &config.Config{DBSchemas: []string{"api"}, DBAnonRole: "anon"}
	snaps := map[int64]*snapshot.Snapshot{1: booksSnapshot("id"), 2: booksSnapshot("id", "title")}
	for _, c := range []struct {
		name, method, target, body string
		current                    int64
		// acquires: whether the check had answered at each Acquire.
		acquires string
	}{
		{"read, same version", "GET", "/books?select=id", "", 1, "early"},
		{"read, new version", "GET", "/books?select=id", "", 2, "early,late"},
		{"write, same version", "POST", "/books", `{"id":1}`, 1, "late"},
		{"write, new version", "POST", "/books", `{"id":1}`, 2, "late"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cache := &movingCache{snaps: snaps, current: c.current, delay: 50 * time.Millisecond}
			pool := &recordingPool{cache: cache}
			h := New(cfg, cache, pool, nil)
			r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
			if c.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			// The refused connection is a 503; anything else means the
			// request never reached the transaction.
			if w.Code != 503 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var got []string
			for _, checked := range pool.calls {
				got = append(got, map[bool]string{false: "early", true: "late"}[checked])
			}
			if strings.Join(got, ",") != c.acquires {
				t.Fatalf("acquires %v, want %s", got, c.acquires)
			}
		})
	}
}

// TestCheckReplansAgainstNewVersion: a request planned on the memo is
// answered from the snapshot the check returns: a table only the new
// version has is found (the transaction is reached, 503 here), and one
// only the memo has is not (404 PGRST205).
func TestCheckReplansAgainstNewVersion(t *testing.T) {
	cfg := &config.Config{DBSchemas: []string{"api"}, DBAnonRole: "anon"}
	for _, c := range []struct {
		name    string
		memo    *snapshot.Snapshot
		current *snapshot.Snapshot
		status  int
	}{
		{"table created", tableSnapshot("novels", "id"), booksSnapshot("id"), 503},
		{"table dropped", booksSnapshot("id"), tableSnapshot("novels", "id"), 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			cache := &movingCache{snaps: map[int64]*snapshot.Snapshot{1: c.memo, 2: c.current}, current: 2}
			h := New(cfg, cache, &recordingPool{cache: cache}, nil)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/books?select=id", nil))
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
		})
	}
}

// noticedCache is a movingCache whose memo is untouched (PGRST_CACHE_LISTEN):
// the handler asks it (Current) only when it must.
type noticedCache struct{ *movingCache }

func (c noticedCache) Untouched() (*snapshot.Snapshot, int64, uint64, bool) {
	return c.snaps[1], 1, 0, true
}
func (c noticedCache) Touched(uint64) bool { return false }

// TestUntouchedMemo: on an untouched memo a write asks for the version
// before its transaction and starts from the snapshot it returns; a read
// that ends in an error (the refused connection, or a table the memo
// lacks) asks afterwards and is served from the new version.
func TestUntouchedMemo(t *testing.T) {
	cfg := &config.Config{DBSchemas: []string{"api"}, DBAnonRole: "anon"}
	for _, c := range []struct {
		name, method, target, body string
		memo                       *snapshot.Snapshot
		// acquires: whether the check had answered at each Acquire.
		acquires string
		status   int
	}{
		{"write", "POST", "/books", `{"id":1}`, booksSnapshot("id"), "late", 503},
		{"read, error", "GET", "/books?select=id", "", booksSnapshot("id"), "early,late", 503},
		{"read, table only the new version has", "GET", "/books?select=id", "", tableSnapshot("novels", "id"), "late", 503},
	} {
		t.Run(c.name, func(t *testing.T) {
			cache := &movingCache{snaps: map[int64]*snapshot.Snapshot{1: c.memo, 2: booksSnapshot("id", "title")}, current: 2}
			pool := &recordingPool{cache: cache}
			h := New(cfg, noticedCache{cache}, pool, nil)
			r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
			if c.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			var got []string
			for _, checked := range pool.calls {
				got = append(got, map[bool]string{false: "early", true: "late"}[checked])
			}
			if strings.Join(got, ",") != c.acquires {
				t.Fatalf("acquires %v, want %s", got, c.acquires)
			}
		})
	}
}
