package tests

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestWritePlans holds PlanSpec's "writes plans": with db-plan-enabled,
// application/vnd.pgrst.plan on POST, PATCH, DELETE and PUT answers 200
// with the EXPLAIN of the write, as PostgREST. Without `analyze` nothing
// is executed; with it the write runs in a transaction that ends as any
// write's (PostgREST adds no rollback of its own), so `Prefer: tx=rollback`
// keeps it from being committed.
func TestWritePlans(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, notesSQL+`
CREATE TABLE api.plan_calls (n int);
GRANT SELECT, INSERT ON api.plan_calls TO web_anon;
CREATE FUNCTION api.record_call(n int) RETURNS int LANGUAGE sql AS $$ INSERT INTO api.plan_calls VALUES (n) RETURNING n $$;
GRANT EXECUTE ON FUNCTION api.record_call(int) TO web_anon;
INSERT INTO api.labels (name, uses) VALUES ('keep', 1), ('gone', 2);`,
		func(c *config.Config) { c.DBPlanEnabled = true; c.DBTxEnd = "commit-allow-override" })
	const pj = "application/vnd.pgrst.plan+json"

	// operation is the "Operation" of the ModifyTable node of a JSON plan.
	operation := func(t *testing.T, r response) string {
		t.Helper()
		if r.Status != 200 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, pj+";") {
			t.Errorf("Content-Type = %q", ct)
		}
		var plan []map[string]any
		if err := json.Unmarshal([]byte(r.Body), &plan); err != nil || len(plan) != 1 {
			t.Fatalf("not a JSON plan: %v %q", err, r.Body)
		}
		var find func(n map[string]any) string
		find = func(n map[string]any) string {
			if op, ok := n["Operation"].(string); ok && n["Node Type"] == "ModifyTable" {
				return op
			}
			subs, _ := n["Plans"].([]any)
			for _, s := range subs {
				if m, ok := s.(map[string]any); ok {
					if op := find(m); op != "" {
						return op
					}
				}
			}
			return ""
		}
		top, _ := plan[0]["Plan"].(map[string]any)
		return find(top)
	}
	labels := func(t *testing.T, want string) {
		t.Helper()
		if r := e.get("/labels?select=name,uses&order=name"); r.Status != 200 || compact(t, r.Body) != want {
			t.Fatalf("labels: %d %s, want %s", r.Status, r.Body, want)
		}
	}
	const before = `[{"name":"gone","uses":2},{"name":"keep","uses":1}]`

	t.Run("insert", func(t *testing.T) {
		r := e.send("POST", "/labels", `{"name":"new"}`, "Accept", pj, "Content-Type", "application/json")
		if op := operation(t, r); op != "Insert" {
			t.Errorf("operation %q, want Insert", op)
		}
		if r.Header.Get("Location") != "" || r.Header.Get("Content-Range") != "" {
			t.Errorf("headers of a write on a plan: %v", r.Header)
		}
		labels(t, before)
	})
	t.Run("update", func(t *testing.T) {
		r := e.send("PATCH", "/labels?name=eq.keep", `{"uses":5}`, "Accept", pj, "Content-Type", "application/json")
		if op := operation(t, r); op != "Update" {
			t.Errorf("operation %q, want Update", op)
		}
		labels(t, before)
	})
	t.Run("delete for an object, checks not applied", func(t *testing.T) {
		// No row matches: PostgREST checks no singular response on a plan.
		r := e.send("DELETE", "/labels?name=eq.none", "", "Accept", pj+`; for="application/vnd.pgrst.object"; options=verbose`,
			"Prefer", "return=representation")
		if op := operation(t, r); op != "Delete" {
			t.Errorf("operation %q, want Delete", op)
		}
		if ct := r.Header.Get("Content-Type"); ct != pj+`; for="application/vnd.pgrst.object+json"; options=verbose; charset=utf-8` {
			t.Errorf("Content-Type = %q", ct)
		}
		if !strings.Contains(r.Body, "json_agg") || !strings.Contains(r.Body, "-> 0") {
			t.Errorf("the body expression of an object is not in the plan: %.300s", r.Body)
		}
	})
	t.Run("put", func(t *testing.T) {
		r := e.send("PUT", "/labels?name=eq.put", `{"name":"put","uses":3}`, "Accept", pj, "Content-Type", "application/json")
		if op := operation(t, r); op != "Insert" {
			t.Errorf("operation %q, want Insert", op)
		}
		labels(t, before)
	})
	t.Run("text plan", func(t *testing.T) {
		r := e.send("DELETE", "/labels?name=eq.gone", "", "Accept", "application/vnd.pgrst.plan")
		if r.Status != 200 || !strings.Contains(r.Body, "Delete on labels") {
			t.Fatalf("%d %q", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != `application/vnd.pgrst.plan+text; for="application/json"; charset=utf-8` {
			t.Errorf("Content-Type = %q", ct)
		}
		labels(t, before)
	})
	t.Run("analyze with tx=rollback is not committed", func(t *testing.T) {
		r := e.send("DELETE", "/labels?name=eq.gone", "", "Accept", pj+"; options=analyze", "Prefer", "tx=rollback")
		if op := operation(t, r); op != "Delete" {
			t.Errorf("operation %q, want Delete", op)
		}
		if !strings.Contains(r.Body, `"Actual Rows"`) {
			t.Errorf("not analyzed: %.300s", r.Body)
		}
		labels(t, before)
	})
	t.Run("analyze executes the write, as PostgREST", func(t *testing.T) {
		r := e.send("PATCH", "/labels?name=eq.keep", `{"uses":7}`, "Accept", pj+"; options=analyze", "Content-Type", "application/json")
		if op := operation(t, r); op != "Update" {
			t.Errorf("operation %q, want Update", op)
		}
		labels(t, `[{"name":"gone","uses":2},{"name":"keep","uses":7}]`)
	})
	t.Run("rpc by POST", func(t *testing.T) {
		r := e.send("POST", "/rpc/record_call", `{"n":1}`, "Accept", pj, "Content-Type", "application/json")
		if r.Status != 200 || !strings.Contains(r.Body, `"Plan"`) {
			t.Fatalf("%d %q", r.Status, r.Body)
		}
		r = e.send("POST", "/rpc/record_call", `{"n":2}`, "Accept", pj+"; options=analyze", "Content-Type", "application/json",
			"Prefer", "tx=rollback")
		if r.Status != 200 || !strings.Contains(r.Body, `"Actual Rows"`) {
			t.Fatalf("%d %q", r.Status, r.Body)
		}
		if r := e.get("/plan_calls"); r.Status != 200 || compact(t, r.Body) != `[]` {
			t.Errorf("plan_calls: %d %s, want []", r.Status, r.Body)
		}
	})
}

// TestWritePlansDisabled: without db-plan-enabled the plan of a write is
// not offered (406 PGRST107, as a read's).
func TestWritePlansDisabled(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, notesSQL, nil)
	wantError(t, e.send("DELETE", "/labels?name=eq.x", "", "Accept", "application/vnd.pgrst.plan+json"), 406, "PGRST107",
		`None of these media types are available: application/vnd.pgrst.plan+json; for="application/json"`, "null", "null")
	wantError(t, e.send("POST", "/labels", `{"name":"x"}`, "Accept", "application/vnd.pgrst.plan", "Content-Type", "application/json"), 406, "PGRST107",
		`None of these media types are available: application/vnd.pgrst.plan+text; for="application/json"`, "null", "null")
}
