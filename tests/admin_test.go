package tests

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// adminEnv is a worker with the admin server observing it from before Run.
type adminEnv struct {
	t     *testing.T
	db    *pgx.Conn
	admin *httptest.Server
	run   func() // starts the worker
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	ctx := context.Background()
	db, vars := newDatabase(t, "")
	cfg := configFrom(t, vars)
	stack, err := localdev.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	metrics, state := listenerworker.NewMetrics(), listenerworker.NewAdminState()
	metrics.Observe(stack.Worker)
	state.Observe(stack.Worker)
	e := &adminEnv{t: t, db: db, admin: httptest.NewServer(listenerworker.NewAdminHandler(state, metrics))}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	e.run = func() {
		go func() {
			defer close(done)
			_ = stack.Worker.Run(runCtx)
			state.Close()
		}()
	}
	t.Cleanup(func() {
		e.admin.Close()
		cancel()
		<-done
		stack.Close()
	})
	return e
}

func (e *adminEnv) status(path string) int {
	e.t.Helper()
	res, err := http.Get(e.admin.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// sample returns one sample's value from /metrics ("" if absent); key is
// the name and labels as written, e.g. `x_total{status="FAIL"}`.
func (e *adminEnv) sample(key string) string {
	e.t.Helper()
	res, err := http.Get(e.admin.URL + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+" "); ok {
			return v
		}
	}
	return ""
}

// waitSample polls /metrics until key has value want, for up to 10 s.
func (e *adminEnv) waitSample(key, want string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := e.sample(key)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s = %q after 10 s, want %q", key, got, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *adminEnv) waitStatus(path string, want int) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for e.status(path) != want {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s did not answer %d within 10 s", path, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAdminServerTracksWorker(t *testing.T) {
	t.Parallel()
	e := newAdminEnv(t)
	const success, fail = `pgrst_schema_cache_loads_total{status="SUCCESS"}`, `pgrst_schema_cache_loads_total{status="FAIL"}`
	if got := e.status("/live"); got != 200 {
		t.Fatalf("/live before the first publish = %d, want 200", got)
	}
	if got := e.status("/ready"); got != 503 {
		t.Fatalf("/ready before the first publish = %d, want 503", got)
	}
	if got := e.status("/schema_cache"); got != 503 {
		t.Fatalf("/schema_cache before the first publish = %d, want 503", got)
	}

	e.run()
	e.waitStatus("/ready", 200)
	e.waitSample(success, "1")
	version := e.sample("pgrst_schema_cache_version")
	if version == "" || version == "0" {
		t.Fatalf("version after startup = %q", version)
	}
	if e.sample("pgrst_schema_cache_publish_latency_seconds_count") != "1" {
		t.Fatal("startup publish not in the latency histogram")
	}

	mustExec(t, e.db, `CREATE TABLE api.gauges (id int); NOTIFY pgrst, 'reload schema'`)
	e.waitSample(success, "2")
	if v := e.sample("pgrst_schema_cache_version"); v == version {
		t.Fatalf("version still %s after a schema change", v)
	}

	var terminated int
	if err := e.db.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&terminated); err != nil || terminated != 1 {
		t.Fatalf("terminated %d LISTEN backends (%v), want 1", terminated, err)
	}
	e.waitSample("pgrst_listener_reconnects_total", "1")
	e.waitSample(success, "3") // the rebuild that follows a reconnection
	e.waitStatus("/ready", 200)
	if got := e.sample(fail); got != "0" {
		t.Fatalf("%s = %q, want 0", fail, got)
	}
}
