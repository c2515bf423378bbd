// Package pgpool opens the PostgreSQL connection pools of the request
// function, the listener worker and the local server, all with the same
// settings.
package pgpool

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Connect opens a connection pool to uri (PGRST_DB_URI) of at most
// maxConns connections. Statements run in pgx's exec mode: one round trip,
// text parameters of unknown type, no named prepared statements, so it works
// behind PgBouncer or RDS Proxy in transaction mode and never trips over a
// cached plan after DDL. The error never contains the password.
func Connect(ctx context.Context, uri string, maxConns int32) (*pgxpool.Pool, error) {
	return ConnectListening(ctx, uri, maxConns, Listen{})
}

// Listen makes every pooled connection LISTEN on Channel before it is
// first used, then call OnListen; OnNotice receives the payload of each
// notification on Channel, on the goroutine reading the connection (it must
// not block). When the server refuses the LISTEN (a hot standby: "cannot
// execute LISTEN during recovery") the connection is kept, unlistening,
// and OnRefused gets the error. The zero Listen listens on nothing.
type Listen struct {
	Channel   string
	OnNotice  func(payload string)
	OnListen  func()
	OnRefused func(err error)
}

// ConnectListening is Connect with every connection listening as l says.
// LISTEN is session state: behind PgBouncer in transaction mode the
// notifications go astray, and RDS Proxy pins each listening connection.
func ConnectListening(ctx context.Context, uri string, maxConns int32, l Listen) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(uri)
	if err != nil {
		return nil, fmt.Errorf("parse PGRST_DB_URI: invalid connection string")
	}
	cfg.MaxConns = maxConns
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	if cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = "pgrest-lambda"
	}
	if l.Channel != "" {
		listen := "LISTEN " + pgx.Identifier{l.Channel}.Sanitize()
		cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			if _, err := conn.Exec(ctx, listen); err != nil {
				var pe *pgconn.PgError
				if errors.As(err, &pe) && l.OnRefused != nil {
					l.OnRefused(err)
					return nil
				}
				return err
			}
			if l.OnListen != nil {
				l.OnListen()
			}
			return nil
		}
		cfg.ConnConfig.OnNotification = func(_ *pgconn.PgConn, n *pgconn.Notification) {
			if n.Channel == l.Channel && l.OnNotice != nil {
				l.OnNotice(n.Payload)
			}
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return pool, nil
}
