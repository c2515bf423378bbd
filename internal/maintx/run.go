package maintx

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
)

// Result is what a request's transaction produced.
type Result struct {
	// Total is the counted, planned or estimated number of rows without
	// limit and offset; nil without a count preference (or no estimate).
	Total *int64
	// PageTotal is the number of rows in the body.
	PageTotal int64
	// Body is the body text, nil when the statement produced none (void
	// routine). For a plan it is the EXPLAIN output, one line per row.
	// It is scanned straight into bytes: the response writes it as is.
	Body []byte
	// GucHeaders is the response.headers setting left by the statement
	// (a JSON array of one-key objects, unchecked); nil when unset.
	GucHeaders *string
	// GucStatus is the response.status setting (unchecked text); nil when unset.
	GucStatus *string
	// Inserted counts the rows an upsert or PUT inserted rather than
	// updated; nil for other statements.
	Inserted *int64
	// Access is what the OpenAPI description read as the request's role;
	// nil for other actions.
	Access *openapi.Access
}

// scanMain reads the one row of a main statement into res; exact
// receives total_result_set. dest holds the scan's arguments: a variadic
// list passed to an interface method is allocated on each call.
func scanMain(row pgx.Row, dest *[6]any, res *Result, exact **int64) error {
	*dest = [6]any{exact, &res.PageTotal, &res.Body, &res.GucHeaders, &res.GucStatus, &res.Inserted}
	return row.Scan(dest[:]...)
}

// Pool hands out connections: *pgxpool.Pool.
type Pool interface {
	Acquire(ctx context.Context) (*pgxpool.Conn, error)
}

// Run executes the query of action a, as PostgREST's MainTx: nothing for
// OPTIONS (ScanNone), the OpenAPI access read for the root (ScanAccess),
// else the statement in one transaction with a's settings (see execute)
// and a's checks decided before it ends. whileSent, when not nil, is
// called once that transaction's statements are sent and before their
// results are read, on the caller's goroutine: work the caller overlaps
// with the database round trip without a goroutine of its own.
func Run(ctx context.Context, db Pool, a *plan.Action, q query.Query, whileSent func()) (*Result, *pgrsterr.Error) {
	switch q.Scan {
	case query.ScanNone:
		return &Result{}, nil
	case query.ScanAccess:
		access, err := readAccess(ctx, db, a.Tx, q.Main, a.Inspect.Privileges)
		if err != nil {
			return nil, err
		}
		return &Result{Access: access}, nil
	}
	return execute(ctx, db, &a.Tx, q, a.Checks, whileSent)
}

// execute runs q in one transaction with the settings applied first, in a
// single round trip: BEGIN, the settings, the main statement, the count's
// EXPLAIN and COMMIT are pipelined in one batch. When checks has any, the
// result is checked before the transaction ends, which then takes a second
// round trip: a failed check rolls it back and is returned, as PostgREST
// does for singular responses (PGRST116), PUT's key (PGRST115),
// max-affected (PGRST124) and limited writes (PGRST110). On failure the
// transaction is rolled back on the same connection so it returns to the
// pool clean. PostgreSQL errors come back as PostgREST errors mapped from
// their SQLSTATE (pgrsterr.FromPg); connection failures as PGRST000 (503).
// s must not change until execute returns: the settings statement's
// arguments refer to its strings.
func execute(ctx context.Context, db Pool, s *plan.TxSettings, q query.Query, checks plan.Checks,
	whileSent func()) (*Result, *pgrsterr.Error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, dbError(err, s.Authenticated)
	}
	defer conn.Release()

	// One allocation for the batch, its statements' list and the settings'
	// arguments, and for what the batch's callbacks fill in.
	st := &struct {
		batches
		res       Result
		planned   *int64
		exactRows *int64
		dest      [6]any
	}{}
	res := &st.res
	batch := st.begin(s)
	if q.Scan == query.ScanPlan {
		batch.Queue(q.Main.SQL, q.Main.Args...).Query(func(rows pgx.Rows) error {
			text := []byte{}
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return err
				}
				text = append(append(text, line...), '\n')
			}
			res.Body = text
			return rows.Err()
		})
	} else {
		batch.Queue(q.Main.SQL, q.Main.Args...).QueryRow(func(row pgx.Row) error {
			return scanMain(row, &st.dest, res, &st.exactRows)
		})
	}
	if q.CountPlan != nil {
		batch.Queue(q.CountPlan.SQL, q.CountPlan.Args...).QueryRow(func(row pgx.Row) error {
			var plan []byte
			if err := row.Scan(&plan); err != nil {
				return err
			}
			st.planned = planRows(plan)
			return nil
		})
	}
	checked := checks.Any()
	if !checked {
		batch.Queue(query.End(*s))
	}
	results := conn.SendBatch(ctx, batch)
	if whileSent != nil {
		// The batch is on the wire; its results wait in the socket.
		whileSent()
	}
	if err := results.Close(); err != nil {
		rollback(ctx, conn)
		return nil, dbError(err, s.Authenticated)
	}
	if checked {
		failed := check(checks, res)
		end := query.End(*s)
		if failed != nil {
			end = "ROLLBACK"
		}
		if _, err := conn.Exec(ctx, end); err != nil {
			rollback(ctx, conn)
			return nil, dbError(err, s.Authenticated)
		}
		if failed != nil {
			return nil, failed
		}
	}
	if q.BinaryBody && res.Body != nil {
		b := make([]byte, base64.StdEncoding.DecodedLen(len(res.Body)))
		n, err := base64.StdEncoding.Decode(b, res.Body)
		if err != nil {
			return nil, pgrsterr.Internal("the media type handler's body is not valid base64")
		}
		res.Body = b[:n]
	}
	res.Total = total(q, st.exactRows, st.planned)
	return res, nil
}

