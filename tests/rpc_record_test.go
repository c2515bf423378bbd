package tests

import "testing"

// TestRPCReturningRecord covers functions returning record or SETOF record
// without OUT parameters. PostgREST treats them as scalars, called in the
// select list (its callPlanToQuery), so each row is the JSON object of the
// record's fields, named as the function's query names them.
func TestRPCReturningRecord(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
		CREATE TABLE api.items (id int PRIMARY KEY, name text);
		INSERT INTO api.items VALUES (1, 'one'), (2, 'two');
		CREATE FUNCTION api.pair(a int) RETURNS record LANGUAGE sql IMMUTABLE AS $$ SELECT a, a * 2 $$;
		CREATE FUNCTION api.pairs() RETURNS SETOF record LANGUAGE sql IMMUTABLE AS
		  $$ SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) v $$;
		CREATE FUNCTION api.item_row(item_id int) RETURNS record LANGUAGE plpgsql STABLE AS $$
		DECLARE r record;
		BEGIN
		  SELECT id, name INTO r FROM api.items WHERE id = item_id;
		  RETURN r;
		END $$;
		CREATE FUNCTION api.no_pairs() RETURNS SETOF record LANGUAGE sql IMMUTABLE AS
		  $$ SELECT 1, 2 WHERE false $$;
		GRANT SELECT ON ALL TABLES IN SCHEMA api TO web_anon;`, nil)
	cases := []struct{ name, method, path, body, want string }{
		{"record by GET", "GET", "/rpc/pair?a=3", "", `{"a":3,"?column?":6}`},
		{"record by POST", "POST", "/rpc/pair", `{"a":2}`, `{"a":2,"?column?":4}`},
		{"record with named fields", "GET", "/rpc/item_row?item_id=2", "", `{"id":2,"name":"two"}`},
		{"setof record", "GET", "/rpc/pairs", "", `[{"column1":1,"column2":"a"},{"column1":2,"column2":"b"},{"column1":3,"column2":"c"}]`},
		{"setof record paged", "GET", "/rpc/pairs?limit=1&offset=1", "", `[{"column1":2,"column2":"b"}]`},
		{"empty setof record", "GET", "/rpc/no_pairs", "", `[]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.body)
			if r.Status != 200 || compact(t, r.Body) != c.want {
				t.Fatalf("%s %s\n got %d %s\nwant 200 %s", c.method, c.path, r.Status, r.Body, c.want)
			}
		})
	}
}
