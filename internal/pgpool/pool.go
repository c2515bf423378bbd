// Package pgpool opens the PostgreSQL connection pools of the request
// function, the listener worker and the local server, all with the same
// settings.
package pgpool

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Connect opens a connection pool to uri (PGRST_DB_URI) of at most
// maxConns connections. Statements run in pgx's exec mode: one round trip,
// text parameters of unknown type, no named prepared statements, so it works
// behind PgBouncer or RDS Proxy in transaction mode and never trips over a
// cached plan after DDL. The error never contains the password.
func Connect(ctx context.Context, uri string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(uri)
	if err != nil {
		return nil, fmt.Errorf("parse PGRST_DB_URI: invalid connection string")
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "pgrest-lambda"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return pool, nil
}
