package query

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
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
	// RoutineSignature renders it, sorted.
	Routines []string
}

// RoutineSignature is how OpenAPIAccess.Routines names a function: its name
// and its input argument types (format_type without typmod) as
// `name(type,type)`, which tells overloads apart.
func RoutineSignature(name string, types []string) string {
	return name + "(" + strings.Join(types, ",") + ")"
}

// openAPIAccessSQL reads the schema comment and, when $2 is true, the
// relations and functions of schema $1 the current role can access: the
// checks of PostgREST's accessibleTables and accessibleFuncs
// (has_table_privilege, has_any_column_privilege, has_function_privilege).
const openAPIAccessSQL = `
SELECT
  (SELECT d.description
     FROM pg_catalog.pg_namespace n
     JOIN pg_catalog.pg_description d
       ON d.objoid = n.oid AND d.classoid = 'pg_catalog.pg_namespace'::regclass AND d.objsubid = 0
    WHERE n.nspname = $1) AS description,
  CASE WHEN $2::boolean THEN array(
    SELECT c.relname::text
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1
       AND c.relkind IN ('v', 'r', 'm', 'f', 'p')
       AND NOT c.relispartition
       AND (pg_catalog.pg_has_role(c.relowner, 'USAGE')
            OR pg_catalog.has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
            OR pg_catalog.has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
     ORDER BY 1) END AS tables,
  CASE WHEN $2::boolean THEN array(
    SELECT p.proname::text || '(' || array_to_string(array(
             SELECT pg_catalog.format_type(u.t, NULL)
               FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, i) ORDER BY u.i), ',') || ')'
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1
       AND p.prokind = 'f'
       AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')
     ORDER BY 1) END AS routines`

// QueryOpenAPIAccess reads what the OpenAPI description of schema needs
// from the database, in one read-only transaction with the request's
// settings applied first (so privileges are those of s.Role): the schema
// comment always, and the accessible relations and functions when
// privileges is true (openapi-mode follow-privileges). Errors are mapped as
// Execute maps them.
func QueryOpenAPIAccess(ctx context.Context, db Pool, s TxSettings, schema string, privileges bool) (*OpenAPIAccess, *pgrsterr.Error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, dbError(err)
	}
	defer conn.Release()

	out := &OpenAPIAccess{Privileges: privileges}
	s.ReadOnly = true
	batch := beginBatch(s)
	batch.Queue(openAPIAccessSQL, schema, privileges).QueryRow(func(row pgx.Row) error {
		return row.Scan(&out.SchemaDescription, &out.Tables, &out.Routines)
	})
	batch.Queue("COMMIT")
	if err := conn.SendBatch(ctx, batch).Close(); err != nil {
		rollback(ctx, conn)
		return nil, dbError(err)
	}
	return out, nil
}
