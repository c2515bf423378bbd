package config

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Both ways the worker and the request functions reach PostgreSQL qualify.
var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = (*pgx.Conn)(nil)
)

func requireSettings(t *testing.T, got, want map[string]string) {
	t.Helper()
	if !maps.Equal(got, want) {
		t.Fatalf("settings = %v, want %v", got, want)
	}
}

func TestQueryDBSettingsRolePriority(t *testing.T) {
	d := newAuthDB(t)
	d.exec(t, "ALTER ROLE "+d.role+" SET pgrst.db_schemas = 'a,b'")
	d.exec(t, "ALTER ROLE "+d.role+" SET pgrst.db_anon_role = 'web_anon'")
	d.exec(t, "ALTER ROLE "+d.role+" IN DATABASE "+d.name+" SET pgrst.db_schemas = 'c'")
	// Another database's settings and non-whitelisted keys are not read.
	d.exec(t, "ALTER ROLE "+d.role+" IN DATABASE postgres SET pgrst.db_tx_end = 'rollback'")
	d.exec(t, "ALTER ROLE "+d.role+" SET pgrst.db_uri = 'postgres://evil'")
	d.exec(t, "ALTER ROLE "+d.role+" SET pgrst.server_port = '1'")
	d.exec(t, "ALTER ROLE "+d.role+" SET pgrst.db_extra_search_path = ''")

	got, err := QueryDBSettings(t.Context(), d.connectAs(t, d.role), "")
	if err != nil {
		t.Fatal(err)
	}
	requireSettings(t, got, map[string]string{"db_schemas": "c", "db_anon_role": "web_anon", "db_extra_search_path": ""})

	// Settings belong to the role they were set for: the superuser has none.
	got, err = QueryDBSettings(t.Context(), d.admin, "")
	if err != nil {
		t.Fatal(err)
	}
	requireSettings(t, got, map[string]string{})
}

