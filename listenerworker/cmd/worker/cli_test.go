package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want command
		err  bool
	}{
		{nil, cmdRun, false},
		{[]string{"--help"}, cmdHelp, false},
		{[]string{"-h", "--bogus"}, cmdHelp, false},
		{[]string{"-v"}, cmdVersion, false},
		{[]string{"--dump-config"}, cmdDumpConfig, false},
		{[]string{"--dump-schema"}, cmdDumpSchema, false},
		{[]string{"--ready"}, cmdReady, false},
		{[]string{"--ready", "--ready"}, cmdReady, false},
		{[]string{"--dump-config", "--dump-schema"}, 0, true},
		{[]string{"--bogus"}, 0, true},
		{[]string{"postgrest.conf"}, 0, true},
	} {
		got, err := parseArgs(tc.args)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("parseArgs(%q) = %v, %v; want %v, error %v", tc.args, got, err, tc.want, tc.err)
		}
	}
}

func TestRedactURI(t *testing.T) {
	for in, want := range map[string]string{
		"postgresql://authenticator:s3cret@db:5432/app?sslmode=require": "postgresql://authenticator:********@db:5432/app?sslmode=require",
		"postgresql://db/app?user=a&password=s3cret":                    "postgresql://db/app?password=********&user=a",
		"host=db user=a password=s3cret dbname=app":                     "host=db user=a password=******** dbname=app",
		"host=db password = 'se cret' dbname=app":                       "host=db password = ******** dbname=app",
		"rediss://default:s3cret@cache:6379/0":                          "rediss://default:********@cache:6379/0",
		"redis://cache:6379":                                            "redis://cache:6379",
		"postgresql://":                                                 "postgresql://",
		"postgresql://a:p#w%zz@db/app":                                  "postgresql://a:********@db/app",
	} {
		if got := redactURI(in); got != want {
			t.Errorf("redactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDumpConfigRedactsSecrets(t *testing.T) {
	env := map[string]string{
		"PGRST_DB_URI":            "postgresql://authenticator:dbpass@db/app",
		"REDIS_URL":               "redis://default:redispass@cache:6379",
		"PGRST_JWT_SECRET":        "jwtsecret-jwtsecret-jwtsecret-jwtsecret",
		"PGRST_ADMIN_SERVER_HOST": "0.0.0.0",
		"PGRST_CACHE_SIGNING_KEY": "signingkey-signingkey-signingkey-signingkey",
		"PGRST_ADMIN_SERVER_PORT": "3001",
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = cfg.WithDBSettings(map[string]string{"jwt_secret": "dbjwtsecret-dbjwtsecret-dbjwtsecret", "db_max_rows": "5"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := dumpConfig(&out, cfg); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, secret := range []string{"dbpass", "redispass", "jwtsecret", "dbjwtsecret", "signingkey"} {
		if strings.Contains(s, secret) {
			t.Errorf("dump contains %q:\n%s", secret, s)
		}
	}
	for _, line := range []string{
		`db-uri = "postgresql://authenticator:********@db/app"`,
		`redis-url = "redis://default:********@cache:6379"`,
		`jwt-secret = "********"`,
		`cache-signing-key = "********"`,
		`cache-signing-key-previous = ""`,
		`admin-server-host = "0.0.0.0"`,
		`admin-server-port = 3001`,
		`db-max-rows = 5`,
		`worker-fingerprint-interval-ms = 30000`,
	} {
		if !strings.Contains(s, line+"\n") {
			t.Errorf("dump lacks %s:\n%s", line, s)
		}
	}
}

func TestProbeHost(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0": "localhost", "::": "localhost", "*4": "localhost", "!6": "localhost",
		"127.0.0.1": "127.0.0.1", "[::1]": "::1", "worker.internal": "worker.internal",
	} {
		if got := probeHost(in); got != want {
			t.Errorf("probeHost(%q) = %q, want %q", in, got, want)
		}
	}
}
