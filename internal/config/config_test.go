package config

import (
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
	} {
		_, err := FromEnv(env(map[string]string{key: val}))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s=%q: error %v does not name the variable", key, val, err)
		}
	}
}
