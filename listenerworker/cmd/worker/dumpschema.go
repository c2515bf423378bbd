package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// dumpSchema builds the schema cache from the database, as the worker
// does (in-database configuration included), and writes it to w as JSON,
// as PostgREST's --dump-schema. Like PostgREST's, the structure is for
// debugging and may change.
func dumpSchema(ctx context.Context, w io.Writer, cfg *config.Config, logger *slog.Logger) error {
	pool, err := pgpool.Connect(ctx, cfg.DBURI, 1)
	if err != nil {
		return err
	}
	defer pool.Close()
	snap, err := snapshot.Build(ctx, pool, cfg, logger)
	if err != nil {
		return fmt.Errorf("an error occurred when loading the schema cache: %w", err)
	}
	b, err := json.Marshal(snap.Cache)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// withDBSettings overlays the in-database configuration on cfg, as
// PostgREST's --dump-config does when db-config is on. Failing to read
// it returns cfg and the error, for a warning.
func withDBSettings(ctx context.Context, cfg *config.Config) (*config.Config, error) {
	if !cfg.DBConfig {
		return cfg, nil
	}
	pool, err := pgpool.Connect(ctx, cfg.DBURI, 1)
	if err != nil {
		return cfg, err
	}
	defer pool.Close()
	settings, err := config.QueryDBSettings(ctx, pool, cfg.DBPreConfig)
	var pre *config.PreConfigError
	if err != nil && !errors.As(err, &pre) {
		return cfg, err
	}
	eff, werr := cfg.WithDBSettings(settings)
	if werr != nil {
		return cfg, werr
	}
	return eff, err
}
