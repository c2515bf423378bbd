package query

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

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

// sqlBuilder accumulates bind parameters while SQL is generated, and the
// text of the statement in buf: nested nodes append to it in place rather
// than building strings their parents copy.
type sqlBuilder struct {
	args []any
	// first holds the first few parameters, so that a statement with few
	// needs no array of its own (args starts in it).
	first [4]any
	// buf is the SQL written so far.
	buf []byte
}

// newSQLBuilder returns an empty builder.
func newSQLBuilder() *sqlBuilder {
	b := &sqlBuilder{}
	b.args = b.first[:0]
	return b
}

// bufPool holds statement buffers between requests: assemble writes a
// statement in one and copies it out as the statement's string, so a
// buffer never outlives its use.
var bufPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBuf is the largest buffer put back in bufPool: a rare large
// statement should not keep its memory.
const maxPooledBuf = 64 << 10

// capture runs write, which appends to b.buf, and returns what it appended
// as a string, leaving b.buf as it was: for the callers that still put
// rendered pieces together as strings.
func (b *sqlBuilder) capture(write func() *pgrsterr.Error) (string, *pgrsterr.Error) {
	start := len(b.buf)
	err := write()
	s := string(b.buf[start:])
	b.buf = b.buf[:start]
	return s, err
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

// nodeSource is what a node selects from: a rendered FROM item and
// conditions; or table, when set, as the node's alias; or, when embed is
// set, the join of embed with the parent alias (see joinWith). The last
// two are written in place.
type nodeSource struct {
	from  string
	conds []string
	table schemacache.QI
	// parentAlias and embed name the join; sep is joinWith's.
	parentAlias string
	embed       *plan.Embed
	sep         string
}

// joined is the source of an embedding's node: its join with parentAlias.
func joined(parentAlias string, e *plan.Embed) nodeSource {
	return nodeSource{parentAlias: parentAlias, embed: e, sep: ", "}
}

// selectNode renders `SELECT <fields> FROM <from> WHERE <conds and filters>
// [GROUP BY ...] ORDER BY ... LIMIT ... OFFSET ...` for one node of the
// plan, as a string (see writeSelect).
func (b *sqlBuilder) selectNode(rp *plan.ReadPlan, from string, conds []string, extra ...string) (string, *pgrsterr.Error) {
	return b.capture(func() *pgrsterr.Error {
		return b.writeSelect(rp, nodeSource{from: from, conds: conds}, extra)
	})
}

// writeSelect appends the select of one node of the plan to b.buf. With
// aggregates in the select list, the other output columns are the grouping
// keys, as PostgREST's implicit GROUP BY. extra are more output columns,
// after rp's. The text is written in the order of its bind parameters:
// select list, conditions, then ordering and paging.
func (b *sqlBuilder) writeSelect(rp *plan.ReadPlan, src nodeSource, extra []string) *pgrsterr.Error {
	b.buf = append(b.buf, "SELECT "...)
	ncols := 0
	// sep starts each output column but the first.
	sep := func() {
		if ncols > 0 {
			b.buf = append(b.buf, ", "...)
		}
		ncols++
	}
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
					return err
				}
				toOne := e.Rel.IsToOne()
				for _, c := range spread {
					sep()
					b.buf = append(b.buf, c.sql...)
					if c.group && hasAgg {
						groupBy = append(groupBy, strconv.Itoa(ncols))
					}
					if toOne {
						if spreadOrds == nil {
							spreadOrds = map[[2]string]int{}
						}
						spreadOrds[[2]string{e.Key, c.key}] = ncols
					}
				}
				if !toOne && hasAgg {
					// As for embeddings: the spread's correlated subqueries
					// stand in a grouped select through the join columns.
					groupBy = append(groupBy, parentJoinColumns(rp.Alias, e)...)
				}
				continue
			}
			sep()
			if err := b.writeEmbed(rp, e); err != nil {
				return err
			}
			if hasAgg {
				// Grouping by the parent's join columns lets the correlated
				// subquery stand in a grouped select (json has no equality).
				groupBy = append(groupBy, parentJoinColumns(rp.Alias, e)...)
			}
			continue
		}
		sep()
		if f.Name == "*" {
			b.buf = append(appendIdent(b.buf, rp.Alias), '.', '*')
			continue
		}
		b.writeField(rp, f)
		if f.Aggregate == "" && hasAgg {
			groupBy = append(groupBy, strconv.Itoa(ncols))
		}
	}
	for _, c := range extra {
		sep()
		b.buf = append(b.buf, c...)
	}
	if ncols == 0 {
		b.buf = append(appendIdent(b.buf, rp.Alias), '.', '*')
	}
	b.buf = append(b.buf, " FROM "...)
	nconds := 0
	// cond starts each condition: WHERE, then AND.
	cond := func() {
		if nconds == 0 {
			b.buf = append(b.buf, " WHERE "...)
		} else {
			b.buf = append(b.buf, " AND "...)
		}
		nconds++
	}
	if src.embed != nil {
		b.buf = appendJoinFrom(b.buf, src.parentAlias, src.embed, src.sep)
		joinConds(src.parentAlias, src.embed, func(c joinCond) {
			cond()
			b.buf = appendColumnsEqual(b.buf, c.alias1, c.col1, c.alias2, c.col2)
		})
	} else {
		if src.table != (schemacache.QI{}) {
			b.buf = appendTableAs(b.buf, src.table, rp.Alias)
		} else {
			b.buf = append(b.buf, src.from...)
		}
		for _, c := range src.conds {
			cond()
			b.buf = append(b.buf, c...)
		}
	}
	for _, f := range rp.Filters {
		cond()
		if err := b.writeFilter(rp, f); err != nil {
			return err
		}
	}
	for _, t := range rp.Logic {
		c, err := b.logic(rp, t)
		if err != nil {
			return err
		}
		cond()
		b.buf = append(b.buf, c...)
	}
	for _, e := range rp.Embeds {
		if !e.Inner && e.Presence == "" {
			continue
		}
		cond()
		if err := b.writeExists(rp, e, e.Presence != "absent"); err != nil {
			return err
		}
	}
	if len(groupBy) > 0 {
		b.buf = append(b.buf, " GROUP BY "...)
		for i, g := range groupBy {
			if i > 0 {
				b.buf = append(b.buf, ", "...)
			}
			b.buf = append(b.buf, g...)
		}
	}
	b.writeOrderLimit(rp, spreadOrds)
	return nil
}

