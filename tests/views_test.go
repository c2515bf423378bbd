package tests

import (
	"encoding/json"
	"reflect"
	"testing"
)

// viewsSchema has views over tables (columns renamed), a view of a view, a
// view exposing a foreign key column twice, views of a schema that is not
// exposed, and computed relationships.
const viewsSchema = `
CREATE SCHEMA private;
CREATE TABLE api.authors (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE api.books (id int PRIMARY KEY, title text NOT NULL, author_id int REFERENCES api.authors);
INSERT INTO api.authors VALUES (1, 'Ursula'), (2, 'Terry');
INSERT INTO api.books VALUES (1, 'Earthsea', 1), (2, 'Dispossessed', 1), (3, 'Mort', 2);

CREATE VIEW api.book_view AS SELECT id AS book_id, title, author_id AS writer FROM api.books;
CREATE VIEW api.old_books AS SELECT book_id, title, writer FROM api.book_view WHERE book_id < 3;
CREATE VIEW api.books_twice AS SELECT id, author_id AS a1, author_id AS a2 FROM api.books;

CREATE TABLE private.publishers (id int PRIMARY KEY, name text);
CREATE TABLE private.series (id int PRIMARY KEY, title text, publisher_id int REFERENCES private.publishers);
INSERT INTO private.publishers VALUES (1, 'Gollancz');
INSERT INTO private.series VALUES (1, 'Discworld', 1);
CREATE VIEW api.publishers AS SELECT id AS publisher, name FROM private.publishers;
CREATE VIEW api.series AS SELECT id, title, publisher_id AS publisher FROM private.series;

CREATE FUNCTION api.first_book(api.authors) RETURNS SETOF api.books ROWS 1
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.books WHERE author_id = $1.id ORDER BY id LIMIT 1 $$;
CREATE FUNCTION api.all_books(api.authors) RETURNS SETOF api.book_view
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.book_view WHERE writer = $1.id $$;
-- A column named as the table: the function must get the row, not the column.
CREATE TABLE api.shelves (id int PRIMARY KEY, shelves text);
INSERT INTO api.shelves VALUES (1, 'top');
CREATE FUNCTION api.shelf_books(api.shelves) RETURNS SETOF api.books
  LANGUAGE sql STABLE AS $$ SELECT * FROM api.books WHERE id = $1.id $$;
`

func TestEmbedThroughViews(t *testing.T) {
	t.Parallel()
	e := newEnv(t, viewsSchema, nil)
	cases := []struct{ name, path, body string }{
		{"view to table", "/book_view?select=title,authors(name)&order=book_id",
			`[{"title":"Earthsea","authors":{"name":"Ursula"}},{"title":"Dispossessed","authors":{"name":"Ursula"}},{"title":"Mort","authors":{"name":"Terry"}}]`},
		{"table to view", "/authors?select=name,book_view(title,writer)&id=eq.2",
			`[{"name":"Terry","book_view":[{"title":"Mort","writer":2}]}]`},
		{"view of a view to table", "/old_books?select=book_id,authors(name)&order=book_id",
			`[{"book_id":1,"authors":{"name":"Ursula"}},{"book_id":2,"authors":{"name":"Ursula"}}]`},
		{"table to view of a view", "/authors?select=name,old_books(title)&order=id&old_books.order=book_id",
			`[{"name":"Ursula","old_books":[{"title":"Earthsea"},{"title":"Dispossessed"}]},{"name":"Terry","old_books":[]}]`},
		{"views of a hidden schema", "/series?select=title,publishers(name)",
			`[{"title":"Discworld","publishers":{"name":"Gollancz"}}]`},
		{"views of a hidden schema, reverse", "/publishers?select=name,series(title)",
			`[{"name":"Gollancz","series":[{"title":"Discworld"}]}]`},
		{"duplicated column picked by a column hint", "/books_twice?select=id,authors!a2(name)&id=eq.3",
			`[{"id":3,"authors":{"name":"Terry"}}]`},
		// A constraint as target only reaches tables, so the views do not make it ambiguous.
		{"constraint as target", "/authors?select=name,books_author_id_fkey(title)&id=eq.2",
			`[{"name":"Terry","books_author_id_fkey":[{"title":"Mort"}]}]`},
		{"computed to-one", "/authors?select=name,first_book(title)&order=id",
			`[{"name":"Ursula","first_book":{"title":"Earthsea"}},{"name":"Terry","first_book":{"title":"Mort"}}]`},
		{"computed to-many", "/authors?select=name,books:all_books(title)&id=eq.2",
			`[{"name":"Terry","books":[{"title":"Mort"}]}]`},
		{"computed with inner", "/authors?select=name,all_books!inner(title)&all_books.title=eq.Mort",
			`[{"name":"Terry","all_books":[{"title":"Mort"}]}]`},
		{"computed on a table with a column named as it", "/shelves?select=shelves,shelf_books(title)",
			`[{"shelves":"top","shelf_books":[{"title":"Earthsea"}]}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if got := compact(t, r.Body); got != c.body {
				t.Errorf("body\n got %s\nwant %s", got, c.body)
			}
		})
	}
}

func TestEmbedViewAmbiguity(t *testing.T) {
	t.Parallel()
	e := newEnv(t, viewsSchema, nil)
	r := e.get("/authors?select=name,books_twice(id)")
	wantError(t, r, 300, "PGRST201", "Could not embed because more than one relationship was found for 'authors' and 'books_twice'", "",
		"Try changing 'books_twice' to one of the following: 'books_twice!books_author_id_fkey', 'books_twice!books_author_id_fkey'. Find the desired relationship in the 'details' key.")
	var body struct{ Details []map[string]string }
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"cardinality": "one-to-many", "embedding": "authors with books_twice", "relationship": "books_author_id_fkey using authors(id) and books_twice(a1)"},
		{"cardinality": "one-to-many", "embedding": "authors with books_twice", "relationship": "books_author_id_fkey using authors(id) and books_twice(a2)"},
	}
	if !reflect.DeepEqual(body.Details, want) {
		t.Errorf("details = %v\nwant %v", body.Details, want)
	}
}
