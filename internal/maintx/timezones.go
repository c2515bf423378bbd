package maintx

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"
)

// Timezones memoises pg_timezone_names, the zones `Prefer: timezone=` may
// name, as PostgREST's schema cache holds them. Reading the view costs
// tens of ms (PostgreSQL scans its zone files), so it is read once per
// process (a warm Lambda keeps it), when a request first names a zone,
// rather than on every schema cache build. The zero value is ready to use.
type Timezones struct {
	mu    sync.Mutex
	names map[string]bool
}

// Names returns the zone names, reading them on first use; a failed read
// returns nil and its error, and is retried on the next call.
func (z *Timezones) Names(ctx context.Context, db Pool) (map[string]bool, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.names != nil {
		return z.names, nil
	}
	names, err := timezoneNames(ctx, db)
	if err != nil {
		return nil, err
	}
	z.names = names
	return names, nil
}

// timezoneNames reads pg_timezone_names.
func timezoneNames(ctx context.Context, db Pool) (map[string]bool, error) {
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
