package tests

import "testing"

// TestLogicAndEmbeddedFilters covers and/or trees, filters, orders and
// limits on embedded resources, null filtering on embeddings, quantified
// operators and full-text search, on the sample schema.
func TestLogicAndEmbeddedFilters(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	cases := []struct{ name, path, body string }{
		{"or", "/books?select=id&or=(id.eq.1,id.eq.6)&order=id", `[{"id":1},{"id":6}]`},
		{"nested and inside or", "/books?select=id&or=(published_year.lt.1970,and(format.eq.ebook,in_stock.is.false))&order=id",
			`[{"id":1},{"id":2},{"id":3}]`},
		{"not.or", "/books?select=id&not.or=(id.lt.3,id.gt.4)&order=id", `[{"id":3},{"id":4}]`},
		{"quoted value with a comma", "/authors?select=id&or=(name.eq.%22Le%20Guin,%20Ursula%22,name.eq.Anonymous)", `[{"id":4}]`},
		{"empty in matches nothing", "/books?select=id&id=in.()", `[]`},
		{"in inside or", "/books?select=id&or=(id.in.(2,3),pages.is.null)&order=id", `[{"id":2},{"id":3},{"id":5}]`},
		{"filter on an embedding", "/authors?select=name,books(title)&books.published_year=gt.1970&id=eq.1",
			`[{"name":"Ursula K. Le Guin","books":[{"title":"The Dispossessed"}]}]`},
		{"order and limit on an embedding", "/authors?select=name,books(title)&books.order=published_year.desc&books.limit=2&id=eq.1",
			`[{"name":"Ursula K. Le Guin","books":[{"title":"The Dispossessed"},{"title":"The Left Hand of Darkness"}]}]`},
		{"offset on an embedding", "/authors?select=books(id)&books.order=id&books.offset=1&id=eq.1",
			`[{"books":[{"id":2},{"id":3}]}]`},
		{"logic on an embedding", "/authors?select=books(id)&books.or=(id.eq.1,id.eq.3)&books.order=id&id=eq.1",
			`[{"books":[{"id":1},{"id":3}]}]`},
		{"embedding is null", "/authors?select=name,books(id)&books=is.null", `[{"name":"Anonymous","books":[]}]`},
		{"embedding not null", "/authors?select=id,books()&books=not.is.null&order=id", `[{"id":1},{"id":2},{"id":3}]`},
		{"inner embedding with a filter", "/authors?select=name,books!inner(title)&books.title=eq.Small%20Gods",
			`[{"name":"Terry Pratchett","books":[{"title":"Small Gods"}]}]`},
		{"aliased embedding filtered by alias", "/authors?select=name,b:books(id)&b.id=eq.6&b=not.is.null",
			`[{"name":"N. K. Jemisin","b":[{"id":6}]}]`},
		{"nested embedding filter", "/authors?select=books(tags(name))&books.tags.name=eq.humour&books.id=eq.4&id=eq.2",
			`[{"books":[{"tags":[{"name":"humour"}]}]}]`},
		{"eq any", "/books?select=id&id=eq(any).%7B1,3%7D&order=id", `[{"id":1},{"id":3}]`},
		{"like any", "/books?select=id&title=like(any).%7B*Gods*,*Season*%7D&order=id", `[{"id":5},{"id":6}]`},
		{"gt all", "/books?select=id&published_year=gt(all).%7B1970,1980%7D&order=id", `[{"id":4},{"id":5},{"id":6}]`},
		{"fts with a language", "/books?select=id&title=fts(english).wizards", `[{"id":1}]`},
		{"plfts", "/books?select=id&title=plfts(english).left%20hand", `[{"id":2}]`},
		{"wfts", "/books?select=id&title=wfts(english).%22fifth%20season%22", `[{"id":6}]`},
		{"not fts", "/books?select=id&title=not.fts(english).season&order=id&limit=2", `[{"id":1},{"id":2}]`},
		{"logic on a function result", "/rpc/books_by_author?author_id=1&or=(id.eq.1,id.eq.3)&select=id&order=id",
			`[{"id":1},{"id":3}]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.get(c.path)
			if r.Status != 200 || compact(t, r.Body) != c.body {
				t.Fatalf("GET %s\n got %d %s\nwant 200 %s", c.path, r.Status, r.Body, c.body)
			}
		})
	}
	t.Run("filter on an embedding not selected", func(t *testing.T) {
		wantError(t, e.get("/authors?select=name&books.id=eq.1"), 400, "PGRST108",
			"'books' is not an embedded resource in this request", "null",
			"Verify that 'books' is included in the 'select' query parameter.")
	})
	t.Run("target name of an aliased embedding", func(t *testing.T) {
		wantError(t, e.get("/authors?select=name,b:books(id)&books.order=id"), 400, "PGRST108",
			"'books' is not an embedded resource in this request",
			"Target names are not allowed in filters if they have an alias",
			"Change 'books' to 'b' in filters, orders or limits.")
	})
	t.Run("malformed logic tree", func(t *testing.T) {
		wantError(t, e.get("/books?or=(id.eq.1"), 400, "PGRST100", "", "", "")
	})
}
