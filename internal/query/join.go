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
	from := qi(e.Plan.Table) + " AS " + ident(child)
	var conds []string
	if j := e.Rel.Junction; j != nil {
		from += sep + qi(j.Table) + " AS " + ident(e.JunctionAlias)
		for _, p := range j.ColsTarget {
			conds = append(conds, ident(e.JunctionAlias)+"."+ident(p.Col)+" = "+ident(child)+"."+ident(p.FCol))
		}
		for _, p := range j.ColsSource {
			conds = append(conds, ident(e.JunctionAlias)+"."+ident(p.Col)+" = "+ident(parentAlias)+"."+ident(p.FCol))
		}
		return from, conds
	}
	for _, p := range e.Rel.Columns {
		conds = append(conds, ident(child)+"."+ident(p.FCol)+" = "+ident(parentAlias)+"."+ident(p.Col))
	}
	return from, conds
}

// parentJoinColumns are the parent's columns an embedding's join reads.
func parentJoinColumns(parentAlias string, e *plan.Embed) []string {
	var out []string
	if j := e.Rel.Junction; j != nil {
		for _, p := range j.ColsSource {
			out = append(out, ident(parentAlias)+"."+ident(p.FCol))
		}
		return out
	}
	for _, p := range e.Rel.Columns {
		out = append(out, ident(parentAlias)+"."+ident(p.Col))
	}
	return out
}