// check is the first of c's conditions res fails, in Checks' order; nil
// when it passes them all. The row counts are the rows the statement
// returned, as PostgREST counts them.
func check(c plan.Checks, res *Result) *pgrsterr.Error {
	switch {
	case c.Singular && res.PageTotal != 1:
		return pgrsterr.NotSingular(res.PageTotal)
	case c.PutRow && res.PageTotal != 1:
		return pgrsterr.PutPKMismatch()
	case c.MaxAffected != nil && res.PageTotal > *c.MaxAffected:
		return pgrsterr.MaxAffectedExceeded(res.PageTotal)
	case c.Limit != nil && res.PageTotal > *c.Limit:
		return pgrsterr.LimitExceeded(res.PageTotal, *c.Limit)
	}
	return nil
}

// total picks the count the response reports, as PostgREST: exact is the
// counted rows; planned the planner's estimate; estimated the exact count
// unless it passed db-max-rows (always, without db-max-rows), then the
// larger of the two.
func total(q query.Query, exact, planned *int64) *int64 {
	switch q.Count {
	case "exact":
		return exact
	case "planned":
		return planned
	case "estimated":
		if exact == nil || (q.MaxRows > 0 && *exact <= int64(q.MaxRows)) || planned == nil {
			return exact
		}
		return ptr(max(*exact, *planned))
	}
	return nil
}

func ptr(n int64) *int64 { return &n }

// planRows reads "Plan Rows" of the top plan node of EXPLAIN (FORMAT JSON)
// output; nil when it is missing or not an integer.
func planRows(plan []byte) *int64 {
	var out []struct {
		Plan struct {
			Rows *float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal(plan, &out); err != nil || len(out) == 0 || out[0].Plan.Rows == nil {
		return nil
	}
	r := *out[0].Plan.Rows
	if r != math.Trunc(r) {
		return nil
	}
	return ptr(int64(r))
}

// rollback ends a failed transaction on conn; when that fails too the
// connection's state is unknown, so it is closed rather than pooled.
func rollback(ctx context.Context, conn *pgxpool.Conn) {
	if conn.Conn().PgConn().TxStatus() == 'I' {
		return
	}
	rbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(rbCtx, "ROLLBACK"); err != nil {
		_ = conn.Conn().Close(rbCtx)
	}
}

// dbError maps a failure of the transaction: PostgreSQL errors as
// pgrsterr.FromPg (authenticated decides 401 or 403 for 42501); failing to
// connect as PGRST000 and any other driver failure as PGRST001, with
// details that name no user, database, host or port (the driver's error is
// kept as the cause, for the log).
func dbError(err error, authenticated bool) *pgrsterr.Error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pgrsterr.FromPg(pe, authenticated)
	}
	var ce *pgconn.ConnectError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return pgrsterr.ConnectionError("the request was cancelled or timed out", err)
	case errors.As(err, &ce):
		return pgrsterr.ConnectionError("could not connect to the database", err)
	}
	return pgrsterr.ClientError(err)
}

// maxQueued is the most statements a request's batch holds: BEGIN, the
// settings, db-pre-request, the main statement, the count's EXPLAIN and
// the end of the transaction.
const maxQueued = 6

// batches is the storage of a request's batch, to be part of a larger
// allocation: the batch, room for its statements' list, and for the
// settings statement's arguments when they are few.
type batches struct {
	batch  pgx.Batch
	queued [maxQueued]*pgx.QueuedQuery
	args   [16]any
}

// begin starts the batch as beginBatch does, in b's storage.
func (b *batches) begin(s *plan.TxSettings) *pgx.Batch {
	b.batch.QueuedQueries = b.queued[:0]
	beginBatch(&b.batch, b.args[:0], s)
	return &b.batch
}

// beginBatch starts a request's pipelined batch: BEGIN (READ ONLY when
// s.ReadOnly), the transaction-scoped settings and the db-pre-request
// call, the settings' arguments appended to args.
func beginBatch(batch *pgx.Batch, args []any, s *plan.TxSettings) {
	batch.Queue(query.Begin(*s))
	sql, args := query.AppendPreQuery(args, s)
	batch.Queue(sql, args...)
	if s.PreRequest != "" {
		batch.Queue(s.PreRequest)
	}
}
