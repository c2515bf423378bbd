package maintx

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/query"
)

// OpenAPIAccess is what the OpenAPI description of one schema reads from
// the database at request time, as the request's role.
type OpenAPIAccess struct {
	// SchemaDescription is the schema's comment, nil when it has none.
	SchemaDescription *string
	// Privileges tells whether Tables and Routines were read; when false
	// they are nil and every cached object counts as accessible.
	Privileges bool
	// Tables are the names of the schema's relations the role may use in
	// some way (owner, any table privilege or any column privilege), sorted.
	Tables []string
	// Routines are the schema's functions the role may execute, each as
	// `name(type,type)` with format_type's input argument types, sorted.
	Routines []string
}

// ReadOpenAPIAccess reads what the OpenAPI description of schema needs
// from the database, in one read-only transaction with the request's
// settings applied first (so privileges are those of s.Role): the schema
// comment always, and the accessible relations and functions when
// privileges is true (openapi-mode follow-privileges). Errors are mapped as
// Execute maps them.
func ReadOpenAPIAccess(ctx context.Context, db Pool, s query.TxSettings, schema string, privileges bool) (*OpenAPIAccess, *pgrsterr.Error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, dbError(err)
	}
	defer conn.Release()

	out := &OpenAPIAccess{Privileges: privileges}
	s.ReadOnly = true
	batch := beginBatch(s)
	st := query.OpenAPIAccess(schema, privileges)
	batch.Queue(st.SQL, st.Args...).QueryRow(func(row pgx.Row) error {
		return row.Scan(&out.SchemaDescription, &out.Tables, &out.Routines)
	})
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		rollback(ctx, conn)
		return nil, dbError(err)
	}
	return out, nil
}
