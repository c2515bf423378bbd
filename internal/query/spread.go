package query

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
)

// spreadCol is one output column of a spread: its SQL (`expr AS key`),
// its output key, whether it applies an aggregate hoisted to the parent
// and whether a grouped parent groups by it.
type spreadCol struct {
	sql, key   string
	agg, group bool
}

// spread renders the columns of a `...rel(cols)` embedding as columns of
// its parent: each is a correlated subquery over the embedded relation. On
// a to-one relationship a column is the related row's value (NULL without
// one); on a to-many relationship it is the JSON array of the related rows'
// values, as PostgREST 13 spreads to-many embeddings, unless the embedded
// select list is all aggregates, which give one value. An embedding inside
// the spread is one more column (its JSON), and a spread inside the spread
// adds its own columns the same way, so nested spreads flatten into the
// parent.
//
// An aggregate reached through to-one spreads only is applied by the
// parent, over the related values of its rows (PostgREST's
// hoistSpreadAggFunctions): `/books?select=format,...authors(count())`
// counts the books of each format having an author. The parent then groups
// by its other columns, the spread's values included; grouped is true when
// it does, and a JSON column is then compared as jsonb.
func (b *sqlBuilder) spread(parent *plan.ReadPlan, e *plan.Embed, grouped bool) ([]spreadCol, *pgrsterr.Error) {
	child := e.Plan
	toOne := e.Rel.IsToOne()
	leaves, err := spreadLeaves(child)
	if err != nil {
		return nil, err
	}
	cols := make([]spreadCol, 0, len(leaves))
	if !toOne {
		return b.toManySpread(parent, e, leaves)
	}
	for _, l := range leaves {
		from, conds := join(parent.Alias, e)
		lp, agg := hoist(l.plan)
		sub, err := b.selectNode(lp, from, conds)
		if err != nil {
			return nil, err
		}
		key := l.key
		switch {
		case agg != nil:
			expr := "pg_catalog." + agg.Aggregate + "((" + sub + "))"
			if agg.AggregateCast != "" {
				expr = "CAST(" + expr + " AS " + agg.AggregateCast + ")"
			}
			cols = append(cols, spreadCol{sql: expr + " AS " + ident(key), key: key, agg: true})
		default:
			expr := "(" + sub + ")"
			if grouped && leafIsJSON(l.plan) {
				expr += "::jsonb"
			}
			cols = append(cols, spreadCol{sql: expr + " AS " + ident(key), key: key, group: true})
		}
	}
	return cols, nil
}

// hoist takes the aggregate out of a spread leaf whose field is reached
// through to-one spreads only: it returns the leaf selecting the
// aggregate's input instead, and the field with the aggregate to apply;
// nil when there is none to hoist. count() becomes a value true for each
// related row.
func hoist(rp *plan.ReadPlan) (*plan.ReadPlan, *plan.Field) {
	if len(rp.Fields) != 1 {
		return rp, nil
	}
	f := rp.Fields[0]
	if i, ok := f.IsEmbed(); ok {
		e := rp.Embeds[i]
		if !e.Spread || !e.Rel.IsToOne() {
			return rp, nil
		}
		inner, agg := hoist(e.Plan)
		if agg == nil {
			return rp, nil
		}
		return withEmbedPlan(rp, i, inner), agg
	}
	if f.Aggregate == "" {
		return rp, nil
	}
	agg := f
	f.Aggregate, f.AggregateCast = "", ""
	cp := *rp
	cp.Fields = []plan.Field{f}
	return &cp, &agg
}

// hoistsAggregate reports whether rp, a to-one spread's plan, has an
// aggregate its parent applies: on one of its columns or inside a to-one
// spread of its own.
func hoistsAggregate(rp *plan.ReadPlan) bool {
	for _, f := range rp.Fields {
		i, ok := f.IsEmbed()
		switch {
		case !ok:
			if f.Aggregate != "" {
				return true
			}
		case rp.Embeds[i].Spread && rp.Embeds[i].Rel.IsToOne():
			if hoistsAggregate(rp.Embeds[i].Plan) {
				return true
			}
		}
	}
	return false
}

