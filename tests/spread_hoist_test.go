package tests

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestSpreadAggregatesHoisted holds PostgREST's hoisting of aggregates out
// of to-one spreads (AggregateFunctionsSpec, "to-one spread
// relationships"): the parent applies them over its rows, grouped by its
// other columns and the spreads' other columns, through nested to-one
// spreads, with aliases, casts and related orders naming spread columns.
func TestSpreadAggregatesHoisted(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, "", func(c *config.Config) { c.DBAggregatesEnabled = true })
	cases := []struct{ name, path, body string }{
		{"count per group of the parent", "/books?select=format,...authors(count())&order=format",
			`[{"format":"hardcover","count":1},{"format":"paperback","count":3},{"format":"ebook","count":1},{"format":"audiobook","count":1}]`},
		{"grouped by the spread's own columns, related order by alias", "/books?select=...authors(author:name,n:count())&order=authors(author)",
			`[{"author":"N. K. Jemisin","n":1},{"author":"Terry Pratchett","n":2},{"author":"Ursula K. Le Guin","n":3}]`},
		{"only aggregates", "/books?select=...authors(born:birth_year.min(),latest:birth_year.max()::text)",
			`[{"born":1929,"latest":"1972"}]`},
		{"through nested to-one spreads, counting values", "/books?select=in_stock,...authors(...author_profiles(sites:website.count()))&order=in_stock",
			`[{"in_stock":false,"sites":1},{"in_stock":true,"sites":3}]`},
		{"beside the parent's own aggregate", "/books?select=pages.sum(),...authors(name)&order=authors(name).desc",
			`[{"sum":874,"name":"Ursula K. Le Guin"},{"sum":416,"name":"Terry Pratchett"},{"sum":512,"name":"N. K. Jemisin"}]`},
		{"an embedding inside the spread is a grouping key", "/books?select=...authors(author_profiles(website),n:count())&order=authors(n).desc",
			`[{"author_profiles":{"website":"https://www.ursulakleguin.com"},"n":3},{"author_profiles":{"website":null},"n":2},{"author_profiles":{"website":"https://nkjemisin.com"},"n":1}]`},
		{"in an embedded resource, hoisted to it", "/authors?select=id,books(in_stock,...authors(count()))&id=eq.1&books.order=in_stock",
			`[{"id":1,"books":[{"in_stock":false,"count":1},{"in_stock":true,"count":2}]}]`},
		{"a to-many spread keeps its own aggregate", "/authors?select=name,...books(count())&id=eq.2", `[{"name":"Terry Pratchett","count":2}]`},
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
