// Package bench benchmarks the schema cache pipeline on synthetic catalogs of
// 100, 1000 and 5000 tables: introspection, blob size, the cold read a
// request function does (Redis GET + decode) and NOTIFY → new version
// visible to requests. `make bench` runs it; see README.md here.
//
// The servers are started, and the catalogs loaded, only when benchmarks
// are requested, so `go test ./...` runs just the fast tests.
package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

var (
	pg  *testharness.Postgres //nolint:gochecknoglobals // started once per test binary
	rds *testharness.Redis    //nolint:gochecknoglobals

	catalogsMu sync.Mutex         //nolint:gochecknoglobals
	catalogs   = map[int]string{} //nolint:gochecknoglobals // N → database name
	loadTimes  = map[int]time.Duration{}
)

func TestMain(m *testing.M) {
	if spec := os.Getenv(delayProxyEnv); spec != "" {
		os.Exit(runDelayProxy(spec))
	}
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	testharness.RunMain(m, func() (func(), error) {
		var err error
		if pg, err = testharness.StartPostgres(); err != nil {
			return nil, err
		}
		stopPG := func() { _ = pg.Stop() }
		if rds, err = testharness.StartRedis(); err != nil {
			return stopPG, err
		}
		teardown := func() {
			printSummary(os.Stdout)
			_ = rds.Stop()
			stopPG()
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pg.URI("postgres"))
		if err != nil {
			return teardown, err
		}
		defer conn.Close(ctx)
		// The roles of a PostgREST deployment; roles are cluster-wide.
		_, err = conn.Exec(ctx, `CREATE ROLE web_anon NOLOGIN; CREATE ROLE authenticator LOGIN NOINHERIT;
			GRANT web_anon TO authenticator`)
		return teardown, err
	})
}

// catalog returns the database holding the catalog of size n (exposed
// schema api, analyzed, readable by web_anon), loading it on first use:
// loading N=5000 takes about 30 s, so each catalog is loaded once per run.
func catalog(b *testing.B, n int) string {
	b.Helper()
	catalogsMu.Lock()
	defer catalogsMu.Unlock()
	if db, ok := catalogs[n]; ok {
		return db
	}
	ctx := context.Background()
	db := fmt.Sprintf("cat_%d", n)
	start := time.Now()
	if err := pg.CreateDatabase(ctx, db); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, pg.URI(db))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	// The generated SQL ends with ANALYZE; default privileges let web_anon
	// read the tables the NOTIFY benchmark creates later.
	if _, err := conn.Exec(ctx, catalogSQL(n, "api")+`
		GRANT USAGE ON SCHEMA api TO web_anon;
		GRANT SELECT ON ALL TABLES IN SCHEMA api TO web_anon;
		ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT ON TABLES TO web_anon;`); err != nil {
		b.Fatalf("load catalog N=%d: %v", n, err)
	}
	catalogs[n] = db
	loadTimes[n] = time.Since(start)
	return db
}
