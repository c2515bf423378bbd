package listenerworker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
)

// get serves one GET through h and returns the status and body.
func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code, rec.Body.String()
}

// scrape returns the samples of the /metrics text output, keyed by name
// and labels exactly as written (`name{label="v"}`), valued as written.
func scrape(t *testing.T, h http.Handler) map[string]string {
	t.Helper()
	code, body := get(t, h, "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	samples := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		samples[line[:i]] = line[i+1:]
	}
	return samples
}

func wantSamples(t *testing.T, got map[string]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func success(version int64, requested, started time.Time, took time.Duration, queryMs map[string]float64) cachestore.Rebuild {
	return cachestore.Rebuild{Trigger: "notify", Requested: requested, Started: started, Finished: started.Add(took),
		Version: version, Bytes: int(100 * version), QueryMs: queryMs}
}

func TestAdminMetricsAfterRebuilds(t *testing.T) {
	m := NewMetrics()
	h := NewAdminHandler(NewAdminState(), m)

	wantSamples(t, scrape(t, h), map[string]string{
		`pgrst_schema_cache_loads_total{status="SUCCESS"}`:             "0",
		`pgrst_schema_cache_loads_total{status="FAIL"}`:                "0",
		`pgrst_listener_reconnects_total`:                              "0",
		`pgrst_schema_cache_publish_latency_seconds_count`:             "0",
		`pgrst_schema_cache_version`:                                   "0",
		`pgrst_schema_cache_query_seconds{query="tables"}`:             "",
		`pgrst_schema_cache_published_bytes`:                           "0",
		`pgrst_schema_cache_query_time_seconds`:                        "0",
		`pgrst_schema_cache_publish_latency_seconds_bucket{le="+Inf"}`: "0",
	})

	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	m.RecordRebuild(success(1, t0, t0.Add(100*time.Millisecond), 2*time.Second,
		map[string]float64{"tables": 1500, "funcs": 300}))
	m.RecordRebuild(cachestore.Rebuild{Trigger: "notify", Started: t0, Finished: t0.Add(time.Second), Err: errors.New("boom")})
	m.RecordReconnect()
	// No Requested: latency is measured from Started.
	m.RecordRebuild(success(7, time.Time{}, t0, 250*time.Millisecond, map[string]float64{"tables": 12.5}))

	got := scrape(t, h)
	wantSamples(t, got, map[string]string{
		`pgrst_schema_cache_loads_total{status="SUCCESS"}`: "2",
		`pgrst_schema_cache_loads_total{status="FAIL"}`:    "1",
		`pgrst_listener_reconnects_total`:                  "1",
		`pgrst_schema_cache_query_time_seconds`:            "0.25",
		`pgrst_schema_cache_version`:                       "7",
		`pgrst_schema_cache_published_bytes`:               "700",
		`pgrst_schema_cache_query_seconds{query="tables"}`: "0.0125",
		// The second load had no funcs query: its gauge is gone.
		`pgrst_schema_cache_query_seconds{query="funcs"}`:               "",
		`pgrst_schema_cache_publish_latency_seconds_count`:              "2",
		`pgrst_schema_cache_publish_latency_seconds_sum`:                "2.35",
		`pgrst_schema_cache_publish_latency_seconds_bucket{le="0.25"}`:  "1",
		`pgrst_schema_cache_publish_latency_seconds_bucket{le="1"}`:     "1",
		`pgrst_schema_cache_publish_latency_seconds_bucket{le="2.5"}`:   "2",
		`pgrst_schema_cache_publish_latency_seconds_bucket{le="+Inf"}`:  "2",
		`pgrst_schema_cache_publish_latency_seconds_bucket{le="0.001"}`: "0",
	})
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("go runtime metrics missing")
	}
}

func TestAdminMetricsRegistriesAreIndependent(t *testing.T) {
	a, b := NewMetrics(), NewMetrics()
	a.RecordReconnect()
	wantSamples(t, scrape(t, NewAdminHandler(NewAdminState(), b)), map[string]string{
		`pgrst_listener_reconnects_total`: "0",
	})
}

