package config

import (
	"maps"
	"strings"
	"testing"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func TestFromEnvDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.DBChannel != "pgrst" || !c.DBChannelEnabled || c.ServerPort != 3000 || c.LogLevel != "error" {
		t.Fatalf("defaults: %+v", c)
	}
	if len(c.DBSchemas) != 1 || c.DBSchemas[0] != "public" || c.CacheKeyPrefix != "pgrst" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFromEnvValues(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"PGRST_DB_SCHEMAS":         " api , tenant2 ",
		"PGRST_DB_CHANNEL_ENABLED": "FALSE",
		"PGRST_SERVER_PORT":        "8080",
		"PGRST_DB_ANON_ROLE":       "web_anon",
		"REDIS_URL":                "redis://127.0.0.1:6379/0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.DBSchemas, "|") != "api|tenant2" || c.DBChannelEnabled || c.ServerPort != 8080 || c.DBAnonRole != "web_anon" {
		t.Fatalf("got %+v", c)
	}
}

func TestFromEnvErrorsNameTheVariable(t *testing.T) {
	for key, val := range map[string]string{
		"PGRST_SERVER_PORT":                       "eighty",
		"PGRST_DB_CHANNEL_ENABLED":                "maybe",
		"PGRST_LOG_LEVEL":                         "loud",
		"REDIS_URL":                               "http://x",
		"PGRST_DB_SCHEMAS":                        "pg_catalog",
		"PGRST_CACHE_KEY_PREFIX":                  "a{b}",
		"PGRST_INTERNAL_SCHEMA_CACHE_QUERY_SLEEP": "-5",
		"PGRST_DB_CONFIG":                         "sometimes",
		"PGRST_DB_PRE_CONFIG":                     "a.b.c",
		"PGRST_DB_MAX_ROWS":                       "-1",
		"PGRST_DB_AGGREGATES_ENABLED":             "on",
		"PGRST_DB_PLAN_ENABLED":                   "x",
		"PGRST_OPENAPI_MODE":                      "all",
		"PGRST_ADMIN_SERVER_PORT":                 "70000",
		"PGRST_CACHE_KEEP_VERSIONS":               "0",
		"PGRST_CACHE_REVALIDATE_MS":               "-1",
	} {
		_, err := FromEnv(env(map[string]string{key: val}))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%q: error %v does not name the variable", key, val, err)
		}
	}
}

