package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// secretDBSettings are in-database settings left out of [Config.Fingerprint],
// so that a published fingerprint cannot be used to guess them offline.
var secretDBSettings = map[string]bool{"jwt_secret": true}

// WithDBSettings returns a copy of c with in-database settings (as returned
// by [QueryDBSettings], keys without "pgrst.") overriding the environment,
// PostgREST's precedence in-db > env. It applies db_schemas, db_anon_role,
// db_extra_search_path, db_max_rows, db_aggregates_enabled,
// db_plan_enabled, db_tx_end, db_hoisted_tx_settings, openapi_mode,
// openapi_server_proxy_uri, openapi_security_active, server_timing_enabled,
// db_pre_config,
// db_pre_request, jwt_secret and jwt_secret_is_base64 (loaded together
// into JWTKeys, a jwt_secret starting with "@" naming a file), jwt_aud
// and jwt_role_claim_key, and stores every whitelisted key of s (see
// [DBSettingsNames]) in DBSettings for later use; other keys are ignored. c is not modified.
//
// As in PostgREST, an empty value means the key's default rather than the
// environment's value, except db_extra_search_path, where "" means no extra
// schemas. An invalid value returns nil and an error naming pgrst.<key>;
// PostgREST then keeps the previous configuration.
func (c *Config) WithDBSettings(s map[string]string) (*Config, error) {
	n := *c
	n.DBSchemas = slices.Clone(c.DBSchemas)
	n.DBExtraSearchPath = slices.Clone(c.DBExtraSearchPath)
	n.DBHoistedTxSettings = slices.Clone(c.DBHoistedTxSettings)
	n.DBSettings = map[string]string{}
	for _, key := range DBSettingsNames {
		if v, ok := s[key]; ok {
			n.DBSettings[key] = v
		}
	}
	var errs []error
	for _, key := range slices.Sorted(maps.Keys(n.DBSettings)) {
		if err := n.applyDBSetting(key, n.DBSettings[key]); err != nil {
			errs = append(errs, fmt.Errorf("pgrst.%s: %w", key, err))
		}
	}
	_, secret := n.DBSettings["jwt_secret"]
	_, isBase64 := n.DBSettings["jwt_secret_is_base64"]
	if secret || isBase64 {
		keys, err := LoadJWTSecret(n.JWTSecret, n.JWTSecretIsBase64)
		if err != nil {
			errs = append(errs, fmt.Errorf("pgrst.jwt_secret: %w", err))
		}
		n.JWTKeys = keys
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid in-database configuration: %w", errors.Join(errs...))
	}
	return &n, nil
}

// applyDBSetting sets the field of one in-database key, if c has one.
func (c *Config) applyDBSetting(key, v string) error {
	var err error
	switch key {
	case "db_schemas":
		schemas := splitList(or(v, "public"))
		if err := checkSchemas(schemas); err != nil {
			return err
		}
		c.DBSchemas = schemas
	case "db_anon_role":
		c.DBAnonRole = v
	case "db_extra_search_path":
		c.DBExtraSearchPath = splitList(v)
	case "db_max_rows":
		c.DBMaxRows, err = parseMaxRows(v)
	case "db_aggregates_enabled":
		c.DBAggregatesEnabled, err = parseBool(v, false)
	case "db_plan_enabled":
		c.DBPlanEnabled, err = parseBool(v, false)
	case "openapi_security_active":
		c.OpenAPISecurityActive, err = parseBool(v, false)
	case "server_timing_enabled":
		c.ServerTimingEnabled, err = parseBool(v, false)
	case "db_tx_end":
		c.DBTxEnd, err = parseTxEnd(v)
	case "db_hoisted_tx_settings":
		c.DBHoistedTxSettings = parseHoisted(v)
	case "openapi_mode":
		v = or(v, "follow-privileges")
		if err = checkOpenAPIMode(v); err == nil {
			c.OpenAPIMode = v
		}
	case "openapi_server_proxy_uri":
		if err = CheckProxyURI(v); err == nil {
			c.OpenAPIServerProxyURI = v
		}
	case "db_pre_request":
		v = strings.TrimSpace(v)
		if v != "" {
			_, err = quoteFuncName(v)
		}
		c.DBPreRequest = v
	case "jwt_secret":
		c.JWTSecret = v // loaded, with jwt_secret_is_base64, by WithDBSettings
	case "jwt_secret_is_base64":
		c.JWTSecretIsBase64, err = parseBool(v, false)
	case "jwt_aud":
		if err = checkJWTAud(v); err == nil {
			c.JWTAud = v
		}
	case "jwt_role_claim_key":
		var k *RoleClaimKey
		if k, err = ParseRoleClaimKey(v); err == nil {
			c.JWTRoleClaimKey = k
		}
	case "db_pre_config":
		v = strings.TrimSpace(v)
		if v != "" {
			_, err = quoteFuncName(v)
		}
		c.DBPreConfig = v
	}
	return err
}

// Fingerprint returns 16 hex digits (the start of a SHA-256) identifying the
// effective settings that shape the schema cache and request handling:
// DBSchemas, DBAnonRole, DBExtraSearchPath, DBMaxRows, DBAggregatesEnabled,
// DBPlanEnabled, DBHoistedTxSettings (it decides which function settings
// the cache records), OpenAPIMode and the DBSettings map except
// jwt_secret. It is stable across processes for equal settings, and does
// not cover secrets or connection settings (DBURI and its password,
// RedisURL), ports, logging or cache store tuning.
func (c *Config) Fingerprint() string {
	settings := map[string]string{}
	for k, v := range c.DBSettings {
		if !secretDBSettings[k] {
			settings[k] = v
		}
	}
	// encoding/json writes map keys sorted, so equal configs encode equally.
	b, err := json.Marshal(struct {
		Schemas         []string
		AnonRole        string
		ExtraSearchPath []string
		MaxRows         int
		Aggregates      bool
		Plan            bool
		Hoisted         []string
		OpenAPIMode     string
		DBSettings      map[string]string
	}{nilIfEmpty(c.DBSchemas), c.DBAnonRole, nilIfEmpty(c.DBExtraSearchPath), c.DBMaxRows,
		c.DBAggregatesEnabled, c.DBPlanEnabled, nilIfEmpty(c.DBHoistedTxSettings), c.OpenAPIMode, settings})
	if err != nil {
		panic(err) // strings, ints and bools always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// nilIfEmpty makes an empty list encode like a nil one.
func nilIfEmpty(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l
}
