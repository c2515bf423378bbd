// Command worker runs the listener worker on a long-lived host: it keeps
// the schema cache in Redis (REDIS_URL) current for the request functions.
// Configuration comes from the environment; with PGRST_ADMIN_SERVER_PORT it
// serves /live, /ready, /status, /schema_cache and /metrics. Several workers
// may run: one leads, the others stand by. SIGINT or SIGTERM stops it
// gracefully.
//
// As PostgREST's command line: --help, --version, --dump-config (the
// effective configuration, secrets redacted), --dump-schema (the schema
// cache as JSON) and --ready (exit 0 when the admin server of a running
// worker answers /ready with 200, 1 otherwise: a container health check
// without curl). Any other argument is an error.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
)

// dbTimeout bounds the database work of --dump-config and --dump-schema.
const dbTimeout = time.Minute

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cmd, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "worker: %v\n\n%s", err, usage)
		return 1
	}
	switch cmd {
	case cmdHelp:
		fmt.Fprint(stdout, usage)
		return 0
	case cmdVersion:
		printVersion(stdout)
		return 0
	}
	cfg, err := config.FromEnviron(os.Environ())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	logger := logging.New(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case cmdReady:
		if err := probeReady(ctx, cfg); err != nil {
			fmt.Fprintf(stderr, "not ready: %v\n", err)
			return 1
		}
		return 0
	case cmdDumpConfig:
		dbCtx, cancel := context.WithTimeout(ctx, dbTimeout)
		defer cancel()
		eff, err := withDBSettings(dbCtx, cfg)
		if err != nil {
			fmt.Fprintf(stderr, "worker: the in-database configuration was not read: %v\n", redactURI(err.Error()))
		}
		if err := dumpConfig(stdout, eff); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	case cmdDumpSchema:
		dbCtx, cancel := context.WithTimeout(ctx, dbTimeout)
		defer cancel()
		if err := dumpSchema(dbCtx, stdout, cfg, logger); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	if err := serve(ctx, cfg, logger); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// serve runs the worker until ctx ends.
func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	if cfg.RedisURL == "" {
		return fmt.Errorf("invalid configuration: REDIS_URL: required by the listener worker")
	}
	cachestore.RouteRedisLogs(logger)
	rdb, err := cachestore.DialConfig(cfg)
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
