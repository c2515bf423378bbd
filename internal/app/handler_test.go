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
)

// panickingCache stands for any stage that panics.
type panickingCache struct{}

func (panickingCache) Current(context.Context) (*schemacache.Snapshot, int64, error) {
	panic("boom")
}

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
