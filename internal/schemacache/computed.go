package schemacache

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// loadComputedRels reads the computed relationships (computedRelsQuery)
// whose origin and target are relations of the cache.
func loadComputedRels(ctx context.Context, tx pgx.Tx, schemas []string) ([]Relationship, error) {
	rows, err := tx.Query(ctx, computedRelsQuery, schemas)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Relationship
	for rows.Next() {
		r := Relationship{Cardinality: Computed}
		if err := rows.Scan(&r.Function.Schema, &r.Function.Name, &r.Table.Schema, &r.Table.Name,
			&r.ForeignTable.Schema, &r.ForeignTable.Name, &r.ToOne); err != nil {
			return nil, err
		}
		r.IsSelf = r.Table == r.ForeignTable
		out = append(out, r)
	}
	return out, rows.Err()
}

// cachedComputedRels keeps the computed relationships between relations
// of sc: partitions are not in the cache, so neither are their
// relationships.
func cachedComputedRels(sc *SchemaCache, rels []Relationship) []Relationship {
	out := rels[:0]
	for _, r := range rels {
		if sc.tableByQI(r.Table) != nil && sc.tableByQI(r.ForeignTable) != nil {
			out = append(out, r)
		}
	}
	return out
}
