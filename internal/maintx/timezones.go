package maintx

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// TimezoneNames lists pg_timezone_names, the zones `Prefer: timezone=`
// may name, as PostgREST's schema cache does. Reading the view costs tens
// of ms (PostgreSQL scans its zone files), so callers load it once, when a
// request first asks for a zone, rather than on every schema cache build.
func TimezoneNames(ctx context.Context, db Pool) (map[string]bool, error) {
	conn, err := db.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	rows, err := conn.Query(ctx, "SELECT name FROM pg_catalog.pg_timezone_names")
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}
