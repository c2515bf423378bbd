package openapi_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

var (
	pg    *testharness.Postgres //nolint:gochecknoglobals // started once per test binary
	dbSeq atomic.Int64          //nolint:gochecknoglobals // unique database name per load
)

func TestMain(m *testing.M) { testharness.Main(m, &pg, nil) }

// loadCache creates a database, runs setupSQL in it and loads the schema
// cache of schemas from it.
func loadCache(t *testing.T, setupSQL string, schemas ...string) *schemacache.SchemaCache {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("openapi_%d", dbSeq.Add(1))
	if err := pg.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URI(name))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, setupSQL); err != nil {
		t.Fatalf("setup SQL: %v", err)
	}
	sc, err := schemacache.Load(ctx, conn, schemacache.LoadOptions{Schemas: schemas})
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// sampleCache is the schema cache of localdev/sample_schema.sql.
func sampleCache(t *testing.T) *schemacache.SchemaCache {
	t.Helper()
	sql, err := os.ReadFile("../../localdev/sample_schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	return loadCache(t, string(sql), "api")
}
