package localdev

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// TestMain doubles as a fake bootstrap: with LOCALDEV_FAKE_BOOTSTRAP set
// the test binary runs aws-lambda-go's runtime loop against the Runtime API
// it is given, so the tests exercise the real client side of the contract.
func TestMain(m *testing.M) {
	if os.Getenv("LOCALDEV_FAKE_BOOTSTRAP") != "" {
		lambda.Start(func(ev map[string]any) (any, error) {
			if d, ok := ev["sleep_ms"].(float64); ok {
				time.Sleep(time.Duration(d) * time.Millisecond)
			}
			switch {
			case ev["fail"] != nil:
				return nil, errors.New("failed on purpose")
			case ev["exit"] != nil:
				os.Exit(3)
			case ev["big"] != nil:
				return strings.Repeat("x", MaxPayload), nil
			}
			return map[string]any{"echo": ev, "pid": os.Getpid()}, nil
		})
		return
	}
	os.Exit(m.Run())
}

func fakeRuntime(t *testing.T, concurrency int) *RuntimeAPI {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	rt := &RuntimeAPI{Bootstrap: exe, Env: append(os.Environ(), "LOCALDEV_FAKE_BOOTSTRAP=1"),
		Concurrency: concurrency, Timeout: 2 * time.Second, Output: io.Discard}
	if os.Getenv("LOCALDEV_TEST_LOG") != "" {
		rt.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	t.Cleanup(rt.Close)
	return rt
}

func invokeJSON(t *testing.T, rt *RuntimeAPI, ev string) (map[string]any, error) {
	t.Helper()
	out, err := rt.Invoke(context.Background(), json.RawMessage(ev))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(out.(json.RawMessage), &m); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return m, nil
}

func TestRuntimeAPIInvokes(t *testing.T) {
	rt := fakeRuntime(t, 2)
	m, err := invokeJSON(t, rt, `{"a":1}`)
	if err != nil || m["echo"].(map[string]any)["a"] != 1.0 {
		t.Fatalf("got %v, %v", m, err)
	}
	first := m["pid"]
	// A warm container takes the next event.
	if m, _ = invokeJSON(t, rt, `{}`); m["pid"] != first || rt.Containers() != 1 {
		t.Fatalf("second event ran in pid %v (first %v), %d containers", m["pid"], first, rt.Containers())
	}

	var fe *FunctionError
	if _, err := invokeJSON(t, rt, `{"fail":true}`); !errors.As(err, &fe) || !strings.Contains(fe.Message, "failed on purpose") {
		t.Fatalf("function error: %v", err)
	}
	if _, err := invokeJSON(t, rt, `{"big":true}`); !errors.As(err, &fe) || fe.Type != "Function.ResponseSizeTooLarge" {
		t.Fatalf("big response: %v", err)
	}
	if _, err := rt.Invoke(context.Background(), json.RawMessage(`"`+strings.Repeat("x", MaxPayload)+`"`)); !errors.Is(err, ErrPayloadTooLarge) {
		t.Fatalf("big event: %v", err)
	}
	if _, err := invokeJSON(t, rt, `{"sleep_ms":3000}`); !errors.As(err, &fe) || fe.Type != "Sandbox.Timedout" {
		t.Fatalf("timeout: %v", err)
	}
	if _, err := invokeJSON(t, rt, `{"exit":true}`); !errors.As(err, &fe) || fe.Type != "Runtime.ExitError" {
		t.Fatalf("exit: %v", err)
	}
	// After a timeout and an exit, new containers take over.
	if m, err := invokeJSON(t, rt, `{}`); err != nil || m["pid"] == first {
		t.Fatalf("after exit: %v %v", m, err)
	}
}

// TestRuntimeAPIConcurrency: one event per container; busy containers make
// new ones up to the limit, beyond which events wait.
func TestRuntimeAPIConcurrency(t *testing.T) {
	rt := fakeRuntime(t, 2)
	var wg sync.WaitGroup
	pids := make([]any, 3)
	start := time.Now()
	for i := range pids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, err := invokeJSON(t, rt, `{"sleep_ms":400}`)
			if err != nil {
				t.Error(err)
				return
			}
			pids[i] = m["pid"]
		}()
	}
	wg.Wait()
	distinct := map[any]bool{}
	for _, p := range pids {
		distinct[p] = true
	}
	if len(distinct) != 2 || rt.Containers() != 2 {
		t.Fatalf("3 concurrent events ran in %d processes (%d containers), want 2", len(distinct), rt.Containers())
	}
	if d := time.Since(start); d < 800*time.Millisecond {
		t.Fatalf("3 events of 400 ms on 2 containers took %v", d)
	}
}
