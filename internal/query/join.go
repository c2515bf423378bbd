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
	child := e.Plan.Alias
	if e.Rel.Cardinality == schemacache.Computed {
		return qi(e.Rel.Function) + "(" + ident(parentAlias) + ".*) AS " + ident(child), nil
	}
	from := tableAs(e.Plan.Table, child)
	if j := e.Rel.Junction; j != nil {
		from += sep + tableAs(j.Table, e.JunctionAlias)
		conds := make([]string, 0, len(j.ColsTarget)+len(j.ColsSource))
		for _, p := range j.ColsTarget {
			conds = append(conds, columnsEqual(e.JunctionAlias, p.Col, child, p.FCol))
		}
		for _, p := range j.ColsSource {
			conds = append(conds, columnsEqual(e.JunctionAlias, p.Col, parentAlias, p.FCol))
		}
		return from, conds
	}
	conds := make([]string, 0, len(e.Rel.Columns))
	for _, p := range e.Rel.Columns {
		conds = append(conds, columnsEqual(child, p.FCol, parentAlias, p.Col))
	}
	return from, conds
}

// columnsEqual is the condition that column col1 of alias1 equals col2
// of alias2, each name quoted, built in one buffer.
func columnsEqual(alias1, col1, alias2, col2 string) string {
	var buf [128]byte
	b := appendIdent(buf[:0], alias1)
	b = appendIdent(append(b, '.'), col1)
	b = appendIdent(append(b, " = "...), alias2)
	return string(appendIdent(append(b, '.'), col2))
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
