package query

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
)

// spread renders the columns of a `...rel(cols)` embedding as columns of
// its parent: each is a correlated subquery over the embedded relation. On
// a to-one relationship a column is the related row's value (NULL without
// one); on a to-many relationship it is the JSON array of the related rows'
// values, as PostgREST 13 spreads to-many embeddings, unless the embedded
// select list is all aggregates, which give one value. An embedding inside
// the spread is one more column (its JSON), and a spread inside the spread
// adds its own columns the same way, so nested spreads flatten into the
// parent.
func (b *sqlBuilder) spread(parent *plan.ReadPlan, e *plan.Embed) ([]string, *pgrsterr.Error) {
	child := e.Plan
	allAgg := len(child.Fields) > 0
	for _, f := range child.Fields {
		if f.Aggregate == "" {
			allAgg = false
		}
	}
	leaves, err := spreadLeaves(child)
	if err != nil {
		return nil, err
	}
	var cols []string
	for _, l := range leaves {
		from, conds := join(parent.Alias, e)
		sub, err := b.selectNode(l.plan, from, conds)
		if err != nil {
			return nil, err
		}
		key := l.key
		switch {
		case e.Rel.IsToOne() || allAgg:
			cols = append(cols, "("+sub+") AS "+ident(key))
		default:
			row := ident(child.Alias + "_spread")
			cols = append(cols, "(SELECT coalesce(pg_catalog.json_agg("+row+"."+ident(key)+"), '[]') FROM ("+sub+") AS "+row+") AS "+ident(key))
		}
	}
	return cols, nil
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
