package query

import (
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
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

// ftsFuncs maps the full-text search operators to their query functions.
var ftsFuncs = map[string]string{
	"fts": "to_tsquery", "plfts": "plainto_tsquery", "phfts": "phraseto_tsquery", "wfts": "websearch_to_tsquery",
}

// filter renders one filter on a column of rp's alias. like/ilike patterns
// use `*` for `%`, as PostgREST's URL-safe wildcard; `op(any)`/`op(all)`
// compare with ANY/ALL of a `{a,b}` array value; full-text search wraps a
// column that is not a tsvector in to_tsvector, with the query's language.
func (b *sqlBuilder) filter(rp *plan.ReadPlan, f apirequest.Filter) (string, *pgrsterr.Error) {
	if len(f.JSONPath) == 0 && f.Quantifier == "" && representable[f.Op] {
		if _, ok := rp.FromText[f.Field]; !ok {
			return b.comparison(rp.Alias, f), nil
		}
	}
	col := b.column(rp, f.Field, f.JSONPath)
	var cond string
	switch f.Op {
	case "is":
		v, ok := isValues[strings.ToLower(f.Value)]
		if !ok {
			return "", errUnknownOperator("is." + f.Value)
		}
		cond = col + " IS " + v
	case "in":
		// `in.()` parses as one empty value; PostgREST matches no rows.
		if len(f.Values) == 0 || (len(f.Values) == 1 && f.Values[0] == "") {
			cond = "false"
			break
		}
		ps := make([]string, len(f.Values))
		for i, v := range f.Values {
			ps[i] = b.filterValue(rp, f, v)
		}
		cond = col + " IN (" + strings.Join(ps, ", ") + ")"
	case "fts", "plfts", "phfts", "wfts":
		lang := ""
		if f.Language != "" {
			lang = b.param(f.Language) + "::regconfig, "
		}
		target := col
		if t := rp.ColumnType(f.Field); t != "tsvector" || len(f.JSONPath) > 0 {
			target = "pg_catalog.to_tsvector(" + lang + col + ")"
		}
		cond = target + " @@ pg_catalog." + ftsFuncs[f.Op] + "(" + lang + b.param(f.Value) + ")"
	default:
		op, ok := binaryOps[f.Op]
		if !ok {
			return "", errUnknownOperator(f.Op)
		}
		v := f.Value
		if f.Op == "like" || f.Op == "ilike" {
			v = strings.ReplaceAll(v, "*", "%")
		}
		switch f.Quantifier {
		case "any":
			cond = col + " " + op + " ANY (" + b.param(v) + ")"
		case "all":
			cond = col + " " + op + " ALL (" + b.param(v) + ")"
		default:
			if representable[f.Op] {
				cond = col + " " + op + " " + b.filterValue(rp, f, v)
			} else {
				cond = col + " " + op + " " + b.param(v)
			}
		}
	}
	if f.Negate {
		return "NOT (" + cond + ")", nil
	}
	return cond, nil
}

// comparison is the usual filter, a column of alias compared with a bind
// parameter by one of the representable operators, written in one buffer:
// the text the general case of filter builds.
func (b *sqlBuilder) comparison(alias string, f apirequest.Filter) string {
	var buf [128]byte
	return string(b.appendComparison(buf[:0], alias, f))
}

// appendComparison appends comparison(alias, f) to out.
func (b *sqlBuilder) appendComparison(out []byte, alias string, f apirequest.Filter) []byte {
	if f.Negate {
		out = append(out, "NOT ("...)
	}
	out = appendIdent(out, alias)
	out = appendIdent(append(out, '.'), f.Field)
	out = append(append(append(out, ' '), binaryOps[f.Op]...), ' ')
	out = append(out, b.param(f.Value)...)
	if f.Negate {
		out = append(out, ')')
	}
	return out
}

// representable are the operators whose value a domain representation
// reads (see filterValue): comparisons of the whole value.
var representable = map[string]bool{"eq": true, "neq": true, "gt": true, "gte": true, "lt": true, "lte": true,
	"isdistinct": true}

// filterValue renders a filter's value as a bind parameter, read through
// the domain representation of the column's cast from text when it has
// one, as PostgREST does.
func (b *sqlBuilder) filterValue(rp *plan.ReadPlan, f apirequest.Filter, v string) string {
	if fn, ok := rp.FromText[f.Field]; ok && len(f.JSONPath) == 0 {
		return qi(fn) + "(" + b.param(v) + "::text)"
	}
	return b.param(v)
}

// logic renders an and/or tree over the columns of rp's alias.
func (b *sqlBuilder) logic(rp *plan.ReadPlan, t apirequest.LogicTree) (string, *pgrsterr.Error) {
	parts := make([]string, 0, len(t.Children))
	for _, c := range t.Children {
		var s string
		var err *pgrsterr.Error
		switch e := presenceTest(rp, c.Filter); {
		case c.Tree != nil:
			s, err = b.logic(rp, *c.Tree)
		case e != nil:
			// `rel.is.null` / `rel.not.is.null` inside and/or: whether a
			// related row exists, as PostgREST's null filter on embeddings.
			present := (strings.ToLower(c.Filter.Value) == "not_null") != c.Filter.Negate
			s, err = b.exists(rp, e, present)
		default:
			s, err = b.filter(rp, *c.Filter)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	sep := " AND "
	if t.Op == "or" {
		sep = " OR "
	}
	cond := "(" + strings.Join(parts, sep) + ")"
	if t.Negate {
		cond = "NOT " + cond
	}
	return cond, nil
}

// presenceTest is the embedding of rp that f tests for related rows
// (`rel.is.null`, `rel.not.is.null` on an embedding's key); nil when f
// is an ordinary filter.
func presenceTest(rp *plan.ReadPlan, f *apirequest.Filter) *plan.Embed {
	if f == nil || f.Op != "is" || len(f.JSONPath) > 0 {
		return nil
	}
	if v := strings.ToLower(f.Value); v != "null" && v != "not_null" {
		return nil
	}
	return rp.EmbedByKey(f.Field)
}

// writeFilter appends filter(rp, f) to b.buf; the usual comparison is
// written in place.
func (b *sqlBuilder) writeFilter(rp *plan.ReadPlan, f apirequest.Filter) *pgrsterr.Error {
	if len(f.JSONPath) == 0 && f.Quantifier == "" && representable[f.Op] {
		if _, ok := rp.FromText[f.Field]; !ok {
			b.buf = b.appendComparison(b.buf, rp.Alias, f)
			return nil
		}
	}
	c, err := b.filter(rp, f)
	if err != nil {
		return err
	}
	b.buf = append(b.buf, c...)
	return nil
}
