package tests

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// postgrestJSDir holds the JavaScript tests run with @supabase/postgrest-js,
// the client supabase-js uses, against a live stack.
const postgrestJSDir = "postgrestjs"

// postgrestJSSQL adds what the sample schema lacks for the client's array
// operators (contains/overlaps), and writable tables: api.todos and, in a
// second exposed schema, other.todos.
const postgrestJSSQL = `
CREATE TABLE api.shelves (
  id     int PRIMARY KEY,
  name   text NOT NULL,
  labels text[] NOT NULL
);
INSERT INTO api.shelves VALUES
  (1, 'Front', '{new,staff picks}'),
  (2, 'Back', '{classic,used}'),
  (3, 'Window', '{new,signed,classic}');
GRANT SELECT ON api.shelves TO web_anon;

CREATE TABLE api.todos (
  id   int PRIMARY KEY,
  slug text NOT NULL UNIQUE,
  task text NOT NULL,
  done boolean NOT NULL DEFAULT false
);
GRANT SELECT, INSERT, UPDATE, DELETE ON api.todos TO web_anon;

CREATE SCHEMA other;
GRANT USAGE ON SCHEMA other TO web_anon;
CREATE TABLE other.todos (
  id   int PRIMARY KEY,
  task text NOT NULL
);
INSERT INTO other.todos VALUES (1, 'elsewhere');
GRANT SELECT, INSERT ON other.todos TO web_anon;

CREATE FUNCTION api.total(VARIADIC nums int[]) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT sum(n)::int FROM unnest(nums) AS n $$;
GRANT EXECUTE ON FUNCTION api.total(int[]) TO web_anon;
`

// TestPostgrestJS runs `node --test` on tests/postgrestjs/*.test.mjs with
// API_URL pointing at a stack serving the sample schema (aggregates on),
// as a second exposed schema `other`, and the per-user notes of tenantSQL
// with tokens for two users in JWT_ALICE and JWT_BOB.
// The npm dependencies are installed by `make test` (npm ci).
func TestPostgrestJS(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): run `make test`, which installs Node.js and the npm dependencies", err)
	}
	pkg := filepath.Join(postgrestJSDir, "node_modules", "@supabase", "postgrest-js", "package.json")
	if _, err := os.Stat(pkg); err != nil {
		t.Fatalf("@supabase/postgrest-js is not installed (%v): run `make test` (or `npm ci --prefix tests/postgrestjs`)", err)
	}
	files, err := filepath.Glob(filepath.Join(postgrestJSDir, "*.test.mjs"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in %s (%v)", postgrestJSDir, err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}

	e := newEnv(t, sampleSQL(t)+postgrestJSSQL+tenantSQL, func(c *config.Config) {
		withJWT(t)(c)
		c.DBAggregatesEnabled = true
		c.DBSchemas = []string{"api", "other"}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := append([]string{"--test", "--test-reporter=spec"}, files...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = postgrestJSDir
	cmd.Env = append(os.Environ(), "API_URL="+e.api.URL, "NO_COLOR=1",
		"JWT_ALICE="+mint(t, map[string]any{"role": "app_user", "sub": "alice"}),
		"JWT_BOB="+mint(t, map[string]any{"role": "app_user", "sub": "bob"}))
	out := &lineLogger{t: t}
	cmd.Stdout = out
	cmd.Stderr = out
	err = cmd.Run()
	out.flush()
	if err != nil {
		t.Fatalf("node %s in %s: %v", strings.Join(args, " "), postgrestJSDir, err)
	}
}

// lineLogger writes a process's output to the test log, one line at a time.
type lineLogger struct {
	t   *testing.T
	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(string(l.buf))
		l.buf = nil
	}
}

var _ io.Writer = (*lineLogger)(nil)
