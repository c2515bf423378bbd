// Package config reads pgrest-lambda's configuration from the environment,
// with PostgREST's PGRST_* names and defaults. It is the only package that
// reads environment variables.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Config is the effective configuration of the listener worker and the
// request functions. Zero values are replaced by defaults in FromEnv.
type Config struct {
	// DBURI is the authenticator's connection string (PGRST_DB_URI, default "postgresql://").
	DBURI string
	// DBSchemas are the exposed schemas (PGRST_DB_SCHEMAS, comma list, default "public");
	// the first is the default profile.
	DBSchemas []string
	// DBAnonRole is the role for unauthenticated requests (PGRST_DB_ANON_ROLE); empty
	// disables anonymous access (PGRST302).
	DBAnonRole string
	// DBExtraSearchPath is appended to each request's search_path
	// (PGRST_DB_EXTRA_SEARCH_PATH, default "public").
	DBExtraSearchPath []string
	// DBChannel is the NOTIFY channel the listener worker LISTENs on (PGRST_DB_CHANNEL, default "pgrst").
	DBChannel string
	// DBChannelEnabled turns the listener on (PGRST_DB_CHANNEL_ENABLED, default true).
	DBChannelEnabled bool
	// ServerHost and ServerPort are where localdev's HTTP server listens
	// (PGRST_SERVER_HOST, default "127.0.0.1"; PGRST_SERVER_PORT, default 3000).
	ServerHost string
	ServerPort int
	// LogLevel is crit, error, warn, info or debug (PGRST_LOG_LEVEL, default "error").
	LogLevel string
	// RedisURL locates the cache store (REDIS_URL); empty means an embedded
	// in-process Redis where the caller supports one.
	RedisURL string
	// CacheKeyPrefix namespaces the Redis keys (PGRST_CACHE_KEY_PREFIX, default "pgrst").
	CacheKeyPrefix string
	// SchemaCacheQuerySleepMs makes each schema cache load sleep this long inside
	// its transaction, so tests can reproduce races with a slow load
	// (PGRST_INTERNAL_SCHEMA_CACHE_QUERY_SLEEP, ms, default 0), as PostgREST's
	// internal test setting does.
	SchemaCacheQuerySleepMs int
}

// FromEnv builds a Config from getenv (os.Getenv in production). An invalid
// value returns an error naming the variable, e.g.
// `PGRST_SERVER_PORT: "x" is not a port number`.
func FromEnv(getenv func(string) string) (*Config, error) {
	c := &Config{
		DBURI:          or(getenv("PGRST_DB_URI"), "postgresql://"),
		DBAnonRole:     getenv("PGRST_DB_ANON_ROLE"),
		DBChannel:      or(getenv("PGRST_DB_CHANNEL"), "pgrst"),
		ServerHost:     or(getenv("PGRST_SERVER_HOST"), "127.0.0.1"),
		LogLevel:       strings.ToLower(or(getenv("PGRST_LOG_LEVEL"), "error")),
		RedisURL:       getenv("REDIS_URL"),
		CacheKeyPrefix: or(getenv("PGRST_CACHE_KEY_PREFIX"), "pgrst"),
	}
	var errs []error
	c.DBSchemas = splitList(or(getenv("PGRST_DB_SCHEMAS"), "public"))
	if len(c.DBSchemas) == 0 {
		errs = append(errs, errors.New(`PGRST_DB_SCHEMAS: must name at least one schema`))
	}
	for _, s := range c.DBSchemas {
		if s == "pg_catalog" || s == "information_schema" {
			errs = append(errs, fmt.Errorf("PGRST_DB_SCHEMAS: %q cannot be exposed", s))
		}
	}
	c.DBExtraSearchPath = splitList(or(getenv("PGRST_DB_EXTRA_SEARCH_PATH"), "public"))
	var err error
	if c.DBChannelEnabled, err = parseBool(getenv("PGRST_DB_CHANNEL_ENABLED"), true); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_DB_CHANNEL_ENABLED: %w", err))
	}
	if c.ServerPort, err = parseInt(getenv("PGRST_SERVER_PORT"), 3000); err != nil || c.ServerPort < 0 || c.ServerPort > 65535 {
		errs = append(errs, fmt.Errorf("PGRST_SERVER_PORT: %q is not a port number", getenv("PGRST_SERVER_PORT")))
	}
	switch c.LogLevel {
	case "crit", "error", "warn", "info", "debug":
	default:
		errs = append(errs, fmt.Errorf("PGRST_LOG_LEVEL: %q is not one of crit, error, warn, info, debug", c.LogLevel))
	}
	if c.RedisURL != "" {
		if u, perr := url.Parse(c.RedisURL); perr != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			errs = append(errs, errors.New("REDIS_URL: must be a redis://, rediss:// or unix:// URL"))
		}
	}
	if strings.ContainsAny(c.CacheKeyPrefix, "{} \t\n") {
		errs = append(errs, fmt.Errorf("PGRST_CACHE_KEY_PREFIX: %q must not contain braces or spaces", c.CacheKeyPrefix))
	}
	if c.SchemaCacheQuerySleepMs, err = parseInt(getenv("PGRST_INTERNAL_SCHEMA_CACHE_QUERY_SLEEP"), 0); err != nil || c.SchemaCacheQuerySleepMs < 0 {
		errs = append(errs, fmt.Errorf("PGRST_INTERNAL_SCHEMA_CACHE_QUERY_SLEEP: %q is not a number of milliseconds", getenv("PGRST_INTERNAL_SCHEMA_CACHE_QUERY_SLEEP")))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseBool accepts what PostgREST accepts: true/false in any case, or a
// number (> 0 is true).
func parseBool(v string, def bool) (bool, error) {
	if v == "" {
		return def, nil
	}
	switch strings.ToLower(strings.Trim(v, `"`)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n > 0, nil
	}
	return false, fmt.Errorf("%q is not a boolean", v)
}

func parseInt(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(strings.TrimSpace(v))
}
