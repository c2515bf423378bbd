package tests

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

// p99 returns the 99th percentile of d.
func p99(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)*99)/100]
}

// load runs n GET requests on 4 concurrent clients and returns their
// latencies; every answer must be 200.
func load(t *testing.T, url string, n int) []time.Duration {
	t.Helper()
	var mu sync.Mutex
	var out []time.Duration
	var wg sync.WaitGroup
	per := n / 4
	for range 4 {
		wg.Go(func() {
			for range per {
				start := time.Now()
				res, err := http.Get(url)
				d := time.Since(start)
				if err != nil {
					t.Error(err)
					return
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					t.Errorf("status %d during the load", res.StatusCode)
				}
				mu.Lock()
				out = append(out, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return out
}

// With Redis hung (SIGSTOP), requests skip it after the first failure:
// their p99 stays within 10 ms of the p99 measured before, in this run.
func TestHungRedisLatency(t *testing.T) {
	own, err := testharness.StartRedis()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = own.Stop() })
	ctx := context.Background()
	info, err := redis.NewClient(&redis.Options{Addr: own.Addr()}).Info(ctx, "server").Result()
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		t.Fatal("no process_id in INFO server")
	}
	var logs testharness.SyncBuffer
	e := newLoggedEnv(t, trustSQL, &logs, "REDIS_URL", own.URL())
	url := e.api.URL + "/items?id=eq.1"
	load(t, url, 100) // warm up
	base := p99(load(t, url, 800))

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	cont := func() {
		if stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
			stopped = false
		}
	}
	t.Cleanup(cont)
	first := time.Now()
	if r := e.get("/items?id=eq.1"); r.Status != 200 {
		t.Fatalf("first request with Redis hung = %d %s", r.Status, r.Body)
	}
	t.Logf("first request with Redis hung: %v", time.Since(first))
	if !e.stack.Reader.RedisSkipped() {
		t.Fatal("the reader does not skip Redis after a failure")
	}
	outage := p99(load(t, url, 800))
	t.Logf("p99 before: %v, during the outage: %v", base, outage)
	if outage > base+10*time.Millisecond {
		t.Errorf("p99 during the outage %v > p99 before %v + 10 ms", outage, base)
	}
	if n := countIn(&logs, "redis failed: serving the memoised schema cache"); n != 1 {
		t.Errorf("%d breaker log lines for one outage, want 1", n)
	}
	if n := countIn(&logs, "serving the last good schema cache"); n > 2 {
		t.Errorf("%d fallback log lines, want at most 2 (one per distinct error)", n)
	}
	cont()
	deadline := time.Now().Add(10 * time.Second)
	for e.stack.Reader.RedisSkipped() && time.Now().Before(deadline) {
		e.get("/items?id=eq.1")
		time.Sleep(50 * time.Millisecond)
	}
	if e.stack.Reader.RedisSkipped() {
		t.Error("the reader still skips Redis 10 s after it came back")
	}
	if n := countIn(&logs, "redis answers again"); n != 1 {
		t.Errorf("%d recovery log lines, want 1", n)
	}
}
