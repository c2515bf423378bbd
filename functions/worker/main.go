// Command worker is the WorkerFunction: the listener worker run inside
// Lambda invocations that a schedule starts every minute. Build it with
// `-tags lambda.norpc` for the provided.al2023 runtime.
//
// Each invocation runs the worker loop (listenerworker.Worker.RunBefore)
// until PGRST_WORKER_HANDOVER_MARGIN_MS (default 10 s) before its deadline.
// The invocation that holds the leader lease LISTENs and rebuilds; the
// next one, started a minute later while it still runs, stands by polling
// for the lease. When the leader's time is up it stops listening and
// releases the lease, and the standby takes over within a tenth of the
// lease TTL (10 s) with a full rebuild, so a NOTIFY sent during the
// hand-over is covered by that rebuild. A leader that crashes is replaced
// when its lease expires, within the lease TTL. With a 120 s timeout and a
// schedule of one minute, at most two invocations overlap
// (ReservedConcurrentExecutions 2).
//
// PGRST_DB_URI must reach PostgreSQL directly: LISTEN does not pass through
// RDS Proxy or a transaction-mode pooler. Settings given as ARNs and
// PGRST_SETTINGS_ARN are resolved once at cold start, as in the request
// function. Each invocation connects to PostgreSQL and Redis and closes the
// connections before it returns, so nothing is left open while Lambda
// freezes the container.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/awssecrets"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
)

// defaultMargin is how long before the invocation's deadline the worker
// stops by default: time to cancel a rebuild, release the lease and close
// the connections.
const defaultMargin = 10 * time.Second

// secretsTimeout bounds reading secrets and parameters at cold start.
const secretsTimeout = 10 * time.Second

func main() {
	h, err := setup(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	lambda.Start(h.invoke)
}

// handler holds what lives across invocations: the configuration and the
// logger.
type handler struct {
	cfg    *config.Config
	logger *slog.Logger
	margin time.Duration
	id     string
}

// setup reads the configuration once per container.
func setup(ctx context.Context) (*handler, error) {
	sctx, cancel := context.WithTimeout(ctx, secretsTimeout)
	environ, err := awssecrets.Environ(sctx, os.Environ())
	cancel()
	if err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	cfg, err := config.FromEnviron(environ)
	if err != nil {
		return nil, err
	}
	if cfg.RedisURL == "" {
		return nil, fmt.Errorf("invalid configuration: REDIS_URL: required by the listener worker")
	}
	margin, err := marginFrom(lookup(environ, "PGRST_WORKER_HANDOVER_MARGIN_MS"))
	if err != nil {
		return nil, err
	}
	logger := logging.New(os.Stderr, cfg.LogLevel)
	cachestore.RouteRedisLogs(logger)
	id := cfg.WorkerID
	if id == "" {
		if s := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME"); s != "" {
			id = "lambda:" + s
		} else {
			id = cachestore.DefaultWorkerID()
		}
	}
	cfg.WorkerID = id
	return &handler{cfg: cfg, logger: logger, margin: margin, id: id}, nil
}

// marginFrom parses PGRST_WORKER_HANDOVER_MARGIN_MS.
func marginFrom(v string) (time.Duration, error) {
	if v == "" {
		return defaultMargin, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid configuration: PGRST_WORKER_HANDOVER_MARGIN_MS: %q is not a number of milliseconds", v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// lookup returns the value of key in environ ("" when absent).
func lookup(environ []string, key string) string {
	v := ""
	for _, kv := range environ {
		if len(kv) > len(key) && kv[:len(key)] == key && kv[len(key)] == '=' {
			v = kv[len(key)+1:]
		}
	}
	return v
}

// result is an invocation's response: what this invocation did.
type result struct {
	// WorkerID names the container (its log stream).
	WorkerID string `json:"worker_id"`
	// Led reports whether the invocation held the leader lease.
	Led bool `json:"led"`
	// LedMs is how long it led, in milliseconds.
	LedMs int64 `json:"led_ms"`
	// Rebuilds counts its rebuild attempts, Failed the failed ones.
	Rebuilds int `json:"rebuilds"`
	Failed   int `json:"failed"`
}

// invoke runs the worker until the margin before the invocation's
// deadline. The event (the schedule's) is ignored.
func (h *handler) invoke(ctx context.Context, _ json.RawMessage) (result, error) {
	res := result{WorkerID: h.id}
	deadline, ok := ctx.Deadline()
	if !ok {
		return res, errors.New("the invocation has no deadline")
	}
	if time.Until(deadline) <= h.margin {
		return res, fmt.Errorf("the timeout (%v left) does not exceed PGRST_WORKER_HANDOVER_MARGIN_MS (%v)",
			time.Until(deadline).Round(time.Millisecond), h.margin)
	}
	logger := h.logger
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		logger = logger.With("requestId", lc.AwsRequestID)
	}
	rdb, err := cachestore.DialConfig(h.cfg)
	if err != nil {
		return res, err
	}
	defer rdb.Close()
	store := cachestore.New(rdb, h.cfg.CacheKeyPrefix)
	store.Keep = h.cfg.CacheKeepVersions
	if store.Keys, err = cachestore.KeysFromConfig(h.cfg, "listener worker", logger); err != nil {
		return res, err
	}
	w, closeWorker, err := listenerworker.Open(ctx, h.cfg, store, logger)
	if err != nil {
		return res, err
	}
	defer closeWorker()

	var mu sync.Mutex
	var since time.Time
	w.OnRole(func(r listenerworker.Role) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r == listenerworker.RoleLeader:
			res.Led, since = true, time.Now()
		case !since.IsZero():
			res.LedMs += time.Since(since).Milliseconds()
			since = time.Time{}
		}
	})
	w.OnRebuild(func(r cachestore.Rebuild) {
		mu.Lock()
		defer mu.Unlock()
		res.Rebuilds++
		if r.Err != nil {
			res.Failed++
		}
	})
	err = w.RunBefore(ctx, h.margin)
	mu.Lock()
	defer mu.Unlock()
	logger.Info("worker invocation done", "led", res.Led, "led_ms", res.LedMs, "rebuilds", res.Rebuilds, "failed", res.Failed)
	return res, err
}
