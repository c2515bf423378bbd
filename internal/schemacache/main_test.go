package schemacache_test

import (
	"context"
	_ "embed"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

var (
	pg    *testharness.Postgres //nolint:gochecknoglobals // started once per test binary
	dbSeq atomic.Int64          //nolint:gochecknoglobals // unique database name per test
)

//go:embed testdata/fixture.sql
var fixtureSQL string

func TestMain(m *testing.M) { testharness.Main(m, &pg, nil) }

// newDB creates a database of its own for t, runs setupSQL in it and
// returns a connection to it.
func newDB(t *testing.T, setupSQL string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("schemacache_%d", dbSeq.Add(1))
	if err := pg.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URI(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if setupSQL != "" {
		if _, err := conn.Exec(ctx, setupSQL); err != nil {
			t.Fatalf("setup SQL: %v", err)
		}
	}
	return conn
}
