package query

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Statement is SQL text with its bind parameters ($1 ... $n), all sent as
// text of unknown type so PostgreSQL infers each from its context, as
// PostgREST's parameters are.
type Statement struct {
	SQL  string
	Args []any
}

// sqlBuilder accumulates bind parameters while SQL is generated.
type sqlBuilder struct {
	args []any
	// first holds the first few parameters, so that a statement with few
	// needs no array of its own (args starts in it).
	first [4]any
}

// newSQLBuilder returns an empty builder.
func newSQLBuilder() *sqlBuilder {
	b := &sqlBuilder{}
	b.args = b.first[:0]
	return b
}

// params are the bind parameters added, nil for none.
func (b *sqlBuilder) params() []any {
	if len(b.args) == 0 {
		return nil
	}
	return b.args
}

// param adds the bind parameter v and returns its placeholder.
func (b *sqlBuilder) param(v string) string {
	b.args = append(b.args, v)
	if n := len(b.args); n < len(placeholders) {
		return placeholders[n]
	}
	return "$" + strconv.Itoa(len(b.args))
}

// placeholders are "$1" to "$63": most statements need no placeholder of
// their own. Index 0 is unused.
var placeholders = func() (p [64]string) {
	for i := 1; i < len(p); i++ {
		p[i] = "$" + strconv.Itoa(i)
	}
	return p
}()

