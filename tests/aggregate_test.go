package tests

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestAggregatesSpreadsRelatedOrders covers aggregates with their implicit
// GROUP BY, spreads of to-one and to-many embeddings and ordering by a
// to-one embedding's column, on the sample schema.
func TestAggregatesSpreadsRelatedOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sampleSQL(t), func(c *config.Config) { c.DBAggregatesEnabled = true })
	cases := []struct{ name, path, body string }{
		{"count", "/books?select=count()", `[{"count":6}]`},
		{"grouped count with alias", "/books?select=author_id,n:count()&order=author_id", `[{"author_id":1,"n":3},{"author_id":2,"n":2},{"author_id":3,"n":1}]`},
		{"sum avg max min", "/books?select=pages.sum(),pages.max(),pages.min(),y:published_year.avg()::int&author_id=eq.1",
			`[{"sum":874,"max":387,"min":183,"y":1970}]`},
		{"cast before the aggregate", "/books?select=total:pages::bigint.sum()::text&author_id=eq.2", `[{"total":"416"}]`},
		{"aggregate in an embedding", "/authors?select=name,books(count())&order=id&limit=2",
			`[{"name":"Ursula K. Le Guin","books":[{"count":3}]},{"name":"Terry Pratchett","books":[{"count":2}]}]`},
		{"grouped by a to-one embedding", "/books?select=count(),authors(name)&order=author_id&author_id=lt.3",
			`[{"count":3,"authors":{"name":"Ursula K. Le Guin"}},{"count":2,"authors":{"name":"Terry Pratchett"}}]`},
		{"spread to-one", "/books?select=title,...authors(author:name,birth_year)&id=eq.4",
			`[{"title":"Guards! Guards!","author":"Terry Pratchett","birth_year":1948}]`},
		{"spread to-many gives arrays", "/authors?select=name,...books(title)&books.order=id&id=eq.2",
			`[{"name":"Terry Pratchett","title":["Guards! Guards!","Small Gods"]}]`},
		{"spread to-many aggregate", "/authors?select=name,...books(count())&id=eq.1", `[{"name":"Ursula K. Le Guin","count":3}]`},
		{"order by a to-one embedding", "/books?select=id,authors(name)&order=authors(name).asc,id&limit=3",
			`[{"id":6,"authors":{"name":"N. K. Jemisin"}},{"id":4,"authors":{"name":"Terry Pratchett"}},{"id":5,"authors":{"name":"Terry Pratchett"}}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
		})
	}
	t.Run("related order on a to-many embedding", func(t *testing.T) {
		wantError(t, e.get("/authors?select=name,books(title)&order=books(title)"), 400, "PGRST118",
			"A related order on 'books' is not possible",
			"'authors' and 'books' do not form a many-to-one or one-to-one relationship", "null")
	})
	t.Run("related order on an embedding not selected", func(t *testing.T) {
		wantError(t, e.get("/books?select=id&order=authors(name)"), 400, "PGRST108", "", "", "")
	})
}

func TestAggregatesDisabled(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	wantError(t, e.get("/books?select=count()"), 400, "PGRST123", "Use of aggregate functions is not allowed", "null", "null")
	wantError(t, e.get("/authors?select=name,books(pages.sum())"), 400, "PGRST123", "", "", "")
}
