package config

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// readInDBKeys reads the environment variables of the keys that in-database
// configuration may also set, plus db-config and the admin port, returning
// one error per invalid variable.
func (c *Config) readInDBKeys(getenv func(string) string) []error {
	var errs []error
	var err error
	if c.DBConfig, err = parseBool(getenv("PGRST_DB_CONFIG"), true); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_DB_CONFIG: %w", err))
	}
	if c.DBPreConfig != "" {
		if _, err := quoteFuncName(c.DBPreConfig); err != nil {
			errs = append(errs, fmt.Errorf("PGRST_DB_PRE_CONFIG: %w", err))
		}
	}
	if c.DBPreRequest != "" {
		if _, err := quoteFuncName(c.DBPreRequest); err != nil {
			errs = append(errs, fmt.Errorf("PGRST_DB_PRE_REQUEST: %w", err))
		}
	}
	if c.DBMaxRows, err = parseMaxRows(getenv("PGRST_DB_MAX_ROWS")); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_DB_MAX_ROWS: %w", err))
	}
	if c.DBAggregatesEnabled, err = parseBool(getenv("PGRST_DB_AGGREGATES_ENABLED"), false); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_DB_AGGREGATES_ENABLED: %w", err))
	}
	if c.DBPlanEnabled, err = parseBool(getenv("PGRST_DB_PLAN_ENABLED"), false); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_DB_PLAN_ENABLED: %w", err))
	}
	if c.OpenAPISecurityActive, err = parseBool(getenv("PGRST_OPENAPI_SECURITY_ACTIVE"), false); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_OPENAPI_SECURITY_ACTIVE: %w", err))
	}
	if c.ServerTimingEnabled, err = parseBool(getenv("PGRST_SERVER_TIMING_ENABLED"), false); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_SERVER_TIMING_ENABLED: %w", err))
	}
	c.DBHoistedTxSettings = parseHoisted(getenv("PGRST_DB_HOISTED_TX_SETTINGS"))
	if c.DBTxEnd, err = parseTxEnd(getenv("PGRST_DB_TX_END")); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_DB_TX_END: %w", err))
	}
	if err := checkOpenAPIMode(c.OpenAPIMode); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_OPENAPI_MODE: %w", err))
	}
	if err := CheckProxyURI(c.OpenAPIServerProxyURI); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_OPENAPI_SERVER_PROXY_URI: %w", err))
	}
	v := getenv("PGRST_ADMIN_SERVER_PORT")
	switch c.AdminServerPort, err = parseInt(v, 0); {
	case err != nil || c.AdminServerPort < 0 || c.AdminServerPort > 65535:
		errs = append(errs, fmt.Errorf("PGRST_ADMIN_SERVER_PORT: %q is not a port number", v))
	case c.AdminServerPort != 0 && c.AdminServerPort == c.ServerPort:
		errs = append(errs, fmt.Errorf("PGRST_ADMIN_SERVER_PORT: %d must differ from PGRST_SERVER_PORT", c.AdminServerPort))
	}
	return errs
}

// readCacheKeys reads the cache store and worker settings, which have no
// PostgREST counterpart.
func (c *Config) readCacheKeys(getenv func(string) string) []error {
	var errs []error
	var err error
	v := getenv("PGRST_CACHE_KEEP_VERSIONS")
	if c.CacheKeepVersions, err = parseInt(v, 10); err != nil || c.CacheKeepVersions < 1 {
		errs = append(errs, fmt.Errorf("PGRST_CACHE_KEEP_VERSIONS: %q is not a positive number", v))
	}
	v = getenv("PGRST_CACHE_REVALIDATE_MS")
	if c.CacheRevalidateMs, err = parseInt(v, 0); err != nil || c.CacheRevalidateMs < 0 {
		errs = append(errs, fmt.Errorf("PGRST_CACHE_REVALIDATE_MS: %q is not a number of milliseconds", v))
	}
	if c.CacheListen, err = parseBool(getenv("PGRST_CACHE_LISTEN"), false); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_CACHE_LISTEN: %w", err))
	}
	return errs
}

