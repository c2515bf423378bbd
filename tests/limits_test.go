package tests

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestHostileShapesAreCheap: the embed bomb, 60k select items, a 70k-term
// `or` and a 70k-value `in` are each refused with 400 PGRST100 naming the
// limit, never a 503 or a long-running query; with the limits off, the
// 70k-value `in` is still a 400 (PostgreSQL takes 65,535 parameters), not
// a database connection error.
func TestHostileShapesAreCheap(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	list := func(n int, item string) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }
	bomb := strings.Repeat("authors(books(", 13) + "id" + strings.Repeat("))", 13)
	cases := []struct {
		name, path, limit string
	}{
		{"embed bomb", "/books?select=" + bomb, "PGRST_LIMIT_EMBED_DEPTH"},
		{"60k select items", "/books?select=" + list(60000, "id"), "PGRST_LIMIT_SELECT_ITEMS"},
		{"70k-term or", "/books?or=(" + list(70000, "id.eq.1") + ")", "PGRST_LIMIT_LOGIC_TERMS"},
	}
	for _, c := range cases {
		start := time.Now()
		r := e.get(c.path)
		took := time.Since(start)
		wantError(t, r, http.StatusBadRequest, "PGRST100", "The request exceeds a limit", "", "")
		if !strings.Contains(r.Body, c.limit) {
			t.Errorf("%s: %s does not name %s", c.name, r.Body, c.limit)
		}
		t.Logf("%s (%d bytes of URL): %v", c.name, len(c.path), took)
	}
	off := sampleEnvWith(t, "", func(c *config.Config) { c.Limits = config.Limits{} })
	r := off.get("/books?id=in.(" + list(70000, "1") + ")")
	wantError(t, r, http.StatusBadRequest, "PGRST100", "The request exceeds a limit", "", "")
	if !strings.Contains(r.Body, "65535") {
		t.Errorf("70k-value in: %s", r.Body)
	}
}

// TestResponseLimit: a body over PGRST_LIMIT_RESPONSE_BYTES is answered
// with PGRSTX00 naming the limit, on the local server and through the
// Lambda handler, and one under it is sent whole.
func TestResponseLimit(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, "", func(c *config.Config) { c.Limits.ResponseBytes = 200 })
	small := e.get("/books?select=id&limit=1")
	if small.Status != 200 {
		t.Fatalf("small: %d %s", small.Status, small.Body)
	}
	for name, r := range map[string]response{"http": e.get("/books"), "lambda v1": invokeV1(t, e, "GET", "/books", "")} {
		wantError(t, r, http.StatusInternalServerError, "PGRSTX00", "The response is too large", "", "")
		if !strings.Contains(r.Body, "the limit is 200") {
			t.Errorf("%s: %s", name, r.Body)
		}
	}
}
