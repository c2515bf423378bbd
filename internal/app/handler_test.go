package app

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

// panickingCache stands for any stage that panics.
type panickingCache struct{}

func (panickingCache) Current(context.Context) (*snapshot.Snapshot, int64, error) {
	panic("boom")
}

func (panickingCache) Memo() (*snapshot.Snapshot, int64, bool) { return nil, 0, false }

// TestPanicIsRecovered: a panic becomes a PostgREST-style 500 naming the
// request id, with no Go panic text in the body, and is logged with its
// stack under the same id.
func TestPanicIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	h := New(&config.Config{}, panickingCache{}, nil, slog.New(slog.NewJSONHandler(&logs, nil)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/books", nil))
	if w.Code != 500 {
		t.Fatalf("status %d", w.Code)
	}
	var body struct{ Code, Message, Details string }
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
	id := strings.TrimPrefix(body.Details, "request id ")
	if body.Code != "PGRSTX00" || id == body.Details || len(id) != 16 || strings.Contains(w.Body.String(), "boom") {
		t.Fatalf("body %s", w.Body)
	}
	if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) || !strings.Contains(logs.String(), "handler_test.go") {
		t.Fatalf("log %s", logs.String())
	}
}

// staticCache serves one snapshot.
type staticCache struct{ snap *snapshot.Snapshot }

func (c staticCache) Current(context.Context) (*snapshot.Snapshot, int64, error) {
	return c.snap, 1, nil
}

func (c staticCache) Memo() (*snapshot.Snapshot, int64, bool) { return c.snap, 1, true }

// TestBodyLimit: a body of exactly the limit is read (and parsed), one byte
// more is refused whole with 413, before planning.
func TestBodyLimit(t *testing.T) {
	cfg := &config.Config{DBSchemas: []string{"api"}, DBAnonRole: "anon"}
	h := New(cfg, staticCache{&snapshot.Snapshot{Cache: &schemacache.SchemaCache{}}}, nil, nil)
	for _, c := range []struct {
		size   int
		status int
		code   string
	}{
		{maxBodyBytes, 400, "PGRST102"}, // read whole: not JSON
		{maxBodyBytes + 1, 413, "PGRST102"},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/books", strings.NewReader(strings.Repeat("x", c.size)))
		r.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(w, r)
		var body struct{ Code, Message string }
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != c.status || body.Code != c.code || (c.status == 413) != (body.Message == "Request body too large") {
			t.Errorf("%d bytes: %d %s", c.size, w.Code, w.Body)
		}
	}
}