// parseMaxRows reads db-max-rows: empty or 0 means unlimited.
func parseMaxRows(v string) (int, error) {
	n, err := parseInt(v, 0)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative number", v)
	}
	return n, nil
}

// DefaultHoistedTxSettings returns PostgREST's default db-hoisted-tx-settings
// (schemacache.DefaultHoistedTxSettings), a new slice on each call so
// callers may keep or change it.
func DefaultHoistedTxSettings() []string {
	return schemacache.DefaultHoistedTxSettings()
}

// parseHoisted reads a db-hoisted-tx-settings list. A value naming no
// setting (blank, or only commas) means the default, as an empty value does
// for the other in-database keys; a list matching nothing can be had by
// naming a setting no function sets.
func parseHoisted(v string) []string {
	if l := splitList(v); len(l) > 0 {
		return l
	}
	return DefaultHoistedTxSettings()
}

// checkOpenAPIMode accepts the three openapi-mode values PostgREST knows.
// parseTxEnd reads db-tx-end; empty means commit.
func parseTxEnd(v string) (string, error) {
	switch v = or(strings.TrimSpace(v), "commit"); v {
	case "commit", "commit-allow-override", "rollback", "rollback-allow-override":
		return v, nil
	}
	return "commit", fmt.Errorf("%q is not one of commit, commit-allow-override, rollback, rollback-allow-override", v)
}

// TxEnd decides how a request's transaction ends under db-tx-end, given
// its `Prefer: tx=` value (commit, rollback or ""): rollback reports
// whether it rolls back, and honoured whether the preference was applied
// (only under -allow-override), as PostgREST.
func (c *Config) TxEnd(prefer string) (rollback, honoured bool) {
	rollback = strings.HasPrefix(c.DBTxEnd, "rollback")
	if prefer != "" && strings.HasSuffix(c.DBTxEnd, "-allow-override") {
		return prefer == "rollback", true
	}
	return rollback, false
}

// PreRequestSQL is the statement calling db-pre-request, with the
// function name quoted (`SELECT "schema"."fn"()`); "" when unset.
func (c *Config) PreRequestSQL() string {
	if c.DBPreRequest == "" {
		return ""
	}
	q, err := quoteFuncName(c.DBPreRequest)
	if err != nil {
		// FromEnv and WithDBSettings reject such names.
		return ""
	}
	return "SELECT " + q + "()"
}

func checkOpenAPIMode(v string) error {
	switch v {
	case "follow-privileges", "ignore-privileges", "disabled":
		return nil
	}
	return fmt.Errorf("%q is not one of follow-privileges, ignore-privileges, disabled", v)
}

// quoteFuncName turns "name" or "schema.name" into a quoted SQL function
// reference such as "postgrest"."pre_config", so the name cannot inject SQL.
// Names with more than one dot, an empty part or a NUL byte are rejected;
// quoted identifiers containing dots are not supported.
func quoteFuncName(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("%q is not a function name (expected name or schema.name)", name)
	}
	quoted := make([]string, len(parts))
	for i, p := range parts {
		if p = strings.TrimSpace(p); p == "" || strings.ContainsRune(p, 0) {
			return "", fmt.Errorf("%q is not a function name (expected name or schema.name)", name)
		}
		quoted[i] = `"` + strings.ReplaceAll(p, `"`, `""`) + `"`
	}
	return strings.Join(quoted, "."), nil
}

// CheckProxyURI accepts what PostgREST accepts as openapi-server-proxy-uri:
// empty (unset), or an absolute http or https URI with a non-empty host, a
// port from 1 to 65535 if any, and neither query nor fragment.
func CheckProxyURI(v string) error {
	if v == "" {
		return nil
	}
	bad := fmt.Errorf("%q is a malformed proxy URI, a correct example: https://example.com:8443/basePath", v)
	u, err := url.Parse(v)
	if err != nil || u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" ||
		strings.Contains(v, "#") {
		return bad
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return bad
	}
	if u.Hostname() == "" {
		return bad
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return bad
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return bad
	}
	return nil
}
