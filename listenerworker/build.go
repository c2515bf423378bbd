package listenerworker

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Builder builds a snapshot of the schema cache and publishes it: the
// listener worker's rebuild, and a cold request function's first build.
type Builder struct {
	// Config is the environment configuration.
	Config *config.Config
	// DB runs the catalog queries (a pool on PGRST_DB_URI).
	DB schemacache.Beginner
	// Store receives the snapshot.
	Store *cachestore.Store
	// WorkerID is recorded in the version's metadata.
	WorkerID string
	// Logger may be nil.
	Logger *slog.Logger
}

// Build reserves a version, introspects the catalog, encodes the snapshot
// and publishes it (compare-and-set: skipped when a later build is already
// current or the content is unchanged). The returned Rebuild has Err set on
// failure; Requested is left to the caller.
func (b *Builder) Build(ctx context.Context, trigger string) Rebuild {
	ev := Rebuild{Trigger: trigger, Started: time.Now()}
	finish := func(err error) Rebuild {
		ev.Err, ev.Finished = err, time.Now()
		return ev
	}
	logger := b.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Reserving before reading the catalog orders versions like catalog
	// snapshots: a slower, older build can never replace a newer one.
	version, err := b.Store.Reserve(ctx)
	if err != nil {
		return finish(err)
	}
	cfg, dbSettings, roleSettings := b.readDBConfig(ctx, logger)
	sc, err := schemacache.Load(ctx, b.DB, schemacache.LoadOptions{
		Schemas: cfg.DBSchemas, SleepMs: cfg.SchemaCacheQuerySleepMs, Logger: logger,
		HoistedTxSettings: cfg.DBHoistedTxSettings,
	})
	if err != nil {
		return finish(err)
	}
	ev.QueryMs = sc.Timings
	snap := &schemacache.Snapshot{
		Header: schemacache.Header{
			PgVersion: sc.PgVersion, Schemas: sc.Schemas, ConfigFingerprint: cfg.Fingerprint(),
			BuiltAt: time.Now().UTC(), QueryMs: sc.Timings,
		},
		Cache:        sc,
		DBSettings:   dbSettings,
		RoleSettings: roleSettings,
	}
	blob, err := snap.Encode()
	if err != nil {
		return finish(err)
	}
	ev.Bytes = len(blob)
	buildMs := float64(time.Since(ev.Started).Microseconds()) / 1000
	res, err := b.Store.Publish(ctx, version, blob, cachestore.Meta{
		Trigger: trigger, WorkerID: b.WorkerID, BuildMs: buildMs, BuiltAt: snap.Header.BuiltAt.Format(time.RFC3339Nano),
		ContentHash: snap.Header.ContentHash, QueryMs: sc.Timings,
		Tables: len(sc.Tables), Relationships: len(sc.Relationships), Routines: len(sc.Routines),
		Extra: map[string]string{
			"format": strconv.Itoa(int(schemacache.FormatVersion)), "pg_version": strconv.Itoa(sc.PgVersion),
			"schemas": strings.Join(sc.Schemas, ","), "config_fingerprint": snap.Header.ConfigFingerprint,
		},
	})
	if err != nil {
		return finish(err)
	}
	ev.Version, ev.Outcome = res.Current, res.Outcome
	logger.Info("schema cache "+res.Outcome, "version", res.Current, "reserved", version, "trigger", trigger,
		"build_ms", buildMs, "bytes", len(blob), "tables", len(sc.Tables), "relationships", len(sc.Relationships),
		"routines", len(sc.Routines), "query_ms", sc.Timings)
	return finish(nil)
}

// ColdStart builds and publishes the first snapshot of an empty namespace
// for a request function (cachestore.ReaderOptions.Build), with trigger
// "cold-start".
func (b *Builder) ColdStart(ctx context.Context) error {
	return b.Build(ctx, "cold-start").Err
}

// NewReader returns the request side's Reader over b.Store: it revalidates
// at most every PGRST_CACHE_REVALIDATE_MS and, finding Redis empty, builds
// the first snapshot with b under the build lease.
func (b *Builder) NewReader() *cachestore.Reader {
	return cachestore.NewReaderWithOptions(b.Store, cachestore.ReaderOptions{
		RevalidateEvery: time.Duration(b.Config.CacheRevalidateMs) * time.Millisecond,
		Build:           b.ColdStart,
		Holder:          b.WorkerID + "/" + randomToken(),
		Logger:          b.Logger,
	})
}

// readDBConfig reads the in-database configuration as PostgREST does on
// every schema cache load when db-config is on: the authenticator's pgrst.*
// settings and the pre-config function, and the settings of the roles it
// can switch to. It returns the effective configuration (environment
// overlaid with the in-database values) and what it read. Errors are
// logged, not returned, as in PostgREST: a failing pre-config function or
// an invalid value keeps the environment's configuration for those keys.
func (b *Builder) readDBConfig(ctx context.Context, logger *slog.Logger) (*config.Config, map[string]string, map[string]config.RoleSettings) {
	cfg := b.Config
	if !cfg.DBConfig {
		return cfg, nil, nil
	}
	settings, err := config.QueryDBSettings(ctx, b.DB, cfg.DBPreConfig)
	var pce *config.PreConfigError
	switch {
	case errors.As(err, &pce):
		logger.Error("failed to query the pre-config function; using the other settings", "error", err.Error())
	case err != nil:
		logger.Error("failed to query database settings for the config parameters", "error", err.Error())
		return cfg, nil, nil
	}
	roles, err := config.QueryRoleSettings(ctx, b.DB)
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
