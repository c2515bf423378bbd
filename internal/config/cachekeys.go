package config

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// CacheSigning holds the keys that authenticate the schema cache snapshots
// in Redis (see package snapshot). They are secrets: never log them.
type CacheSigning struct {
	// CacheSigningKey signs what the listener worker publishes and
	// verifies what request functions read (PGRST_CACHE_SIGNING_KEY, at
	// least 32 bytes, "@/path" reads a file, dropping one trailing
	// newline). Empty: snapshots are neither signed nor verified.
	CacheSigningKey []byte
	// CacheSigningKeyPrevious is accepted for verification only, during a
	// key rotation (PGRST_CACHE_SIGNING_KEY_PREVIOUS, same format).
	CacheSigningKeyPrevious []byte
}

// minCacheSigningKeyBytes is snapshot.MinKeyBytes (config cannot import
// snapshot, which imports config).
const minCacheSigningKeyBytes = 32

// readCacheSigningKeys reads PGRST_CACHE_SIGNING_KEY and
// PGRST_CACHE_SIGNING_KEY_PREVIOUS, one error per invalid variable; the
// errors never contain the keys.
func (c *Config) readCacheSigningKeys(getenv func(string) string) []error {
	var errs []error
	for _, v := range []struct {
		name string
		dst  *[]byte
	}{
		{"PGRST_CACHE_SIGNING_KEY", &c.CacheSigningKey},
		{"PGRST_CACHE_SIGNING_KEY_PREVIOUS", &c.CacheSigningKeyPrevious},
	} {
		key, err := readSecretValue(getenv(v.name))
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
		case len(key) > 0 && len(key) < minCacheSigningKeyBytes:
			errs = append(errs, fmt.Errorf("%s: %d bytes, at least %d required", v.name, len(key), minCacheSigningKeyBytes))
		default:
			*v.dst = key
		}
	}
	if len(c.CacheSigningKey) == 0 && len(c.CacheSigningKeyPrevious) > 0 {
		errs = append(errs, fmt.Errorf("PGRST_CACHE_SIGNING_KEY_PREVIOUS: set without PGRST_CACHE_SIGNING_KEY"))
	}
	return errs
}

// readSecretValue returns v, or the content of the file it names after
// "@" with one trailing newline dropped; "" gives nil.
func readSecretValue(v string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	path, ok := strings.CutPrefix(v, "@")
	if !ok {
		return []byte(v), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the key file: %w", err)
	}
	return bytes.TrimSuffix(b, []byte("\n")), nil
}

// SecretDBSetting reports whether an in-database setting (key without the
// "pgrst." prefix, e.g. "jwt_secret") is a secret: left out of
// [Config.Fingerprint], and never stored in clear in the schema cache.
func SecretDBSetting(key string) bool { return secretDBSettings[key] }
