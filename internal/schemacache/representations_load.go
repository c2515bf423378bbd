package schemacache

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// loadRepresentations reads the domain representations
// (representationsQuery) into sc.Representations, in the query's order.
func loadRepresentations(ctx context.Context, tx pgx.Tx, sc *SchemaCache) error {
	rows, err := tx.Query(ctx, representationsQuery)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r Representation
		if err := rows.Scan(&r.Source, &r.Target, &r.Function.Schema, &r.Function.Name); err != nil {
			return err
		}
		sc.Representations = append(sc.Representations, r)
	}
	return rows.Err()
}
