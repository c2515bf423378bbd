package tests

import "testing"

// TestComputedFields: a function taking the table's row type reads like a
// column in select, filters and order (PostgREST's computed fields).
func TestComputedFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, sampleSQL(t)+`
		CREATE FUNCTION api.label(b api.books) RETURNS text LANGUAGE sql STABLE
		  AS $$ SELECT b.title || ' (' || b.published_year || ')' $$;
		GRANT EXECUTE ON FUNCTION api.label(api.books) TO web_anon;`, nil)
	for _, c := range []struct{ path, body string }{
		{"/books?select=id,label&id=eq.1", `[{"id":1,"label":"A Wizard of Earthsea (1968)"}]`},
		{"/books?select=id&label=like.*(1989)", `[{"id":4}]`},
		{"/books?select=label&order=label.desc&limit=1", `[{"label":"The Left Hand of Darkness (1969)"}]`},
		{"/authors?select=books(l:label)&books.id=eq.6&id=eq.3", `[{"books":[{"l":"The Fifth Season (2015)"}]}]`},
	} {
		if r := e.get(c.path); r.Status != 200 || compact(t, r.Body) != c.body {
			t.Errorf("GET %s: %d %s, want %s", c.path, r.Status, r.Body, c.body)
		}
	}
}
