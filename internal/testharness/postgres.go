package testharness

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is a throwaway PostgreSQL server started by [StartPostgres]. It
// listens on 127.0.0.1 only, has a superuser named postgres with trust
// authentication, and runs with fsync, synchronous_commit and
// full_page_writes off, so it loses data on a crash by design. Its methods
// are safe for concurrent use.
type Postgres struct {
	port int
	dir  string // temporary directory: data/, the Unix socket and postgres.log
	proc *proc

	stopOnce sync.Once
	stopErr  error
}

// StartPostgres creates a fresh cluster in a new temporary directory and
// starts postgres on a free loopback port, returning once it accepts
// connections (at most 30 s). When the test binary runs as root, initdb and
// postgres run as the postgres OS user. It returns an error saying to run
// `make test` if the PostgreSQL binaries are missing, and one quoting the
// server log if the server does not come up. Call [Postgres.Stop] when done.
func StartPostgres() (*Postgres, error) {
	return startServer("pgrest-lambda-pg-*", prepareDataDir)
}

// startServer creates a temporary directory (pattern as os.MkdirTemp's),
// has fill create the data directory in it, and starts postgres on it,
// retrying on another port when the one picked was taken meanwhile. The
// directory is removed when anything fails.
func startServer(pattern string, fill func(binDir string, as runAs, dataDir string) error) (*Postgres, error) {
	binDir, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	as, err := pgUser()
	if err != nil {
		return nil, err
	}
	dir, err := as.mkdirTemp(os.TempDir(), pattern)
	if err != nil {
		return nil, fmt.Errorf("create postgres directory: %w", err)
	}
	started := false
	defer func() {
		if !started {
			_ = os.RemoveAll(dir)
		}
	}()
	if err := fill(binDir, as, filepath.Join(dir, "data")); err != nil {
		return nil, err
	}

	pg := &Postgres{dir: dir}
	for attempt := 1; ; attempt++ {
		if err := pg.start(binDir, as); err == nil {
			started = true
			return pg, nil
		} else if !errors.Is(err, errPortInUse) || attempt == startAttempts {
			return nil, err
		}
	}
}

// start runs postgres on a newly picked free port and waits until it is
// ready. postgres is the direct child (no pg_ctl or runuser in between), so
// signals reach the postmaster itself.
func (pg *Postgres) start(binDir string, as runAs) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	cmd := as.command(pg.dir, filepath.Join(binDir, "postgres"),
		"-D", filepath.Join(pg.dir, "data"),
		"-p", strconv.Itoa(port),
		"-k", pg.dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200",
		// Loading a synthetic catalog of 20,000 tables (make bench's
		// largest, opt-in) in one transaction takes more locks than the
		// default table holds.
		"-c", "max_locks_per_transaction=1024",
	)
	// SIGQUIT is an immediate shutdown: no checkpoint, nothing worth keeping.
	p, err := startProc(cmd, filepath.Join(pg.dir, "postgres.log"), syscall.SIGQUIT)
	if err != nil {
		return err
	}
	pg.port, pg.proc = port, p
	return p.waitReady("postgres", syscall.SIGQUIT, func() error {
		return pingPostgres(pg.URI("postgres"))
	})
}

// pingPostgres opens and closes one connection to uri.
func pingPostgres(uri string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, uri)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// URI returns the connection URI for database db as the postgres superuser,
// in the form postgres://postgres@127.0.0.1:PORT/db?sslmode=disable, with db
// path-escaped.
func (pg *Postgres) URI(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", pg.port, url.PathEscape(db))
}

// CreateDatabase creates database name (quoted as an identifier, so any
// name is allowed) from template1. It returns the server's error, for
// example SQLSTATE 42P04 when the database already exists.
func (pg *Postgres) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, pg.URI("postgres"))
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}

// Stop shuts the server down immediately (SIGQUIT, killing it if it has not
// exited after 10 s), waits for it and removes its directory. Open
// connections are cut. Stop is idempotent: later calls return the first
// call's result.
func (pg *Postgres) Stop() error {
	pg.stopOnce.Do(func() {
		err := pg.proc.stop(syscall.SIGQUIT)
		pg.stopErr = errors.Join(err, os.RemoveAll(pg.dir))
		if pg.stopErr != nil {
			pg.stopErr = fmt.Errorf("stop postgres: %w", pg.stopErr)
		}
	})
	return pg.stopErr
}

// pid returns the process id of the postmaster.
func (pg *Postgres) pid() int { return pg.proc.pid() }
