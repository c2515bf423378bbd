package tests

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// The WorkerFunction's schedule, shortened: an invocation every
// schedPeriod, each with schedTimeout to run and the worker stopping
// schedMargin before it; at most two at a time (ReservedConcurrentExecutions
// 2), as template.yaml's one minute, 120 s and 10 s.
const (
	schedPeriod  = 2 * time.Second
	schedTimeout = 4 * time.Second
	schedMargin  = 1250 * time.Millisecond
	schedMax     = 2
)

// scheduledLambda runs the WorkerFunction's bootstrap as Lambda does for a
// scheduled function with reserved concurrency: every period an
// invocation goes to an idle container, or to a new one while fewer than
// max run; otherwise it is throttled and dropped (MaximumRetryAttempts 0).
// Each container is a process with its own Runtime API endpoint
// (2018-06-01) that hands it one event at a time with a deadline.
type scheduledLambda struct {
	t       *testing.T
	bin     string
	env     []string
	timeout time.Duration
	max     int

	mu         sync.Mutex
	containers []*fnContainer
	nextID     int
	reqSeq     int
	throttled  int
	responses  []string
	out        testharness.SyncBuffer
}

type fnContainer struct {
	id     int
	stream string
	cmd    *exec.Cmd
	srv    *httptest.Server
	events chan string
	busy   atomic.Bool
	dead   chan struct{}
}

// prefixed writes each line with a prefix to w.
type prefixed struct {
	w      io.Writer
	prefix string
}

func (p prefixed) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			_, _ = io.WriteString(p.w, p.prefix+line)
		}
	}
	return len(b), nil
}

var (
	workerFnOnce sync.Once
	workerFnPath string
	workerFnErr  error
)

// workerFunctionBin builds functions/worker as sam build does (lambda.norpc).
func workerFunctionBin(t *testing.T) string {
	t.Helper()
	workerFnOnce.Do(func() {
		dir, err := os.MkdirTemp("", "worker-fn")
		if err != nil {
			workerFnErr = err
			return
		}
		workerFnPath = filepath.Join(dir, "bootstrap")
		out, err := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", workerFnPath, "../functions/worker").CombinedOutput()
		if err != nil {
			workerFnErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if workerFnErr != nil {
		t.Fatalf("build functions/worker: %v", workerFnErr)
	}
	return workerFnPath
}

// startSchedule invokes the function every period until the test ends.
func startSchedule(t *testing.T, vars map[string]string, period time.Duration) *scheduledLambda {
	s := &scheduledLambda{t: t, bin: workerFunctionBin(t), timeout: schedTimeout, max: schedMax}
	s.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"PGRST_LOG_LEVEL=info",
		"PGRST_WORKER_HANDOVER_MARGIN_MS=" + fmt.Sprint(schedMargin.Milliseconds()),
		// Only NOTIFY and the take-over rebuild may make a change visible.
		"PGRST_WORKER_FINGERPRINT_INTERVAL_MS=3600000"}
	for k, v := range vars {
		s.env = append(s.env, k+"="+v)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			s.invoke()
			select {
			case <-tick.C:
			case <-stop:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
		s.mu.Lock()
		cs := append([]*fnContainer(nil), s.containers...)
		s.mu.Unlock()
		for _, c := range cs {
			_ = c.cmd.Process.Kill()
			<-c.dead
			c.srv.Close()
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("function output:\n%s", s.out.String())
		}
	})
	return s
}

// invoke is one schedule tick.
func (s *scheduledLambda) invoke() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqSeq++
	id := fmt.Sprintf("sched-%03d", s.reqSeq)
	alive := 0
	for _, c := range s.containers {
		select {
		case <-c.dead:
			continue
		default:
		}
		alive++
		if c.busy.CompareAndSwap(false, true) {
			c.events <- id
			return
		}
	}
	if alive >= s.max {
		s.throttled++
		return
	}
	c, err := s.start()
	if err != nil {
		s.t.Errorf("start container: %v", err)
		return
	}
	c.busy.Store(true)
	c.events <- id
}

// start launches a container: its Runtime API, then the process.
func (s *scheduledLambda) start() (*fnContainer, error) {
	s.nextID++
	c := &fnContainer{id: s.nextID, events: make(chan string, 1), dead: make(chan struct{})}
	c.stream = fmt.Sprintf("2026/01/01/[$LATEST]container%d", c.id)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case id := <-c.events:
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(s.timeout).UnixMilli()))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:WorkerFunction")
			_, _ = io.WriteString(w, `{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}`)
		case <-r.Context().Done():
		}
	})
	finish := func(kind string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			s.mu.Lock()
			s.responses = append(s.responses, fmt.Sprintf("container %d %s %s: %s", c.id, r.PathValue("id"), kind, b))
			s.mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			c.busy.Store(false)
		}
	}
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", finish("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", finish("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.t.Errorf("container %d init error: %s", c.id, b)
		w.WriteHeader(http.StatusAccepted)
	})
	c.srv = httptest.NewServer(mux)
	c.cmd = exec.Command(s.bin)
	c.cmd.Env = append(append([]string(nil), s.env...),
		"AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(c.srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=WorkerFunction", "AWS_LAMBDA_LOG_STREAM_NAME="+c.stream)
	out := prefixed{w: &s.out, prefix: fmt.Sprintf("[container %d] ", c.id)}
	c.cmd.Stdout, c.cmd.Stderr = out, out
	if err := c.cmd.Start(); err != nil {
		c.srv.Close()
		return nil, err
	}
	go func() {
		_ = c.cmd.Wait()
		close(c.dead)
	}()
	s.containers = append(s.containers, c)
	return c, nil
}

