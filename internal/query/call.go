package query

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

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
