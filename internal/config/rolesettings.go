package config

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// RoleSettings are the settings of one role that the authenticator is a
// member of, applied to each request that switches to that role.
type RoleSettings struct {
	// Settings maps a PostgreSQL setting name (for example
	// "statement_timeout") to the value stored by ALTER ROLE ... SET,
	// excluding default_transaction_isolation.
	Settings map[string]string
	// IsolationLevel is the role's default_transaction_isolation, lower-case
	// ("read committed", "repeatable read", "serializable"), or "" when the
	// role does not set it.
	IsolationLevel string
}

// roleConfigSQL lists the database-independent settings (rolconfig) of every
// role the current user is directly a member of, keeping the ones the
// current user may set: user-context settings, plus on PostgreSQL 15+ those
// it has been granted SET on. DISTINCT because PostgreSQL 16+ can record the
// same membership once per grantor.
const roleConfigSQL = `
WITH role_setting AS (
  SELECT DISTINCT r.rolname, unnest(r.rolconfig) AS setting
  FROM pg_catalog.pg_auth_members m
  JOIN pg_catalog.pg_roles r ON r.oid = m.roleid
  WHERE m.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
), kv AS (
  SELECT rolname,
         substr(setting, 1, strpos(setting, '=') - 1) AS k,
         substr(setting, strpos(setting, '=') + 1) AS v
  FROM role_setting
)
SELECT kv.rolname, kv.k, kv.v
FROM kv
JOIN pg_catalog.pg_settings ps ON ps.name = kv.k AND (ps.context = 'user' OR %s)`

// QueryRoleSettings mirrors PostgREST's queryRoleSettings: in a read-only
// transaction it returns, keyed by role name, the settings of the roles the
// current user (the authenticator) is a member of that a request may apply
// with set_config, and each role's default transaction isolation level.
// Roles without such settings are absent from the map. It returns nil and
// the error when a query fails.
func QueryRoleSettings(ctx context.Context, db Querier) (map[string]RoleSettings, error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("query role settings: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	var version int
	if err := tx.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		return nil, fmt.Errorf("query role settings: %w", err)
	}
	// has_parameter_privilege only exists from PostgreSQL 15.
	privilege := "false"
	if version >= 150000 {
		privilege = "has_parameter_privilege(current_user, ps.name, 'SET')"
	}
	rows, err := tx.Query(ctx, fmt.Sprintf(roleConfigSQL, privilege))
	if err != nil {
		return nil, fmt.Errorf("query role settings: %w", err)
	}
	out := map[string]RoleSettings{}
	var role, k, v string
	if _, err := pgx.ForEachRow(rows, []any{&role, &k, &v}, func() error {
		rs, ok := out[role]
		if !ok {
			rs = RoleSettings{Settings: map[string]string{}}
		}
		if k == "default_transaction_isolation" {
			rs.IsolationLevel = strings.ToLower(v)
		} else {
			rs.Settings[k] = v
		}
		out[role] = rs
		return nil
	}); err != nil {
		return nil, fmt.Errorf("query role settings: %w", err)
	}
	return out, nil
}
