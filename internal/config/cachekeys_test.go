package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCacheSigningKeys(t *testing.T) {
	key := strings.Repeat("k", 32)
	file := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(file, []byte(key+"-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := FromEnv(env(map[string]string{"PGRST_CACHE_SIGNING_KEY": "@" + file, "PGRST_CACHE_SIGNING_KEY_PREVIOUS": key}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.CacheSigningKey) != key+"-from-file" || string(c.CacheSigningKeyPrevious) != key {
		t.Errorf("keys = %q, %q", c.CacheSigningKey, c.CacheSigningKeyPrevious)
	}
	if c, err := FromEnv(env(nil)); err != nil || c.CacheSigningKey != nil {
		t.Errorf("unset: key %q, err %v", c.CacheSigningKey, err)
	}
	for name, vars := range map[string]map[string]string{
		"short":            {"PGRST_CACHE_SIGNING_KEY": "secret-but-too-short"},
		"short previous":   {"PGRST_CACHE_SIGNING_KEY": key, "PGRST_CACHE_SIGNING_KEY_PREVIOUS": "secret-but-too-short"},
		"previous alone":   {"PGRST_CACHE_SIGNING_KEY_PREVIOUS": key},
		"missing key file": {"PGRST_CACHE_SIGNING_KEY": "@" + file + ".missing"},
	} {
		_, err := FromEnv(env(vars))
		if err == nil || !strings.Contains(err.Error(), "PGRST_CACHE_SIGNING_KEY") {
			t.Errorf("%s: err = %v, want one naming the variable", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "secret-but-too-short") {
			t.Errorf("%s: the error shows the key: %v", name, err)
		}
	}
	if !SecretDBSetting("jwt_secret") || SecretDBSetting("db_schemas") {
		t.Error("SecretDBSetting: jwt_secret must be secret, db_schemas not")
	}
}