func TestFromEnvInDBKeysDefaults(t *testing.T) {
	c, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !c.DBConfig || c.DBPreConfig != "" || c.DBMaxRows != 0 || c.DBAggregatesEnabled || c.DBPlanEnabled ||
		c.OpenAPIMode != "follow-privileges" || c.AdminServerPort != 0 || c.CacheKeepVersions != 10 ||
		c.CacheRevalidateMs != 0 || c.WorkerID != "" || c.DBSettings != nil {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestFromEnvInDBKeysValues(t *testing.T) {
	c, err := FromEnv(env(map[string]string{
		"PGRST_DB_CONFIG":             "false",
		"PGRST_DB_PRE_CONFIG":         " postgrest.pre_config ",
		"PGRST_DB_MAX_ROWS":           "50",
		"PGRST_DB_AGGREGATES_ENABLED": "TRUE",
		"PGRST_DB_PLAN_ENABLED":       "1",
		"PGRST_OPENAPI_MODE":          "ignore-privileges",
		"PGRST_ADMIN_SERVER_PORT":     "3001",
		"PGRST_CACHE_KEEP_VERSIONS":   "3",
		"PGRST_CACHE_REVALIDATE_MS":   "250",
		"PGRST_WORKER_ID":             "worker-a",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DBConfig || c.DBPreConfig != "postgrest.pre_config" || c.DBMaxRows != 50 || !c.DBAggregatesEnabled ||
		!c.DBPlanEnabled || c.OpenAPIMode != "ignore-privileges" || c.AdminServerPort != 3001 ||
		c.CacheKeepVersions != 3 || c.CacheRevalidateMs != 250 || c.WorkerID != "worker-a" {
		t.Fatalf("got %+v", c)
	}
}

func TestFromEnvAdminPortMustDifferFromServerPort(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"PGRST_SERVER_PORT": "4000", "PGRST_ADMIN_SERVER_PORT": "4000"}))
	if err == nil || !strings.Contains(err.Error(), "PGRST_ADMIN_SERVER_PORT") {
		t.Fatalf("error %v does not name PGRST_ADMIN_SERVER_PORT", err)
	}
	if _, err := FromEnv(env(map[string]string{"PGRST_SERVER_PORT": "4000", "PGRST_ADMIN_SERVER_PORT": "4001"})); err != nil {
		t.Fatal(err)
	}
}

func TestFromEnvHoistedTxSettings(t *testing.T) {
	def := "statement_timeout|plan_filter.statement_cost_limit|default_transaction_isolation"
	for val, want := range map[string]string{
		"":                               def,
		" , ":                            def,
		" work_mem , statement_timeout ": "work_mem|statement_timeout",
		"search_path":                    "search_path",
	} {
		c := mustFromEnv(t, map[string]string{"PGRST_DB_HOISTED_TX_SETTINGS": val})
		if got := strings.Join(c.DBHoistedTxSettings, "|"); got != want {
			t.Errorf("PGRST_DB_HOISTED_TX_SETTINGS=%q: DBHoistedTxSettings = %q, want %q", val, got, want)
		}
	}
	// The default is a fresh slice each time: changing one config's list
	// leaves the next one alone.
	a := mustFromEnv(t, nil)
	a.DBHoistedTxSettings[0] = "changed"
	if b := mustFromEnv(t, nil); strings.Join(b.DBHoistedTxSettings, "|") != def {
		t.Errorf("default list shared between configs: %v", b.DBHoistedTxSettings)
	}
}

func TestTxEnd(t *testing.T) {
	for _, tc := range []struct {
		env, prefer        string
		rollback, honoured bool
	}{
		{"", "rollback", false, false},
		{"commit", "", false, false},
		{"rollback", "commit", true, false},
		{"commit-allow-override", "rollback", true, true},
		{"commit-allow-override", "commit", false, true},
		{"rollback-allow-override", "", true, false},
		{"rollback-allow-override", "commit", false, true},
	} {
		c, err := FromEnv(env(map[string]string{"PGRST_DB_TX_END": tc.env}))
		if err != nil {
			t.Fatal(err)
		}
		if rb, h := c.TxEnd(tc.prefer); rb != tc.rollback || h != tc.honoured {
			t.Errorf("%q with tx=%q: rollback %v honoured %v, want %v %v", tc.env, tc.prefer, rb, h, tc.rollback, tc.honoured)
		}
	}
	if _, err := FromEnv(env(map[string]string{"PGRST_DB_TX_END": "sometimes"})); err == nil ||
		!strings.Contains(err.Error(), "PGRST_DB_TX_END") {
		t.Errorf("invalid db-tx-end: %v", err)
	}
	c, _ := FromEnv(env(nil))
	n, err := c.WithDBSettings(map[string]string{"db_tx_end": "rollback"})
	if err != nil || n.DBTxEnd != "rollback" || c.DBTxEnd != "commit" {
		t.Errorf("in-database db_tx_end: %v %q %q", err, n.DBTxEnd, c.DBTxEnd)
	}
}

func TestPreRequest(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"PGRST_DB_PRE_REQUEST": " hooks.check "}))
	if err != nil || c.PreRequestSQL() != `SELECT "hooks"."check"()` {
		t.Fatalf("%v %q", err, c.PreRequestSQL())
	}
	if _, err := FromEnv(env(map[string]string{"PGRST_DB_PRE_REQUEST": "a.b.c"})); err == nil ||
		!strings.Contains(err.Error(), "PGRST_DB_PRE_REQUEST") {
		t.Errorf("invalid name: %v", err)
	}
	n, err := c.WithDBSettings(map[string]string{"db_pre_request": `x"y`})
	if err != nil || n.PreRequestSQL() != `SELECT "x""y"()` {
		t.Errorf("in-database: %v %q", err, n.PreRequestSQL())
	}
	if c, _ := FromEnv(env(nil)); c.PreRequestSQL() != "" {
		t.Errorf("unset: %q", c.PreRequestSQL())
	}
}

func TestFromEnviron(t *testing.T) {
	c, err := FromEnviron([]string{"PGRST_DB_SCHEMAS=api,v2", "PGRST_APP_SETTINGS_JWT_SECRET=s=cret",
		"PGRST_APP_SETTINGS_Greeting=hi", "PGRST_APP_SETTINGS_=ignored", "HOME=/root", "NOEQUALS"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"app.settings.jwt_secret": "s=cret", "app.settings.greeting": "hi"}
	if !maps.Equal(c.AppSettings, want) || strings.Join(c.DBSchemas, ",") != "api,v2" {
		t.Errorf("app settings %v, schemas %v", c.AppSettings, c.DBSchemas)
	}
	if _, err := FromEnviron([]string{"PGRST_DB_TX_END=never"}); err == nil {
		t.Error("an invalid variable was accepted")
	}
}

// TestExtraSearchPathEmpty: PGRST_DB_EXTRA_SEARCH_PATH set to "" is no
// extra schema, unset is "public", as PostgREST reads them.
func TestExtraSearchPathEmpty(t *testing.T) {
	for _, c := range []struct {
		environ []string
		want    []string
	}{
		{nil, []string{"public"}},
		{[]string{"PGRST_DB_EXTRA_SEARCH_PATH="}, nil},
		{[]string{"PGRST_DB_EXTRA_SEARCH_PATH=  "}, nil},
		{[]string{"PGRST_DB_EXTRA_SEARCH_PATH=ext, more"}, []string{"ext", "more"}},
	} {
		cfg, err := FromEnviron(c.environ)
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.DBExtraSearchPath) != len(c.want) || (len(c.want) > 0 && cfg.DBExtraSearchPath[0] != c.want[0]) {
			t.Errorf("%q: %q, want %q", c.environ, cfg.DBExtraSearchPath, c.want)
		}
	}
}
