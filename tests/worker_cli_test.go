package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	workerBinOnce sync.Once
	workerBinPath string
	workerBinErr  error
)

// workerBin builds the worker command once per test run.
func workerBin(t *testing.T) string {
	t.Helper()
	workerBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "worker-bin")
		if err != nil {
			workerBinErr = err
			return
		}
		workerBinPath = filepath.Join(dir, "worker")
		out, err := exec.Command("go", "build", "-o", workerBinPath, "../listenerworker/cmd/worker").CombinedOutput()
		if err != nil {
			workerBinErr = errors.New(string(out))
		}
	})
	if workerBinErr != nil {
		t.Fatalf("build worker: %v", workerBinErr)
	}
	return workerBinPath
}

// runWorker runs the worker binary with args and only the environment
// vars (plus PATH and HOME), and returns its exit code, stdout and stderr.
func runWorker(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, workerBin(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("run worker %v: %v", args, err)
	return 0, "", ""
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestWorkerCLIHelpVersionAndBadArguments(t *testing.T) {
	t.Parallel()
	code, out, _ := runWorker(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "Usage: worker") || !strings.Contains(out, "--dump-schema") {
		t.Fatalf("--help: %d %q", code, out)
	}
	code, out, _ = runWorker(t, nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "pgrest-lambda listener worker ") || !strings.Contains(out, "PostgREST") {
		t.Fatalf("--version: %d %q", code, out)
	}
	// An unknown argument is an error with the usage, not a started worker
	// (which, without REDIS_URL, would fail differently).
	for _, args := range [][]string{{"--bogus"}, {"postgrest.conf"}, {"--dump-config", "--dump-schema"}} {
		code, out, errOut := runWorker(t, nil, args...)
		if code != 1 || out != "" || !strings.Contains(errOut, "invalid argument") || !strings.Contains(errOut, "Usage: worker") {
			t.Errorf("%v: %d stdout %q stderr %q", args, code, out, errOut)
		}
	}
}

func TestWorkerCLIDumpConfigRedactsSecrets(t *testing.T) {
	t.Parallel()
	vars := map[string]string{
		// Port 1: nothing listens, so the in-database configuration is not
		// read and the error must not leak the password either.
		"PGRST_DB_URI":                         "postgresql://authenticator:db-pass-1234@127.0.0.1:1/app",
		"REDIS_URL":                            "redis://default:redis-pass-1234@127.0.0.1:6379/0",
		"PGRST_JWT_SECRET":                     "jwt-secret-1234-jwt-secret-1234-jwt",
		"PGRST_CACHE_SIGNING_KEY":              "signing-key-1234-signing-key-1234-signing",
		"PGRST_ADMIN_SERVER_HOST":              "0.0.0.0",
		"PGRST_ADMIN_SERVER_PORT":              "3001",
		"PGRST_WORKER_FINGERPRINT_INTERVAL_MS": "5000",
		"PGRST_DB_SCHEMAS":                     "api,other",
	}
	code, out, errOut := runWorker(t, vars, "--dump-config")
	if code != 0 {
		t.Fatalf("--dump-config: %d %s", code, errOut)
	}
	for _, secret := range []string{"db-pass-1234", "redis-pass-1234", "jwt-secret-1234", "signing-key-1234"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("--dump-config shows %q:\n%s\n%s", secret, out, errOut)
		}
	}
	for _, line := range []string{
		`db-uri = "postgresql://authenticator:********@127.0.0.1:1/app"`,
		`redis-url = "redis://default:********@127.0.0.1:6379/0"`,
		`jwt-secret = "********"`,
		`cache-signing-key = "********"`,
		`db-schemas = "api,other"`,
		`admin-server-host = "0.0.0.0"`,
		`admin-server-port = 3001`,
		`worker-fingerprint-interval-ms = 5000`,
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("--dump-config lacks %s:\n%s", line, out)
		}
	}
}

func TestWorkerCLIDumpConfigReadsTheDatabase(t *testing.T) {
	t.Parallel()
	db, vars := newDatabase(t, "")
	var name string
	if err := db.QueryRow(context.Background(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `ALTER ROLE authenticator IN DATABASE `+name+` SET pgrst.db_max_rows = '7'`)
	t.Cleanup(func() {
		mustExec(t, db, `ALTER ROLE authenticator IN DATABASE `+name+` RESET pgrst.db_max_rows`)
	})
	code, out, errOut := runWorker(t, vars, "--dump-config")
	if code != 0 || !strings.Contains(out, "db-max-rows = 7\n") {
		t.Fatalf("--dump-config: %d\n%s\n%s", code, out, errOut)
	}
}

func TestWorkerCLIDumpSchema(t *testing.T) {
	t.Parallel()
	_, vars := newDatabase(t, `CREATE TABLE api.dumped_books (id int PRIMARY KEY, title text);`)
	code, out, errOut := runWorker(t, vars, "--dump-schema")
	if code != 0 {
		t.Fatalf("--dump-schema: %d %s", code, errOut)
	}
	var doc struct {
		Schemas []string
		Tables  []struct {
			Schema, Name string
			Columns      []struct{ Name string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("--dump-schema is not JSON: %v\n%.500s", err, out)
	}
	found := false
	for _, tb := range doc.Tables {
		if tb.Schema == "api" && tb.Name == "dumped_books" && len(tb.Columns) == 2 {
			found = true
		}
	}
	if !found || len(doc.Schemas) != 1 || doc.Schemas[0] != "api" {
		t.Fatalf("--dump-schema lacks api.dumped_books: %.500s", out)
	}

	vars["PGRST_DB_URI"] = "postgresql://authenticator@127.0.0.1:1/none"
	if code, _, errOut := runWorker(t, vars, "--dump-schema"); code != 1 || errOut == "" {
		t.Fatalf("--dump-schema without a database: %d %q", code, errOut)
	}
}

// --ready probes a running worker's admin server: 0 while it is ready, 1
// once it stopped. The worker is the binary itself, on a wildcard host.
func TestWorkerCLIReady(t *testing.T) {
	t.Parallel()
	_, vars := newDatabase(t, "")
	vars["PGRST_ADMIN_SERVER_HOST"] = "0.0.0.0"
	vars["PGRST_ADMIN_SERVER_PORT"] = strconv.Itoa(freePort(t))
	vars["PGRST_SERVER_PORT"] = strconv.Itoa(freePort(t))

	if code, _, errOut := runWorker(t, vars, "--ready"); code != 1 || !strings.Contains(errOut, "not ready") {
		t.Fatalf("--ready with no worker: %d %q", code, errOut)
	}

	cmd := exec.Command(workerBin(t))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	waitFor(t, "--ready exits 0", 15*time.Second, func() bool {
		code, _, _ := runWorker(t, vars, "--ready")
		return code == 0
	})

	// SIGTERM stops it gracefully (exit 0); then it is not ready.
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		exited <- err
		if err != nil {
			t.Fatalf("worker exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("worker did not stop on SIGINT")
	}
	if code, _, _ := runWorker(t, vars, "--ready"); code != 1 {
		t.Fatalf("--ready after the worker stopped: %d", code)
	}
}
