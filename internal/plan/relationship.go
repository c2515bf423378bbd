package plan

import (
	"fmt"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/pgrsterr"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// findRel picks the relationship from origin to target as PostgREST's
// findRel does. Only relationships to relations of the request schema count.
// A computed relationship matches when target is its function's name (the
// function in the request schema), whatever the hint. Without a hint,
// target matches the foreign relation's name, or, when that relation is not
// a view, the FK constraint's name or the origin column of a single-column
// FK; with a hint, target must be the foreign relation's name and the hint
// the constraint, an origin or referenced column of a single-column FK, or
// the M2M junction's name. In a self-relationship the O2M wins over its M2O
// mirror when both match. No match is PGRST200 (hinting at the closest
// relation origin leads to, or, for an origin without relationships, at
// the closest relation that has some), several PGRST201.
func findRel(sc *schemacache.SchemaCache, schema string, origin schemacache.QI, target, hint string) (*schemacache.Relationship, *pgrsterr.Error) {
	// Usually one matches: the matches are collected on the stack.
	var buf [4]*schemacache.Relationship
	found := buf[:0]
	rels := sc.RelationshipsFrom(origin)
	for _, r := range rels {
		if r.Cardinality == schemacache.Computed {
			if r.Function.Schema == schema && r.Function.Name == target {
				found = append(found, r)
			}
			continue
		}
		if r.ForeignTable.Schema != schema {
			continue
		}
		if hint == "" {
			// Constraint and column targets only reach tables (PostgREST #2277).
			// The view check comes last: it reads the target's table,
			// which a lazily loaded cache may have to load.
			byKey := (matchConstraint(r, target) || matchOriginCol(r, target)) && !isView(sc, r.ForeignTable)
			if r.ForeignTable.Name == target || byKey {
				found = append(found, r)
			}
			continue
		}
		if r.ForeignTable.Name == target &&
			(matchConstraint(r, hint) || matchOriginCol(r, hint) || matchTargetCol(r, hint) ||
				(r.Junction != nil && r.Junction.Table.Name == hint)) {
			found = append(found, r)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0:
		return nil, pgrsterr.RelationshipNotFound(origin.Name, target, hint, schema,
			suggestRelationship(sc, schema, origin.Name, target, rels))
	}
	if self := selfO2M(found); self != nil {
		return self, nil
	}
	details := make([]pgrsterr.AmbiguousRelationship, len(found))
	hints := make([]string, len(found))
	for i, r := range found {
		details[i] = describe(r)
		hints[i] = r.Constraint
		if r.Junction != nil {
			hints[i] = r.Junction.Table.Name
		}
	}
	return nil, pgrsterr.AmbiguousEmbedding(origin.Name, target, details, hints)
}

// selfO2M resolves the one ambiguity PostgREST settles by itself: a
// self-referencing FK yields an M2O and an O2M with the same constraint, and
// the O2M is taken.
func selfO2M(found []*schemacache.Relationship) *schemacache.Relationship {
	if len(found) != 2 || !found[0].IsSelf || found[0].Constraint != found[1].Constraint {
		return nil
	}
	for _, r := range found {
		if r.Cardinality == schemacache.O2M {
			return r
		}
	}
	return nil
}

func isView(sc *schemacache.SchemaCache, qi schemacache.QI) bool {
	t := sc.Table(qi)
	return t != nil && t.IsView
}

func matchConstraint(r *schemacache.Relationship, name string) bool {
	return r.Junction == nil && r.Constraint == name
}

func matchOriginCol(r *schemacache.Relationship, name string) bool {
	return r.Junction == nil && len(r.Columns) == 1 && r.Columns[0].Col == name && r.Cardinality != schemacache.O2M
}

func matchTargetCol(r *schemacache.Relationship, name string) bool {
	return r.Junction == nil && len(r.Columns) == 1 && r.Columns[0].FCol == name
}

var cardinalityNames = map[schemacache.Cardinality]string{
	schemacache.M2O: "many-to-one", schemacache.O2M: "one-to-many",
	schemacache.O2O: "one-to-one", schemacache.M2M: "many-to-many",
}

// describe renders a candidate of PGRST201 as PostgREST does.
func describe(r *schemacache.Relationship) pgrsterr.AmbiguousRelationship {
	if r.Cardinality == schemacache.Computed {
		// PostgREST describes computed candidates by nothing (an empty object).
		return pgrsterr.AmbiguousRelationship{}
	}
	d := pgrsterr.AmbiguousRelationship{
		Cardinality: cardinalityNames[r.Cardinality],
		Embedding:   r.Table.Name + " with " + r.ForeignTable.Name,
	}
	if j := r.Junction; j != nil {
		d.Relationship = fmt.Sprintf("%s using %s(%s) and %s(%s)", j.Table.Name,
			j.Constraint1, cols(j.ColsSource, true), j.Constraint2, cols(j.ColsTarget, true))
		return d
	}
	d.Relationship = fmt.Sprintf("%s using %s(%s) and %s(%s)", r.Constraint,
		r.Table.Name, cols(r.Columns, true), r.ForeignTable.Name, cols(r.Columns, false))
	return d
}

func cols(ps []schemacache.ColumnPair, origin bool) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if origin {
			out[i] = p.Col
		} else {
			out[i] = p.FCol
		}
	}
	return strings.Join(out, ", ")
}