func TestAdminLiveAndReady(t *testing.T) {
	s := NewAdminState()
	h := NewAdminHandler(s, NewMetrics())
	check := func(live, ready int, role Role) {
		t.Helper()
		if code, body := get(t, h, "/live"); code != live || body != "" {
			t.Errorf("/live = %d %q, want %d and an empty body", code, body, live)
		}
		code, body := get(t, h, "/ready")
		var st Status
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatalf("/ready body %q: %v", body, err)
		}
		if code != ready || st.Role != role || st.Ready != (ready == 200) {
			t.Errorf("/ready = %d %+v, want %d, role %s", code, st, ready, role)
		}
	}
	t0 := time.Now()
	check(200, 503, RoleStarting)
	s.RecordLeaseCheck(errors.New("redis down"))
	check(200, 503, RoleStarting)
	s.RecordRole(RoleLeader)
	check(200, 503, RoleLeader)
	s.RecordRebuild(cachestore.Rebuild{Started: t0, Finished: t0, Err: errors.New("no catalog")})
	check(200, 503, RoleLeader)
	s.RecordRebuild(success(1, t0, t0, time.Millisecond, nil))
	check(200, 200, RoleLeader)
	s.RecordReconnect()
	check(200, 503, RoleLeader)
	s.RecordRebuild(success(2, t0, t0, time.Millisecond, nil))
	check(200, 200, RoleLeader)
	s.RecordRebuild(cachestore.Rebuild{Started: t0, Finished: t0, Err: errors.New("publish failed")})
	check(200, 503, RoleLeader)
	s.RecordRebuild(success(3, t0, t0, time.Millisecond, nil))
	check(200, 200, RoleLeader)
	// Losing the lease makes a standby, ready to take over while it
	// reaches Redis.
	s.RecordRole(RoleStandby)
	check(200, 200, RoleStandby)
	s.RecordLeaseCheck(errors.New("redis down"))
	check(200, 503, RoleStandby)
	s.RecordLeaseCheck(nil)
	check(200, 200, RoleStandby)
	s.Close()
	check(500, 500, RoleStandby)
}

func TestAdminStatusReportsFingerprintChecks(t *testing.T) {
	s, m := NewAdminState(), NewMetrics()
	h := NewAdminHandler(s, m)
	status := func() Status {
		t.Helper()
		code, body := get(t, h, "/status")
		var st Status
		if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
			t.Fatalf("/status = %d %q (%v)", code, body, err)
		}
		return st
	}
	if st := status(); st.LastFingerprintCheck != nil || st.LastFingerprintResult != "" {
		t.Fatalf("status before any check: %+v", st)
	}
	at := time.Date(2025, 1, 1, 0, 0, 30, 0, time.UTC)
	for _, c := range []FingerprintCheck{
		{At: at.Add(-time.Minute)},
		{At: at.Add(-30 * time.Second), Skipped: true},
		{Err: errors.New("timeout")},
		{At: at, Changed: true, QueueUsage: 0.25},
	} {
		s.RecordFingerprintCheck(c)
		m.RecordFingerprintCheck(c)
	}
	st := status()
	if st.LastFingerprintCheck == nil || !st.LastFingerprintCheck.Equal(at) || st.LastFingerprintResult != "changed" ||
		st.MissedNotifications != 1 || st.NotificationQueueUsage != 0.25 {
		t.Errorf("status = %+v", st)
	}
	wantSamples(t, scrape(t, h), map[string]string{
		`pgrst_schema_cache_fingerprint_checks_total{result="unchanged"}`: "1",
		`pgrst_schema_cache_fingerprint_checks_total{result="skipped"}`:   "1",
		`pgrst_schema_cache_fingerprint_checks_total{result="error"}`:     "1",
		`pgrst_schema_cache_fingerprint_checks_total{result="changed"}`:   "1",
		`pgrst_schema_cache_missed_notifications_total`:                   "1",
		`pgrst_schema_cache_fingerprint_checked_timestamp_seconds`:        "1.73568963e+09",
		`pgrst_db_notification_queue_usage`:                               "0.25",
		`pgrst_worker_leader`:                                             "0",
	})
	m.RecordRole(RoleLeader)
	wantSamples(t, scrape(t, h), map[string]string{`pgrst_worker_leader`: "1"})
}

func TestAdminUnknownPathsAre404(t *testing.T) {
	h := NewAdminHandler(NewAdminState(), nil)
	for _, path := range []string{"/", "/schema_cache", "/config", "/live/x", "/metrics"} {
		if code, body := get(t, h, path); code != http.StatusNotFound || body != "" {
			t.Errorf("%s = %d %q, want 404 and an empty body", path, code, body)
		}
	}
}

func TestAdminServeUntilCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveAdmin(ctx, ln, NewAdminHandler(NewAdminState(), NewMetrics())) }()

	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "pgrst_schema_cache_loads_total") {
		t.Fatalf("/metrics over TCP: %d %.200s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q", ct)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop after cancel")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

func TestAdminServeReturnsListenError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// The port is taken, so this must fail at once rather than run.
	if err := ServeAdmin(ctx, ln.Addr().String(), http.NotFoundHandler()); err == nil {
		t.Fatal("ServeAdmin on a taken port returned nil")
	}
}
