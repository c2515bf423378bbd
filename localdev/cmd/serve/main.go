// Command serve runs pgrest-lambda locally: the listener worker and the API
// on PGRST_SERVER_HOST:PGRST_SERVER_PORT, each HTTP request passing through
// the Lambda handler as an API Gateway HTTP API event. Configuration comes
// from the environment (PGRST_DB_URI, PGRST_DB_SCHEMAS, PGRST_DB_ANON_ROLE,
// REDIS_URL, ...); without REDIS_URL it uses an embedded Redis. SIGINT or
// SIGTERM stops it.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/logging"
	"github.com/pgrest-lambda/pgrest-lambda/listenerworker"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
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
	logger := logging.New(os.Stderr, cfg.LogLevel)
	cachestore.RouteRedisLogs(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	stack, err := localdev.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer stack.Close()
	workerDone := make(chan struct{})
	go func() {
		defer close(workerDone)
		if err := listenerworker.Serve(ctx, stack.Worker, cfg.AdminAddr()); err != nil {
			logger.Error("admin server", "error", err.Error())
		}
	}()

	addr := net.JoinHostPort(cfg.ServerHost, strconv.Itoa(cfg.ServerPort))
	srv := &http.Server{Addr: addr, Handler: stack.HTTP, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Fprintf(os.Stderr, "pgrest-lambda listening on http://%s\n", addr)
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve %s: %w", addr, err)
		}
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	stop()
	<-workerDone
	return nil
}
