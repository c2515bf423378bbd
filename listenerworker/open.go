package listenerworker

import (
	"context"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgpool"
)

// Open connects a Worker to PostgreSQL (cfg.DBURI): a small pool for the
// schema cache builds and dedicated connections, with the same settings,
// for LISTEN. The returned close function releases the pool. Errors are
// pgpool.Connect's.
func Open(ctx context.Context, cfg *config.Config, store *cachestore.Store, logger *slog.Logger) (*Worker, func(), error) {
	pool, err := pgpool.Connect(ctx, cfg.DBURI, 2)
	if err != nil {
		return nil, nil, err
	}
	connect := func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	}
	return New(cfg, pool, connect, store, logger), pool.Close, nil
}

// Serve runs w until ctx is done, with the admin server (/live, /ready,
// /metrics) on adminAddr when it is not empty (PGRST_ADMIN_SERVER_PORT). It
// returns the admin server's listen error, if any, after stopping w.
func Serve(ctx context.Context, w *Worker, adminAddr string) error {
	metrics, state := NewMetrics(), NewAdminState()
	metrics.Observe(w)
	state.Observe(w)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	adminErr := make(chan error, 1)
	if adminAddr != "" {
		go func() {
			err := ServeAdmin(ctx, adminAddr, NewAdminHandler(state, metrics))
			if err != nil {
				cancel()
			}
			adminErr <- err
		}()
	} else {
		adminErr <- nil
	}
	err := w.Run(ctx)
	state.Close()
	cancel()
	if aerr := <-adminErr; aerr != nil {
		return aerr
	}
	return err
}