// selectNode renders `SELECT <fields> FROM <from> WHERE <conds and filters>
// [GROUP BY ...] ORDER BY ... LIMIT ... OFFSET ...` for one node of the
// plan. With aggregates in the select list, the other output columns are
// the grouping keys, as PostgREST's implicit GROUP BY. extra are more
// output columns, after rp's.
func (b *sqlBuilder) selectNode(rp *plan.ReadPlan, from string, conds []string, extra ...string) (string, *pgrsterr.Error) {
	// The select list and conditions of a node are few: they start in
	// arrays on the stack.
	var colBuf, condBuf [16]string
	cols := colBuf[:0]
	conds = append(condBuf[:0], conds...)
	var groupBy []string
	// rp groups its rows when it has an aggregate, or a to-one spread has
	// one for it to apply; only then are the grouping keys collected.
	hasAgg := hoistsAggregate(rp)
	// spreadOrds are the select-list positions of to-one spread columns,
	// by embedding key and column key, for related orders on them.
	var spreadOrds map[[2]string]int
	for _, f := range rp.Fields {
		if i, ok := f.IsEmbed(); ok {
			e := rp.Embeds[i]
			if e.Spread {
				spread, err := b.spread(rp, e, hasAgg)
				if err != nil {
					return "", err
				}
				toOne := e.Rel.IsToOne()
				for _, c := range spread {
					cols = append(cols, c.sql)
					if c.group && hasAgg {
						groupBy = append(groupBy, strconv.Itoa(len(cols)))
					}
					if toOne {
						if spreadOrds == nil {
							spreadOrds = map[[2]string]int{}
						}
						spreadOrds[[2]string{e.Key, c.key}] = len(cols)
					}
				}
				if !toOne && hasAgg {
					// As for embeddings: the spread's correlated subqueries
					// stand in a grouped select through the join columns.
					groupBy = append(groupBy, parentJoinColumns(rp.Alias, e)...)
				}
				continue
			}
			sub, err := b.embed(rp, e)
			if err != nil {
				return "", err
			}
			cols = append(cols, sub)
			if hasAgg {
				// Grouping by the parent's join columns lets the correlated
				// subquery stand in a grouped select (json has no equality).
				groupBy = append(groupBy, parentJoinColumns(rp.Alias, e)...)
			}
			continue
		}
		if f.Name == "*" {
			cols = append(cols, identStar(rp.Alias))
			continue
		}
		expr, key := b.field(rp, f)
		cols = append(cols, as(expr, key))
		if f.Aggregate == "" && hasAgg {
			groupBy = append(groupBy, strconv.Itoa(len(cols)))
		}
	}
	cols = append(cols, extra...)
	if len(cols) == 0 {
		cols = append(cols, identStar(rp.Alias))
	}
	for _, f := range rp.Filters {
		c, err := b.filter(rp, f)
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	for _, t := range rp.Logic {
		c, err := b.logic(rp, t)
		if err != nil {
			return "", err
		}
		conds = append(conds, c)
	}
	for _, e := range rp.Embeds {
		if c, err := b.presence(rp, e); err != nil {
			return "", err
		} else if c != "" {
			conds = append(conds, c)
		}
	}
	tail := b.orderLimit(rp, spreadOrds)
	n := len("SELECT  FROM  WHERE  GROUP BY ") + len(from) + len(tail)
	for _, ss := range [...][]string{cols, conds, groupBy} {
		for _, c := range ss {
			n += len(c) + len(" AND ")
		}
	}
	var sb strings.Builder
	sb.Grow(n)
	sb.WriteString("SELECT ")
	for i, c := range cols {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(c)
	}
	sb.WriteString(" FROM ")
	sb.WriteString(from)
	for i, c := range conds {
		if i == 0 {
			sb.WriteString(" WHERE ")
		} else {
			sb.WriteString(" AND ")
		}
		sb.WriteString(c)
	}
	if len(groupBy) > 0 {
		sb.WriteString(" GROUP BY ")
		for i, g := range groupBy {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(g)
		}
	}
	sb.WriteString(tail)
	return sb.String(), nil
}

// orderLimit renders ` ORDER BY ... LIMIT ... OFFSET ...` of rp, each part
// only when rp has it. spreadOrds are the positions of rp's to-one spread
// columns in its select list, which a related order on them uses.
func (b *sqlBuilder) orderLimit(rp *plan.ReadPlan, spreadOrds map[[2]string]int) string {
	var sb strings.Builder
	if len(rp.Order) > 0 {
		terms := make([]string, len(rp.Order))
		for i, o := range rp.Order {
			terms[i] = b.orderTerm(rp, o, spreadOrds)
		}
		sb.WriteString(" ORDER BY " + strings.Join(terms, ", "))
	}
	if rp.Limit != nil {
		sb.WriteString(" LIMIT " + b.param(strconv.FormatInt(*rp.Limit, 10)))
	}
	if rp.Offset != nil {
		sb.WriteString(" OFFSET " + b.param(strconv.FormatInt(*rp.Offset, 10)))
	}
	return sb.String()
}

// presence renders the condition an `!inner` embedding or a null filter on
// an embedding puts on the parent rows: EXISTS (or NOT EXISTS) a related row
// passing the embedding's own filters.
func (b *sqlBuilder) presence(parent *plan.ReadPlan, e *plan.Embed) (string, *pgrsterr.Error) {
	if !e.Inner && e.Presence == "" {
		return "", nil
	}
	return b.exists(parent, e, e.Presence != "absent")
}

// exists tests whether a parent row of e has related rows that pass the
// embedding's own filters: EXISTS, or NOT EXISTS when present is false.
func (b *sqlBuilder) exists(parent *plan.ReadPlan, e *plan.Embed, present bool) (string, *pgrsterr.Error) {
	from, conds := join(parent.Alias, e)
	probe := &plan.ReadPlan{Table: e.Plan.Table, Alias: e.Plan.Alias, Fields: []plan.Field{{Name: "*"}},
		Filters: e.Plan.Filters, Logic: e.Plan.Logic, Columns: e.Plan.Columns,
		FromText: e.Plan.FromText}
	sub, err := b.selectNode(probe, from, conds)
	if err != nil {
		return "", err
	}
	if !present {
		return "NOT EXISTS (" + sub + ")", nil
	}
	return "EXISTS (" + sub + ")", nil
}

// embed renders the correlated subquery producing an embedded resource: a
// JSON object (or null) for to-one relationships, a JSON array for to-many;
// with its output key, as(subquery, e.Key), in the same buffer.
func (b *sqlBuilder) embed(parent *plan.ReadPlan, e *plan.Embed) (string, *pgrsterr.Error) {
	from, conds := join(parent.Alias, e)
	inner, err := b.selectNode(e.Plan, from, conds)
	if err != nil {
		return "", err
	}
	// ident(alias + "_row"), on the stack: the alias quoted, with _row
	// before its closing quote.
	var buf [64]byte
	row := appendIdent(buf[:0], e.Plan.Alias)
	row = append(row[:len(row)-1], `_row"`...)
	open, mid := "(SELECT coalesce(pg_catalog.json_agg(", "), '[]') FROM ("
	if e.Rel.IsToOne() {
		open, mid = "(SELECT pg_catalog.row_to_json(", ") FROM ("
	}
	var keyBuf [64]byte
	key := appendIdent(keyBuf[:0], e.Key)
	var sb strings.Builder
	sb.Grow(len(open) + len(mid) + len(inner) + 2*len(row) + len(") AS ) AS ") + len(key))
	sb.WriteString(open)
	sb.Write(row)
	sb.WriteString(mid)
	sb.WriteString(inner)
	sb.WriteString(") AS ")
	sb.Write(row)
	sb.WriteString(") AS ")
	sb.Write(key)
	return sb.String(), nil
}

// as is expr + " AS " + ident(key) in one allocation.
func as(expr, key string) string {
	var sb strings.Builder
	sb.Grow(len(expr) + len(key) + 8)
	sb.WriteString(expr)
	sb.WriteString(" AS ")
	var buf [64]byte
	sb.Write(appendIdent(buf[:0], key))
	return sb.String()
}

// orderTerm renders one ORDER BY term. A related order on a to-one
// spread's column is its position in the select list, so that it names
// the column's key (an alias, as in PostgREST) and stands in a grouped
// select.
func (b *sqlBuilder) orderTerm(rp *plan.ReadPlan, o apirequest.OrderTerm, spreadOrds map[[2]string]int) string {
	var s string
	if n, ok := spreadOrds[[2]string{o.Relation, o.Column}]; ok && o.Relation != "" && len(o.JSONPath) == 0 {
		s = strconv.Itoa(n)
	} else if o.Relation != "" {
		s = b.relatedColumn(rp, o)
	} else {
		s = b.column(rp, o.Column, o.JSONPath)
	}
	if o.Desc {
		s += " DESC"
	} else {
		s += " ASC"
	}
	switch o.Nulls {
	case "first":
		s += " NULLS FIRST"
	case "last":
		s += " NULLS LAST"
	}
	return s
}

// field renders a selected column (JSON path, cast, aggregate and the
// aggregate's cast) and its output key. A field without a column, what
// count() leaves when its aggregate is hoisted out of a spread, is true.
func (b *sqlBuilder) field(rp *plan.ReadPlan, f plan.Field) (expr, key string) {
	switch {
	case f.Aggregate == "count" && f.Name == "":
		expr = "pg_catalog.count(*)"
	case f.Name == "":
		// count() hoisted out of a spread: true for each related row.
		expr = "true"
	default:
		expr = b.column(rp, f.Name, f.JSONPath)
		if f.ToJSON != (schemacache.QI{}) {
			expr = qi(f.ToJSON) + "(" + expr + ")"
		}
		if f.Cast != "" {
			expr = "CAST(" + expr + " AS " + f.Cast + ")"
		}
		if f.Aggregate != "" {
			expr = "pg_catalog." + f.Aggregate + "(" + expr + ")"
		}
	}
	if f.AggregateCast != "" {
		expr = "CAST(" + expr + " AS " + f.AggregateCast + ")"
	}
	return expr, fieldKey(f)
}

// fieldKey is the output key of a field: its alias, else its name.
func fieldKey(f plan.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// column renders a column of rp's relation, following a JSON path with
// -> and ->> (keys and indexes as bind parameters). A column that is not
// json or jsonb is converted with to_jsonb first, as PostgREST does, so
// paths reach into composite and array columns too. An index is an
// integer; a key is left untyped, as PostgREST's key literal is, so that
// PostgreSQL picks the operator (text for json and jsonb) and, after a
// `->>`, names the missing one `text -> unknown` as PostgREST's 42883 does.
func (b *sqlBuilder) column(rp *plan.ReadPlan, name string, path []apirequest.JSONStep) string {
	expr := qualified(rp.Alias, name)
	if len(path) == 0 {
		return expr
	}
	if t := rp.ColumnType(name); t != "json" && t != "jsonb" {
		expr = "pg_catalog.to_jsonb(" + expr + ")"
	}
	for _, st := range path {
		op := " -> "
		if st.Text {
			op = " ->> "
		}
		if st.Index {
			expr += op + b.param(st.Key) + "::integer"
		} else {
			expr += op + b.param(st.Key)
		}
	}
	return expr
}

// ident quotes an identifier as PostgreSQL's quote_ident does unconditionally.
// ident quotes an identifier: double quotes around it, inner double quotes
// doubled, NUL bytes (which PostgreSQL rejects in text) removed.
func ident(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// identStar is ident(alias) + ".*" in one allocation.
func identStar(alias string) string {
	var buf [64]byte
	return string(append(appendIdent(buf[:0], alias), '.', '*'))
}

// appendIdent appends ident(s) to dst.
func appendIdent(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
		case '"':
			dst = append(dst, '"', '"')
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// qi is a schema-qualified name, both parts quoted.
func qi(q schemacache.QI) string { return qualified(q.Schema, q.Name) }

// tableAs is qi(t) + " AS " + ident(alias) in one allocation.
func tableAs(t schemacache.QI, alias string) string {
	var buf [128]byte
	out := appendIdent(buf[:0], t.Schema)
	out = appendIdent(append(out, '.'), t.Name)
	return string(appendIdent(append(out, " AS "...), alias))
}

// qualified is ident(a) + "." + ident(b) in one allocation.
func qualified(a, b string) string {
	var buf [64]byte
	out := appendIdent(buf[:0], a)
	out = append(out, '.')
	return string(appendIdent(out, b))
}

func errUnknownOperator(op string) *pgrsterr.Error {
	return pgrsterr.ParseError(fmt.Sprintf("\"failed to parse filter (%s)\"", op), fmt.Sprintf("unexpected operator %q", op))
}
