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
// select list is all aggregates, which give one value.
func (b *sqlBuilder) spread(parent *plan.ReadPlan, e *plan.Embed) ([]string, *pgrsterr.Error) {
	child := e.Plan
	allAgg := len(child.Fields) > 0
	for _, f := range child.Fields {
		if f.Aggregate == "" {
			allAgg = false
		}
	}
	var cols []string
	for _, f := range child.Fields {
		if f.Name == "*" {
			return nil, pgrsterr.NotImplemented("'*' in a spread embedding is not supported; name the columns")
		}
		one := *child
		one.Fields = []plan.Field{f}
		from, conds := join(parent.Alias, e)
		sub, err := b.selectNode(&one, from, conds)
		if err != nil {
			return nil, err
		}
		_, key := b.field(child, f)
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
