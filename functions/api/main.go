// Command api is the request function: an AWS Lambda bootstrap serving the
// PostgREST API for API Gateway REST API (v1) and HTTP API (v2) proxy
// events. Build it with `-tags lambda.norpc` for the provided.al2023 runtime.
//
// The connection pool, the Redis client and the decoded schema cache live
// in package state, so warm invocations reuse them. Settings given as the
// ARN of a Secrets Manager secret or an SSM parameter, and the JSON document
// PGRST_SETTINGS_ARN names, are read once at cold start (package
// internal/awssecrets). Every log line carries the invocation's requestId.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/app"
	"github.com/pgrest-lambda/pgrest-lambda/internal/awssecrets"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
)

// poolSize is small: a Lambda container serves one request at a time.
const poolSize = 2

// secretsTimeout bounds reading secrets and parameters at cold start.
const secretsTimeout = 10 * time.Second

func main() {
	inv, cleanup, err := setup(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// On SIGTERM (the sandbox shutting down) the pool and the Redis client
	// are closed and the process ends at once rather than waiting to be
	// killed.
	lambda.StartWithOptions(withRequestID(inv.Invoke), lambda.WithEnableSIGTERM(func() {
		cleanup()
		os.Exit(0)
	}))
}

func setup(ctx context.Context) (*app.Invoker, func(), error) {
	sctx, cancel := context.WithTimeout(ctx, secretsTimeout)
	environ, err := awssecrets.Environ(sctx, os.Environ())
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("invalid configuration: %w", err)
	}
	cfg, err := config.FromEnviron(environ)
	if err != nil {
		return nil, nil, err
	}
	if cfg.RedisURL == "" {
		return nil, nil, fmt.Errorf("invalid configuration: REDIS_URL: required by the request function")
	}
	logger := slog.New(requestIDHandler{logging.New(os.Stderr, cfg.LogLevel).Handler()})
	cachestore.RouteRedisLogs(logger)
	rdb, err := cachestore.DialConfig(cfg)
	if err != nil {
		return nil, nil, err
	}
	notices, listen := cachestore.Listening(cfg, logger)
	pool, err := pgpool.ConnectListening(ctx, cfg.DBURI, poolSize, listen)
	if err != nil {
		return nil, nil, err
	}
	store := cachestore.New(rdb, cfg.CacheKeyPrefix)
	store.Keep = cfg.CacheKeepVersions
	if store.Keys, err = cachestore.KeysFromConfig(cfg, "request function", logger); err != nil {
		return nil, nil, err
	}
	// A cold function that finds Redis empty builds the first snapshot itself.
	builder := &cachestore.Builder{Config: cfg, DB: pool, Store: store, WorkerID: workerID(cfg), Logger: logger}
	h := app.New(cfg, builder.NewListeningReader(notices), pool, logger)
	return app.NewInvoker(h), func() { pool.Close(); _ = rdb.Close() }, nil
}

// workerID names this container in the version metadata and build lease:
// PGRST_WORKER_ID, else the Lambda log stream (one per container).
func workerID(cfg *config.Config) string {
	if cfg.WorkerID != "" {
		return cfg.WorkerID
	}
	if s := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME"); s != "" {
		return "lambda:" + s
	}
	return cachestore.DefaultWorkerID()
}
