package tests

import (
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/config"
)

// TestToManySpreadInsideToManySpread holds PostgREST's flattening of a
// to-many spread inside a to-many spread (SpreadQueriesSpec, "should
// aggregate spread columns from a nested one-to-many/many-to-many
// relationship"): the inner rows join the outer spread's rows and every
// column is one array over the joined rows, the outer values repeated.
func TestToManySpreadInsideToManySpread(t *testing.T) {
	t.Parallel()
	e := sampleEnvWith(t, "", func(c *config.Config) { c.DBAggregatesEnabled = true })
	cases := []struct{ name, path, body string }{
		{"many-to-many inside one-to-many", "/authors?select=name,...books(title,...tags(tag:name))&id=eq.2&books.order=id&books.tags.order=name",
			`[{"name":"Terry Pratchett","title":["Guards! Guards!","Guards! Guards!","Small Gods","Small Gods"],"tag":["fantasy","humour","fantasy","humour"]}]`},
		{"one-to-many inside one-to-many", "/authors?select=...books(id,...book_tags(tag_id))&id=eq.3&books.book_tags.order=tag_id",
			`[{"id":[6,6],"tag_id":[1,4]}]`},
		{"outer rows without inner rows stay, with null", "/authors?select=...books(id,...tags(name))&id=eq.1&books.order=id&books.tags.name=eq.classic",
			`[{"id":[1,2,3],"name":["classic","classic",null]}]`},
		{"inner drops them", "/authors?select=...books(id,...tags!inner(name))&id=eq.1&books.order=id&books.tags.name=eq.classic",
			`[{"id":[1,2],"name":["classic","classic"]}]`},
		{"no related rows: empty arrays", "/authors?select=name,...books(title,...tags(tag:name))&id=eq.4",
			`[{"name":"Anonymous","title":[],"tag":[]}]`},
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
