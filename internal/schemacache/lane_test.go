package schemacache_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	sc "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// encoded is cache as a blob, without the query durations, to compare
// two loads byte for byte.
func encoded(t *testing.T, cache *sc.SchemaCache) []byte {
	t.Helper()
	cache.Timings = nil
	blob, err := snapshot.EncodeCache(cache)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// TestLoadOnTwoLanes: from a pool with a connection to spare, the columns
// query runs on a second connection on the same exported snapshot, and
// the cache is the one a single connection loads, byte for byte. With no
// connection to spare (pool of one, or the other one busy) it loads on one.
func TestLoadOnTwoLanes(t *testing.T) {
	ctx := context.Background()
	conn := newDB(t, fixtureSQL)
	opts := sc.LoadOptions{Schemas: []string{"api", "test"}}
	one, err := sc.Load(ctx, conn, opts)
	if err != nil {
		t.Fatal(err)
	}
	if one.Timings["lanes"] != 0 {
		t.Fatalf("a connection loaded on %v lanes", one.Timings["lanes"])
	}
	want := encoded(t, one)

	pool := func(max int32) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(conn.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = max
		p, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}
	two := pool(2)
	busy := pool(2)
	// A role that may not export snapshots: the load falls back to one
	// connection, in a new transaction since the failed export aborted
	// the first.
	if _, err := conn.Exec(ctx, `DO $$ BEGIN
		IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'no_export') THEN CREATE ROLE no_export LOGIN; END IF;
	END $$;
	REVOKE EXECUTE ON FUNCTION pg_catalog.pg_export_snapshot() FROM PUBLIC`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.Exec(context.Background(), `GRANT EXECUTE ON FUNCTION pg_catalog.pg_export_snapshot() TO PUBLIC`)
	})
	noExport := func() *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(conn.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.User = "no_export"
		cfg.MaxConns = 2
		p, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Close)
		return p
	}()
	held, err := busy.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	for _, c := range []struct {
		name  string
		db    *pgxpool.Pool
		lanes float64
	}{
		{"pool of two", two, 2},
		{"pool of one", pool(1), 0},
		{"other connection busy", busy, 0},
		{"snapshot not exportable", noExport, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := sc.Load(ctx, c.db, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Timings["lanes"] != c.lanes || got.Timings["columns"] <= 0 {
				t.Fatalf("timings %v, want lanes %v", got.Timings, c.lanes)
			}
			if !bytes.Equal(encoded(t, got), want) {
				t.Fatal("the cache differs from the one loaded on one connection")
			}
			if s := c.db.Stat(); s.AcquiredConns() != map[bool]int32{true: 1}[c.db == busy] {
				t.Fatalf("%d connections still acquired", s.AcquiredConns())
			}
		})
	}
}
