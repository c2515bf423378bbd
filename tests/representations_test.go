package tests

import "testing"

// TestDomainRepresentations: implicit casts between a domain and json or
// text change how its values are written to JSON, read from filters and
// read from request bodies, as PostgREST's domain representations.
func TestDomainRepresentations(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `
CREATE DOMAIN api.cents AS bigint;
CREATE FUNCTION api.cents_json(api.cents) RETURNS json LANGUAGE sql IMMUTABLE
  AS $$ SELECT to_json(round($1::numeric / 100, 2)::text) $$;
CREATE CAST (api.cents AS json) WITH FUNCTION api.cents_json(api.cents) AS IMPLICIT;
CREATE FUNCTION api.cents_text(text) RETURNS api.cents LANGUAGE sql IMMUTABLE
  AS $$ SELECT ($1::numeric * 100)::bigint $$;
CREATE CAST (text AS api.cents) WITH FUNCTION api.cents_text(text) AS IMPLICIT;
CREATE FUNCTION api.cents_from_json(json) RETURNS api.cents LANGUAGE sql IMMUTABLE
  AS $$ SELECT (($1 #>> '{}')::numeric * 100)::bigint $$;
CREATE CAST (json AS api.cents) WITH FUNCTION api.cents_from_json(json) AS IMPLICIT;
CREATE TABLE api.prices (id int PRIMARY KEY, amount api.cents, note text);
INSERT INTO api.prices VALUES (1, 1234, 'a'), (2, 99, 'b');
GRANT SELECT, INSERT, UPDATE ON api.prices TO web_anon;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA api TO web_anon;`, nil)
	rep := []string{"Prefer", "return=representation"}

	t.Run("output", func(t *testing.T) {
		want(t, e.get("/prices?order=id"), 200, `[{"id":1,"amount":"12.34","note":"a"},{"id":2,"amount":"0.99","note":"b"}]`, "0-1/*", "")
		want(t, e.get("/prices?select=amount&id=eq.1"), 200, `[{"amount":"12.34"}]`, "0-0/*", "")
		// A cast asks for the value itself.
		want(t, e.get("/prices?select=amount::text&id=eq.1"), 200, `[{"amount":"1234"}]`, "0-0/*", "")
	})
	t.Run("filters", func(t *testing.T) {
		want(t, e.get("/prices?select=id&amount=eq.12.34"), 200, `[{"id":1}]`, "0-0/*", "")
		want(t, e.get("/prices?select=id&amount=lt.1&order=id"), 200, `[{"id":2}]`, "0-0/*", "")
		want(t, e.get("/prices?select=id&amount=in.(0.99,12.34)&order=id"), 200, `[{"id":1},{"id":2}]`, "0-1/*", "")
	})
	t.Run("bodies", func(t *testing.T) {
		want(t, e.send("POST", "/prices", `{"id":3,"amount":"5.5","note":"c"}`, rep...), 201,
			`[{"id":3,"amount":"5.50","note":"c"}]`, "*/*", "return=representation")
		want(t, e.send("PATCH", "/prices?id=eq.3", `{"amount":"7"}`, rep...), 200,
			`[{"id":3,"amount":"7.00","note":"c"}]`, "0-0/*", "return=representation")
		if n := rowCount(t, e, `SELECT amount FROM api.prices WHERE id = 3`); n != 700 {
			t.Fatalf("stored %d cents, want 700", n)
		}
	})
}
