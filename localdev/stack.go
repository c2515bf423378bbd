// Package localdev runs the whole stack in one process for development and
// end-to-end tests: the listener worker, and the request function behind an
// HTTP server that converts each request into an API Gateway event, so
// requests take the same path as on Lambda.
package localdev

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/app"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
)

// Stack is a running listener worker plus request function.
type Stack struct {
	// Worker is the listener worker; call Run to start it.
	Worker *listenerworker.Worker
	// Invoker is the request function's Lambda handler.
	Invoker *app.Invoker
	// HTTP serves HTTP through Invoker, as API Gateway would.
	HTTP http.Handler
	// Store is the cache store both sides share.
	Store *cachestore.Store
	// Reader is the request function's view of the current snapshot; its
	// Fallbacks and Rejected counters are readable by tests.
	Reader *cachestore.Reader

	closers []func()
}

// New builds a Stack from cfg. With cfg.RedisURL empty it starts an
// embedded in-process Redis (miniredis). Errors come from connecting to
// PostgreSQL or parsing the Redis URL.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Stack, error) {
	s := &Stack{}
	var rdb redis.UniversalClient
	if cfg.RedisURL == "" {
		mr, err := miniredis.Run()
		if err != nil {
			return nil, fmt.Errorf("start embedded redis: %w", err)
		}
		s.closers = append(s.closers, mr.Close)
		rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
		logger.Info("using an embedded Redis; set REDIS_URL to share the cache", "addr", mr.Addr())
	} else {
		var err error
		if rdb, err = cachestore.DialConfig(cfg); err != nil {
			return nil, err
		}
	}
	s.closers = append(s.closers, func() { _ = rdb.Close() })
	s.Store = cachestore.New(rdb, cfg.CacheKeyPrefix)
	s.Store.Keep = cfg.CacheKeepVersions
	var err error
	if s.Store.Keys, err = cachestore.KeysFromConfig(cfg, "localdev", logger); err != nil {
		s.Close()
		return nil, err
	}

	worker, closeWorker, err := listenerworker.Open(ctx, cfg, s.Store, logger)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Worker = worker
	s.closers = append(s.closers, closeWorker)
	notices, listen := cachestore.Listening(cfg, logger)
	apiPool, err := pgpool.ConnectListening(ctx, cfg.DBURI, 10, listen)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.closers = append(s.closers, apiPool.Close)

	// The request side builds like a cold Lambda function when Redis is empty.
	builder := &cachestore.Builder{Config: cfg, DB: apiPool, Store: s.Store, WorkerID: "localdev-api", Logger: logger}
	s.Reader = builder.NewListeningReader(notices)
	s.Invoker = app.NewInvoker(app.New(cfg, s.Reader, apiPool, logger))
	s.HTTP = GatewayHandler(s.Invoker.Invoke)
	return s, nil
}

// Close releases the pools, the Redis client and the embedded Redis, in
// reverse order of creation.
func (s *Stack) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	s.closers = nil
}
