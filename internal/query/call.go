package query

import (
	"encoding/hex"
	"encoding/json"
	"sort"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// callExpr renders the call of cp's routine. The whole body goes in as
// one positional bind parameter cast to the parameter's type (bytea in
// hex input form). Named arguments come with the
// `json_to_record(...) AS _pgrst_args(...), LATERAL` prefix of the FROM
// clause providing them.
func (b *sqlBuilder) callExpr(cp *plan.CallPlan) (call, fromArgs string) {
	r, args := cp.Routine, cp.Args
	fn := qi(r.QI())
	if w := cp.Whole; w != nil {
		val := string(w.Data)
		switch {
		case w.Type == "bytea":
			val = `\x` + hex.EncodeToString(w.Data)
		case len(w.Data) == 0 && w.Type == "json":
			val = "{}"
		}
		return fn + "(" + b.param(val) + "::" + r.Params[0].Type + ")", ""
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
		defs[i] = ident(p.Name) + " " + argType(p.Type)
		named[i] = ident(p.Name) + " := _pgrst_args." + ident(p.Name)
		if p.Variadic {
			named[i] = "VARIADIC " + named[i]
		}
	}
	fromArgs = "pg_catalog.json_to_record(" + b.param(string(obj)) + "::json) AS _pgrst_args(" +
		strings.Join(defs, ", ") + ")" + lateralArgs
	return fn + "(" + strings.Join(named, ", ") + ")", fromArgs
}

// lateralArgs ends the arguments' FROM item, before the call reading them.
const lateralArgs = ", LATERAL "

// argType is the type an argument is read as from the JSON object. A
// parameter's type carries no length (format_type of proargtypes), and
// `character` and `bit` without one mean a length of 1, which would cut or
// refuse the value; their unbounded forms read it whole and PostgreSQL
// casts it to the parameter's own length in the call.
func argType(t string) string {
	base, arr := strings.CutSuffix(t, "[]")
	switch base {
	case "character":
		base = "bpchar"
	case "bit":
		base = "bit varying"
	default:
		return t
	}
	if arr {
		return base + "[]"
	}
	return base
}