// allAggregates reports whether rp selects aggregates only: a to-many
// spread of it gives one value per column rather than arrays.
func allAggregates(rp *plan.ReadPlan) bool {
	for _, f := range rp.Fields {
		if f.Aggregate == "" {
			return false
		}
	}
	return len(rp.Fields) > 0
}

// leafIsJSON reports whether a spread leaf's value is JSON: an
// embedding's, or the array of a to-many spread.
func leafIsJSON(rp *plan.ReadPlan) bool {
	if len(rp.Fields) != 1 {
		return false
	}
	i, ok := rp.Fields[0].IsEmbed()
	if !ok {
		return false
	}
	e := rp.Embeds[i]
	switch {
	case !e.Spread:
		return true
	case !e.Rel.IsToOne() && !allAggregates(e.Plan):
		return true
	}
	return leafIsJSON(e.Plan)
}

// relatedColumn renders `order=rel(col)`: the column of the to-one
// embedding rel for the parent row, as a correlated subquery.
func (b *sqlBuilder) relatedColumn(parent *plan.ReadPlan, o apirequest.OrderTerm) string {
	for _, e := range parent.Embeds {
		if e.Key != o.Relation {
			continue
		}
		from, conds := join(parent.Alias, e)
		col := b.column(e.Plan, o.Column, o.JSONPath)
		return "(SELECT " + col + " FROM " + from + " WHERE " + joinAnd(conds) + ")"
	}
	return "NULL"
}

func joinAnd(conds []string) string {
	if len(conds) == 0 {
		return "true"
	}
	out := conds[0]
	for _, c := range conds[1:] {
		out += " AND " + c
	}
	return out
}

// spreadLeaf is one output column of a spread: the embedded plan reduced
// to the one field (or the one nested embedding) that gives it, and its
// output key.
type spreadLeaf struct {
	plan *plan.ReadPlan
	key  string
}

// spreadLeaves lists the output columns of a spread embedding's plan rp in
// select order: each column, each embedding (its key, its JSON) and, for a
// spread inside it, that spread's own leaves, each reached through a copy
// of rp keeping only the path to it.
func spreadLeaves(rp *plan.ReadPlan) ([]spreadLeaf, *pgrsterr.Error) {
	var out []spreadLeaf
	for _, f := range rp.Fields {
		one := *rp
		one.Fields = []plan.Field{f}
		i, isEmbed := f.IsEmbed()
		switch {
		case !isEmbed && f.Name == "*":
			return nil, pgrsterr.NotImplemented("'*' in a spread embedding is not supported; name the columns")
		case !isEmbed:
			out = append(out, spreadLeaf{&one, fieldKey(f)})
		case !rp.Embeds[i].Spread:
			out = append(out, spreadLeaf{&one, rp.Embeds[i].Key})
		default:
			inner, err := spreadLeaves(rp.Embeds[i].Plan)
			if err != nil {
				return nil, err
			}
			for _, l := range inner {
				e := *rp.Embeds[i]
				e.Plan = l.plan
				path := one
				path.Embeds = append([]*plan.Embed(nil), rp.Embeds...)
				path.Embeds[i] = &e
				out = append(out, spreadLeaf{&path, l.key})
			}
		}
	}
	return out, nil
}

// withEmbedPlan returns a copy of rp whose embed i has plan inner; rp and
// its other embeds are left as they are.
func withEmbedPlan(rp *plan.ReadPlan, i int, inner *plan.ReadPlan) *plan.ReadPlan {
	ce := *rp.Embeds[i]
	ce.Plan = inner
	cp := *rp
	cp.Embeds = append([]*plan.Embed(nil), rp.Embeds...)
	cp.Embeds[i] = &ce
	return &cp
}
