package snapshot

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Build reads the in-database configuration (when cfg.DBConfig is on),
// introspects the catalog of the exposed schemas it configures and returns
// the snapshot, not yet encoded: its header carries the effective
// configuration's fingerprint, the build time (UTC) and the queries'
// durations. db runs the queries (a pool on PGRST_DB_URI); logger may be
// nil. The error is schemacache.Load's; failures to read the in-database
// configuration are logged, not returned (see readDBConfig).
//
// extra, when given, runs in the catalog snapshot of the load
// (schemacache.LoadOptions.Extra).
func Build(ctx context.Context, db schemacache.Beginner, cfg *config.Config, logger *slog.Logger,
	extra ...func(ctx context.Context, tx pgx.Tx) error) (*Snapshot, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	eff, dbSettings, roleSettings := readDBConfig(ctx, db, cfg, logger)
	sc, err := schemacache.Load(ctx, db, schemacache.LoadOptions{
		Schemas: eff.DBSchemas, SleepMs: eff.SchemaCacheQuerySleepMs, Logger: logger,
		HoistedTxSettings: eff.DBHoistedTxSettings, Extra: firstOrNil(extra),
	})
	if err != nil {
		return nil, err
	}
	return &Snapshot{
		Header: Header{
			PgVersion: sc.PgVersion, Schemas: sc.Schemas, ConfigFingerprint: eff.Fingerprint(),
			BuiltAt: time.Now().UTC(), QueryMs: sc.Timings,
		},
		Cache:        sc,
		DBSettings:   dbSettings,
		RoleSettings: roleSettings,
	}, nil
}

// readDBConfig reads the in-database configuration as PostgREST does on
// every schema cache load when db-config is on: the authenticator's pgrst.*
// settings and the pre-config function, and the settings of the roles it
// can switch to. It returns the effective configuration (cfg overlaid with
// the in-database values) and what it read. Errors are logged, not
// returned, as in PostgREST: a failing pre-config function or an invalid
// value keeps the environment's configuration for those keys.
func readDBConfig(ctx context.Context, db schemacache.Beginner, cfg *config.Config, logger *slog.Logger) (*config.Config, map[string]string, map[string]config.RoleSettings) {
	if !cfg.DBConfig {
		return cfg, nil, nil
	}
	settings, err := config.QueryDBSettings(ctx, db, cfg.DBPreConfig)
	var pce *config.PreConfigError
	switch {
	case errors.As(err, &pce):
		logger.Error("failed to query the pre-config function; using the other settings", "error", err.Error())
	case err != nil:
		logger.Error("failed to query database settings for the config parameters", "error", err.Error())
		return cfg, nil, nil
	}
	roles, err := config.QueryRoleSettings(ctx, db)
	if err != nil {
		logger.Error("failed to query the role settings", "error", err.Error())
	}
	eff, err := cfg.WithDBSettings(settings)
	if err != nil {
		logger.Error("invalid in-database configuration; keeping the environment's", "error", err.Error())
		return cfg, nil, roles
	}
	return eff, settings, roles
}

// firstOrNil returns fs[0], or nil when fs is empty.
func firstOrNil[F any](fs []F) F {
	var zero F
	if len(fs) == 0 {
		return zero
	}
	return fs[0]
}
