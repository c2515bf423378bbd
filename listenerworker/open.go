package listenerworker

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
)

// Open connects a Worker to PostgreSQL (cfg.DBURI): a small pool for the
// schema cache builds and dedicated connections, with the same settings,
// for LISTEN. The returned close function releases the pool. Errors are
// query.Connect's.
func Open(ctx context.Context, cfg *config.Config, store *cachestore.Store, logger *slog.Logger) (*Worker, func(), error) {
	pool, err := query.Connect(ctx, cfg.DBURI, 2)
	if err != nil {
		return nil, nil, err
	}
	connect := func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	}
	return New(cfg, pool, connect, store, logger), pool.Close, nil
}
