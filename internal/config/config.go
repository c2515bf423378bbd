package config

import (
	"errors"
	"fmt"
	"net"
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
	// (PGRST_DB_EXTRA_SEARCH_PATH, default "public"; set but empty, none —
	// FromEnviron tells the two apart).
	DBExtraSearchPath []string
	// DBChannel is the NOTIFY channel the listener worker LISTENs on (PGRST_DB_CHANNEL, default "pgrst").
	DBChannel string
	// DBChannelEnabled turns the listener on (PGRST_DB_CHANNEL_ENABLED, default true).
	DBChannelEnabled bool
	// ServerHost and ServerPort are where localdev's HTTP server listens
	// (PGRST_SERVER_HOST, default "127.0.0.1"; PGRST_SERVER_PORT, default 3000).
	ServerHost string
	ServerPort int
	// ServerTimingEnabled adds a Server-Timing header with the duration of
	// each request stage (PGRST_SERVER_TIMING_ENABLED or
	// pgrst.server_timing_enabled, default false), as PostgREST's
	// server-timing-enabled.
	ServerTimingEnabled bool
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

	// DBConfig turns on in-database configuration and role settings
	// (PGRST_DB_CONFIG, default true), as PostgREST's db-config.
	DBConfig bool
	// DBPreConfig is the function, "name" or "schema.name", whose set_config
	// calls supply in-database settings (PGRST_DB_PRE_CONFIG or
	// pgrst.db_pre_config, default unset); see [QueryDBSettings].
	DBPreConfig string
	// DBPreRequest is the function, "name" or "schema.name", called at the
	// start of every request's transaction after its settings, as
	// PostgREST's db-pre-request (PGRST_DB_PRE_REQUEST or
	// pgrst.db_pre_request, default unset); see [Config.PreRequestSQL].
	DBPreRequest string
	// DBMaxRows caps the rows a read or RPC returns (PGRST_DB_MAX_ROWS or
	// pgrst.db_max_rows); 0 means unlimited, PostgREST's default.
	DBMaxRows int
	// DBAggregatesEnabled allows aggregate functions in select
	// (PGRST_DB_AGGREGATES_ENABLED or pgrst.db_aggregates_enabled, default
	// false; otherwise PGRST123).
	DBAggregatesEnabled bool
	// DBPlanEnabled allows the application/vnd.pgrst.plan media type
	// (PGRST_DB_PLAN_ENABLED or pgrst.db_plan_enabled, default false).
	DBPlanEnabled bool
	// DBHoistedTxSettings names the settings a function's SET clauses may
	// apply to the transaction that calls it (PGRST_DB_HOISTED_TX_SETTINGS
	// or pgrst.db_hoisted_tx_settings, comma list, default
	// [DefaultHoistedTxSettings]). The schema cache records, per routine,
	// which of its SET clauses these are.
	DBHoistedTxSettings []string
	// DBTxEnd says how each request's transaction ends (PGRST_DB_TX_END or
	// pgrst.db_tx_end, default commit): commit, rollback, or either with
	// -allow-override, which lets `Prefer: tx=commit|rollback` decide.
	DBTxEnd string
	// OpenAPIMode is follow-privileges, ignore-privileges or disabled
	// (PGRST_OPENAPI_MODE or pgrst.openapi_mode, default follow-privileges).
	OpenAPIMode string
	// OpenAPISecurityActive adds the JWT security definition to the OpenAPI
	// document (PGRST_OPENAPI_SECURITY_ACTIVE or
	// pgrst.openapi_security_active, default false), as PostgREST.
	OpenAPISecurityActive bool
	// OpenAPIServerProxyURI is the public URI the API is served under, used
	// for the host, basePath and schemes of the OpenAPI document
	// (PGRST_OPENAPI_SERVER_PROXY_URI, default unset): an absolute http or
	// https URI with a host, no query and no fragment.
	OpenAPIServerProxyURI string
	// AdminServerPort is the admin server's port (PGRST_ADMIN_SERVER_PORT);
	// 0, the default, disables it. When set it must differ from ServerPort.
	AdminServerPort int
	// CacheKeepVersions is how many schema cache versions the cache store
	// keeps (PGRST_CACHE_KEEP_VERSIONS, positive, default 10).
	CacheKeepVersions int
	// CacheRevalidateMs is how long, in milliseconds, a request function
	// trusts its in-memory schema cache before checking the store for a newer
	// version (PGRST_CACHE_REVALIDATE_MS, default 0 = on every request).
	CacheRevalidateMs int
	// CacheListen makes a request function's database connections LISTEN
	// on the publishers' notice channel (cachestore.NoticeChannel), so the
	// version check rides on each read's own database round trip instead
	// of a Redis GET (PGRST_CACHE_LISTEN, default false). It needs session
	// connections: not PgBouncer in transaction mode, and RDS Proxy pins
	// the sessions that LISTEN. CacheRevalidateMs then bounds how long the
	// memo is trusted without a notice (0 means 1000 ms).
	CacheListen bool
	// WorkerID names this listener worker (PGRST_WORKER_ID). It is stored
	// as given, possibly empty; the caller picks a default such as
	// hostname and pid.
	WorkerID string

	// JWTSettings are the JWT authentication settings (PGRST_JWT_*).
	JWTSettings
	// WorkerSettings are the listener worker's own settings.
	WorkerSettings
	// CacheSigning are the schema cache signing keys (PGRST_CACHE_SIGNING_KEY*).
	CacheSigning
	// RedisSettings are the cache store's connection settings (REDIS_CLUSTER).
	RedisSettings

	// AppSettings are PostgREST's app.settings.*: each PGRST_APP_SETTINGS_<NAME>
	// variable becomes the transaction setting app.settings.<name>
	// (lower-case) of every request; see [FromEnviron].
	AppSettings map[string]string
	// Limits bound what one request may ask for (PGRST_LIMIT_*).
	Limits Limits
	// DBSettings holds every whitelisted in-database setting last applied by
	// [Config.WithDBSettings], keyed without the "pgrst." prefix (for example
	// "jwt_secret"); nil when none were applied.
	DBSettings map[string]string
}

