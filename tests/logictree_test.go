package tests

import "testing"

// TestLogicTreeValuesAndPaths holds and/or trees to PostgREST's
// pLogicTree: JSON paths on fields, quoted range literals, blanks, `{…}`
// arrays and isdistinct, and PostgREST's messages for malformed trees
// (AndOrParamsSpec and the parser's doctests).
func TestLogicTreeValuesAndPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
		CREATE TABLE api.entities (id int PRIMARY KEY, name text, arr int[]);
		INSERT INTO api.entities VALUES (1, 'entity 1', '{1}'), (2, 'entity 2', '{1,2}'), (3, 'entity 3', '{1,2,3}'), (4, NULL, NULL);
		CREATE TABLE api.ranges (id int PRIMARY KEY, range numrange);
		INSERT INTO api.ranges VALUES (1, '[1,3]'), (2, '[3,6]'), (3, '[6,9]'), (4, '[9,12]');
		CREATE TABLE api.docs (id int PRIMARY KEY, data jsonb);
		INSERT INTO api.docs VALUES
		  (1, '{"a":"1","b":{"c":"5"},"list":[1,2]}'),
		  (2, '{"a":"2","b":{"c":"1"},"list":[3]}'),
		  (3, '{"a":"3","b":{"c":"9"}}');
		GRANT SELECT ON ALL TABLES IN SCHEMA api TO web_anon;`, nil)
	cases := []struct{ name, path, body string }{
		{"json path fields", "/docs?or=(data->>a.eq.1,data->b->>c.gt.8)&select=id&order=id", `[{"id":1},{"id":3}]`},
		{"json path with an index, negated", "/docs?and=(data->list->0.eq.1,data->b->>c.not.eq.1)&select=id", `[{"id":1}]`},
		{"json path inside a nested tree", "/docs?or=(id.eq.2,and(data->>a.gte.3,data->b->>c.like.9))&select=id&order=id",
			`[{"id":2},{"id":3}]`},
		{"quoted range literals", "/ranges?or=(range.adj.%22(3,10%5D%22,range.cs.%22%5B10,11%5D%22)&select=id&order=id",
			`[{"id":1},{"id":4}]`},
		{"quoted range in a negated and", "/ranges?not.and=(range.ov.%22%5B0,4)%22,id.lt.3)&select=id&order=id",
			`[{"id":3},{"id":4}]`},
		{"array literals", "/entities?or=(arr.cs.{1,2,3},arr.cd.{1})&select=id&order=id", `[{"id":1},{"id":3}]`},
		{"isdistinct", "/entities?and=(id.gte.2,arr.isdistinct.{1,2})&select=id&order=id", `[{"id":3},{"id":4}]`},
		{"blanks", "/entities?and=(%20and%20(%20id.in.(%201,%202,%203%20)%20,%20id.eq.3%20)%20,%20or%20(%20id.eq.2%20,%20id.eq.3%20)%20)&select=id",
			`[{"id":3}]`},
		{"quoted values", "/entities?or=(name.eq.%22entity%201%22,name.like.%22*ty%202%22)&select=id&order=id", `[{"id":1},{"id":2}]`},
		// Input after the tree's closing parenthesis, and after `in.(…)`
		// or `is.x` in a filter, is ignored, as by PostgREST's parsers
		// (AndOrParamsSpec: "can handle eq and neq").
		{"input after the tree", "/entities?and=(id.eq.1,id.neq.2))&select=id", `[{"id":1}]`},
		{"input after a negated tree", "/entities?not.or=(id.lt.3,name.is.null)x&select=id", `[{"id":3}]`},
		{"input after in", "/entities?id=in.(2,3)x&select=id&order=id", `[{"id":2},{"id":3}]`},
		{"input after is", "/entities?name=is.nullx&select=id", `[{"id":4}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
		})
	}
	errs := []struct{ name, path, message, details string }{
		{"no conditions", "/entities?or=()", `"failed to parse logic tree (())" (line 1, column 4)`,
			`unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`},
		{"unquoted range literal", "/ranges?or=(range.adj.(3,10%5D,range.cs.%5B10,11%5D)",
			`"failed to parse logic tree ((range.adj.(3,10],range.cs.[10,11]))" (line 1, column 19)`,
			`unexpected "]" expecting letter, digit, "-", "->>", "->" or delimiter (.)`},
		{"in without a list", "/entities?or=(id.in.1,2,id.eq.3)", `"failed to parse logic tree ((id.in.1,2,id.eq.3))" (line 1, column 10)`,
			`unexpected "1" expecting "("`},
		{"unknown logic operator", "/entities?or=(id.eq.1,not.xor(id.eq.2,id.eq.3))",
			`"failed to parse logic tree ((id.eq.1,not.xor(id.eq.2,id.eq.3)))" (line 1, column 16)`,
			`unexpected "x" expecting logic operator (and, or)`},
		{"unclosed, negated", "/entities?not.or=(id.eq.1", `"failed to parse logic tree ((id.eq.1)" (line 1, column 15)`,
			`unexpected end of input expecting "," or ")"`},
		{"bad json path", "/docs?or=(data->>.eq.1)", "", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			wantError(t, e.get(c.path), 400, "PGRST100", c.message, c.details, "null")
		})
	}
}
