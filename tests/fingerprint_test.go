package tests

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
)

// workerAdmin is the admin server of one haWorker, observing it from
// before Run.
type workerAdmin struct {
	t   *testing.T
	srv *httptest.Server
}

func observeWorker(t *testing.T, h *haWorker) *workerAdmin {
	t.Helper()
	m, s := listenerworker.NewMetrics(), listenerworker.NewAdminState()
	m.Observe(h.w)
	s.Observe(h.w)
	a := &workerAdmin{t: t, srv: httptest.NewServer(listenerworker.NewAdminHandler(s, m))}
	t.Cleanup(a.srv.Close)
	return a
}

func (a *workerAdmin) get(path string) (int, string) {
	a.t.Helper()
	res, err := http.Get(a.srv.URL + path)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// sample returns one /metrics sample as written ("" if absent).
func (a *workerAdmin) sample(key string) string {
	a.t.Helper()
	_, body := a.get("/metrics")
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+" "); ok {
			return v
		}
	}
	return ""
}

func (a *workerAdmin) num(key string) float64 {
	a.t.Helper()
	v, err := strconv.ParseFloat(a.sample(key), 64)
	if err != nil {
		a.t.Fatalf("%s: %q", key, a.sample(key))
	}
	return v
}

func (a *workerAdmin) status(path string) (int, listenerworker.Status) {
	a.t.Helper()
	code, body := a.get(path)
	var st listenerworker.Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		a.t.Fatalf("%s: %d %q: %v", path, code, body, err)
	}
	return code, st
}

const (
	checksUnchanged = `pgrst_schema_cache_fingerprint_checks_total{result="unchanged"}`
	checksChanged   = `pgrst_schema_cache_fingerprint_checks_total{result="changed"}`
	missed          = `pgrst_schema_cache_missed_notifications_total`
	loadsOK         = `pgrst_schema_cache_loads_total{status="SUCCESS"}`
)

// A schema change made without NOTIFY (no event triggers here) is caught
// by the fingerprint within its interval; an unchanged catalog, temporary
// tables and TRUNCATE cause no rebuild.
func TestWorkerFingerprintCatchesSilentDDL(t *testing.T) {
	t.Parallel()
	db, vars := newDatabase(t, `CREATE TABLE api.kept (id int); INSERT INTO api.kept VALUES (1);`)
	h := newHAWorker(t, vars, "fp", 2*time.Second, nil, "PGRST_WORKER_FINGERPRINT_INTERVAL_MS", "200")
	a := observeWorker(t, h)
	h.run()
	h.waitBuild("startup", 10*time.Second)

	// Unchanged catalog: checks run, nothing is rebuilt. A temporary table
	// and a TRUNCATE are not schema changes.
	mustExec(t, db, `CREATE TEMP TABLE scratch (x int); TRUNCATE api.kept`)
	waitFor(t, "five unchanged checks", 5*time.Second, func() bool { return a.num(checksUnchanged) >= 5 })
	if got := a.sample(loadsOK); got != "1" {
		t.Fatalf("%s = %s after unchanged checks, want 1", loadsOK, got)
	}
	if got := a.sample(missed); got != "0" {
		t.Fatalf("%s = %s, want 0", missed, got)
	}
	_, st := a.status("/status")
	if st.LastFingerprintCheck == nil || time.Since(*st.LastFingerprintCheck) > 2*time.Second ||
		st.LastFingerprintResult != "unchanged" || st.Role != listenerworker.RoleLeader {
		t.Fatalf("/status = %+v", st)
	}

	// DDL with no NOTIFY.
	start := time.Now()
	mustExec(t, db, `CREATE TABLE api.silent (id int)`)
	if r := h.waitBuild("fingerprint", 2*time.Second); r.Outcome != "published" {
		t.Fatalf("rebuild after silent DDL: outcome %q", r.Outcome)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("silent DDL caught after %v", took)
	}
	if got := a.sample(missed); got != "1" {
		t.Fatalf("%s = %s, want 1", missed, got)
	}
	if got := a.sample(checksChanged); got != "1" {
		t.Fatalf("%s = %s, want 1", checksChanged, got)
	}
	// The last check is recorded in Redis for `pgrst-cache status`.
	waitFor(t, "the catalog check recorded", 3*time.Second, func() bool {
		c, ok, err := h.store.CatalogCheck(context.Background())
		return err == nil && ok && c.WorkerID == "fp" && c.Missed == 1 && c.Result != "" &&
			time.Since(c.At) < 5*time.Second
	})
	code, body := a.get("/schema_cache")
	if code != 200 || !strings.Contains(body, `"Name":"silent"`) {
		t.Fatalf("/schema_cache = %d %.300s", code, body)
	}

	// A GRANT changes no row count, only an xmin: it is caught too.
	mustExec(t, db, `GRANT INSERT ON api.kept TO web_anon`)
	h.waitBuild("fingerprint", 2*time.Second)

	// A notified change is rebuilt once: the rebuild's own fingerprint
	// becomes the baseline, so the checks that follow see no change.
	mustExec(t, db, `CREATE TABLE api.loud (id int); NOTIFY pgrst`)
	h.waitBuild("notify", 5*time.Second)
	before := a.num(checksUnchanged)
	waitFor(t, "three more unchanged checks", 5*time.Second, func() bool { return a.num(checksUnchanged) >= before+3 })
	if got := a.sample(missed); got != "2" {
		t.Fatalf("%s = %s after a notified change, want 2", missed, got)
	}
	if got := a.sample(loadsOK); got != "4" {
		t.Fatalf("%s = %s, want 4 (startup, two silent changes, one notified)", loadsOK, got)
	}
}

