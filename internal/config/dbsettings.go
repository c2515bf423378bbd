package config

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Querier opens transactions; *pgx.Conn and *pgxpool.Pool satisfy it. The
// in-database configuration queries run as whatever role it connects as,
// which should be the authenticator.
type Querier interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// DBSettingsNames are the keys, without the "pgrst." prefix, that in-database
// configuration may set: PostgREST's dbSettingsNames whitelist, including its
// jwt_cache_max_lifetime spelling. Every other pgrst.* setting (db_uri,
// server_port, log_level, ...) is ignored.
var DBSettingsNames = []string{
	"db_aggregates_enabled", "client_error_verbosity", "db_anon_role", "db_pre_config",
	"db_extra_search_path", "db_max_rows", "db_plan_enabled", "db_pre_request",
	"db_prepared_statements", "db_root_spec", "db_schemas", "db_tx_end",
	"db_hoisted_tx_settings", "jwt_aud", "jwt_role_claim_key", "jwt_secret",
	"jwt_secret_is_base64", "jwt_cache_max_lifetime", "openapi_mode",
	"openapi_security_active", "openapi_server_proxy_uri",
	"server_cors_allowed_origins", "server_trace_header", "server_timing_enabled",
	"url_use_legacy_target_names",
}

// PreConfigError reports that calling the pre-config function failed, for
// example because it does not exist. [QueryDBSettings] returns it together
// with the role settings it did read, so the caller can log it and carry on,
// as PostgREST does.
type PreConfigError struct {
	// Func is the configured function name, as given.
	Func string
	// Err is the error from PostgreSQL or from parsing Func.
	Err error
}

func (e *PreConfigError) Error() string {
	return fmt.Sprintf("db-pre-config %q: %v", e.Func, e.Err)
}

func (e *PreConfigError) Unwrap() error { return e.Err }

// roleSettingsSQL reads the current user's pgrst.* role settings; in_db is
// true for ALTER ROLE ... IN DATABASE rows of the current database.
// Settings of other databases, and database-wide ones (setrole = 0), are
// not read.
const roleSettingsSQL = `
WITH role_setting AS (
  SELECT setdatabase <> 0 AS in_db, unnest(setconfig) AS setting
  FROM pg_catalog.pg_db_role_setting
  WHERE setrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
    AND setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_catalog))
), kv AS (
  SELECT in_db,
         substr(setting, 1, strpos(setting, '=') - 1) AS k,
         substr(setting, strpos(setting, '=') + 1) AS v
  FROM role_setting
)
SELECT in_db, k, v FROM kv WHERE k = ANY($1::text[])`

// QueryDBSettings mirrors PostgREST's queryDbSettings: in one read-only
// transaction it reads the pgrst.* settings of the current user (ALTER ROLE
// ... SET and ALTER ROLE ... IN DATABASE <current> SET) and, when preConfig
// ("name" or "schema.name") is set, calls that function and reads the values
// it set with set_config. Only [DBSettingsNames] are kept; the returned keys
// lack the "pgrst." prefix and values are as stored (possibly empty).
// Priority: ALTER ROLE ... IN DATABASE > ALTER ROLE > pre-config.
//
// As in PostgREST, pre-config values are read with current_setting after
// the call, so a pgrst.* value the session already has (for example from
// ALTER DATABASE ... SET) counts as set by the pre-config function.
//
// Errors: when only the pre-config call fails (a missing function, an
// exception it raises, or a malformed name), it returns the role settings
// and a *[PreConfigError]; the caller should log it and use the settings.
// Any other failure returns nil settings and the error.
func QueryDBSettings(ctx context.Context, db Querier, preConfig string) (map[string]string, error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("query database settings: %w", err)
	}
	// Read-only, and the pre-config set_config calls are transaction-local.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	names := make([]string, len(DBSettingsNames))
	for i, n := range DBSettingsNames {
		names[i] = "pgrst." + n
	}
	rows, err := tx.Query(ctx, roleSettingsSQL, names)
	if err != nil {
		return nil, fmt.Errorf("query database settings: %w", err)
	}
	roleWide, inDB := map[string]string{}, map[string]string{}
	var isInDB bool
	var k, v string
	if _, err := pgx.ForEachRow(rows, []any{&isInDB, &k, &v}, func() error {
		if isInDB {
			inDB[k] = v
		} else {
			roleWide[k] = v
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("query database settings: %w", err)
	}

	var warning error
	settings := map[string]string{}
	if preConfig != "" {
		pre, perr := queryPreConfig(ctx, tx, preConfig, names)
		if perr != nil {
			var pce *PreConfigError
			if !errors.As(perr, &pce) {
				return nil, fmt.Errorf("query database settings: %w", perr)
			}
			warning = perr
		}
		for k, v := range pre {
			settings[k] = v
		}
	}
	for _, layer := range []map[string]string{roleWide, inDB} {
		for k, v := range layer {
			settings[k] = v
		}
	}
	out := make(map[string]string, len(settings))
	for k, v := range settings {
		out[strings.TrimPrefix(k, "pgrst.")] = v
	}
	return out, warning
}

// queryPreConfig calls the pre-config function inside a savepoint of tx and
// returns the non-null values of names afterwards. A failure of the call is
// returned as a *PreConfigError once the savepoint is rolled back, leaving
// tx usable; a failure to roll back is returned as is.
func queryPreConfig(ctx context.Context, tx pgx.Tx, fn string, names []string) (map[string]string, error) {
	quoted, err := quoteFuncName(fn)
	if err != nil {
		return nil, &PreConfigError{Func: fn, Err: err}
	}
	sp, err := tx.Begin(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := sp.Query(ctx, `SELECT x, current_setting(x, true) FROM unnest($1::text[]) x JOIN `+
		quoted+`() _ ON TRUE`, names)
	out := map[string]string{}
	if err == nil {
		var k string
		var v *string
		_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error {
			if v != nil {
				out[k] = *v
			}
			return nil
		})
	}
	if err != nil {
		if rerr := sp.Rollback(ctx); rerr != nil {
			return nil, rerr
		}
		return nil, &PreConfigError{Func: fn, Err: err}
	}
	return out, nil
}
