package tests

import (
	"net/http"
	"testing"
)

// jsonOperatorSQL holds the tables of PostgREST's JsonOperatorSpec: json
// documents with arrays and keys of special characters, a composite type
// column, integer array columns and a function returning a TABLE with a
// composite column, with data chosen so that the spec's bodies hold.
const jsonOperatorSQL = `
CREATE TABLE api.json_arr (id int PRIMARY KEY, data json);
INSERT INTO api.json_arr VALUES
  (1, '[1,2,3]'), (2, '[4,5,6]'), (3, '[[9,8,7],[11,12,13]]'), (4, '[[[5,6],7,8]]'),
  (5, '[{"a":"A"},{"b":"B"}]'), (6, '[{"a":[1,2,3]},{"b":[4,5]}]'),
  (7, '{"c":[1,2,3]}'), (8, '{"c":[{"d":[4,5,6,7,8]}]}'),
  (9, '[{"0xy1":[null,{"23-xy-45":[null,{"xy-6":[3]}]}]}]'),
  (10, '{"!@#$%^&*_d":{"!@#$%^&*_e":3}}');
CREATE TABLE api.json_table (data json);
INSERT INTO api.json_table VALUES ('{"id":1,"foo":{"bar":"baz"}}'), ('{"id":3}'), ('{"id":0}');
CREATE TABLE api.jsonb_test (id int PRIMARY KEY, data jsonb);
INSERT INTO api.jsonb_test VALUES (1, '{"a":{"b":2}}'), (2, '{"c":[1,2,3]}'), (3, '[{"d":"test"}]'), (4, '{"e":1}');
CREATE TYPE api.complex AS (r double precision, i double precision);
CREATE TABLE api.fav_numbers (num api.complex, person text);
INSERT INTO api.fav_numbers VALUES (ROW(0.5, 0.5), 'A'), (ROW(0.6, 0.6), 'B');
CREATE TABLE api.arrays (id int PRIMARY KEY, numbers int[], numbers_mult int[]);
INSERT INTO api.arrays VALUES (0, '{1,2,3}', '{{1,2,3},{4,5,6},{7,8,9}}'),
  (1, '{11,12,13}', '{{11,12,13},{14,15,16},{17,18,19}}');
CREATE FUNCTION api.returns_complex() RETURNS TABLE(id int, val api.complex) LANGUAGE sql AS $$
  SELECT 1, ROW(0.1, 0.1)::api.complex UNION ALL SELECT 2, ROW(0.2, 0.6)::api.complex
  UNION ALL SELECT 3, ROW(0.3, 0.7)::api.complex $$;
GRANT SELECT, UPDATE ON ALL TABLES IN SCHEMA api TO web_anon;
`

