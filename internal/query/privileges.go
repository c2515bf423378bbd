package query

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

// openAPIAccess is the statement reading what the OpenAPI description of
// schema needs from the database, as the request's role: one row of the
// schema comment (text, NULL without one) and, when privileges is true
// (openapi-mode follow-privileges), the names of the relations and the
// signatures of the functions the role may use (text[], sorted; NULL
// otherwise).
func openAPIAccess(schema string, privileges bool) Statement {
	return Statement{SQL: openAPIAccessSQL, Args: []any{schema, privileges}}
}
