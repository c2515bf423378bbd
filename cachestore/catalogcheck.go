package cachestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// CatalogCheckKey names the key (under the namespace) where the leader
// worker records its last catalog fingerprint check.
const CatalogCheckKey = "catalog-check"

// catalogCheckTTL bounds how long a check record outlives its worker.
const catalogCheckTTL = 24 * time.Hour

// CatalogCheck is the leader worker's last catalog fingerprint check, as
// `pgrst-cache status` shows it.
type CatalogCheck struct {
	// At is when the check finished (RFC 3339).
	At time.Time `json:"at"`
	// Result is "unchanged", "changed" (a lost notification: a rebuild
	// was requested), "skipped" (a rebuild was pending) or "error".
	Result string `json:"result"`
	// QueueUsage is pg_notification_queue_usage(), 0 to 1.
	QueueUsage float64 `json:"queue_usage"`
	// WorkerID is the worker that checked.
	WorkerID string `json:"worker_id"`
	// Missed counts the lost notifications this worker caught so far.
	Missed int64 `json:"missed"`
}

// PutCatalogCheck records c, replacing the previous record; it expires
// after a day. Errors are Redis's.
func (s *Store) PutCatalogCheck(ctx context.Context, c CatalogCheck) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.rdb.Set(ctx, s.Key(CatalogCheckKey), b, catalogCheckTTL).Err()
}

// CatalogCheck returns the last recorded check; ok is false when there is
// none. A record that is not a check is an error (it is display data, so
// nothing else reads it).
func (s *Store) CatalogCheck(ctx context.Context) (c CatalogCheck, ok bool, err error) {
	b, err := s.rdb.Get(ctx, s.Key(CatalogCheckKey)).Bytes()
	if errors.Is(err, redis.Nil) {
		return CatalogCheck{}, false, nil
	}
	if err != nil {
		return CatalogCheck{}, false, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return CatalogCheck{}, false, fmt.Errorf("catalog check record: %w", err)
	}
	return c, true, nil
}
