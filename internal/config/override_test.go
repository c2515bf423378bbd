package config

import (
	"regexp"
	"strings"
	"testing"
)

func mustFromEnv(t *testing.T, kv map[string]string) *Config {
	t.Helper()
	c, err := FromEnv(env(kv))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestWithDBSettingsOverridesEnvironment(t *testing.T) {
	base := mustFromEnv(t, map[string]string{
		"PGRST_DB_SCHEMAS":            "env1,env2",
		"PGRST_DB_ANON_ROLE":          "env_anon",
		"PGRST_DB_EXTRA_SEARCH_PATH":  "ext",
		"PGRST_DB_MAX_ROWS":           "100",
		"PGRST_DB_AGGREGATES_ENABLED": "true",
		"PGRST_OPENAPI_MODE":          "disabled",
	})
	c, err := base.WithDBSettings(map[string]string{
		"db_schemas":            "a, b",
		"db_anon_role":          "db_anon",
		"db_max_rows":           "7",
		"db_aggregates_enabled": "false",
		"db_plan_enabled":       "1",
		"openapi_mode":          "ignore-privileges",
		"db_pre_config":         "postgrest.pre_config",
		"jwt_secret":            "kept for later, 32 bytes or longer",
		"db_uri":                "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.DBSchemas, "|") != "a|b" || c.DBAnonRole != "db_anon" || c.DBMaxRows != 7 ||
		c.DBAggregatesEnabled || !c.DBPlanEnabled || c.OpenAPIMode != "ignore-privileges" ||
		c.DBPreConfig != "postgrest.pre_config" {
		t.Fatalf("in-db values not applied: %+v", c)
	}
	// Keys not set in the database keep the environment's value.
	if strings.Join(c.DBExtraSearchPath, "|") != "ext" {
		t.Fatalf("DBExtraSearchPath = %v", c.DBExtraSearchPath)
	}
	if c.DBSettings["jwt_secret"] != "kept for later, 32 bytes or longer" || c.DBSettings["db_schemas"] != "a, b" {
		t.Fatalf("DBSettings = %v", c.DBSettings)
	}
	if _, ok := c.DBSettings["db_uri"]; ok {
		t.Fatal("non-whitelisted db_uri kept")
	}
	// The receiver is untouched.
	if strings.Join(base.DBSchemas, "|") != "env1|env2" || base.DBMaxRows != 100 || base.DBSettings != nil {
		t.Fatalf("receiver modified: %+v", base)
	}
}

func TestWithDBSettingsHoistedTxSettings(t *testing.T) {
	base := mustFromEnv(t, map[string]string{"PGRST_DB_HOISTED_TX_SETTINGS": "work_mem"})
	c, err := base.WithDBSettings(map[string]string{"db_hoisted_tx_settings": " statement_timeout, search_path "})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.DBHoistedTxSettings, "|"); got != "statement_timeout|search_path" {
		t.Errorf("in-db list: DBHoistedTxSettings = %q", got)
	}
	if got := strings.Join(base.DBHoistedTxSettings, "|"); got != "work_mem" {
		t.Errorf("receiver modified: DBHoistedTxSettings = %q", got)
	}
	// Not set in the database: the environment's list.
	c, err = base.WithDBSettings(map[string]string{"db_anon_role": "anon"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.DBHoistedTxSettings, "|"); got != "work_mem" {
		t.Errorf("unset in-db key: DBHoistedTxSettings = %q, want the environment's", got)
	}
	c.DBHoistedTxSettings[0] = "changed"
	if base.DBHoistedTxSettings[0] != "work_mem" {
		t.Error("WithDBSettings shares the list with its receiver")
	}
	// Empty in the database: PostgREST's default, not the environment's.
	c, err = base.WithDBSettings(map[string]string{"db_hoisted_tx_settings": ""})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(c.DBHoistedTxSettings, "|"),
		"statement_timeout|plan_filter.statement_cost_limit|default_transaction_isolation"; got != want {
		t.Errorf("empty in-db value: DBHoistedTxSettings = %q, want %q", got, want)
	}
}

func TestWithDBSettingsEmptyMeansDefault(t *testing.T) {
	base := mustFromEnv(t, map[string]string{
		"PGRST_DB_SCHEMAS":      "env",
		"PGRST_DB_ANON_ROLE":    "env_anon",
		"PGRST_DB_MAX_ROWS":     "100",
		"PGRST_OPENAPI_MODE":    "disabled",
		"PGRST_DB_PLAN_ENABLED": "true",
	})
	c, err := base.WithDBSettings(map[string]string{
		"db_schemas": "", "db_anon_role": "", "db_max_rows": "", "openapi_mode": "",
		"db_plan_enabled": "", "db_extra_search_path": "",
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.DBSchemas, "|") != "public" || c.DBAnonRole != "" || c.DBMaxRows != 0 ||
		c.OpenAPIMode != "follow-privileges" || c.DBPlanEnabled || len(c.DBExtraSearchPath) != 0 {
		t.Fatalf("empty values: %+v", c)
	}
}

func TestWithDBSettingsInvalidValues(t *testing.T) {
	base := mustFromEnv(t, nil)
	for key, val := range map[string]string{
		"db_schemas":            "api,pg_catalog",
		"db_max_rows":           "-1",
		"db_aggregates_enabled": "perhaps",
		"db_plan_enabled":       "yes",
		"openapi_mode":          "everything",
		"db_pre_config":         "a.b.c",
	} {
		c, err := base.WithDBSettings(map[string]string{key: val, "db_anon_role": "ok"})
		if err == nil || c != nil || !strings.Contains(err.Error(), "pgrst."+key+":") {
			t.Errorf("%s=%q: got %v, error %v; want an error naming pgrst.%s", key, val, c, err, key)
		}
	}
	_, err := base.WithDBSettings(map[string]string{"db_max_rows": "x", "openapi_mode": "y"})
	if err == nil || !strings.Contains(err.Error(), "pgrst.db_max_rows") || !strings.Contains(err.Error(), "pgrst.openapi_mode") {
		t.Fatalf("both invalid keys should be reported: %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	base := mustFromEnv(t, map[string]string{"PGRST_DB_URI": "postgres://auth:one@db/app"})
	fp := base.Fingerprint()
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(fp) {
		t.Fatalf("fingerprint %q is not 16 hex digits", fp)
	}
	same := mustFromEnv(t, map[string]string{
		"PGRST_DB_URI":      "postgres://auth:two@elsewhere/app",
		"PGRST_SERVER_PORT": "8080",
		"REDIS_URL":         "redis://cache:6379",
	})
	if same.Fingerprint() != fp {
		t.Fatal("fingerprint changed with the DB URI, port or Redis URL")
	}
	withSecret, err := base.WithDBSettings(map[string]string{"jwt_secret": "s3cr3t-s3cr3t-s3cr3t-s3cr3t-s3cr3t"})
	if err != nil {
		t.Fatal(err)
	}
	if withSecret.Fingerprint() != fp {
		t.Fatal("fingerprint covers jwt_secret")
	}

	changes := map[string]*Config{}
	changes["env schemas"] = mustFromEnv(t, map[string]string{"PGRST_DB_SCHEMAS": "api"})
	changes["schema order"] = mustFromEnv(t, map[string]string{"PGRST_DB_SCHEMAS": "b,a"})
	changes["env hoisted"] = mustFromEnv(t, map[string]string{"PGRST_DB_HOISTED_TX_SETTINGS": "work_mem"})
	for name, s := range map[string]map[string]string{
		"in-db schemas": {"db_schemas": "api"},
		"anon role":     {"db_anon_role": "anon"},
		"max rows":      {"db_max_rows": "3"},
		"aggregates":    {"db_aggregates_enabled": "true"},
		"plan":          {"db_plan_enabled": "true"},
		"openapi":       {"openapi_mode": "disabled"},
		"search path":   {"db_extra_search_path": "ext"},
		"hoisted":       {"db_hoisted_tx_settings": "statement_timeout"},
		"other setting": {"server_trace_header": "X-Request-Id"},
	} {
		c, err := base.WithDBSettings(s)
		if err != nil {
			t.Fatal(err)
		}
		changes[name] = c
	}
	seen := map[string]string{fp: "base"}
	for name, c := range changes {
		f := c.Fingerprint()
		if prev, dup := seen[f]; dup {
			t.Errorf("%s: fingerprint %s equals that of %s", name, f, prev)
		}
		seen[f] = name
	}
	ab := mustFromEnv(t, map[string]string{"PGRST_DB_SCHEMAS": "a,b"})
	if ab.Fingerprint() == changes["schema order"].Fingerprint() {
		t.Error("schema order does not change the fingerprint")
	}
	if ab.Fingerprint() != mustFromEnv(t, map[string]string{"PGRST_DB_SCHEMAS": "a, b"}).Fingerprint() {
		t.Error("equal settings give different fingerprints")
	}
}