// orderLimit renders ` ORDER BY ... LIMIT ... OFFSET ...` of rp as a
// string (see writeOrderLimit).
func (b *sqlBuilder) orderLimit(rp *plan.ReadPlan, spreadOrds map[[2]string]int) string {
	s, _ := b.capture(func() *pgrsterr.Error {
		b.writeOrderLimit(rp, spreadOrds)
		return nil
	})
	return s
}

// writeOrderLimit appends ` ORDER BY ... LIMIT ... OFFSET ...` of rp, each
// part only when rp has it. spreadOrds are the positions of rp's to-one
// spread columns in its select list, which a related order on them uses.
func (b *sqlBuilder) writeOrderLimit(rp *plan.ReadPlan, spreadOrds map[[2]string]int) {
	for i, o := range rp.Order {
		if i == 0 {
			b.buf = append(b.buf, " ORDER BY "...)
		} else {
			b.buf = append(b.buf, ", "...)
		}
		t := b.orderTerm(rp, o, spreadOrds)
		b.buf = append(b.buf, t...)
	}
	if rp.Limit != nil {
		b.buf = append(b.buf, " LIMIT "...)
		b.buf = append(b.buf, b.param(strconv.FormatInt(*rp.Limit, 10))...)
	}
	if rp.Offset != nil {
		b.buf = append(b.buf, " OFFSET "...)
		b.buf = append(b.buf, b.param(strconv.FormatInt(*rp.Offset, 10))...)
	}
}

// exists tests whether a parent row of e has related rows that pass the
// embedding's own filters: EXISTS, or NOT EXISTS when present is false.
func (b *sqlBuilder) exists(parent *plan.ReadPlan, e *plan.Embed, present bool) (string, *pgrsterr.Error) {
	return b.capture(func() *pgrsterr.Error { return b.writeExists(parent, e, present) })
}

// writeExists appends exists(parent, e, present) to b.buf.
func (b *sqlBuilder) writeExists(parent *plan.ReadPlan, e *plan.Embed, present bool) *pgrsterr.Error {
	probe := &plan.ReadPlan{Table: e.Plan.Table, Alias: e.Plan.Alias, Fields: []plan.Field{{Name: "*"}},
		Filters: e.Plan.Filters, Logic: e.Plan.Logic, Columns: e.Plan.Columns,
		FromText: e.Plan.FromText}
	if !present {
		b.buf = append(b.buf, "NOT "...)
	}
	b.buf = append(b.buf, "EXISTS ("...)
	if err := b.writeSelect(probe, joined(parent.Alias, e), nil); err != nil {
		return err
	}
	b.buf = append(b.buf, ')')
	return nil
}

// writeEmbed appends the correlated subquery producing an embedded
// resource: a JSON object (or null) for to-one relationships, a JSON array
// for to-many; then " AS " and its output key, quoted.
func (b *sqlBuilder) writeEmbed(parent *plan.ReadPlan, e *plan.Embed) *pgrsterr.Error {
	open, mid := "(SELECT coalesce(pg_catalog.json_agg(", "), '[]') FROM ("
	if e.Rel.IsToOne() {
		open, mid = "(SELECT pg_catalog.row_to_json(", ") FROM ("
	}
	b.buf = append(b.buf, open...)
	b.buf = appendRowAlias(b.buf, e.Plan.Alias)
	b.buf = append(b.buf, mid...)
	if err := b.writeSelect(e.Plan, joined(parent.Alias, e), nil); err != nil {
		return err
	}
	b.buf = append(b.buf, ") AS "...)
	b.buf = appendRowAlias(b.buf, e.Plan.Alias)
	b.buf = append(b.buf, ") AS "...)
	b.buf = appendIdent(b.buf, e.Key)
	return nil
}

// appendRowAlias appends ident(alias + "_row"): the alias quoted, with
// _row before its closing quote.
func appendRowAlias(dst []byte, alias string) []byte {
	dst = appendIdent(dst, alias)
	return append(dst[:len(dst)-1], `_row"`...)
}

// writeField appends a selected column, " AS " and its output key,
// quoted (see field).
func (b *sqlBuilder) writeField(rp *plan.ReadPlan, f plan.Field) {
	if f.Aggregate == "" && f.AggregateCast == "" && f.Cast == "" && f.Name != "" &&
		len(f.JSONPath) == 0 && f.ToJSON == (schemacache.QI{}) {
		// A plain column, the usual field.
		b.buf = appendIdent(b.buf, rp.Alias)
		b.buf = appendIdent(append(b.buf, '.'), f.Name)
	} else {
		expr, _ := b.field(rp, f)
		b.buf = append(b.buf, expr...)
	}
	b.buf = appendIdent(append(b.buf, " AS "...), fieldKey(f))
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
