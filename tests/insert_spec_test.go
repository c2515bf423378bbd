package tests

import "testing"

// insertSQL holds the tables of PostgREST's InsertSpec cases below: json
// columns, a compound key, a view without a key of its own, all-default
// columns, a generated column and a domain with a default.
const insertSQL = `
CREATE TABLE api.tbl_w_json (id int, data json);
CREATE TABLE api.compound_pk (k1 int, k2 text, extra int, PRIMARY KEY (k1, k2));
CREATE TABLE api.competitors_sponsors (id int, sponsor_id int, UNIQUE (id, sponsor_id));
CREATE VIEW api.test_null_pk_competitors_sponsors AS SELECT * FROM api.competitors_sponsors;
CREATE TABLE api.items (id serial PRIMARY KEY);
CREATE TABLE api.json_table (data json);
CREATE TABLE api.foo (a text, b text GENERATED ALWAYS AS (a || 'x') STORED);
CREATE DOMAIN api.evil_id AS int DEFAULT 666;
CREATE TABLE api.evil_friends (id api.evil_id, name text);
CREATE TABLE api.evil_friends_with_column_default (id api.evil_id DEFAULT 420, name text);
GRANT ALL ON ALL TABLES IN SCHEMA api TO web_anon;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA api TO web_anon;
`

// TestInsertSpec holds InsertSpec's cases beyond TestInsert: duplicate
// keys in a json value (kept, except under missing=default, which reads
// the body as jsonb), Location headers of compound and null keys,
// all-default rows, insignificant whitespace, generated columns and
// domain defaults.
func TestInsertSpec(t *testing.T) {
	t.Parallel()
	e := newEnv(t, insertSQL, nil)
	rep := []string{"Prefer", "return=representation"}
	defaults := []string{"Prefer", "return=representation", "Prefer", "missing=default"}
	body := func(t *testing.T, r response, status int, want string) {
		t.Helper()
		if r.Status != status || compact(t, r.Body) != want {
			t.Fatalf("got %d %s\nwant %d %s", r.Status, r.Body, status, want)
		}
	}
	t.Run("json with duplicate keys", func(t *testing.T) {
		body(t, e.send("POST", "/tbl_w_json", `{ "data": { "a": 1, "a": 2 }, "id": 3 }`, rep...), 201, `[{"id":3,"data":{"a":1,"a":2}}]`)
		body(t, e.send("POST", "/tbl_w_json?columns=id,data", `{ "data": { "a": 1, "a": 2 }, "id": 3 }`, rep...), 201, `[{"id":3,"data":{"a":1,"a":2}}]`)
		body(t, e.send("POST", "/tbl_w_json?columns=id,data", `{ "data": { "a": 1, "a": 2 }, "id": 3 }`, defaults...), 201, `[{"id":3,"data":{"a":2}}]`)
	})
	t.Run("location of a compound key", func(t *testing.T) {
		r := e.send("POST", "/compound_pk", `{"k1":12,"k2":"Rock & R+ll"}`, "Prefer", "return=headers-only")
		want(t, r, 201, "", "*/*", "return=headers-only")
		if loc := r.Header.Get("Location"); loc != "/compound_pk?k1=eq.12&k2=eq.Rock+%26+R%2Bll" {
			t.Errorf("Location = %q", loc)
		}
		r = e.send("POST", "/compound_pk", `{"k1":13,"k2":"x"}`, rep...)
		if r.Status != 201 || r.Header.Get("Location") != "" {
			t.Errorf("a representation has no Location: %d %v", r.Status, r.Header)
		}
	})
	t.Run("location with a null key", func(t *testing.T) {
		r := e.send("POST", "/test_null_pk_competitors_sponsors", `{"id":1}`, "Prefer", "return=headers-only")
		want(t, r, 201, "", "*/*", "return=headers-only")
		if loc := r.Header.Get("Location"); loc != "/test_null_pk_competitors_sponsors?id=eq.1&sponsor_id=is.null" {
			t.Errorf("Location = %q", loc)
		}
	})
	t.Run("all-default rows", func(t *testing.T) {
		want(t, e.send("POST", "/items", `{}`), 201, "", "*/*", "")
		want(t, e.send("POST", "/items", `[{}]`), 201, "", "*/*", "")
		body(t, e.send("POST", "/items?select=id", `[{}, {}]`, rep...), 201, `[{"id":3},{"id":4}]`)
	})
	t.Run("insignificant whitespace", func(t *testing.T) {
		body(t, e.send("POST", "/json_table", "\t \n \r [{ \"data\": { \"foo\":\"bar\" } }, \t \n \r {\"data\": 34}]\t \n \r ", rep...), 201,
			`[{"data":{"foo":"bar"}},{"data":34}]`)
	})
	t.Run("generated column", func(t *testing.T) {
		wantError(t, e.send("POST", "/foo?columns=a,b", `[{"a":"val"},{"a":"val","b":"val"}]`, defaults...), 400, "428C9",
			`cannot insert a non-DEFAULT value into column "b"`, `Column "b" is a generated column.`, "null")
	})
	t.Run("domain defaults", func(t *testing.T) {
		body(t, e.send("POST", "/evil_friends?columns=id,name", `{"name":"Lu"}`, defaults...), 201, `[{"id":666,"name":"Lu"}]`)
		body(t, e.send("POST", "/evil_friends_with_column_default?columns=id,name", `{"name":"Demon"}`, defaults...), 201, `[{"id":420,"name":"Demon"}]`)
	})
}
