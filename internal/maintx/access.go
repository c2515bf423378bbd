package maintx

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/openapi"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
)

// readAccess runs st, the statement of query.OpenAPIAccess, in one
// read-only transaction with the request's settings applied first (so
// privileges are those of s.Role): the schema comment always, and the
// accessible relations and functions when privileges is set, as the
// statement was built (openapi-mode follow-privileges). Errors are mapped as execute maps them.
func readAccess(ctx context.Context, db Pool, s plan.TxSettings, st query.Statement, privileges bool) (*openapi.Access, *pgrsterr.Error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, dbError(err, s.Authenticated)
	}
	defer conn.Release()

	out := &openapi.Access{Privileges: privileges}
	s.ReadOnly = true
	b := &batches{}
	batch := b.begin(&s)
	batch.Queue(st.SQL, st.Args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&out.SchemaDescription, &out.Tables, &out.Routines)
	})
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		rollback(ctx, conn)
		return nil, dbError(err, s.Authenticated)
	}
	return out, nil
}
