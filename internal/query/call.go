package query

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Call builds the statement for a routine call. The arguments travel as one
// JSON object ($1) unpacked with json_to_record into the parameters' own
// types, as PostgREST does, so arrays and composites convert like JSON
// input. The result row has page_total and body, like Read; body is NULL
// for a void routine, a JSON value for a scalar, an object for a single
// composite and an array for SETOF.
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

// callExpr renders the routine call with named arguments and, when there
// are any, the `json_to_record(...) AS _pgrst_args(...), LATERAL` prefix of
// the FROM clause providing them.
func (b *sqlBuilder) callExpr(r *schemacache.Routine, args map[string]json.RawMessage) (call, fromArgs string) {
	fn := qi(r.QI())
	if len(r.Params) == 1 && r.Params[0].Name == "" {
		body := args[""]
		if body == nil {
			body = json.RawMessage("{}")
		}
		return fn + "(" + b.param(string(body)) + "::" + r.Params[0].Type + ")", ""
	}
	var given []schemacache.RoutineParam
	for _, p := range r.Params {
		if _, ok := args[p.Name]; ok {
			given = append(given, p)
		}
	}
	if len(given) == 0 {
		return fn + "()", ""
	}
	sort.SliceStable(given, func(i, j int) bool { return given[i].Variadic != given[j].Variadic && !given[i].Variadic })
	obj, _ := json.Marshal(args)
	defs := make([]string, len(given))
	named := make([]string, len(given))
	for i, p := range given {
		defs[i] = ident(p.Name) + " " + p.Type
		named[i] = ident(p.Name) + " := _pgrst_args." + ident(p.Name)
		if p.Variadic {
			named[i] = "VARIADIC " + named[i]
		}
	}
	fromArgs = "pg_catalog.json_to_record(" + b.param(string(obj)) + "::json) AS _pgrst_args(" +
		strings.Join(defs, ", ") + "), LATERAL "
	return fn + "(" + strings.Join(named, ", ") + ")", fromArgs
}
