package config

import (
	"fmt"
	"strings"
)

// DefaultWorkerFingerprintIntervalMs is how often, by default, the leading
// listener worker checks the catalog fingerprint (30 s).
const DefaultWorkerFingerprintIntervalMs = 30000

// WorkerSettings are the listener worker's own settings.
type WorkerSettings struct {
	// AdminServerHost is where the admin server listens
	// (PGRST_ADMIN_SERVER_HOST); empty means ServerHost, as PostgREST's
	// admin-server-host defaults to server-host. See [Config.AdminHost].
	AdminServerHost string
	// WorkerFingerprintIntervalMs is how often, in milliseconds, the
	// leading worker compares a fingerprint of the catalog with the one
	// taken at its last rebuild, and rebuilds when they differ, so a lost
	// NOTIFY is caught (PGRST_WORKER_FINGERPRINT_INTERVAL_MS, default
	// 30000; 0 disables the check).
	WorkerFingerprintIntervalMs int
}

// readWorkerKeys reads PGRST_ADMIN_SERVER_HOST and
// PGRST_WORKER_FINGERPRINT_INTERVAL_MS, one error per invalid variable.
func (c *Config) readWorkerKeys(getenv func(string) string) []error {
	var errs []error
	c.AdminServerHost = strings.TrimSpace(getenv("PGRST_ADMIN_SERVER_HOST"))
	v := getenv("PGRST_WORKER_FINGERPRINT_INTERVAL_MS")
	n, err := parseInt(v, DefaultWorkerFingerprintIntervalMs)
	if err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("PGRST_WORKER_FINGERPRINT_INTERVAL_MS: %q is not a number of milliseconds", v))
	} else {
		c.WorkerFingerprintIntervalMs = n
	}
	return errs
}

// AdminHost is the admin server's listen host: AdminServerHost, or
// ServerHost when it is unset.
func (c *Config) AdminHost() string {
	if c.AdminServerHost != "" {
		return c.AdminServerHost
	}
	return c.ServerHost
}
