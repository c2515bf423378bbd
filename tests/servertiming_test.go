package tests

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestServerTiming: with server-timing-enabled each response names the
// stages that ran, as PostgREST's ServerTimingSpec: all five for reads,
// writes, calls and the root; no plan and no transaction for OPTIONS; on an
// error, the stages up to the one that failed.
func TestServerTiming(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `CREATE TABLE api.timed (id serial PRIMARY KEY, name text);
		GRANT ALL ON api.timed TO web_anon; GRANT USAGE ON SEQUENCE api.timed_id_seq TO web_anon;`, func(c *config.Config) { c.ServerTimingEnabled = true })
	all := []string{"jwt", "parse", "plan", "transaction", "response"}
	for _, c := range []struct {
		method, path, body string
		status             int
		stages             []string
	}{
		{"GET", "/books?id=eq.1", "", 200, all},
		{"POST", "/timed", `{"name":"a"}`, 201, all},
		{"PATCH", "/timed?name=eq.a", `{"name":"b"}`, 204, all},
		{"DELETE", "/timed?name=eq.b", "", 204, all},
		{"POST", "/rpc/add", `{"a":1,"b":2}`, 200, all},
		{"HEAD", "/", "", 200, all},
		{"OPTIONS", "/books", "", 200, []string{"jwt", "parse", "response"}},
		{"OPTIONS", "/rpc/add?a=1&b=2", "", 200, []string{"jwt", "parse", "response"}},
		{"GET", "/books?id=invalid", "", 400, []string{"jwt", "parse"}},
		{"GET", "/nope", "", 404, []string{"jwt", "parse", "plan"}},
		{"GET", "/books?id=eq.invalid", "", 400, []string{"jwt", "parse", "plan", "transaction"}},
	} {
		h := []string{}
		if c.body != "" {
			h = append(h, "Content-Type", "application/json")
		}
		r := e.send(c.method, c.path, c.body, h...)
		if r.Status != c.status {
			t.Errorf("%s %s: status %d, want %d; %s", c.method, c.path, r.Status, c.status, r.Body)
			continue
		}
		got := r.Header.Get("Server-Timing")
		var names []string
		for _, entry := range strings.Split(got, ", ") {
			if !regexp.MustCompile(`^[a-z]+;dur=[0-9]+\.[0-9]$`).MatchString(entry) {
				t.Errorf("%s %s: entry %q of %q", c.method, c.path, entry, got)
			}
			names = append(names, strings.Split(entry, ";")[0])
		}
		if strings.Join(names, ",") != strings.Join(c.stages, ",") {
			t.Errorf("%s %s: Server-Timing %q, want stages %v", c.method, c.path, got, c.stages)
		}
	}
	// Off by default.
	if r := sampleEnv(t).get("/books?id=eq.1"); r.Header.Get("Server-Timing") != "" {
		t.Errorf("Server-Timing without the setting: %q", r.Header.Get("Server-Timing"))
	}
}
