package tests

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/localdev"
)

// runBootstrap runs the bootstrap binary bin under localdev.RuntimeAPI (the
// Lambda Runtime API that `make dev-lambda` uses) with the given
// environment, invokes it with the events one after another and returns the
// responses in order; a function error fails the test.
func runBootstrap(t *testing.T, bin string, vars map[string]string, events [][]byte) [][]byte {
	t.Helper()
	env := os.Environ()
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	var stderr strings.Builder
	rt := &localdev.RuntimeAPI{Bootstrap: bin, Env: env, Concurrency: 1, Timeout: 20 * time.Second, Output: &stderr}
	defer rt.Close()
	var out [][]byte
	for _, ev := range events {
		res, err := rt.Invoke(context.Background(), json.RawMessage(ev))
		if err != nil {
			rt.Close()
			t.Fatalf("invoke: %v; bootstrap output:\n%s", err, stderr.String())
		}
		out = append(out, res.(json.RawMessage))
	}
	return out
}
