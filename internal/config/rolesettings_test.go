package config

import (
	"maps"
	"testing"
)

func TestQueryRoleSettings(t *testing.T) {
	d := newAuthDB(t)
	web, other, plain := d.role+"_web", d.role+"_other", d.role+"_plain"
	for _, r := range []string{web, other, plain} {
		d.exec(t, "CREATE ROLE "+r+" NOLOGIN")
	}
	d.exec(t, "ALTER ROLE "+web+" SET statement_timeout = '5s'")
	d.exec(t, "ALTER ROLE "+web+" SET default_transaction_isolation = 'REPEATABLE READ'")
	d.exec(t, "ALTER ROLE "+web+" SET log_statement = 'all'")      // superuser context
	d.exec(t, "ALTER ROLE "+web+" SET pgrst.db_schemas = 'x'")     // not a server setting
	d.exec(t, "ALTER ROLE "+other+" SET statement_timeout = '1s'") // not granted
	d.exec(t, "ALTER ROLE "+plain+" SET lock_timeout = '2s'")
	d.exec(t, "ALTER ROLE "+plain+" IN DATABASE "+d.name+" SET work_mem = '1MB'") // per database
	d.exec(t, "GRANT "+web+", "+plain+" TO "+d.role)
	auth := d.connectAs(t, d.role)

	got, err := QueryRoleSettings(t.Context(), auth)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]RoleSettings{
		web:   {Settings: map[string]string{"statement_timeout": "5s"}, IsolationLevel: "repeatable read"},
		plain: {Settings: map[string]string{"lock_timeout": "2s"}},
	}
	requireRoleSettings(t, got, want)

	// On PostgreSQL 15+, SET granted on a superuser setting makes it count.
	var version int
	if err := d.admin.QueryRow(t.Context(), `SELECT current_setting('server_version_num')::int`).Scan(&version); err != nil {
		t.Fatal(err)
	}
	if version < 150000 {
		return
	}
	d.exec(t, "GRANT SET ON PARAMETER log_statement TO "+d.role)
	if got, err = QueryRoleSettings(t.Context(), auth); err != nil {
		t.Fatal(err)
	}
	want[web].Settings["log_statement"] = "all"
	requireRoleSettings(t, got, want)
}

func TestQueryRoleSettingsNone(t *testing.T) {
	d := newAuthDB(t)
	got, err := QueryRoleSettings(t.Context(), d.connectAs(t, d.role))
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want no roles", got, err)
	}
}

func requireRoleSettings(t *testing.T, got, want map[string]RoleSettings) {
	t.Helper()
	eq := func(a, b RoleSettings) bool {
		return a.IsolationLevel == b.IsolationLevel && maps.Equal(a.Settings, b.Settings)
	}
	if !maps.EqualFunc(got, want, eq) {
		t.Fatalf("role settings = %+v, want %+v", got, want)
	}
}
