package query

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// TxSettings are the transaction-scoped settings of a request, applied with
// set_config(..., true) as PostgREST's pre-query does.
type TxSettings struct {
	// Role is the role the statement runs as (SET LOCAL ROLE).
	Role string
	// RoleSettings are the role's own settings (ALTER ROLE ... SET), applied
	// before the role as PostgREST does (#3045).
	RoleSettings map[string]string
	// SearchPath is the request schema followed by db-extra-search-path.
	SearchPath []string
	// Method and Path are exposed as request.method and request.path.
	Method, Path string
	// ReadOnly runs the transaction READ ONLY.
	ReadOnly bool
}

// Result is the single row of a main statement.
type Result struct {
	// PageTotal is the number of rows in the body.
	PageTotal int64
	// Body is the JSON text, nil when the statement produced none (void routine).
	Body *string
}

// Pool hands out connections: *pgxpool.Pool.
type Pool interface {
	Acquire(ctx context.Context) (*pgxpool.Conn, error)
}

// Execute runs st in one transaction with the settings applied first, in a
// single round trip: BEGIN, the settings, the statement and COMMIT are
// pipelined in one batch. On failure the transaction is rolled back on the
// same connection so it returns to the pool clean. PostgreSQL errors come
// back as PostgREST errors mapped from their SQLSTATE (pgrsterr.FromPg);
// connection failures as PGRST000 (503).
func Execute(ctx context.Context, db Pool, s TxSettings, st Statement) (*Result, *pgrsterr.Error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, dbError(err)
	}
	defer conn.Release()

	begin := "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"
	if s.ReadOnly {
		begin = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY"
	}
	quoted := make([]string, len(s.SearchPath))
	for i, p := range s.SearchPath {
		quoted[i] = ident(p)
	}
	batch := &pgx.Batch{}
	batch.Queue(begin)
	sql, args := preQuery(s, strings.Join(quoted, ", "))
	batch.Queue(sql, args...)
	var res Result
	batch.Queue(st.SQL, st.Args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&res.PageTotal, &res.Body)
	})
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		if conn.Conn().PgConn().TxStatus() != 'I' {
			rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, rbErr := conn.Exec(rbCtx, "ROLLBACK"); rbErr != nil {
				// The connection's state is unknown: do not return it to the pool.
				_ = conn.Conn().Close(rbCtx)
			}
			cancel()
		}
		return nil, dbError(err)
	}
	return &res, nil
}

func dbError(err error) *pgrsterr.Error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pgrsterr.FromPg(pe, false)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return pgrsterr.ConnectionError("the request was cancelled or timed out")
	}
	return pgrsterr.ConnectionError(err.Error())
}

// preQuery is PostgREST's transaction-scoped settings statement: search
// path, the role's settings, the role, then request.method and request.path,
// every value a bind parameter.
func preQuery(s TxSettings, searchPath string) (string, []any) {
	calls := []string{"pg_catalog.set_config('search_path', $1, true)"}
	args := []any{searchPath}
	keys := make([]string, 0, len(s.RoleSettings))
	for k := range s.RoleSettings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, k, s.RoleSettings[k])
		calls = append(calls, fmt.Sprintf("pg_catalog.set_config($%d, $%d, true)", len(args)-1, len(args)))
	}
	args = append(args, s.Role, s.Method, s.Path)
	n := len(args)
	calls = append(calls, fmt.Sprintf("pg_catalog.set_config('role', $%d, true)", n-2),
		fmt.Sprintf("pg_catalog.set_config('request.method', $%d, true)", n-1),
		fmt.Sprintf("pg_catalog.set_config('request.path', $%d, true)", n))
	return "SELECT " + strings.Join(calls, ", "), args
}
