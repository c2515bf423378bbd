package query

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
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
	// Claims, Headers and Cookies are JSON objects exposed as
	// request.jwt.claims, request.headers (lower-case names) and
	// request.cookies, as PostgREST does.
	Claims, Headers, Cookies string
	// Timezone is the `Prefer: timezone=` zone, already checked against
	// pg_timezone_names; "" leaves the session's.
	Timezone string
	// PreRequest is the statement calling db-pre-request, run after the
	// settings; "" for none.
	PreRequest string
	// ReadOnly runs the transaction READ ONLY.
	ReadOnly bool
	// IsolationLevel is the transaction's isolation level, lower-case
	// ("read committed", "repeatable read", "serializable"; "" or any
	// other value is read committed): a routine's own
	// default_transaction_isolation, else the role's, as PostgREST.
	IsolationLevel string
	// Rollback ends the transaction with ROLLBACK instead of COMMIT
	// (db-tx-end), after the response has been read.
	Rollback bool
	// FuncSettings are a routine's hoisted settings (db-hoisted-tx-settings),
	// applied after the role's so they win.
	FuncSettings []schemacache.Setting
	// AppSettings are the app.settings.* of the configuration, applied last.
	AppSettings map[string]string
}

// end is the statement that ends a successful transaction.
func (s TxSettings) end() string {
	if s.Rollback {
		return "ROLLBACK"
	}
	return "COMMIT"
}

// Result is what a request's transaction produced.
type Result struct {
	// Total is the counted, planned or estimated number of rows without
	// limit and offset; nil without a count preference (or no estimate).
	Total *int64
	// PageTotal is the number of rows in the body.
	PageTotal int64
	// Body is the body text, nil when the statement produced none (void
	// routine). For a plan it is the EXPLAIN output, one line per row.
	Body *string
	// GucHeaders is the response.headers setting left by the statement
	// (a JSON array of one-key objects, unchecked); nil when unset.
	GucHeaders *string
	// GucStatus is the response.status setting (unchecked text); nil when unset.
	GucStatus *string
	// Inserted counts the rows an upsert or PUT inserted rather than
	// updated; nil for other statements.
	Inserted *int64
}

// scanMain reads the one row of a main statement into res; exact
// receives total_result_set.
func scanMain(row pgx.Row, res *Result, exact **int64) error {
	return row.Scan(exact, &res.PageTotal, &res.Body, &res.GucHeaders, &res.GucStatus, &res.Inserted)
}

// Pool hands out connections: *pgxpool.Pool.
type Pool interface {
	Acquire(ctx context.Context) (*pgxpool.Conn, error)
}

// Execute runs q in one transaction with the settings applied first, in a
// single round trip: BEGIN, the settings, the main statement, the count's
// EXPLAIN and COMMIT are pipelined in one batch. A singular request instead
// checks its row count before committing, and rolls back with PGRST116 as
// PostgREST does. On failure the transaction is rolled back on the same
// connection so it returns to the pool clean. PostgreSQL errors come back
// as PostgREST errors mapped from their SQLSTATE (pgrsterr.FromPg);
// connection failures as PGRST000 (503).
func Execute(ctx context.Context, db Pool, s TxSettings, q Query) (*Result, *pgrsterr.Error) {
	return ExecuteChecked(ctx, db, s, q, nil)
}

// ExecuteChecked runs q like Execute, then check (when not nil) decides on
// the result before the transaction ends: an error rolls it back and is
// returned, as PostgREST does for max-affected and PUT's key check. The
// end then takes a second round trip.
func ExecuteChecked(ctx context.Context, db Pool, s TxSettings, q Query,
	check func(*Result) *pgrsterr.Error) (*Result, *pgrsterr.Error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, dbError(err)
	}
	defer conn.Release()

	batch := beginBatch(s)
	var (
		res       Result
		planned   *int64
		exactRows *int64
	)
	if q.Plan {
		batch.Queue(q.Main.SQL, q.Main.Args...).Query(func(rows pgx.Rows) error {
			var sb strings.Builder
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return err
				}
				sb.WriteString(line + "\n")
			}
			text := sb.String()
			res.Body = &text
			return rows.Err()
		})
	} else {
		batch.Queue(q.Main.SQL, q.Main.Args...).QueryRow(func(row pgx.Row) error {
			return scanMain(row, &res, &exactRows)
		})
	}
	if q.CountPlan != nil {
		batch.Queue(q.CountPlan.SQL, q.CountPlan.Args...).QueryRow(func(row pgx.Row) error {
			var plan []byte
			if err := row.Scan(&plan); err != nil {
				return err
			}
			planned = planRows(plan)
			return nil
		})
	}
	checked := q.Singular || check != nil
	if !checked {
		batch.Queue(s.end())
	}
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		rollback(ctx, conn)
		return nil, dbError(err)
	}
	if checked {
		var failed *pgrsterr.Error
		if q.Singular && res.PageTotal != 1 {
			failed = pgrsterr.NotSingular(res.PageTotal)
		} else if check != nil {
			failed = check(&res)
		}
		end := s.end()
		if failed != nil {
			end = "ROLLBACK"
		}
		if _, err := conn.Exec(ctx, end); err != nil {
			rollback(ctx, conn)
			return nil, dbError(err)
		}
		if failed != nil {
			return nil, failed
		}
	}
	if q.BinaryBody && res.Body != nil {
		b, err := base64.StdEncoding.DecodeString(*res.Body)
		if err != nil {
			return nil, pgrsterr.Internal("the media type handler's body is not valid base64")
		}
		body := string(b)
		res.Body = &body
	}
	res.Total = total(q, exactRows, planned)
	return &res, nil
}

