// Package tests holds the end-to-end tests: real PostgreSQL and Redis
// servers started by the harness, the listener worker running, and requests
// going through the Lambda handler as API Gateway events.
package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

var (
	pg  *testharness.Postgres //nolint:gochecknoglobals // started once per test binary
	rds *testharness.Redis    //nolint:gochecknoglobals
	seq atomic.Int64          //nolint:gochecknoglobals // unique database and key prefix per test
)

func TestMain(m *testing.M) {
	testharness.RunMain(m, func() (func(), error) {
		var err error
		if pg, err = testharness.StartPostgres(); err != nil {
			return nil, err
		}
		stopPG := func() { _ = pg.Stop() }
		if rds, err = testharness.StartRedis(); err != nil {
			return stopPG, err
		}
		teardown := func() { _ = rds.Stop(); stopPG() }
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, pg.URI("postgres"))
		if err != nil {
			return teardown, err
		}
		defer conn.Close(ctx)
		// Roles are cluster-wide: create the sample schema's roles once, before
		// tests load it concurrently.
		_, err = conn.Exec(ctx, `CREATE ROLE web_anon NOLOGIN; CREATE ROLE authenticator LOGIN NOINHERIT;
			GRANT web_anon TO authenticator; CREATE ROLE app_user NOLOGIN; GRANT app_user TO authenticator;
			ALTER ROLE app_user SET statement_timeout = '123s'`)
		return teardown, err
	})
}

// env is one test's stack: its own database, key prefix, worker and API.
type env struct {
	t     testing.TB
	db    *pgx.Conn
	api   *httptest.Server
	stack *localdev.Stack
	// vars is the stack's configuration as environment variables.
	vars   map[string]string
	mu     sync.Mutex
	builds []cachestore.Rebuild
	built  chan cachestore.Rebuild
}

// newEnv creates a database with schema api (setup SQL run before the
// worker starts), starts the stack on it and waits for the startup build.
func newEnv(t testing.TB, setupSQL string, tweak func(*config.Config)) *env {
	t.Helper()
	db, vars := newDatabase(t, setupSQL)
	cfg := configFrom(t, vars)
	if tweak != nil {
		tweak(cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("E2E_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return startEnv(t, db, vars, cfg, logger)
}

// startEnv starts the stack of cfg on db with logger, runs its worker
// until the test ends and waits for the startup build.
func startEnv(t testing.TB, db *pgx.Conn, vars map[string]string, cfg *config.Config, logger *slog.Logger) *env {
	t.Helper()
	ctx := context.Background()
	stack, err := localdev.New(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, stack: stack, vars: vars, built: make(chan cachestore.Rebuild, 1000)}
	stack.Worker.OnRebuild(func(r cachestore.Rebuild) {
		e.mu.Lock()
		e.builds = append(e.builds, r)
		e.mu.Unlock()
		e.built <- r
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = stack.Worker.Run(runCtx) }()
	e.api = httptest.NewServer(stack.HTTP)
	t.Cleanup(func() {
		e.api.Close()
		cancel()
		<-done
		stack.Close()
	})
	e.waitBuild("startup")
	return e
}

// waitBuild waits for the next successful rebuild and checks its trigger.
func (e *env) waitBuild(trigger string) cachestore.Rebuild {
	e.t.Helper()
	select {
	case r := <-e.built:
		if r.Err != nil {
			e.t.Fatalf("rebuild failed: %v", r.Err)
		}
		if trigger != "" && r.Trigger != trigger {
			e.t.Fatalf("rebuild trigger = %q, want %q", r.Trigger, trigger)
		}
		return r
	case <-time.After(10 * time.Second):
		e.t.Fatalf("no rebuild within 10 s (waiting for %q)", trigger)
	}
	return cachestore.Rebuild{}
}

func (e *env) rebuilds() []cachestore.Rebuild {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]cachestore.Rebuild(nil), e.builds...)
}

func mustExec(t testing.TB, db *pgx.Conn, sql string) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql); err != nil {
		if len(sql) > 200 {
			sql = sql[:200] + "..."
		}
		t.Fatalf("exec %q: %v", sql, err)
	}
}

// response is a decoded HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   string
}

func (e *env) do(method, path, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.api.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func (e *env) get(path string) response { e.t.Helper(); return e.do(http.MethodGet, path, "") }

// wantError checks a PostgREST error response: status, code and the
// message, details and hint when given ("" = don't check, "null" = JSON null).
func wantError(t *testing.T, r response, status int, code, message, details, hint string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status = %d, want %d; body %s", r.Status, status, r.Body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
		t.Fatalf("error body %q: %v", r.Body, err)
	}
	check := func(key, want string) {
		if want == "" {
			return
		}
		v := got[key]
		if want == "null" {
			if v != nil {
				t.Errorf("%s = %v, want null", key, v)
			}
			return
		}
		if v != want {
			t.Errorf("%s = %q\n want %q", key, v, want)
		}
	}
	check("code", code)
	check("message", message)
	check("details", details)
	check("hint", hint)
	if !strings.HasPrefix(r.Body, `{"code":`) {
		t.Errorf("body keys not in PostgREST order: %s", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
}

// newDatabase creates a database with schema api (setupSQL run after it),
// without starting anything on it. It returns a superuser connection and the
// stack's configuration as environment variables (own key prefix).
func newDatabase(t testing.TB, setupSQL string) (*pgx.Conn, map[string]string) {
	t.Helper()
	ctx := context.Background()
	name := fmt.Sprintf("e2e_%d", seq.Add(1))
	if err := pg.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	db, err := pgx.Connect(ctx, pg.URI(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	mustExec(t, db, `CREATE SCHEMA api; GRANT USAGE ON SCHEMA api TO web_anon;
		ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT SELECT ON TABLES TO web_anon;
		ALTER DEFAULT PRIVILEGES IN SCHEMA api GRANT EXECUTE ON FUNCTIONS TO web_anon;`+setupSQL)
	return db, map[string]string{
		// The API connects as the NOINHERIT authenticator, as PostgREST
		// deployments do, so catalog queries needing privileges fail here.
		"PGRST_DB_URI":     strings.Replace(pg.URI(name), "//postgres@", "//authenticator@", 1),
		"PGRST_DB_SCHEMAS": "api", "PGRST_DB_ANON_ROLE": "web_anon",
		"REDIS_URL": rds.URL(), "PGRST_CACHE_KEY_PREFIX": name,
	}
}

// configFrom parses vars, with extra variables overriding them.
func configFrom(t testing.TB, vars map[string]string, extra ...string) *config.Config {
	t.Helper()
	all := map[string]string{}
	for k, v := range vars {
		all[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		all[extra[i]] = extra[i+1]
	}
	cfg, err := config.FromEnv(func(k string) string { return all[k] })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
