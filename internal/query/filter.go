package query

import (
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
)

// binaryOps maps PostgREST's comparison operators to SQL.
var binaryOps = map[string]string{
	"eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
	"like": "LIKE", "ilike": "ILIKE", "match": "~", "imatch": "~*",
	"cs": "@>", "cd": "<@", "ov": "&&", "sl": "<<", "sr": ">>", "nxr": "&<", "nxl": "&>", "adj": "-|-",
	"isdistinct": "IS DISTINCT FROM",
}

// isValues maps the operands of `is` to SQL.
var isValues = map[string]string{
	"null": "NULL", "not_null": "NOT NULL", "true": "TRUE", "false": "FALSE", "unknown": "UNKNOWN",
}

// filter renders one filter on a column of alias. like/ilike patterns use
// `*` for `%`, as PostgREST's URL-safe wildcard.
func (b *sqlBuilder) filter(alias string, f apirequest.Filter) (string, *pgrsterr.Error) {
	col := ident(alias) + "." + ident(f.Field)
	var cond string
	switch f.Op {
	case "is":
		v, ok := isValues[strings.ToLower(f.Value)]
		if !ok {
			return "", errUnknownOperator("is." + f.Value)
		}
		cond = col + " IS " + v
	case "in":
		if len(f.Values) == 0 {
			cond = "false"
			break
		}
		ps := make([]string, len(f.Values))
		for i, v := range f.Values {
			ps[i] = b.param(v)
		}
		cond = col + " IN (" + strings.Join(ps, ", ") + ")"
	default:
		op, ok := binaryOps[f.Op]
		if !ok {
			return "", errUnknownOperator(f.Op)
		}
		v := f.Value
		if f.Op == "like" || f.Op == "ilike" {
			v = strings.ReplaceAll(v, "*", "%")
		}
		cond = col + " " + op + " " + b.param(v)
	}
	if f.Negate {
		return "NOT (" + cond + ")", nil
	}
	return cond, nil
}