// total picks the count the response reports, as PostgREST: exact is the
// counted rows; planned the planner's estimate; estimated the exact count
// unless it passed db-max-rows (always, without db-max-rows), then the
// larger of the two.
func total(q Query, exact, planned *int64) *int64 {
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

// beginBatch starts a request's pipelined batch: BEGIN (READ ONLY when
// s.ReadOnly), the transaction-scoped settings and the db-pre-request call.
func beginBatch(s TxSettings) *pgx.Batch {
	// The level is one of a fixed set: it cannot be a bind parameter.
	level := "READ COMMITTED"
	switch s.IsolationLevel {
	case "repeatable read":
		level = "REPEATABLE READ"
	case "serializable":
		level = "SERIALIZABLE"
	}
	begin := "BEGIN ISOLATION LEVEL " + level + " READ WRITE"
	if s.ReadOnly {
		begin = "BEGIN ISOLATION LEVEL " + level + " READ ONLY"
	}
	batch := &pgx.Batch{}
	batch.Queue(begin)
	sql, args := PreQuery(s)
	batch.Queue(sql, args...)
	if s.PreRequest != "" {
		batch.Queue(s.PreRequest)
	}
	return batch
}

// or is v, or def when v is empty.
func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// PreQuery is the transaction-scoped settings statement Execute runs for
// s after BEGIN (see preQuery), with the search path quoted: for
// comparisons that must run exactly the same SQL.
func PreQuery(s TxSettings) (string, []any) {
	quoted := make([]string, len(s.SearchPath))
	for i, p := range s.SearchPath {
		quoted[i] = ident(p)
	}
	return preQuery(s, strings.Join(quoted, ", "))
}

// preQuery is PostgREST's transaction-scoped settings statement: search
// path, the role's settings, the role, request.jwt.claims, request.method,
// request.path, request.headers, request.cookies and timezone, then the
// routine's hoisted settings and app.settings.*, every value a bind parameter.
func preQuery(s TxSettings, searchPath string) (string, []any) {
	sh := preQueryShape{role: len(s.RoleSettings), fn: len(s.FuncSettings), app: len(s.AppSettings), tz: s.Timezone != ""}
	args := make([]any, 0, 1+len(requestSettings)+2*(sh.role+sh.fn+sh.app)+1)
	args = append(args, searchPath)
	for _, k := range slices.Sorted(maps.Keys(s.RoleSettings)) {
		args = append(args, k, s.RoleSettings[k])
	}
	args = append(args, s.Role, or(s.Claims, "{}"), s.Method, s.Path, or(s.Headers, "{}"), or(s.Cookies, "{}"))
	if sh.tz {
		args = append(args, s.Timezone)
	}
	for _, fs := range s.FuncSettings {
		args = append(args, fs.Name, fs.Value)
	}
	for _, k := range slices.Sorted(maps.Keys(s.AppSettings)) {
		args = append(args, k, s.AppSettings[k])
	}
	return sh.text(), args
}

// requestSettings are the settings every request sets, in order, after
// the role's own.
var requestSettings = [...]string{"role", "request.jwt.claims", "request.method", "request.path",
	"request.headers", "request.cookies"}

// preQueryShape is what the text of the settings statement depends on:
// how many name/value pairs each group has, and whether a zone is set.
type preQueryShape struct {
	role, fn, app int
	tz            bool
}

// preQueryTexts memoises the statement text per shape: requests of one
// deployment share a handful of shapes, and building the text is most of
// preQuery's allocations.
var preQueryTexts struct {
	sync.RWMutex
	m map[preQueryShape]string
}

// text is the settings statement for the shape, parameters numbered in
// preQuery's order.
func (sh preQueryShape) text() string {
	preQueryTexts.RLock()
	t, ok := preQueryTexts.m[sh]
	preQueryTexts.RUnlock()
	if ok {
		return t
	}
	var sb strings.Builder
	n := 1
	sb.WriteString("SELECT pg_catalog.set_config('search_path', $1, true)")
	pairs := func(count int) {
		for range count {
			fmt.Fprintf(&sb, ", pg_catalog.set_config($%d, $%d, true)", n+1, n+2)
			n += 2
		}
	}
	one := func(name string) {
		n++
		fmt.Fprintf(&sb, ", pg_catalog.set_config('%s', $%d, true)", name, n)
	}
	pairs(sh.role)
	for _, name := range requestSettings {
		one(name)
	}
	if sh.tz {
		one("timezone")
	}
	pairs(sh.fn)
	pairs(sh.app)
	t = sb.String()
	preQueryTexts.Lock()
	if preQueryTexts.m == nil {
		preQueryTexts.m = map[preQueryShape]string{}
	}
	preQueryTexts.m[sh] = t
	preQueryTexts.Unlock()
	return t
}