// containerOf returns the container whose worker holds the lease holder.
func (s *scheduledLambda) containerOf(holder string) *fnContainer {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.containers {
		if strings.HasPrefix(holder, "lambda:"+c.stream+"/") {
			return c
		}
	}
	return nil
}

// workerFnEnv is one test's database, cache store and an API that only
// reads the cache the function publishes.
type workerFnEnv struct {
	t     *testing.T
	vars  map[string]string
	store *cachestore.Store
	api   *httptest.Server
	admin *pgx.Conn
}

func newWorkerFnEnv(t *testing.T) *workerFnEnv {
	db, vars := newDatabase(t, "CREATE TABLE api.seed (id int);")
	ctx := context.Background()
	// The stack's own worker is never run: only the function publishes.
	stack, err := localdev.New(ctx, configFrom(t, vars), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stack.Close)
	e := &workerFnEnv{t: t, vars: vars, store: stack.Store, admin: db}
	e.api = httptest.NewServer(stack.HTTP)
	t.Cleanup(e.api.Close)
	return e
}

// holder reads the leader lease's holder ("" when free).
func (e *workerFnEnv) holder() string {
	h, err := e.store.Holder(context.Background(), cachestore.LeaderLease)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// visible reports whether GET /table answers 200.
func (e *workerFnEnv) visible(table string) bool {
	res, err := http.Get(e.api.URL + "/" + table)
	if err != nil {
		e.t.Fatal(err)
	}
	_ = res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// published waits for the function's first published version.
func (e *workerFnEnv) published(within time.Duration) {
	e.t.Helper()
	waitFor(e.t, "first version published by the function", within, func() bool {
		v, err := e.store.Current(context.Background())
		return err == nil && v > 0
	})
}

// TestWorkerFunctionHandOver runs the WorkerFunction on its (shortened)
// schedule: each leading invocation releases the lease before its
// deadline and the waiting one takes over. A table created and NOTIFYed
// while the lease is free, when no invocation listens, becomes visible
// through the take-over's full rebuild.
func TestWorkerFunctionHandOver(t *testing.T) {
	e := newWorkerFnEnv(t)
	s := startSchedule(t, e.vars, schedPeriod)
	e.published(10 * time.Second)
	waitFor(t, "seed table visible", 5*time.Second, func() bool { return e.visible("seed") })

	// A change while an invocation leads arrives by NOTIFY.
	mustExec(t, e.admin, "CREATE TABLE api.notified (id int); NOTIFY pgrst")
	d := waitFor(t, "table created during a term visible", 5*time.Second, func() bool { return e.visible("notified") })
	t.Logf("NOTIFY during a term: visible after %v", d.Round(time.Millisecond))

	// Hand-overs: at each release, create a table and NOTIFY while nobody
	// holds the lease (so nobody LISTENs).
	const handovers = 4
	var vacancies, latencies []time.Duration
	prev := e.holder()
	deadline := time.Now().Add(handovers * 3 * schedPeriod)
	for n := 0; n < handovers; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d hand-overs in %v", n, handovers*3*schedPeriod)
		}
		h := e.holder()
		if h == prev {
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if h != "" {
			t.Logf("lease moved from %q to %q between two polls", prev, h)
			prev = h
			continue
		}
		released := time.Now()
		table := fmt.Sprintf("gap_%d", n)
		mustExec(t, e.admin, fmt.Sprintf("CREATE TABLE api.%s (id int); NOTIFY pgrst", table))
		if e.holder() != "" {
			t.Logf("hand-over %d: the lease was taken before the DDL committed", n)
		}
		var next string
		vacancy := waitFor(t, "take-over", 3*time.Second, func() bool { next = e.holder(); return next != "" })
		if next == prev {
			t.Fatalf("the releasing invocation took the lease back")
		}
		waitFor(t, table+" visible", 5*time.Second, func() bool { return e.visible(table) })
		vacancies = append(vacancies, vacancy)
		latencies = append(latencies, time.Since(released))
		t.Logf("hand-over %d: %q -> %q, lease free %v, DDL in the gap visible %v after the release",
			n, prev, next, vacancy.Round(time.Millisecond), time.Since(released).Round(time.Millisecond))
		prev = next
		n++
	}
	var maxVac, maxLat time.Duration
	for i := range vacancies {
		maxVac, maxLat = max(maxVac, vacancies[i]), max(maxLat, latencies[i])
	}
	t.Logf("%d hand-overs: lease free at most %v (standby poll %v); DDL in the gap visible at most %v after the release",
		handovers, maxVac.Round(time.Millisecond), listenerworker.DefaultLeaseTTL/10, maxLat.Round(time.Millisecond))
	if maxVac > listenerworker.DefaultLeaseTTL/10+500*time.Millisecond {
		t.Errorf("the lease stayed free %v, want within a standby poll (%v)", maxVac, listenerworker.DefaultLeaseTTL/10)
	}
	s.mu.Lock()
	for _, r := range s.responses {
		if strings.Contains(r, " error: ") {
			t.Errorf("invocation failed: %s", r)
		}
	}
	t.Logf("%d invocations finished, %d throttled", len(s.responses), s.throttled)
	s.mu.Unlock()
}

// TestWorkerFunctionLeaderCrash kills the process of the leading
// invocation: the lease it holds expires and a waiting invocation takes
// over within the lease TTL, rebuilding in full, so a table created while
// the crashed leader held the lease becomes visible.
func TestWorkerFunctionLeaderCrash(t *testing.T) {
	e := newWorkerFnEnv(t)
	s := startSchedule(t, e.vars, schedPeriod)
	e.published(10 * time.Second)

	var leader string
	var c *fnContainer
	waitFor(t, "a leading container", 5*time.Second, func() bool {
		leader = e.holder()
		c = s.containerOf(leader)
		return c != nil
	})
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-c.dead
	mustExec(t, e.admin, "CREATE TABLE api.after_crash (id int); NOTIFY pgrst")
	var next string
	ttl := listenerworker.DefaultLeaseTTL
	took := waitFor(t, "take-over after the crash", ttl+3*time.Second, func() bool {
		next = e.holder()
		return next != "" && next != leader
	})
	visible := waitFor(t, "after_crash visible", 5*time.Second, func() bool { return e.visible("after_crash") })
	t.Logf("leader %q killed; %q took over after %v (lease TTL %v); the table created meanwhile visible %v later",
		leader, next, took.Round(time.Millisecond), ttl, visible.Round(time.Millisecond))
	if took > ttl+ttl/10+500*time.Millisecond {
		t.Errorf("take-over after %v, want within the lease TTL %v plus a standby poll (%v)", took, ttl, ttl/10)
	}
	if s.containerOf(next) == nil {
		t.Errorf("the new holder %q is no container of the function", next)
	}
}
