package query

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/plan"
)

// toManySpread renders the columns of a to-many spread `...rel(cols)`, as
// PostgREST spreads one-to-many and many-to-many embeddings: a column is
// the JSON array of its values over the related rows, and an aggregate is
// one value over them (`...processes(id,count())` gives an array of ids
// and their count).
//
// The to-many spreads and embeddings inside it, directly or through to-one
// spreads, join their rows to the spread's rows (PostgREST does not nest
// their arrays):
// each array then has one element per joined row, and an aggregate inside
// them is applied over the joined rows too.
func (b *sqlBuilder) toManySpread(parent *plan.ReadPlan, e *plan.Embed, leaves []spreadLeaf) ([]spreadCol, *pgrsterr.Error) {
	child := e.Plan
	row := ident(child.Alias + "_spread")
	rows := withoutAggregates(child)
	var flat string
	if hasToManySpread(rows) {
		from, conds := joinWith(parent.Alias, e, " CROSS JOIN ")
		var err *pgrsterr.Error
		if flat, err = b.flatRows(rows, from, conds); err != nil {
			return nil, err
		}
	}
	cols := make([]spreadCol, 0, len(leaves))
	for _, l := range leaves {
		key := l.key
		var expr string
		switch lp, agg := hoistAny(l.plan); {
		case directAggregate(l.plan):
			// One row: the aggregate over the related rows, which the
			// spread's order (for its arrays) does not apply to.
			from, conds := join(parent.Alias, e)
			one := *l.plan
			one.Order = nil
			sub, err := b.selectNode(&one, from, conds)
			if err != nil {
				return nil, err
			}
			expr = "(" + sub + ")"
		case agg != nil:
			from, conds := joinWith(parent.Alias, e, " CROSS JOIN ")
			sub, err := b.flatRows(lp, from, conds)
			if err != nil {
				return nil, err
			}
			expr = "(SELECT pg_catalog." + agg.Aggregate + "(" + row + "." + ident(key) + ") FROM (" + sub + ") AS " + row + ")"
			if agg.AggregateCast != "" {
				expr = "CAST(" + expr + " AS " + agg.AggregateCast + ")"
			}
		case flat != "":
			expr = "(SELECT coalesce(pg_catalog.json_agg(" + row + "." + ident(key) + "), '[]') FROM (" + flat + ") AS " + row + ")"
		default:
			from, conds := join(parent.Alias, e)
			sub, err := b.selectNode(l.plan, from, conds)
			if err != nil {
				return nil, err
			}
			expr = "(SELECT coalesce(pg_catalog.json_agg(" + row + "." + ident(key) + "), '[]') FROM (" + sub + ") AS " + row + ")"
		}
		cols = append(cols, spreadCol{sql: expr + " AS " + ident(key), key: key})
	}
	return cols, nil
}

// directAggregate reports whether a spread leaf is an aggregate of the
// spread's own relation.
func directAggregate(rp *plan.ReadPlan) bool {
	if len(rp.Fields) != 1 {
		return false
	}
	_, isEmbed := rp.Fields[0].IsEmbed()
	return !isEmbed && rp.Fields[0].Aggregate != ""
}

// hoistAny is hoist through spreads of any cardinality: it takes the
// aggregate out of a spread leaf reached through spreads only, returning
// the leaf selecting the aggregate's input and the field with the
// aggregate; nil when there is none.
func hoistAny(rp *plan.ReadPlan) (*plan.ReadPlan, *plan.Field) {
	if len(rp.Fields) != 1 {
		return rp, nil
	}
	f := rp.Fields[0]
	i, ok := f.IsEmbed()
	if !ok {
		return hoist(rp)
	}
	e := rp.Embeds[i]
	if !e.Spread {
		return rp, nil
	}
	inner, agg := hoistAny(e.Plan)
	if agg == nil {
		return rp, nil
	}
	return withEmbedPlan(rp, i, inner), agg
}

