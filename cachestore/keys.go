package cachestore

import (
	"log/slog"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// KeysFromConfig returns the snapshot keys of cfg
// (PGRST_CACHE_SIGNING_KEY and PGRST_CACHE_SIGNING_KEY_PREVIOUS) for
// Store.Keys. Without a signing key it returns nil and logs one warning
// naming role (the process: "listener worker", "request function"), since
// then anyone who can write to Redis controls the API. The error is
// snapshot.NewKeys' (a key too short; config.FromEnv already rejects those).
func KeysFromConfig(cfg *config.Config, role string, logger *slog.Logger) (*snapshot.Keys, error) {
	if len(cfg.CacheSigningKey) == 0 {
		if logger != nil {
			logger.Warn("PGRST_CACHE_SIGNING_KEY is not set: schema cache snapshots in Redis are not authenticated, "+
				"and whoever can write to Redis can change what the API does", "role", role)
		}
		return nil, nil
	}
	keys, err := snapshot.NewKeys(cfg.CacheSigningKey, cfg.CacheSigningKeyPrevious)
	if err != nil {
		return nil, err
	}
	if logger != nil {
		logger.Info("schema cache snapshots are signed", "role", role, "key_id", keys.ID(),
			"previous_key", len(cfg.CacheSigningKeyPrevious) > 0)
	}
	return keys, nil
}
