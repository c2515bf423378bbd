package query

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
)

// The main statement wraps the rows of the request in one outer query, as
// PostgREST's pgrst_source / _postgrest_t does: its single result row has
// page_total (bigint, rows in the body) and body (text). This file owns
// that outer layer: how rows become the response body.

// Read builds the statement for a read plan. body is the JSON array of the
// rows. Unknown filter operators give PGRST100.
func Read(rp *plan.ReadPlan) (Statement, *pgrsterr.Error) {
	b := &sqlBuilder{}
	from := qi(rp.Table) + " AS " + ident(rp.Alias)
	inner, err := b.selectNode(rp, from, nil)
	if err != nil {
		return Statement{}, err
	}
	return Statement{
		SQL: "SELECT pg_catalog.count(_postgrest_t)::bigint AS page_total, " +
			"coalesce(pg_catalog.json_agg(_postgrest_t), '[]')::text AS body FROM (" + inner + ") AS _postgrest_t",
		Args: b.args,
	}, nil
}

// Call builds the statement for a routine call. The arguments travel as one
// JSON object ($1) unpacked with json_to_record into the parameters' own
// types, as PostgREST does, so arrays and composites convert like JSON
// input. body is NULL for a void routine, a JSON value for a scalar, an
// object for a single composite and an array for SETOF.
func Call(cp *plan.CallPlan) (Statement, *pgrsterr.Error) {
	r := cp.Routine
	b := &sqlBuilder{}
	call, fromArgs := b.callExpr(r, cp.Args)
	switch {
	case r.Return.IsVoid():
		return Statement{SQL: "SELECT 0::bigint AS page_total, NULL::text AS body FROM " + fromArgs + call, Args: b.args}, nil
	case !r.Return.Composite:
		cols := "1::bigint AS page_total, coalesce(pg_catalog.to_json(_pgrst_scalar)::text, 'null') AS body"
		if r.Return.SetOf {
			cols = "pg_catalog.count(*)::bigint AS page_total, coalesce(pg_catalog.json_agg(_pgrst_scalar), '[]')::text AS body"
		}
		return Statement{
			SQL:  "SELECT " + cols + " FROM " + fromArgs + call + " AS _pgrst_scalar",
			Args: b.args,
		}, nil
	}
	inner, err := b.selectNode(cp.Result, fromArgs+call+" AS "+ident(cp.Result.Alias), nil)
	if err != nil {
		return Statement{}, err
	}
	body := "coalesce(pg_catalog.json_agg(_postgrest_t), '[]')::text"
	if !r.Return.SetOf {
		body = "coalesce((pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')"
	}
	return Statement{
		SQL:  "SELECT pg_catalog.count(_postgrest_t)::bigint AS page_total, " + body + " AS body FROM (" + inner + ") AS _postgrest_t",
		Args: b.args,
	}, nil
}
