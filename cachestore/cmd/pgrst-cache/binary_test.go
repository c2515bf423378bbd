package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary runs the built command, checking configuration from the
// environment and flags, output streams and exit codes.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "pgrst-cache")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	s := newStore(t)
	prefix := strings.TrimSuffix(strings.TrimPrefix(namespace(s), "{"), "}")
	env := []string{"REDIS_URL=" + rds.URL(), "PGRST_CACHE_KEY_PREFIX=" + prefix}
	run := func(env []string, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(cleanEnv(), env...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return o.String(), e.String(), code
	}

	out, errOut, code := run(env, "status")
	if code != 1 || out != "" || errOut != "pgrst-cache: no schema cache published in "+namespace(s)+"\n" {
		t.Errorf("status of an empty namespace: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	v := publishSnap(t, s, newSnapshot(baseCache(), nil), "startup")
	out, errOut, code = run(env, "status")
	if code != 0 || errOut != "" || !strings.Contains(out, "\ncurrent  ") || !strings.Contains(out, itoa(v)) {
		t.Errorf("status: code %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	out, _, code = run(env, "status", "-json")
	var r statusReport
	if err := json.Unmarshal([]byte(out), &r); code != 0 || err != nil || r.Current != v {
		t.Errorf("status -json: code %d, %v, %+v", code, err, r)
	}
	// Flags override the environment.
	out, _, code = run([]string{"REDIS_URL=redis://127.0.0.1:1/0"}, "-redis", rds.URL(), "-prefix", prefix, "status")
	if code != 0 || !strings.Contains(out, itoa(v)) {
		t.Errorf("status with -redis and -prefix: code %d, stdout:\n%s", code, out)
	}
	out, _, code = run(env, "-prefix", prefix+"-other", "status")
	if code != 1 || out != "" {
		t.Errorf("status of another prefix: code %d", code)
	}
	if _, errOut, code = run([]string{"REDIS_URL=redis://127.0.0.1:1/0"}, "status"); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("status with Redis down: code %d, stderr %q", code, errOut)
	}

	for _, args := range [][]string{{}, {"bogus"}, {"status", "extra"}, {"status", "-nope"}, {"-nope", "status"}, {"dump", "x"}} {
		if _, errOut, code := run(env, args...); code != 2 || !strings.HasPrefix(errOut, "pgrst-cache: ") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%q: code %d, stderr %q, want 2 and one line", args, code, errOut)
		}
	}
	if _, errOut, code := run(nil, "status"); code != 2 || !strings.Contains(errOut, "REDIS_URL is not set") {
		t.Errorf("status without REDIS_URL: code %d, stderr %q", code, errOut)
	}
	if out, _, code := run(nil, "-h"); code != 0 || !strings.HasPrefix(out, "usage: pgrst-cache") {
		t.Errorf("-h: code %d, stdout %q", code, out)
	}
}

// cleanEnv is the test's environment without the variables the command
// reads, so a developer's shell does not leak into the runs.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "REDIS_URL=") && !strings.HasPrefix(kv, "PGRST_") {
			env = append(env, kv)
		}
	}
	return env
}
