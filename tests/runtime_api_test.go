package tests

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// runtimeAPI is a minimal implementation of the AWS Lambda Runtime API
// (2018-06-01): it hands queued events to the function one at a time and
// collects the responses, as the Lambda service does for a bootstrap.
type runtimeAPI struct {
	srv    *httptest.Server
	events chan []byte
	mu     sync.Mutex
	out    map[string][]byte
	done   chan string
}

func newRuntimeAPI(t *testing.T) *runtimeAPI {
	rt := &runtimeAPI{events: make(chan []byte, 16), out: map[string][]byte{}, done: make(chan string, 16)}
	mux := http.NewServeMux()
	var n int
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case ev := <-rt.events:
			rt.mu.Lock()
			n++
			id := fmt.Sprintf("req-%d", n)
			rt.mu.Unlock()
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", id)
			w.Header().Set("Lambda-Runtime-Deadline-Ms", fmt.Sprint(time.Now().Add(30*time.Second).UnixMilli()))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:api")
			_, _ = w.Write(ev)
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		rt.out[r.PathValue("id")] = b
		rt.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		rt.done <- r.PathValue("id")
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rt.mu.Lock()
		rt.out[r.PathValue("id")] = append([]byte("ERROR "), b...)
		rt.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		rt.done <- r.PathValue("id")
	})
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		t.Errorf("bootstrap init error: %s", b)
		w.WriteHeader(http.StatusAccepted)
	})
	rt.srv = httptest.NewServer(mux)
	t.Cleanup(rt.srv.Close)
	return rt
}

// run starts the bootstrap with the given environment, feeds it the events
// one after another and returns the responses in order.
func (rt *runtimeAPI) run(t *testing.T, bin string, vars map[string]string, events [][]byte) [][]byte {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(rt.srv.URL, "http://"))
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var out [][]byte
	for _, ev := range events {
		rt.events <- ev
		select {
		case id := <-rt.done:
			rt.mu.Lock()
			out = append(out, rt.out[id])
			rt.mu.Unlock()
		case <-time.After(20 * time.Second):
			t.Fatalf("no response from bootstrap; stderr:\n%s", stderr.String())
		}
	}
	return out
}