func TestQueryDBSettingsPreConfigHasLowestPriority(t *testing.T) {
	d := newAuthDB(t)
	d.exec(t, `CREATE SCHEMA postgrest`)
	d.exec(t, `GRANT USAGE ON SCHEMA postgrest TO `+d.role)
	d.exec(t, `CREATE FUNCTION postgrest.pre_config() RETURNS void LANGUAGE sql AS $$
		SELECT set_config('pgrst.db_schemas', 'from_pre', true);
		SELECT set_config('pgrst.db_max_rows', '5', true);
		SELECT set_config('pgrst.db_plan_enabled', 'true', true);
		SELECT set_config('pgrst.server_port', '9', true);
	$$`)
	d.exec(t, "ALTER ROLE "+d.role+" SET pgrst.db_schemas = 'from_role'")
	d.exec(t, "ALTER ROLE "+d.role+" IN DATABASE "+d.name+" SET pgrst.db_plan_enabled = 'false'")
	auth := d.connectAs(t, d.role)

	got, err := QueryDBSettings(t.Context(), auth, "postgrest.pre_config")
	if err != nil {
		t.Fatal(err)
	}
	requireSettings(t, got, map[string]string{"db_schemas": "from_role", "db_max_rows": "5", "db_plan_enabled": "false"})

	// Without db-pre-config the function is not called.
	got, err = QueryDBSettings(t.Context(), auth, "")
	if err != nil {
		t.Fatal(err)
	}
	requireSettings(t, got, map[string]string{"db_schemas": "from_role", "db_plan_enabled": "false"})

	// The values it set were transaction-local.
	var v *string
	if err := auth.QueryRow(t.Context(), `SELECT current_setting('pgrst.db_max_rows', true)`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != nil && *v != "" {
		t.Fatalf("pgrst.db_max_rows leaked into the session: %q", *v)
	}

	// End to end: the settings override the environment.
	env, err := FromEnv(env(map[string]string{"PGRST_DB_SCHEMAS": "env", "PGRST_DB_MAX_ROWS": "100"}))
	if err != nil {
		t.Fatal(err)
	}
	got, _ = QueryDBSettings(t.Context(), auth, "postgrest.pre_config")
	c, err := env.WithDBSettings(got)
	if err != nil {
		t.Fatal(err)
	}
	if c.DBSchemas[0] != "from_role" || c.DBMaxRows != 5 || c.DBPlanEnabled {
		t.Fatalf("effective config: %+v", c)
	}
}

func TestQueryDBSettingsQuotesPreConfigName(t *testing.T) {
	d := newAuthDB(t)
	d.exec(t, `CREATE SCHEMA "Odd Schema"`)
	d.exec(t, `GRANT USAGE ON SCHEMA "Odd Schema" TO `+d.role)
	d.exec(t, `CREATE FUNCTION "Odd Schema"."pre""config"() RETURNS void LANGUAGE sql AS
		$$ SELECT set_config('pgrst.db_anon_role', 'odd', true) $$`)
	pool, err := pgxpool.New(t.Context(), pg.URI(d.name)+"&user="+d.role)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	got, err := QueryDBSettings(t.Context(), pool, `Odd Schema.pre"config`)
	if err != nil {
		t.Fatal(err)
	}
	requireSettings(t, got, map[string]string{"db_anon_role": "odd"})
}

func TestQueryDBSettingsFailingPreConfigKeepsRoleSettings(t *testing.T) {
	d := newAuthDB(t)
	d.exec(t, "ALTER ROLE "+d.role+" SET pgrst.db_schemas = 'api'")
	d.exec(t, `CREATE FUNCTION public.raising() RETURNS void LANGUAGE plpgsql AS
		$$ BEGIN PERFORM set_config('pgrst.db_anon_role', 'x', true); RAISE EXCEPTION 'boom'; END $$`)
	auth := d.connectAs(t, d.role)

	for fn, code := range map[string]string{
		"postgrest.missing":        "3F000", // no such schema
		"public.missing":           "42883", // no such function
		"raising":                  "P0001",
		"a.b.c":                    "",
		"x; DROP TABLE t; --.oops": "3F000",
	} {
		got, err := QueryDBSettings(t.Context(), auth, fn)
		requireSettings(t, got, map[string]string{"db_schemas": "api"})
		var pce *PreConfigError
		if !errors.As(err, &pce) || pce.Func != fn {
			t.Fatalf("%s: error %v is not a PreConfigError", fn, err)
		}
		var pgErr *pgconn.PgError
		if code != "" && (!errors.As(err, &pgErr) || pgErr.Code != code) {
			t.Fatalf("%s: error %v, want SQLSTATE %s", fn, err, code)
		}
	}
}

func TestQueryDBSettingsIgnoresDatabaseWideSettings(t *testing.T) {
	d := newAuthDB(t)
	d.exec(t, "ALTER DATABASE "+d.name+" SET pgrst.db_schemas = 'db_wide'")
	d.exec(t, "ALTER ROLE ALL SET pgrst.db_anon_role = 'all_roles'")
	t.Cleanup(func() {
		// Cluster-wide: undo it for the tests that follow.
		if _, err := d.admin.Exec(context.Background(), "ALTER ROLE ALL RESET pgrst.db_anon_role"); err != nil {
			t.Error(err)
		}
	})

	got, err := QueryDBSettings(t.Context(), d.connectAs(t, d.role), "")
	if err != nil {
		t.Fatal(err)
	}
	requireSettings(t, got, map[string]string{})
}

func TestQueryDBSettingsConnectionError(t *testing.T) {
	d := newAuthDB(t)
	auth := d.connectAs(t, d.role)
	if err := auth.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := QueryDBSettings(t.Context(), auth, "")
	var pce *PreConfigError
	if err == nil || got != nil || errors.As(err, &pce) {
		t.Fatalf("closed connection: settings %v, error %v", got, err)
	}
}
