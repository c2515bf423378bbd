package testharness

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"
)

func TestPostgres(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	pg, err := StartPostgres()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pg.Stop() })

	var one int
	queryRow(t, pg.URI("postgres"), "select 1", &one)
	if one != 1 {
		t.Fatalf("select 1 returned %d", one)
	}

	const db = "harness test-db" // needs quoting as an identifier
	if err := pg.CreateDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	var current string
	queryRow(t, pg.URI(db), "select current_database()", &current)
	if current != db {
		t.Fatalf("connected to %q, want %q", current, db)
	}
	var pgErr *pgconn.PgError
	if err := pg.CreateDatabase(ctx, db); !errors.As(err, &pgErr) || pgErr.Code != "42P04" {
		t.Fatalf("second CreateDatabase returned %v, want SQLSTATE 42P04", err)
	}

	pid := pg.pid()
	children := childPIDs(t, pid)
	if len(children) == 0 {
		t.Fatalf("postmaster %d has no child processes", pid)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	for _, p := range append(children, pid) {
		requireGone(t, p)
	}
	requireNoDir(t, pg.dir)
	if _, err := pgx.Connect(ctx, pg.URI("postgres")); err == nil {
		t.Fatal("connected after Stop")
	}
}

func TestPostgresServersAreIndependent(t *testing.T) {
	t.Parallel()

	// Started together, they also race to create the cached template.
	var servers [2]*Postgres
	var errs [2]error
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() { servers[i], errs[i] = StartPostgres() })
	}
	wg.Wait()
	for i, pg := range servers {
		if pg != nil {
			t.Cleanup(func() { _ = pg.Stop() })
		}
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	a, b := servers[0], servers[1]
	if a.port == b.port || a.dir == b.dir {
		t.Fatalf("servers share port %d/%d or directory %s/%s", a.port, b.port, a.dir, b.dir)
	}
	if err := a.CreateDatabase(t.Context(), "only_in_a"); err != nil {
		t.Fatal(err)
	}
	var n int
	queryRow(t, b.URI("postgres"), "select count(*) from pg_database where datname = 'only_in_a'", &n)
	if n != 0 {
		t.Fatal("database created on one server is visible on the other")
	}
}

func TestRedis(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	r, err := StartRedis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop() })
	if want := "redis://" + r.Addr() + "/0"; r.URL() != want {
		t.Fatalf("URL() = %q, want %q", r.URL(), want)
	}

	opts, err := redis.ParseURL(r.URL())
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	addr, oldPID := r.Addr(), r.pid()
	if err := r.Restart(); err != nil {
		t.Fatal(err)
	}
	if r.Addr() != addr {
		t.Fatalf("Restart moved the server from %s to %s", addr, r.Addr())
	}
	requireGone(t, oldPID)
	if r.pid() == oldPID {
		t.Fatal("Restart kept the same process")
	}
	// The client reconnects by itself; the key is gone because persistence is off.
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if err := client.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET after Restart returned %v, want redis.Nil", err)
	}

	pid := r.pid()
	if err := r.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	requireGone(t, pid)
	requireNoDir(t, r.dir)
	if err := r.Restart(); err == nil {
		t.Fatal("Restart after Stop succeeded")
	}
}

func TestWaitReadyQuotesLog(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name      string
		output    string
		portInUse bool
	}{
		{name: "OtherFailure", output: "FATAL: something broke"},
		{name: "PortInUse", output: "bind: Address already in use", portInUse: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			logPath := filepath.Join(t.TempDir(), "server.log")
			if err := os.WriteFile(logPath, []byte("line from an earlier run\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := startProc(exec.Command("sh", "-c", "echo '"+tc.output+"'; exit 1"), logPath, syscall.SIGKILL)
			if err != nil {
				t.Fatal(err)
			}
			err = p.waitReady("server", syscall.SIGTERM, func() error { return errors.New("not ready") })
			if err == nil || !strings.Contains(err.Error(), tc.output) {
				t.Fatalf("error %v does not quote the log line %q", err, tc.output)
			}
			if strings.Contains(err.Error(), "earlier run") {
				t.Fatalf("error %v quotes an earlier run's log", err)
			}
			if errors.Is(err, errPortInUse) != tc.portInUse {
				t.Fatalf("errors.Is(%v, errPortInUse) = %v, want %v", err, !tc.portInUse, tc.portInUse)
			}
		})
	}
}

func TestFirstPGBinDirMissing(t *testing.T) {
	t.Parallel()
	_, err := firstPGBinDir([]string{t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "make test") {
		t.Fatalf("error %v does not say to run make test", err)
	}
}

func TestSortNewestFirst(t *testing.T) {
	t.Parallel()
	got := sortNewestFirst([]string{
		"/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/16/bin",
		"/usr/lib/postgresql/15/bin",
	})
	want := []string{
		"/usr/lib/postgresql/16/bin",
		"/usr/lib/postgresql/15/bin",
		"/usr/lib/postgresql/9.6/bin",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// queryRow runs query on a new connection to uri and scans its one row.
func queryRow(t *testing.T, uri, query string, dest ...any) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), uri)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(t.Context(), query).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// childPIDs lists the processes whose parent is ppid, from /proc.
func childPIDs(t *testing.T, ppid int) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// Format: pid (comm) state ppid ...; comm may contain spaces.
		s := string(b)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(fields) > 1 && fields[1] == strconv.Itoa(ppid) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// requireGone fails unless no process with this pid exists.
func requireGone(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("process %d still exists (kill -0: %v)", pid, err)
	}
}

func requireNoDir(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("directory %s still exists (stat: %v)", dir, err)
	}
}
