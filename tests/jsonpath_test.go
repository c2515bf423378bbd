package tests

import "testing"

// TestJSONPaths covers -> and ->> in select, filters and order, on jsonb,
// json and non-JSON (to_jsonb) columns.
func TestJSONPaths(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
		CREATE TABLE api.items (id int PRIMARY KEY, data jsonb, meta json, tags text[]);
		INSERT INTO api.items VALUES
		  (1, '{"owner":{"name":"ann","age":40},"size":3,"list":[10,20,30]}', '{"kind":"book"}', '{a,b}'),
		  (2, '{"owner":{"name":"bob","age":25},"size":7,"list":[40]}', '{"kind":"film"}', '{c}');`, nil)
	cases := []struct{ name, path, body string }{
		{"select ->>", "/items?select=id,data->owner->>name&order=id", `[{"id":1,"name":"ann"},{"id":2,"name":"bob"}]`},
		{"select -> keeps json", "/items?select=data->owner->age&id=eq.1", `[{"age":40}]`},
		{"select with alias and index", "/items?select=first:data->list->0&id=eq.1", `[{"first":10}]`},
		{"negative index, cast", "/items?select=last:data->list->>-1::int&id=eq.1", `[{"last":30}]`},
		{"json column", "/items?select=meta->>kind&order=id", `[{"kind":"book"},{"kind":"film"}]`},
		{"array column through to_jsonb", "/items?select=t:tags->>0&id=eq.1", `[{"t":"a"}]`},
		{"filter ->>", "/items?select=id&data->owner->>name=eq.bob", `[{"id":2}]`},
		{"filter -> compares json", "/items?select=id&data->size=gt.5", `[{"id":2}]`},
		{"filter on a json column", "/items?select=id&meta->>kind=like.b*", `[{"id":1}]`},
		{"order by a path", "/items?select=id&order=data->owner->>age.asc", `[{"id":2},{"id":1}]`},
		{"path in a logic tree value stays data", "/items?select=id&or=(id.eq.1,id.eq.9)", `[{"id":1}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
		})
	}
}
