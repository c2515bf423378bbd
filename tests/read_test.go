package tests

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"sort"
	"testing"
)

// compact removes the whitespace json_agg puts between elements (PostgREST's
// bodies carry it too), so expectations can be written on one line.
func compact(t *testing.T, body string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(body)); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	return b.String()
}

// sampleEnv serves localdev/sample_schema.sql, the schema `make dev` loads.
func sampleEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, sampleSQL(t), nil)
}

// sampleSQL is localdev/sample_schema.sql.
func sampleSQL(t testing.TB) string {
	t.Helper()
	sql, err := os.ReadFile("../localdev/sample_schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(sql)
}

func TestReadSampleSchema(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	cases := []struct {
		name, path, body, contentRange string
	}{
		{"columns limit", "/authors?select=name&order=id&limit=2",
			`[{"name":"Ursula K. Le Guin"},{"name":"Terry Pratchett"}]`, "0-1/*"},
		{"aliases and casts", "/books?select=t:title,year:published_year::text&id=eq.1",
			`[{"t":"A Wizard of Earthsea","year":"1968"}]`, "0-0/*"},
		{"many-to-one", "/books?select=title,author:authors(name)&id=eq.4",
			`[{"title":"Guards! Guards!","author":{"name":"Terry Pratchett"}}]`, ""},
		{"one-to-many", "/authors?select=name,books(title)&id=eq.3",
			`[{"name":"N. K. Jemisin","books":[{"title":"The Fifth Season"}]}]`, ""},
		{"one-to-many empty", "/authors?select=name,books(title)&id=eq.4",
			`[{"name":"Anonymous","books":[]}]`, ""},
		{"one-to-one", "/authors?select=name,author_profiles(bio)&id=in.(2,4)&order=id",
			`[{"name":"Terry Pratchett","author_profiles":{"bio":"Author of the Discworld series."}},{"name":"Anonymous","author_profiles":null}]`, "0-1/*"},
		{"embed by fk column", "/books?select=title,author_id(name)&id=eq.6",
			`[{"title":"The Fifth Season","author_id":{"name":"N. K. Jemisin"}}]`, ""},
		{"star and embed", "/author_profiles?select=*,authors(name)&author_id=eq.3",
			`[{"author_id":3,"bio":"Three-time Hugo Award winner.","website":"https://nkjemisin.com","authors":{"name":"N. K. Jemisin"}}]`, ""},
		{"inner embed drops parents", "/authors?select=name,author_profiles!inner(bio)&order=id&birth_year=is.null",
			`[]`, "*/*"},
		{"range filters", "/books?select=id&published_year=gte.1970&published_year=lt.2000&order=id",
			`[{"id":3},{"id":4},{"id":5}]`, "0-2/*"},
		{"like", "/books?select=id&title=like.*Guards*", `[{"id":4}]`, ""},
		{"ilike", "/books?select=id&title=ilike.*earthsea*", `[{"id":1}]`, ""},
		{"in", "/books?select=id&id=in.(1,3,5)&order=id.desc", `[{"id":5},{"id":3},{"id":1}]`, ""},
		{"is null", "/books?select=id&isbn=is.null&order=id", `[{"id":3},{"id":5}]`, ""},
		{"is false", "/books?select=id&in_stock=is.false", `[{"id":3}]`, ""},
		{"not", "/books?select=id&format=not.eq.paperback&order=id", `[{"id":2},{"id":3},{"id":5}]`, ""},
		{"neq and enum", "/books?select=id,format&format=neq.paperback&pages=gt.300&order=id",
			`[{"id":2,"format":"hardcover"},{"id":3,"format":"ebook"}]`, ""},
		{"order nullslast", "/books?select=id,pages&order=pages.desc.nullslast&limit=3",
			`[{"id":6,"pages":512},{"id":4,"pages":416},{"id":3,"pages":387}]`, ""},
		{"order nullsfirst", "/books?select=id&order=pages.asc.nullsfirst&limit=2", `[{"id":5},{"id":1}]`, ""},
		{"limit offset", "/books?select=id&order=id&limit=2&offset=2", `[{"id":3},{"id":4}]`, "2-3/*"},
		{"view", "/book_summaries?select=title,author_name,tag_count&id=eq.2",
			`[{"title":"The Left Hand of Darkness","author_name":"Ursula K. Le Guin","tag_count":3}]`, ""},
		{"rpc scalar GET", "/rpc/add?a=1&b=2", `3`, ""},
		{"rpc overload without args", "/rpc/greet", `"Hello, world!"`, ""},
		{"rpc overload with args", "/rpc/greet?name=Ann", `"Hello, Ann!"`, ""},
		{"rpc setof with select and filter", "/rpc/books_by_author?author_id=2&select=title&order=id",
			`[{"title":"Guards! Guards!"},{"title":"Small Gods"}]`, "0-1/*"},
		{"rpc setof filtered and embedded", "/rpc/books_by_author?author_id=2&id=eq.5&select=title,author:authors(name)",
			`[{"title":"Small Gods","author":{"name":"Terry Pratchett"}}]`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if c.contentRange != "" && r.Header.Get("Content-Range") != c.contentRange {
				t.Errorf("Content-Range = %q, want %q", r.Header.Get("Content-Range"), c.contentRange)
			}
		})
	}

	t.Run("many-to-many nested", func(t *testing.T) {
		r := e.get("/authors?select=name,books(title,tags(name))&id=eq.3")
		var got []struct {
			Name  string
			Books []struct {
				Title string
				Tags  []struct{ Name string }
			}
		}
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil || len(got) != 1 || len(got[0].Books) != 1 {
			t.Fatalf("%d %s (%v)", r.Status, r.Body, err)
		}
		var tags []string
		for _, tg := range got[0].Books[0].Tags {
			tags = append(tags, tg.Name)
		}
		sort.Strings(tags)
		if !reflect.DeepEqual(tags, []string{"award winner", "fantasy"}) {
			t.Fatalf("tags of The Fifth Season = %v", tags)
		}
	})

	t.Run("HEAD has no body", func(t *testing.T) {
		r := e.do(http.MethodHead, "/books?select=id&order=id", "")
		if r.Status != 200 || r.Body != "" || r.Header.Get("Content-Range") != "0-5/*" {
			t.Fatalf("HEAD: %d %q %v", r.Status, r.Body, r.Header)
		}
	})

	t.Run("rpc POST", func(t *testing.T) {
		if r := e.do("POST", "/rpc/add", `{"a": 40, "b": 2}`); r.Status != 200 || r.Body != "42" {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("rpc volatile POST writes", func(t *testing.T) {
		r := e.do("POST", "/rpc/add_tag", `{"name": "poetry"}`)
		if r.Status != 200 || r.Body != `{"id":6,"name":"poetry"}` {
			t.Fatalf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("rpc void is 204", func(t *testing.T) {
		if r := e.do("POST", "/rpc/ping", ""); r.Status != 204 || r.Body != "" {
			t.Fatalf("%d %q", r.Status, r.Body)
		}
	})

	t.Run("rpc volatile on GET runs read-only", func(t *testing.T) {
		wantError(t, e.get("/rpc/add_tag?name=x"), 405, "25006",
			"cannot execute INSERT in a read-only transaction", "null", "null")
	})
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	t.Run("unknown column is PostgreSQL's 42703", func(t *testing.T) {
		wantError(t, e.get("/books?select=nope"), 400, "42703", "column books.nope does not exist", "", "")
	})
	t.Run("table suggestion", func(t *testing.T) {
		wantError(t, e.get("/book"), 404, "PGRST205", "Could not find the table 'api.book' in the schema cache",
			"null", "Perhaps you meant the table 'api.books'")
	})
	t.Run("unknown relationship", func(t *testing.T) {
		wantError(t, e.get("/books?select=title,publishers(name)"), 400, "PGRST200",
			"Could not find a relationship between 'books' and 'publishers' in the schema cache", "", "")
	})
	t.Run("relationship hint that matches nothing", func(t *testing.T) {
		wantError(t, e.get("/books?select=title,authors!nope(name)"), 400, "PGRST200", "",
			"Searched for a foreign key relationship between 'books' and 'authors' using the hint 'nope' in the schema 'api', but no matches were found.", "")
	})
	t.Run("function arguments that match no overload", func(t *testing.T) {
		wantError(t, e.get("/rpc/add?a=1&c=2"), 404, "PGRST202",
			"Could not find the function api.add(a, c) in the schema cache",
			"Searched for the function api.add with parameters a, c, but no matches were found in the schema cache.", "")
	})
	t.Run("select parse error", func(t *testing.T) {
		wantError(t, e.get("/books?select=title,authors(name"), 400, "PGRST100", "", "", "")
	})
	t.Run("bad operator", func(t *testing.T) {
		wantError(t, e.get("/books?id=equals.1"), 400, "PGRST100", "", "", "")
	})
	t.Run("profile outside db-schemas", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.api.URL+"/books", nil)
		req.Header.Set("Accept-Profile", "private")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != 406 || body["code"] != "PGRST106" || body["message"] != "The schema must be one of the following: api" {
			t.Fatalf("%d %v", res.StatusCode, body)
		}
	})
	t.Run("invalid path", func(t *testing.T) {
		wantError(t, e.get("/books/1/extra"), 404, "PGRST125", "Invalid path specified in request URL", "null", "null")
	})
	t.Run("rpc method", func(t *testing.T) {
		wantError(t, e.do("DELETE", "/rpc/add", ""), 405, "PGRST101", "Cannot use the DELETE method on RPC", "null", "null")
	})
	t.Run("invalid json body", func(t *testing.T) {
		wantError(t, e.do("POST", "/rpc/add", `{"a":`), 400, "PGRST102", "", "", "")
	})
	t.Run("Proxy-Status", func(t *testing.T) {
		if got := e.get("/nope").Header.Get("Proxy-Status"); got != "PostgREST; error=PGRST205" {
			t.Fatalf("Proxy-Status = %q", got)
		}
	})
}

func TestAmbiguousEmbeddingAndOverloads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, `
		CREATE TABLE api.addresses (id int PRIMARY KEY, city text);
		CREATE TABLE api.orders (id int PRIMARY KEY,
			billing_address_id int CONSTRAINT billing REFERENCES api.addresses(id),
			shipping_address_id int CONSTRAINT shipping REFERENCES api.addresses(id));
		INSERT INTO api.addresses VALUES (1, 'Oslo'), (2, 'Bergen');
		INSERT INTO api.orders VALUES (7, 1, 2);
		CREATE FUNCTION api.echo(v int) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT v $$;
		CREATE FUNCTION api.echo(v text) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT length(v) $$;`, nil)

	r := e.get("/orders?select=id,addresses(city)")
	wantError(t, r, 300, "PGRST201",
		"Could not embed because more than one relationship was found for 'orders' and 'addresses'", "",
		"Try changing 'addresses' to one of the following: 'addresses!billing', 'addresses!shipping'. Find the desired relationship in the 'details' key.")
	var body struct{ Details []map[string]string }
	_ = json.Unmarshal([]byte(r.Body), &body)
	want := []map[string]string{
		{"cardinality": "many-to-one", "embedding": "orders with addresses", "relationship": "billing using orders(billing_address_id) and addresses(id)"},
		{"cardinality": "many-to-one", "embedding": "orders with addresses", "relationship": "shipping using orders(shipping_address_id) and addresses(id)"},
	}
	if !reflect.DeepEqual(body.Details, want) {
		t.Fatalf("details = %v", body.Details)
	}

	r = e.get("/orders?select=id,bill:addresses!billing(city),ship:addresses!shipping_address_id(city)")
	if r.Status != 200 || r.Body != `[{"id":7,"bill":{"city":"Oslo"},"ship":{"city":"Bergen"}}]` {
		t.Fatalf("disambiguated: %d %s", r.Status, r.Body)
	}
	r = e.get("/addresses?select=city,orders!billing(id)&order=id")
	if r.Status != 200 || compact(t, r.Body) != `[{"city":"Oslo","orders":[{"id":7}]},{"city":"Bergen","orders":[]}]` {
		t.Fatalf("one-to-many with hint: %d %s", r.Status, r.Body)
	}

	wantError(t, e.get("/rpc/echo?v=1"), 300, "PGRST203",
		"Could not choose the best candidate function between: api.echo(v => integer), api.echo(v => text)", "null",
		"Try renaming the parameters or the function itself in the database so function overloading can be resolved")
}

// TestHostileInput checks that identifiers reach SQL quoted and values as
// bind parameters: hostile input is data or a clean error, never SQL.
func TestHostileInput(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/books?select=id&title=eq.'%3B%20DROP%20TABLE%20api.books%3B--", 200, ""},
		// As in PostgREST, input after the list's ")" is ignored: the
		// value '2 then fails as an integer.
		{"/books?select=id&id=in.(1,'2)%3B--)", 400, "22P02"},
		{`/books?select=id&id=in.(1,%222')%3B%20DROP%20TABLE%20api.books%3B--%22)`, 400, "22P02"},
		{`/books?select=%22id%22%22%3B%20DROP%20TABLE%20api.books%3B--%22`, 400, "PGRST100"},
		{`/books?select=%22id%3B%20DROP%20TABLE%20api.books%3B--%22`, 400, "42703"},
		{"/books?select=id::int)%3Bdrop%20table%20api.books%3B--", 400, "PGRST100"},
		{"/books?select=id&order=id%3Bdrop%20table%20api.books", 400, "PGRST100"},
		{"/rpc/add?a=1)%3B%20DROP%20TABLE%20api.books%3B--&b=2", 400, "22P02"},
		{"/books%22%3B%20DROP%20TABLE%20api.books%3B--", 404, "PGRST205"},
	} {
		r := e.get(c.path)
		if r.Status != c.status {
			t.Errorf("GET %s: %d %s, want %d", c.path, r.Status, r.Body, c.status)
			continue
		}
		if c.code != "" {
			var body map[string]any
			_ = json.Unmarshal([]byte(r.Body), &body)
			if body["code"] != c.code {
				t.Errorf("GET %s: code %v, want %s (%s)", c.path, body["code"], c.code, r.Body)
			}
		}
	}
	if r := e.get("/books?select=id&order=id"); r.Status != 200 || compact(t, r.Body) != `[{"id":1},{"id":2},{"id":3},{"id":4},{"id":5},{"id":6}]` {
		t.Fatalf("books changed: %d %s", r.Status, r.Body)
	}
}

// TestErrorsLeaveConnectionsClean: a failing statement aborts the pipelined
// transaction; the connection must go back to the pool usable, so requests
// after many errors still succeed (the pool has 10 connections).
func TestErrorsLeaveConnectionsClean(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	for i := range 30 {
		wantError(t, e.get("/books?select=nope"), 400, "42703", "", "", "")
		wantError(t, e.get("/rpc/add_tag?name=x"), 405, "25006", "", "", "")
		if r := e.get("/books?select=id&id=eq.1"); r.Status != 200 || r.Body != `[{"id":1}]` {
			t.Fatalf("request %d after errors: %d %s", i, r.Status, r.Body)
		}
	}
	if r := e.do("POST", "/rpc/add_tag", `{"name":"after-errors"}`); r.Status != 200 {
		t.Fatalf("a write after errors: %d %s", r.Status, r.Body)
	}
}