// withoutAggregates is rp without its aggregates, those of the spreads
// inside it included; a spread left without columns is left out of the
// select list (still filtering, as an empty embedding does).
func withoutAggregates(rp *plan.ReadPlan) *plan.ReadPlan {
	cp := *rp
	cp.Fields = make([]plan.Field, 0, len(rp.Fields))
	cp.Embeds = append([]*plan.Embed(nil), rp.Embeds...)
	for _, f := range rp.Fields {
		i, isEmbed := f.IsEmbed()
		switch {
		case !isEmbed:
			if f.Aggregate != "" {
				continue
			}
		case rp.Embeds[i].Spread:
			ce := *rp.Embeds[i]
			ce.Plan = withoutAggregates(ce.Plan)
			cp.Embeds[i] = &ce
			if len(ce.Plan.Fields) == 0 {
				continue
			}
		}
		cp.Fields = append(cp.Fields, f)
	}
	return &cp
}

// flatRows renders the rows of a to-many spread's plan rp, each joined
// with the rows of the to-many spreads inside it (LEFT JOIN LATERAL, or
// JOIN LATERAL for `!inner`), whose columns it adds: PostgREST spreads a
// to-many embedding inside a to-many spread into the same arrays, one
// element per joined row, rather than into nested arrays. A to-one spread
// with a to-many spread inside is joined the same way, so the rows of the
// latter join too, and so is a to-many embedding that is not spread: each
// of its related rows is one element, its JSON object.
func (b *sqlBuilder) flatRows(rp *plan.ReadPlan, from string, conds []string) (string, *pgrsterr.Error) {
	cp := *rp
	cp.Fields = make([]plan.Field, 0, len(rp.Fields))
	var extra []string
	for _, f := range rp.Fields {
		if i, ok := f.IsEmbed(); ok {
			if n := rp.Embeds[i]; n.Spread && (!n.Rel.IsToOne() || hasToManySpread(n.Plan)) {
				nfrom, nconds := joinWith(rp.Alias, n, " CROSS JOIN ")
				sub, err := b.flatRows(n.Plan, nfrom, nconds)
				if err != nil {
					return "", err
				}
				lat := ident(n.Plan.Alias + "_flat")
				kw := " LEFT JOIN LATERAL ("
				if n.Inner {
					kw = " JOIN LATERAL ("
				}
				from += kw + sub + ") AS " + lat + " ON true"
				extra = append(extra, lat+".*")
				continue
			}
			if n := rp.Embeds[i]; !n.Spread && !n.Rel.IsToOne() {
				// One row per related row, its JSON object under the key.
				nfrom, nconds := join(rp.Alias, n)
				sub, err := b.selectNode(n.Plan, nfrom, nconds)
				if err != nil {
					return "", err
				}
				row, lat := ident(n.Plan.Alias+"_row"), ident(n.Plan.Alias+"_flat")
				kw := " LEFT JOIN LATERAL ("
				if n.Inner {
					kw = " JOIN LATERAL ("
				}
				from += kw + "SELECT pg_catalog.row_to_json(" + row + ") AS " + ident(n.Key) + " FROM (" + sub + ") AS " + row + ") AS " + lat + " ON true"
				extra = append(extra, lat+"."+ident(n.Key))
				continue
			}
		}
		cp.Fields = append(cp.Fields, f)
	}
	return b.selectNode(&cp, from, conds, extra...)
}

// hasToManySpread reports whether rp's select list, in a to-many spread,
// has rows to join: a to-many embedding, spread or not, directly or inside
// its to-one spreads.
func hasToManySpread(rp *plan.ReadPlan) bool {
	for _, f := range rp.Fields {
		i, ok := f.IsEmbed()
		if !ok {
			continue
		}
		e := rp.Embeds[i]
		if !e.Rel.IsToOne() || (e.Spread && hasToManySpread(e.Plan)) {
			return true
		}
	}
	return false
}