// With the check disabled (0), a change without NOTIFY stays unseen.
func TestWorkerFingerprintDisabled(t *testing.T) {
	t.Parallel()
	db, vars := newDatabase(t, "")
	h := newHAWorker(t, vars, "fp-off", 2*time.Second, nil, "PGRST_WORKER_FINGERPRINT_INTERVAL_MS", "0")
	a := observeWorker(t, h)
	h.run()
	h.waitBuild("startup", 10*time.Second)
	mustExec(t, db, `CREATE TABLE api.unseen (id int)`)
	time.Sleep(time.Second)
	if got := a.sample(loadsOK); got != "1" {
		t.Fatalf("%s = %s with the check disabled, want 1", loadsOK, got)
	}
	if _, st := a.status("/status"); st.LastFingerprintCheck != nil {
		t.Fatalf("a check ran while disabled: %+v", st)
	}
}

// A standby is ready (it can take over) and says so; the leader metric
// tells them apart.
func TestWorkerStandbyIsReady(t *testing.T) {
	t.Parallel()
	_, vars := newDatabase(t, "")
	leader := newHAWorker(t, vars, "lead", 2*time.Second, nil)
	la := observeWorker(t, leader)
	leader.run()
	leader.waitBuild("startup", 10*time.Second)
	standby := newHAWorker(t, vars, "stand", 2*time.Second, nil)
	sa := observeWorker(t, standby)
	standby.run()

	waitFor(t, "standby ready", 5*time.Second, func() bool {
		code, st := sa.status("/ready")
		return code == 200 && st.Role == listenerworker.RoleStandby && st.Ready
	})
	if code, st := la.status("/ready"); code != 200 || st.Role != listenerworker.RoleLeader || st.Version == 0 {
		t.Fatalf("leader /ready = %d %+v", code, st)
	}
	if l, s := la.sample("pgrst_worker_leader"), sa.sample("pgrst_worker_leader"); l != "1" || s != "0" {
		t.Fatalf("pgrst_worker_leader: leader %s, standby %s", l, s)
	}
	// Pool metrics as PostgREST names them (the worker's pool has 2).
	if got := la.sample("pgrst_db_pool_max"); got != "2" {
		t.Fatalf("pgrst_db_pool_max = %q, want 2", got)
	}
	for _, k := range []string{"pgrst_db_pool_available", "pgrst_db_pool_waiting", "pgrst_db_pool_timeouts_total", "pgrst_redis_errors_total"} {
		if la.sample(k) == "" {
			t.Errorf("%s missing", k)
		}
	}

	// The leader stops: the standby takes over and leads.
	leader.stop()
	waitFor(t, "standby leads", 10*time.Second, func() bool {
		code, st := sa.status("/ready")
		return code == 200 && st.Role == listenerworker.RoleLeader
	})
	if got := sa.sample("pgrst_worker_leader"); got != "1" {
		t.Fatalf("pgrst_worker_leader after take-over = %s", got)
	}
}
