package schemacache

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// loadMediaHandlers reads the custom media type handlers
// (mediaHandlersQuery) into sc.MediaHandlers, in the query's order.
func loadMediaHandlers(ctx context.Context, tx pgx.Tx, schemas []string, sc *SchemaCache) error {
	rows, err := tx.Query(ctx, mediaHandlersQuery, schemas)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h MediaHandler
		if err := rows.Scan(&h.Media, &h.Target.Schema, &h.Target.Name,
			&h.Aggregate.Schema, &h.Aggregate.Name, &h.Binary); err != nil {
			return err
		}
		sc.MediaHandlers = append(sc.MediaHandlers, h)
	}
	return rows.Err()
}
