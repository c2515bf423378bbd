package tests

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestEmbeddingsAsFilters: `!inner`, empty embeddings and null tests on an
// embedding remove parent rows as PostgREST's do, also inside and/or.
// Authors 1-3 have books (author 2's include the only ones after 1990 but
// one), author 4 has none.
func TestEmbeddingsAsFilters(t *testing.T) {
	t.Parallel()
	e := sampleEnv(t)
	for _, c := range []struct{ path, want string }{
		{"/authors?select=id,books!inner(id)&books.published_year=gt.1990&order=id",
			`[{"id":2,"books":[{"id":5}]},{"id":3,"books":[{"id":6}]}]`},
		{"/authors?select=id,books!inner()&books.published_year=gt.1990&order=id", `[{"id":2},{"id":3}]`},
		{"/authors?select=id,books()&books.published_year=gt.1990&order=id", `[{"id":1},{"id":2},{"id":3},{"id":4}]`},
		{"/authors?select=id,books()&books=not.is.null&order=id", `[{"id":1},{"id":2},{"id":3}]`},
		{"/authors?select=id,books()&books=is.null&order=id", `[{"id":4}]`},
		{"/authors?select=id,books()&books.published_year=gt.1990&books=not.is.null&order=id", `[{"id":2},{"id":3}]`},
		{"/authors?select=id,books()&or=(books.not.is.null,id.eq.4)&order=id", `[{"id":1},{"id":2},{"id":3},{"id":4}]`},
		{"/authors?select=id,books()&or=(books.is.null,id.eq.1)&order=id", `[{"id":1},{"id":4}]`},
		{"/authors?select=id,books()&books.published_year=gt.2000&or=(books.not.is.null,id.eq.1)&order=id", `[{"id":1},{"id":3}]`},
		{"/authors?select=id,books()&and=(books.not.is.null,id.gt.1)&order=id", `[{"id":2},{"id":3}]`},
		{"/authors?select=id,b:books()&not.or=(b.is.null,id.eq.2)&order=id", `[{"id":1},{"id":3}]`},
	} {
		r := e.get(c.path)
		if r.Status != 200 || compact(t, r.Body) != c.want {
			t.Errorf("%s: %d %s\n want %s", c.path, r.Status, r.Body, c.want)
		}
	}
}

// TestNestedSpreadsAndGroupedSpreads: spreads inside spreads flatten into
// the parent, embeddings inside spreads keep their key, and a to-one spread
// inside an embedding with an aggregate is grouped (it failed with 42803).
func TestNestedSpreadsAndGroupedSpreads(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, "", func(c *config.Config) { c.DBAggregatesEnabled = true })
	for _, c := range []struct{ path, want string }{
		{"/books?select=id,...authors(name,...author_profiles(bio))&id=eq.1",
			`[{"id":1,"name":"Ursula K. Le Guin","bio":"Author of Earthsea and the Hainish Cycle."}]`},
		{"/books?select=id,...authors(n:name,author_profiles(website))&id=eq.4",
			`[{"id":4,"n":"Terry Pratchett","author_profiles":{"website":null}}]`},
		{"/authors?select=id,books(count(),...authors(name))&id=eq.1",
			`[{"id":1,"books":[{"count":3,"name":"Ursula K. Le Guin"}]}]`},
		{"/authors?select=id,...books(t:title)&id=eq.3", `[{"id":3,"t":["The Fifth Season"]}]`},
		{"/authors?select=id,...books!books_author_id_fkey(title)&id=eq.3", `[{"id":3,"title":["The Fifth Season"]}]`},
	} {
		r := e.get(c.path)
		if r.Status != 200 || compact(t, r.Body) != c.want {
			t.Errorf("%s: %d %s\n want %s", c.path, r.Status, r.Body, c.want)
		}
	}
}
