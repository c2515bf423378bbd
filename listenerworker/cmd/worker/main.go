// Command worker runs the listener worker on a long-lived host: it keeps
// the schema cache in Redis (REDIS_URL) current for the request functions.
// Configuration comes from the environment; with PGRST_ADMIN_SERVER_PORT it
// serves /live, /ready and /metrics. Several workers may run: one leads, the
// others stand by. SIGINT or SIGTERM stops it gracefully.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.FromEnviron(os.Environ())
	if err != nil {
		return err
	}
	if cfg.RedisURL == "" {
		return fmt.Errorf("invalid configuration: REDIS_URL: required by the listener worker")
	}
	logger := logging.New(os.Stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rdb, err := cachestore.Dial(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	store := cachestore.New(rdb, cfg.CacheKeyPrefix)
	store.Keep = cfg.CacheKeepVersions
	if store.Keys, err = cachestore.KeysFromConfig(cfg, "listener worker", logger); err != nil {
		return err
	}
	w, closeWorker, err := listenerworker.Open(ctx, cfg, store, logger)
	if err != nil {
		return err
	}
	defer closeWorker()
	return listenerworker.Serve(ctx, w, cfg.AdminAddr())
}
