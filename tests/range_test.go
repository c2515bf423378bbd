package tests

import "testing"

// TestRangeSpec holds RangeSpec's cases beyond TestCountsAndRanges: a
// negative offset is no offset, an empty table refuses an offset with
// its count (*/0), limits apply on every level, and RPC results take
// offsets, counts and Range headers as tables do.
func TestRangeSpec(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, `CREATE TABLE api.menagerie (id int); GRANT SELECT ON api.menagerie TO web_anon;`, nil)
	exact := []string{"Prefer", "count=exact"}
	const offsetPast = `{"code":"PGRST103","details":"An offset of 1 was requested, but there are only 0 rows.","hint":null,"message":"Requested range not satisfiable"}`

	t.Run("negative offset is a no-op", func(t *testing.T) {
		want(t, e.get("/books?select=id&offset=-4&order=id&id=lte.2"), 200, ids12, "0-1/*", "")
	})
	t.Run("offset on an empty table", func(t *testing.T) {
		want(t, e.send("GET", "/menagerie?offset=1", "", exact...), 416, offsetPast, "*/0", "count=exact")
	})
	t.Run("Range header on an empty table", func(t *testing.T) {
		want(t, e.send("GET", "/menagerie", "", append([]string{"Range", "1-2"}, exact...)...), 416, offsetPast, "*/0", "count=exact")
		want(t, e.send("GET", "/menagerie", "", "Range", "0-1"), 200, `[]`, "*/*", "")
	})
	t.Run("limits on every level", func(t *testing.T) {
		want(t, e.get("/authors?select=id,books(id)&order=id&limit=1&books.order=id.desc&books.limit=1"), 200,
			`[{"id":1,"books":[{"id":3}]}]`, "0-0/*", "")
	})
	t.Run("rpc offset past the rows", func(t *testing.T) {
		want(t, e.send("GET", "/rpc/books_by_author?author_id=1&select=id&offset=100", "", exact...), 416,
			`{"code":"PGRST103","details":"An offset of 100 was requested, but there are only 3 rows.","hint":null,"message":"Requested range not satisfiable"}`,
			"*/3", "count=exact")
	})
	t.Run("rpc Range header beyond the rows", func(t *testing.T) {
		want(t, e.send("GET", "/rpc/books_by_author?author_id=1&select=id&order=id", "", "Range", "1-100"), 200,
			`[{"id":2},{"id":3}]`, "1-2/*", "")
	})
	t.Run("rpc without rows", func(t *testing.T) {
		want(t, e.get("/rpc/books_by_author?author_id=4"), 200, `[]`, "*/*", "")
	})
	t.Run("a limit or offset that is not an integer is ignored", func(t *testing.T) {
		// PostgREST reads limit and offset with readMaybe: anything else
		// leaves the range whole, at the top level and on an embedding.
		want(t, e.get("/books?select=id&order=id&id=lte.2&limit=abc&offset=1.5"), 200, ids12, "0-1/*", "")
		want(t, e.get("/books?select=id&order=id&id=lte.2&limit=1&limit=x"), 200, ids12, "0-1/*", "")
		want(t, e.get("/authors?select=id,books(id)&id=eq.1&books.order=id&books.limit=two"), 200,
			`[{"id":1,"books":[{"id":1},{"id":2},{"id":3}]}]`, "0-0/*", "")
		want(t, e.get("/books?select=id&order=id&limit=(1)"), 200, `[{"id":1}]`, "0-0/*", "")
		want(t, e.get("/books?select=id&limit=99999999999999999999"), 400,
			`{"code":"22003","details":null,"hint":null,"message":"bigint out of range"}`, "", "")
	})
	t.Run("HEAD with limit and offset", func(t *testing.T) {
		r := e.send("HEAD", "/books?select=id&order=id&limit=3&offset=2", "")
		want(t, r, 200, "", "2-4/*", "")
		if ct := r.Header.Get("Content-Type"); ct != jsonCT {
			t.Errorf("Content-Type = %q", ct)
		}
	})
}

// TestContentLocation holds QuerySpec's "Canonical location": a read of a
// relation names itself in Content-Location with its query parameters
// sorted and encoded again, as PostgREST's qsCanonical; a call does not.
func TestContentLocation(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	for _, c := range []struct{ path, want string }{
		{"/books?select=id&id=eq.3&format=eq.ebook", "/books?format=eq.ebook&id=eq.3&select=id"},
		{"/books", "/books"},
		{"/books?id=gt.1&id=lt.3&select=id,title", "/books?id=gt.1,lt.3&select=id%2Ctitle"},
		{"/rpc/books_by_author?author_id=1", ""},
	} {
		r := e.get(c.path)
		if got := r.Header.Get("Content-Location"); r.Status != 200 || got != c.want {
			t.Errorf("GET %s: %d Content-Location %q, want %q", c.path, r.Status, got, c.want)
		}
	}
	if got := e.send("HEAD", "/books?select=id&id=eq.1", "").Header.Get("Content-Location"); got != "/books?id=eq.1&select=id" {
		t.Errorf("HEAD: Content-Location %q", got)
	}
}

// TestQuerySpecEdges holds QuerySpec cases no other test makes: an empty
// select gives every column, an IN list of blanks is empty while a blank
// among values is PostgreSQL's 22P02, `is` takes trilean words in any
// case, and a rule recursing forever is 42P17 with 500.
func TestQuerySpecEdges(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
CREATE TABLE api.t (int_data int, text_data text);
INSERT INTO api.t VALUES (1, 'x');
CREATE TABLE api.chores (id int PRIMARY KEY, done bool);
INSERT INTO api.chores VALUES (1, true), (2, false), (3, NULL);
CREATE TABLE api.ir_base (id int);
CREATE VIEW api.infinite_recursion AS SELECT * FROM api.ir_base;
CREATE OR REPLACE RULE "_RETURN" AS ON SELECT TO api.infinite_recursion DO INSTEAD SELECT * FROM api.infinite_recursion;
GRANT SELECT ON ALL TABLES IN SCHEMA api TO web_anon;`, nil)
	for _, c := range []struct{ path, want string }{
		{"/t?select=", `[{"int_data":1,"text_data":"x"}]`},
		{"/t?int_data=in.(%20%20%20%20)", `[]`},
		{"/t?int_data=not.in.()&select=int_data", `[{"int_data":1}]`},
		{"/chores?done=is.NoT_NuLl&order=id&select=id", `[{"id":1},{"id":2}]`},
		{"/chores?done=is.UnKnOwN&select=id", `[{"id":3}]`},
	} {
		if r := e.get(c.path); r.Status != 200 || compact(t, r.Body) != c.want {
			t.Errorf("GET %s: %d %s, want %s", c.path, r.Status, r.Body, c.want)
		}
	}
	wantError(t, e.get("/t?int_data=in.(%20,3,4)"), 400, "22P02", `invalid input syntax for type integer: ""`, "null", "null")
	wantError(t, e.get("/infinite_recursion?select=*"), 500, "42P17",
		`infinite recursion detected in rules for relation "infinite_recursion"`, "null", "null")
}