// TestJSONOperatorSpec holds the cases of PostgREST's JsonOperatorSpec
// beyond TestJSONPaths: keys of non-reserved special characters, indexes
// only where a well-formed number ends, the output key of a path ending
// with an index (its last key), composite type fields and array items
// through -> in select, filters and order, an RPC returning a TABLE with a
// composite column, and the 42883 of ->> followed by ->.
func TestJSONOperatorSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, jsonOperatorSQL, nil)
	cases := []struct{ name, path, body string }{
		{"special characters in keys", "/json_arr?id=eq.10&select=data->!@%23$%25^%26*_d->>!@%23$%25^%26*_e::integer",
			`[{"!@#$%^&*_e":3}]`},
		{"filter on keys with special characters", "/json_arr?select=data->!@%23$%25^%26*_d&data->!@%23$%25^%26*_d->>!@%23$%25^%26*_e=eq.3",
			`[{"!@#$%^&*_d":{"!@#$%^&*_e":3}}]`},
		{"only well-formed numbers are indexes", "/json_arr?select=data->0->0xy1->1->23-xy-45->1->xy-6->>0::int&id=eq.9",
			`[{"xy-6":3}]`},
		{"a path ending with an index is named by its last key", "/json_arr?select=data->c->>0::json&id=in.(7,8)&order=id",
			`[{"c":1},{"c":{"d":[4,5,6,7,8]}}]`},
		{"nested keys and indexes", "/json_arr?select=data->c->0->d->>4::int&id=in.(7,8)&order=id", `[{"d":null},{"d":8}]`},
		{"nested array of ints", "/json_arr?select=data->0->0->>1::int&id=in.(3,4)&order=id", `[{"data":null},{"data":6}]`},
		{"negative indexes", "/json_arr?select=data->0->>-2::int&id=in.(3,4)&order=id", `[{"data":8},{"data":7}]`},
		{"filter with negative indexes", "/json_arr?select=data&data->-1->b->>-1=eq.5", `[{"data":[{"a":[1,2,3]},{"b":[4,5]}]}]`},
		{"->> cast to json", "/json_table?data->>id=eq.1&select=data->>foo::json", `[{"foo":{"bar":"baz"}}]`},
		{"filter jsonb by a document", "/jsonb_test?data=eq.{%22e%22:1}", `[{"id":4,"data":{"e":1}}]`},
		{"filter jsonb by a key's document", "/jsonb_test?data->a=eq.{%22b%22:2}", `[{"id":1,"data":{"a":{"b":2}}}]`},
		{"filter jsonb by a key's array", "/jsonb_test?data->c=eq.[1,2,3]", `[{"id":2,"data":{"c":[1,2,3]}}]`},
		{"filter jsonb by an item's document", "/jsonb_test?data->0=eq.{%22d%22:%22test%22}", `[{"id":3,"data":[{"d":"test"}]}]`},
		{"composite field ->", "/fav_numbers?select=num->i&order=person", `[{"i":0.5},{"i":0.6}]`},
		{"composite field ->>", "/fav_numbers?select=num->>i&order=person", `[{"i":"0.5"},{"i":"0.6"}]`},
		{"array items", "/arrays?select=a:numbers->0,b:numbers->1,c:numbers_mult->0->0,d:numbers_mult->1->2&order=id",
			`[{"a":1,"b":2,"c":1,"d":6},{"a":11,"b":12,"c":11,"d":16}]`},
		{"array items as text", "/arrays?select=a:numbers->>0,b:numbers->>1,c:numbers_mult->0->>0,d:numbers_mult->1->>2&order=id",
			`[{"a":"1","b":"2","c":"1","d":"6"},{"a":"11","b":"12","c":"11","d":"16"}]`},
		{"filter on a composite field", "/fav_numbers?num->>i=gt.0.5", `[{"num":{"r":0.6,"i":0.6},"person":"B"}]`},
		{"filter on array items", "/arrays?select=id&numbers->0=eq.1", `[{"id":0}]`},
		{"filter on array items as text", "/arrays?select=id&numbers->>0=eq.11", `[{"id":1}]`},
		{"filter on nested array items", "/arrays?select=id&numbers_mult->1->1=eq.5", `[{"id":0}]`},
		{"filter on nested array items as text", "/arrays?select=id&numbers_mult->2->>2=eq.19", `[{"id":1}]`},
		{"order by a composite field", "/fav_numbers?order=num->i.asc", `[{"num":{"r":0.5,"i":0.5},"person":"A"},{"num":{"r":0.6,"i":0.6},"person":"B"}]`},
		{"order by a composite field as text", "/fav_numbers?order=num->>i.desc", `[{"num":{"r":0.6,"i":0.6},"person":"B"},{"num":{"r":0.5,"i":0.5},"person":"A"}]`},
		{"order by array items", "/arrays?select=id&order=numbers->0.desc", `[{"id":1},{"id":0}]`},
		{"order by nested array items", "/arrays?select=id&order=numbers_mult->2->2.asc", `[{"id":0},{"id":1}]`},
		{"order by a json key, nulls first", "/json_table?order=data->foo->>bar.nullsfirst,data->>id",
			`[{"data":{"id":0}},{"data":{"id":3}},{"data":{"id":1,"foo":{"bar":"baz"}}}]`},
		{"rpc returning a TABLE with a composite column", "/rpc/returns_complex?select=val->r&val->i=gt.0.5&order=val->>i.desc",
			`[{"r":0.3},{"r":0.2}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
		})
	}

	t.Run("bad cast of a value", func(t *testing.T) {
		wantError(t, e.get("/json_table?select=data->foo->>bar::integer"), 400, "22P02",
			`invalid input syntax for type integer: "baz"`, "null", "null")
	})
	t.Run("reserved character in a key", func(t *testing.T) {
		wantError(t, e.get("/json_arr?id=eq.10&select=data->(!@%23$%25^%26*_d->>!@%23$%25^%26*_e::integer"), 400, "PGRST100",
			`"failed to parse select parameter (data->(!@#$%^&*_d->>!@#$%^&*_e::integer)" (line 1, column 7)`,
			`unexpected "(" expecting "-", digit or any non reserved character different from: .,>()`, "null")
	})
	// PostgREST answers 42883 (undefined function) with 404; the hint is
	// PostgreSQL's own, worded by its version.
	t.Run("->> followed by -> and an index", func(t *testing.T) {
		wantError(t, e.get("/json_arr?select=data->>c->1"), 404, "42883", "operator does not exist: text -> integer", "", "")
	})
	t.Run("->> followed by -> and a key", func(t *testing.T) {
		wantError(t, e.get("/json_arr?select=data->>c->b"), 404, "42883", "operator does not exist: text -> unknown", "", "")
	})
	// Runs last: it changes a row the cases above read.
	t.Run("patch to an escaped value", func(t *testing.T) {
		r := e.send(http.MethodPatch, "/json_table?data->>id=eq.3", `{"data":{"id":" \"escaped"}}`, "Prefer", "return=representation")
		if want := `[{"data":{"id":" \"escaped"}}]`; r.Status != 200 || compact(t, r.Body) != want {
			t.Fatalf("got %d %s\nwant 200 %s", r.Status, r.Body, want)
		}
	})
}
