// Command lambda serves the API on PGRST_SERVER_HOST:PGRST_SERVER_PORT
// through the compiled request function: a local API Gateway converts each
// HTTP request to an event and a local Lambda Runtime API hands it to the
// bootstrap binary, started as Lambda starts containers (package localdev,
// Gateway and RuntimeAPI). `make dev-lambda` runs it.
//
// Flags and environment:
//
//	-bootstrap PATH                  the bootstrap binary (LOCALDEV_BOOTSTRAP)
//	-write-env-json FILE             only write SAM's --env-vars file and exit
//	LOCALDEV_API=http|rest           HTTP API (2.0 events, default) or REST API (1.0)
//	LOCALDEV_LAMBDA_CONCURRENCY=N    most containers at once (default 4)
//	LOCALDEV_LAMBDA_TIMEOUT=28s      function timeout (template.yaml: 28 s)
//	LOCALDEV_BINARY_MEDIA_TYPES=*/*  REST API BinaryMediaTypes, comma-separated
//
// The bootstrap processes get this process's environment (PGRST_*,
// REDIS_URL). SIGINT or SIGTERM stops it and the containers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "lambda:", err)
		os.Exit(1)
	}
}

func run() error {
	bootstrap := flag.String("bootstrap", os.Getenv("LOCALDEV_BOOTSTRAP"), "bootstrap binary")
	envJSON := flag.String("write-env-json", "", "only write `sam local start-api --env-vars` FILE from the environment")
	flag.Parse()
	if *envJSON != "" {
		b, err := localdev.SAMEnvJSON(os.Getenv)
		if err != nil {
			return err
		}
		return os.WriteFile(*envJSON, b, 0o600)
	}
	if *bootstrap == "" {
		return errors.New("no bootstrap binary: -bootstrap or LOCALDEV_BOOTSTRAP")
	}
	cfg, err := config.FromEnviron(os.Environ())
	if err != nil {
		return err
	}
	kind := os.Getenv("LOCALDEV_API")
	switch kind {
	case "":
		kind = localdev.HTTPAPI
	case localdev.HTTPAPI, localdev.RESTAPI:
	default:
		return fmt.Errorf("LOCALDEV_API=%q: want http or rest", kind)
	}
	concurrency := 4
	if v := os.Getenv("LOCALDEV_LAMBDA_CONCURRENCY"); v != "" {
		if concurrency, err = strconv.Atoi(v); err != nil || concurrency < 1 {
			return fmt.Errorf("LOCALDEV_LAMBDA_CONCURRENCY=%q: want a positive number", v)
		}
	}
	timeout := 28 * time.Second
	if v := os.Getenv("LOCALDEV_LAMBDA_TIMEOUT"); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("LOCALDEV_LAMBDA_TIMEOUT: %w", err)
		}
	}
	var binary []string
	if v := os.Getenv("LOCALDEV_BINARY_MEDIA_TYPES"); v != "" {
		binary = strings.Split(v, ",")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt := &localdev.RuntimeAPI{Bootstrap: *bootstrap, Env: os.Environ(), Concurrency: concurrency,
		Timeout: timeout, Logger: logger, Output: os.Stderr}
	defer rt.Close()
	gw := &localdev.Gateway{Kind: kind, Invoke: rt.Invoke, BinaryMediaTypes: binary}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	addr := net.JoinHostPort(cfg.ServerHost, strconv.Itoa(cfg.ServerPort))
	srv := &http.Server{Addr: addr, Handler: gw, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("API Gateway listening", "url", "http://"+addr, "api", kind, "bootstrap", *bootstrap,
		"concurrency", concurrency, "function_timeout", timeout)
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
	return nil
}
