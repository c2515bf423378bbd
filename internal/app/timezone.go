package app

import (
	"context"
	"sync"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/maintx"
)

// zoneSet memoises pg_timezone_names for the life of the process (a warm
// Lambda keeps it); a failed load is retried on the next request.
type zoneSet struct {
	mu    sync.Mutex
	names map[string]bool
}

// settleTimezone keeps `Prefer: timezone=` only when PostgreSQL knows the
// zone, as PostgREST: an unknown zone is dropped and counted as an invalid
// preference (PGRST122 under handling=strict). When the zones cannot be
// read the preference is dropped too, so the request still runs.
func (h *Handler) settleTimezone(ctx context.Context, p *apirequest.Preferences) {
	tz := p.Timezone
	if tz == "" {
		return
	}
	h.zones.mu.Lock()
	if h.zones.names == nil {
		names, err := maintx.TimezoneNames(ctx, h.db)
		if err != nil {
			h.logger.Error("reading pg_timezone_names", "error", err.Error())
		}
		h.zones.names = names
	}
	known := h.zones.names[tz]
	h.zones.mu.Unlock()
	if !known {
		p.Timezone = ""
		p.Invalid = append(p.Invalid, "timezone="+tz)
	}
}
