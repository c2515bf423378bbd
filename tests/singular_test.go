package tests

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestSingularWrites holds SingularSpec's writes with Accept:
// application/vnd.pgrst.object+json: one affected row is the object (or
// nothing with return=minimal); none or several answer 406 PGRST116 as
// application/json, with the changes rolled back even under Prefer:
// tx=commit.
func TestSingularWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sampleSQL(t)+notesSQL+`INSERT INTO api.labels (name) VALUES ('a'), ('b'), ('c');`,
		func(c *config.Config) { c.DBTxEnd = "commit-allow-override" })
	const object = "application/vnd.pgrst.object+json"
	const objectCT = object + "; charset=utf-8"
	several := func(t *testing.T, r response, n string) {
		t.Helper()
		wantError(t, r, 406, "PGRST116", "Cannot coerce the result to a single JSON object", "The result contains "+n+" rows", "null")
	}
	labels := func(t *testing.T, want int) {
		t.Helper()
		if n := rowCount(t, e, `SELECT count(*) FROM api.labels`); n != want {
			t.Fatalf("labels = %d, want %d", n, want)
		}
	}
	t.Run("read without the +json suffix", func(t *testing.T) {
		r := e.send("GET", "/labels?name=eq.a", "", "Accept", "application/vnd.pgrst.object")
		want(t, r, 200, `{"name":"a","uses":0}`, "0-0/*", "")
		if ct := r.Header.Get("Content-Type"); ct != objectCT {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("read with count=none and embeddings", func(t *testing.T) {
		r := e.send("GET", "/authors?select=name,books(title)&id=eq.3", "", "Accept", object, "Prefer", "count=none")
		want(t, r, 200, `{"name":"N. K. Jemisin","books":[{"title":"The Fifth Season"}]}`, "0-0/*", "")
	})
	t.Run("rpc without rows", func(t *testing.T) {
		several(t, e.send("GET", "/rpc/books_by_author?author_id=4", "", "Accept", object), "0")
	})
	t.Run("update one row, representation", func(t *testing.T) {
		r := e.send("PATCH", "/labels?name=eq.a&select=name,uses", `{"uses":1}`, "Accept", object, "Prefer", "return=representation")
		want(t, r, 200, `{"name":"a","uses":1}`, "0-0/*", "return=representation")
		if ct := r.Header.Get("Content-Type"); ct != objectCT {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("update one row, minimal", func(t *testing.T) {
		r := e.send("PATCH", "/labels?name=eq.a", `{"uses":2}`, "Accept", object, "Prefer", "return=minimal")
		want(t, r, 204, "", "0-0/*", "return=minimal")
		if ct := r.Header.Get("Content-Type"); ct != "" {
			t.Errorf("Content-Type = %q", ct)
		}
	})
	t.Run("update several rows", func(t *testing.T) {
		r := e.send("PATCH", "/labels", `{"uses":9}`, "Accept", object, "Prefer", "tx=commit")
		several(t, r, "3")
		if n := rowCount(t, e, `SELECT count(*) FROM api.labels WHERE uses = 9`); n != 0 {
			t.Fatalf("%d rows updated", n)
		}
	})
	t.Run("update no row, representation", func(t *testing.T) {
		r := e.send("PATCH", "/labels?name=eq.zz", `{"uses":1}`, "Accept", object, "Prefer", "return=representation")
		several(t, r, "0")
	})
	t.Run("insert one row, representation", func(t *testing.T) {
		r := e.send("POST", "/labels", `[{"name":"d"}]`, "Accept", object, "Prefer", "return=representation")
		want(t, r, 201, `{"name":"d","uses":0}`, "*/*", "return=representation")
	})
	t.Run("insert one row, minimal", func(t *testing.T) {
		r := e.send("POST", "/labels", `[{"name":"e"}]`, "Accept", object, "Prefer", "return=minimal")
		want(t, r, 201, "", "*/*", "return=minimal")
	})
	t.Run("insert several rows", func(t *testing.T) {
		r := e.send("POST", "/labels", `[{"name":"f"},{"name":"g"}]`, "Accept", object, "Prefer", "tx=commit, return=minimal")
		several(t, r, "2")
		labels(t, 5)
	})
	t.Run("insert no row", func(t *testing.T) {
		several(t, e.send("POST", "/labels", `[]`, "Accept", object), "0")
	})
	t.Run("delete one row, representation", func(t *testing.T) {
		r := e.send("DELETE", "/labels?name=eq.e", "", "Accept", object, "Prefer", "return=representation")
		want(t, r, 200, `{"name":"e","uses":0}`, "*/*", "return=representation")
		labels(t, 4)
	})
	t.Run("delete one row, minimal", func(t *testing.T) {
		r := e.send("DELETE", "/labels?name=eq.d", "", "Accept", object, "Prefer", "return=minimal")
		want(t, r, 204, "", "*/*", "return=minimal")
		labels(t, 3)
	})
	t.Run("delete several rows", func(t *testing.T) {
		r := e.send("DELETE", "/labels?name=in.(a,b)", "", "Accept", object, "Prefer", "tx=commit, return=representation")
		several(t, r, "2")
		labels(t, 3)
	})
	t.Run("delete no row", func(t *testing.T) {
		several(t, e.send("DELETE", "/labels?name=eq.zz", "", "Accept", object), "0")
	})
}