// FromEnviron builds a Config from environ ("KEY=value" entries, as
// os.Environ returns them): [FromEnv] plus the app.settings.* that only a
// listing of the variables can find.
func FromEnviron(environ []string) (*Config, error) {
	vars := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	c, err := FromEnv(func(k string) string { return vars[k] })
	if err != nil {
		return nil, err
	}
	// Set but empty is no extra schema, as PostgREST reads it; only an
	// unset variable means the default "public" (getenv cannot tell them
	// apart, the environment can).
	if v, ok := vars["PGRST_DB_EXTRA_SEARCH_PATH"]; ok && strings.TrimSpace(v) == "" {
		c.DBExtraSearchPath = nil
	}
	const prefix = "PGRST_APP_SETTINGS_"
	for k, v := range vars {
		if name, ok := strings.CutPrefix(k, prefix); ok && name != "" {
			if c.AppSettings == nil {
				c.AppSettings = map[string]string{}
			}
			c.AppSettings["app.settings."+strings.ToLower(name)] = v
		}
	}
	return c, nil
}

// FromEnv builds a Config from getenv (os.Getenv in production). An invalid
// value returns an error naming the variable, e.g.
// `PGRST_SERVER_PORT: "x" is not a port number`.
func FromEnv(getenv func(string) string) (*Config, error) {
	c := &Config{
		DBURI:                 or(getenv("PGRST_DB_URI"), "postgresql://"),
		DBAnonRole:            getenv("PGRST_DB_ANON_ROLE"),
		DBChannel:             or(getenv("PGRST_DB_CHANNEL"), "pgrst"),
		ServerHost:            or(getenv("PGRST_SERVER_HOST"), "127.0.0.1"),
		LogLevel:              strings.ToLower(or(getenv("PGRST_LOG_LEVEL"), "error")),
		RedisURL:              getenv("REDIS_URL"),
		CacheKeyPrefix:        or(getenv("PGRST_CACHE_KEY_PREFIX"), "pgrst"),
		DBPreConfig:           strings.TrimSpace(getenv("PGRST_DB_PRE_CONFIG")),
		DBPreRequest:          strings.TrimSpace(getenv("PGRST_DB_PRE_REQUEST")),
		OpenAPIMode:           or(getenv("PGRST_OPENAPI_MODE"), "follow-privileges"),
		OpenAPIServerProxyURI: strings.TrimSpace(getenv("PGRST_OPENAPI_SERVER_PROXY_URI")),
		WorkerID:              getenv("PGRST_WORKER_ID"),
	}
	var errs []error
	c.DBSchemas = splitList(or(getenv("PGRST_DB_SCHEMAS"), "public"))
	if err := checkSchemas(c.DBSchemas); err != nil {
		errs = append(errs, fmt.Errorf("PGRST_DB_SCHEMAS: %w", err))
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
	errs = append(errs, c.readInDBKeys(getenv)...)
	errs = append(errs, c.readCacheKeys(getenv)...)
	errs = append(errs, c.readLimitKeys(getenv)...)
	errs = append(errs, c.readJWTKeys(getenv)...)
	errs = append(errs, c.readWorkerKeys(getenv)...)
	errs = append(errs, c.readCacheSigningKeys(getenv)...)
	errs = append(errs, c.readRedisKeys(getenv)...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("invalid configuration: %w", errors.Join(errs...))
	}
	return c, nil
}

// checkSchemas rejects an empty db-schemas list and the system schemas
// PostgREST refuses to expose.
func checkSchemas(schemas []string) error {
	if len(schemas) == 0 {
		return errors.New("must name at least one schema")
	}
	for _, s := range schemas {
		if s == "pg_catalog" || s == "information_schema" {
			return fmt.Errorf("%q cannot be exposed", s)
		}
	}
	return nil
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

// AdminAddr is the admin server's host:port ([Config.AdminHost] and
// PGRST_ADMIN_SERVER_PORT), "" when the admin server is disabled.
func (c *Config) AdminAddr() string {
	if c.AdminServerPort == 0 {
		return ""
	}
	return net.JoinHostPort(c.AdminHost(), strconv.Itoa(c.AdminServerPort))
}
