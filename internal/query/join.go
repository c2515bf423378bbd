package query

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// join returns the FROM item and join conditions that correlate an
// embedded relation with its parent alias: the FK columns for M2O, O2M and
// O2O, and the junction table for M2M. A computed relationship needs no
// condition: its function is called with the parent row. The row is passed
// as "parent".* so that a parent column named like the alias cannot be
// taken for it.
func join(parentAlias string, e *plan.Embed) (string, []string) {
	return joinWith(parentAlias, e, ", ")
}

// joinWith is join with sep between an M2M target and its junction table:
// " CROSS JOIN " when lateral joins follow, which may only reference the
// FROM items of a join tree, not of a comma-separated list.
func joinWith(parentAlias string, e *plan.Embed, sep string) (string, []string) {
	var buf [128]byte
	from := string(appendJoinFrom(buf[:0], parentAlias, e, sep))
	var conds []string
	joinConds(parentAlias, e, func(c joinCond) {
		conds = append(conds, columnsEqual(c.alias1, c.col1, c.alias2, c.col2))
	})
	return from, conds
}

// columnsEqual is the condition that column col1 of alias1 equals col2
// of alias2, each name quoted, built in one buffer.
func columnsEqual(alias1, col1, alias2, col2 string) string {
	var buf [128]byte
	return string(appendColumnsEqual(buf[:0], alias1, col1, alias2, col2))
}

// parentJoinColumns are the parent's columns an embedding's join reads.
func parentJoinColumns(parentAlias string, e *plan.Embed) []string {
	if j := e.Rel.Junction; j != nil {
		out := make([]string, 0, len(j.ColsSource))
		for _, p := range j.ColsSource {
			out = append(out, qualified(parentAlias, p.FCol))
		}
		return out
	}
	out := make([]string, 0, len(e.Rel.Columns))
	for _, p := range e.Rel.Columns {
		out = append(out, qualified(parentAlias, p.Col))
	}
	return out
}

// appendJoinFrom appends the FROM item of joinWith(parentAlias, e, sep).
func appendJoinFrom(dst []byte, parentAlias string, e *plan.Embed, sep string) []byte {
	if e.Rel.Cardinality == schemacache.Computed {
		dst = appendQI(dst, e.Rel.Function)
		dst = appendIdent(append(dst, '('), parentAlias)
		return appendIdent(append(dst, ".*) AS "...), e.Plan.Alias)
	}
	dst = appendTableAs(dst, e.Plan.Table, e.Plan.Alias)
	if j := e.Rel.Junction; j != nil {
		dst = appendTableAs(append(dst, sep...), j.Table, e.JunctionAlias)
	}
	return dst
}

// joinCond is one condition of an embedding's join: column col1 of alias1
// equals col2 of alias2.
type joinCond struct{ alias1, col1, alias2, col2 string }

// joinConds calls yield with each condition correlating e with its parent
// alias, in order: the junction's target then source columns for M2M,
// the foreign key's columns otherwise, none for a computed relationship.
func joinConds(parentAlias string, e *plan.Embed, yield func(joinCond)) {
	if e.Rel.Cardinality == schemacache.Computed {
		return
	}
	if j := e.Rel.Junction; j != nil {
		for _, p := range j.ColsTarget {
			yield(joinCond{e.JunctionAlias, p.Col, e.Plan.Alias, p.FCol})
		}
		for _, p := range j.ColsSource {
			yield(joinCond{e.JunctionAlias, p.Col, parentAlias, p.FCol})
		}
		return
	}
	for _, p := range e.Rel.Columns {
		yield(joinCond{e.Plan.Alias, p.FCol, parentAlias, p.Col})
	}
}

// appendColumnsEqual appends columnsEqual(alias1, col1, alias2, col2).
func appendColumnsEqual(dst []byte, alias1, col1, alias2, col2 string) []byte {
	dst = appendIdent(dst, alias1)
	dst = appendIdent(append(dst, '.'), col1)
	dst = appendIdent(append(dst, " = "...), alias2)
	return appendIdent(append(dst, '.'), col2)
}

// appendQI appends qi(q).
func appendQI(dst []byte, q schemacache.QI) []byte {
	return appendIdent(append(appendIdent(dst, q.Schema), '.'), q.Name)
}

// appendTableAs appends qi(t) + " AS " + ident(alias).
func appendTableAs(dst []byte, t schemacache.QI, alias string) []byte {
	return appendIdent(append(appendQI(dst, t), " AS "...), alias)
}
