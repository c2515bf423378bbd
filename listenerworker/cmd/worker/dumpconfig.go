package main

import (
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// redacted replaces a secret in --dump-config.
const redacted = "********"

// conninfoPassword matches the password of a key/value connection string
// ("host=h password=secret", quoted or not).
var conninfoPassword = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`) //nolint:gochecknoglobals // compiled once

// urlPassword matches the user:password@ part of a URI that url.Parse rejects.
var urlPassword = regexp.MustCompile(`(://[^:/@]*:).*@`) //nolint:gochecknoglobals // compiled once

// redactURI hides the password of a URI (user:password@, or a password
// query parameter) or of a key/value connection string.
func redactURI(uri string) string {
	if u, err := url.Parse(uri); err == nil && u.Scheme != "" && strings.Contains(uri, "://") {
		changed := false
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), redacted)
				changed = true
			}
		}
		q := u.Query()
		if q.Has("password") {
			q.Set("password", redacted)
			u.RawQuery = q.Encode()
			changed = true
		}
		if !changed {
			return uri
		}
		return strings.Replace(u.String(), url.QueryEscape(redacted), redacted, 1)
	}
	if strings.Contains(uri, "://") {
		// Not parseable as a URL (an unescaped character in the password):
		// hide everything between the user name and the last '@'.
		return urlPassword.ReplaceAllString(uri, "${1}"+redacted+"@")
	}
	return conninfoPassword.ReplaceAllString(uri, "${1}"+redacted)
}

// secretDBSettings are the in-database settings --dump-config redacts.
var secretDBSettings = map[string]bool{"jwt_secret": true} //nolint:gochecknoglobals // constant set

// dumpConfig writes cfg as PostgREST's --dump-config does, one
// `name = value` line per setting in PostgREST's configuration file names
// (the worker's own settings under their own names), strings quoted.
// Secrets are redacted: the password of the database URI and of
// REDIS_URL, the JWT secret and the cache signing keys.
func dumpConfig(w io.Writer, cfg *config.Config) error {
	q := strconv.Quote
	list := func(l []string) string { return q(strings.Join(l, ",")) }
	b := strconv.FormatBool
	n := strconv.Itoa
	secret := func(set bool) string {
		if set {
			return q(redacted)
		}
		return q("")
	}
	claimKey := ""
	if cfg.JWTRoleClaimKey != nil {
		claimKey = cfg.JWTRoleClaimKey.String()
	}
	lines := [][2]string{
		{"admin-server-host", q(cfg.AdminHost())},
		{"admin-server-port", n(cfg.AdminServerPort)},
		{"db-aggregates-enabled", b(cfg.DBAggregatesEnabled)},
		{"db-anon-role", q(cfg.DBAnonRole)},
		{"db-channel", q(cfg.DBChannel)},
		{"db-channel-enabled", b(cfg.DBChannelEnabled)},
		{"db-config", b(cfg.DBConfig)},
		{"db-extra-search-path", list(cfg.DBExtraSearchPath)},
		{"db-hoisted-tx-settings", list(cfg.DBHoistedTxSettings)},
		{"db-max-rows", n(cfg.DBMaxRows)},
		{"db-plan-enabled", b(cfg.DBPlanEnabled)},
		{"db-pre-config", q(cfg.DBPreConfig)},
		{"db-pre-request", q(cfg.DBPreRequest)},
		{"db-schemas", list(cfg.DBSchemas)},
		{"db-tx-end", q(cfg.DBTxEnd)},
		{"db-uri", q(redactURI(cfg.DBURI))},
		{"jwt-aud", q(cfg.JWTAud)},
		{"jwt-cache-max-entries", n(cfg.JWTCacheMaxEntries)},
		{"jwt-role-claim-key", q(claimKey)},
		{"jwt-secret", secret(cfg.JWTSecret != "")},
		{"jwt-secret-is-base64", b(cfg.JWTSecretIsBase64)},
		{"log-level", q(cfg.LogLevel)},
		{"openapi-mode", q(cfg.OpenAPIMode)},
		{"openapi-security-active", b(cfg.OpenAPISecurityActive)},
		{"openapi-server-proxy-uri", q(cfg.OpenAPIServerProxyURI)},
		{"server-host", q(cfg.ServerHost)},
		{"server-port", n(cfg.ServerPort)},
		{"server-timing-enabled", b(cfg.ServerTimingEnabled)},
		// The worker's own settings, which PostgREST does not have.
		{"cache-keep-versions", n(cfg.CacheKeepVersions)},
		{"cache-listen", b(cfg.CacheListen)},
		{"cache-key-prefix", q(cfg.CacheKeyPrefix)},
		{"cache-revalidate-ms", n(cfg.CacheRevalidateMs)},
		{"cache-signing-key", secret(len(cfg.CacheSigningKey) > 0)},
		{"cache-signing-key-previous", secret(len(cfg.CacheSigningKeyPrevious) > 0)},
		{"jwt-jwks-url", q(cfg.JWTJWKSURL)},
		{"jwt-trust-gateway-claims", b(cfg.JWTTrustGatewayClaims)},
		{"redis-cluster", q(cfg.RedisCluster)},
		{"redis-url", q(redactURI(cfg.RedisURL))},
		{"worker-fingerprint-interval-ms", n(cfg.WorkerFingerprintIntervalMs)},
		{"worker-id", q(cfg.WorkerID)},
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "%s = %s\n", l[0], l[1]); err != nil {
			return err
		}
	}
	return dumpMaps(w, cfg)
}

// dumpMaps writes the app.settings.* and the in-database settings, sorted.
func dumpMaps(w io.Writer, cfg *config.Config) error {
	var lines []string
	for k, v := range cfg.AppSettings {
		lines = append(lines, fmt.Sprintf("%s = %s", k, strconv.Quote(v)))
	}
	sort.Strings(lines)
	var db []string
	for k, v := range cfg.DBSettings {
		if secretDBSettings[k] {
			v = redacted
		}
		db = append(db, fmt.Sprintf("# pgrst.%s = %s (in the database)", k, strconv.Quote(v)))
	}
	sort.Strings(db)
	for _, l := range append(lines, db...) {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}
