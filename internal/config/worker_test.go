package config

import (
	"strings"
	"testing"
)

func TestWorkerSettings(t *testing.T) {
	env := map[string]string{}
	get := func(k string) string { return env[k] }
	c, err := FromEnv(get)
	if err != nil {
		t.Fatal(err)
	}
	if c.WorkerFingerprintIntervalMs != 30000 || c.AdminHost() != "127.0.0.1" {
		t.Fatalf("defaults: interval %d, admin host %q", c.WorkerFingerprintIntervalMs, c.AdminHost())
	}
	env["PGRST_SERVER_HOST"], env["PGRST_ADMIN_SERVER_PORT"] = "10.0.0.1", "3001"
	if c, _ = FromEnv(get); c.AdminAddr() != "10.0.0.1:3001" {
		t.Fatalf("admin address follows server-host: %q", c.AdminAddr())
	}
	env["PGRST_ADMIN_SERVER_HOST"], env["PGRST_WORKER_FINGERPRINT_INTERVAL_MS"] = "0.0.0.0", "0"
	if c, _ = FromEnv(get); c.AdminAddr() != "0.0.0.0:3001" || c.WorkerFingerprintIntervalMs != 0 {
		t.Fatalf("admin address %q, interval %d", c.AdminAddr(), c.WorkerFingerprintIntervalMs)
	}
	for _, bad := range []string{"-1", "soon"} {
		env["PGRST_WORKER_FINGERPRINT_INTERVAL_MS"] = bad
		if _, err := FromEnv(get); err == nil || !strings.Contains(err.Error(), "PGRST_WORKER_FINGERPRINT_INTERVAL_MS") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
