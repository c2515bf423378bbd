package schemacache_test

import (
	"context"
	_ "embed"
	"reflect"
	"testing"

	sc "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

//go:embed testdata/views.sql
var viewsSQL string

func loadViews(t *testing.T, schemas ...string) *sc.SchemaCache {
	t.Helper()
	cache, err := sc.Load(context.Background(), newDB(t, viewsSQL), sc.LoadOptions{Schemas: schemas})
	if err != nil {
		t.Fatal(err)
	}
	return cache
}

func computed(from, fn, to string, toOne bool) sc.Relationship {
	return sc.Relationship{Table: api(from), ForeignTable: api(to), IsSelf: from == to, Cardinality: sc.Computed,
		Function: api(fn), ToOne: toOne}
}

func relsFrom(cache *sc.SchemaCache, origin string) []sc.Relationship {
	var out []sc.Relationship
	for _, r := range cache.RelationshipsFrom(api(origin)) {
		out = append(out, *r)
	}
	return out
}

func wantRels(t *testing.T, origin string, got, want []sc.Relationship) {
	t.Helper()
	for i := 0; i < max(len(want), len(got)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("%s: missing [%d] %s", origin, i, fmtRel(want[i]))
		case i >= len(want):
			t.Errorf("%s: unexpected [%d] %s", origin, i, fmtRel(got[i]))
		case !reflect.DeepEqual(got[i], want[i]):
			t.Errorf("%s: [%d]\n got %s %s\nwant %s %s", origin, i, fmtRel(got[i]), got[i].Function, fmtRel(want[i]), want[i].Function)
		}
	}
}

func TestViewPrimaryKeys(t *testing.T) {
	cache := loadViews(t, "api")
	for name, want := range map[string][]string{
		"writers":       {"writer_id"},
		"titles":        {"id"},
		"recent_titles": {"title_id"}, // through api.titles
		// Key order (lang, isbn), not names sorted as for tables.
		"editions_v":     {"language", "code"},
		"editions":       {"isbn", "lang"},
		"sorted_writers": {"odd {name} (x)"},
		"titles_dup":     {"id"},
		"isbns":          nil, // half of the key
		"all_ids":        nil, // UNION
		"writer_stats":   nil, // materialized view without the key
	} {
		tb := cache.Table(api(name))
		if tb == nil {
			t.Fatalf("Table(api.%s) = nil", name)
		}
		if !reflect.DeepEqual(tb.PKCols, want) {
			t.Errorf("%s: PKCols = %#v, want %#v", name, tb.PKCols, want)
		}
	}
}

func TestViewRelationships(t *testing.T) {
	cache := loadViews(t, "api")
	const fk = "books_author_id_fkey"
	wantRels(t, "writers", relsFrom(cache, "writers"), []sc.Relationship{
		rel("writers", "recent_titles", sc.O2M, fk, "writer_id", "writer"),
		rel("writers", "titles", sc.O2M, fk, "writer_id", "writer"),
		// The FK column exposed twice: two relationships, in column order.
		rel("writers", "titles_dup", sc.O2M, fk, "writer_id", "a1"),
		rel("writers", "titles_dup", sc.O2M, fk, "writer_id", "a2"),
		rel("writers", "writer_stats", sc.O2M, fk, "writer_id", "author_id"),
		// Computed relationships come last, by function.
		computed("writers", "all_titles", "titles", false),
		computed("writers", "first_title", "titles", true), // SETOF ... ROWS 1
	})
	wantRels(t, "recent_titles", relsFrom(cache, "recent_titles"), []sc.Relationship{
		rel("recent_titles", "book_tags", sc.O2M, "book_tags_book_id_fkey", "title_id", "book_id"),
		rel("recent_titles", "sorted_writers", sc.M2O, fk, "writer", "odd {name} (x)"),
		m2m("recent_titles", "tags", "book_tags", "book_tags_book_id_fkey", "book_tags_tag_id_fkey",
			cols("book_id", "title_id"), cols("tag_id", "id")),
		rel("recent_titles", "writers", sc.M2O, fk, "writer", "writer_id"),
	})
	wantRels(t, "titles", relsFrom(cache, "titles"), []sc.Relationship{
		rel("titles", "book_tags", sc.O2M, "book_tags_book_id_fkey", "id", "book_id"),
		rel("titles", "sorted_writers", sc.M2O, fk, "writer", "odd {name} (x)"),
		m2m("titles", "tags", "book_tags", "book_tags_book_id_fkey", "book_tags_tag_id_fkey",
			cols("book_id", "id"), cols("tag_id", "id")),
		rel("titles", "writers", sc.M2O, fk, "writer", "writer_id"),
		computed("titles", "author", "writers", true), // not SETOF
		computed("titles", "sequels", "titles", false),
	})
	// The computed relationship named writers replaces both FK ones.
	wantRels(t, "titles_dup", relsFrom(cache, "titles_dup"), []sc.Relationship{
		rel("titles_dup", "book_tags", sc.O2M, "book_tags_book_id_fkey", "id", "book_id"),
		rel("titles_dup", "sorted_writers", sc.M2O, fk, "a1", "odd {name} (x)"),
		rel("titles_dup", "sorted_writers", sc.M2O, fk, "a2", "odd {name} (x)"),
		m2m("titles_dup", "tags", "book_tags", "book_tags_book_id_fkey", "book_tags_tag_id_fkey",
			cols("book_id", "id"), cols("tag_id", "id")),
		computed("titles_dup", "writers", "writers", true),
	})
	// An exposed table referencing a private one gets relationships to the views.
	wantRels(t, "book_tags", relsFrom(cache, "book_tags"), []sc.Relationship{
		rel("book_tags", "recent_titles", sc.M2O, "book_tags_book_id_fkey", "book_id", "title_id"),
		rel("book_tags", "tags", sc.M2O, "book_tags_tag_id_fkey", "tag_id", "id"),
		rel("book_tags", "titles", sc.M2O, "book_tags_book_id_fkey", "book_id", "id"),
		rel("book_tags", "titles_dup", sc.M2O, "book_tags_book_id_fkey", "book_id", "id"),
	})
	for _, name := range []string{"all_ids", "isbns", "editions_v", "editions"} {
		if got := relsFrom(cache, name); len(got) != 0 {
			t.Errorf("%s: %d relationships, want none: %s", name, len(got), fmtRel(got[0]))
		}
	}
	for _, r := range cache.Relationships {
		if r.Cardinality == sc.Computed && (r.Function.Name == "two_args" || r.Function.Name == "title_count" ||
			r.Function.Schema == "private") {
			t.Errorf("%s is not a computed relationship", r.Function)
		}
		if r.Table.Schema != "api" || r.ForeignTable.Schema != "api" {
			t.Errorf("relationship outside the exposed schema: %s", fmtRel(r))
		}
	}
}

func TestViewRelationshipsWithBaseSchemaExposed(t *testing.T) {
	cache := loadViews(t, "api", "private")
	books, authors := sc.QI{Schema: "private", Name: "books"}, sc.QI{Schema: "private", Name: "authors"}
	var toAuthors, toWriters bool
	for _, r := range cache.RelationshipsFrom(books) {
		toAuthors = toAuthors || (r.ForeignTable == authors && r.Cardinality == sc.M2O)
		toWriters = toWriters || (r.ForeignTable == api("writers") && r.Cardinality == sc.M2O &&
			reflect.DeepEqual(r.Columns, cols("author_id", "writer_id")))
	}
	if !toAuthors || !toWriters {
		t.Errorf("private.books relationships: to authors %v, to api.writers %v; want both", toAuthors, toWriters)
	}
	// Relationships are not duplicated when both FK queries could see the key.
	seen := map[string]bool{}
	for _, r := range cache.Relationships {
		s := fmtRel(r) + r.Function.String()
		if seen[s] {
			t.Errorf("duplicate relationship %s", s)
		}
		seen[s] = true
	}
}

func TestLoadTimesViewQueries(t *testing.T) {
	cache := loadViews(t, "api")
	for _, label := range []string{"keydeps", "comprels"} {
		if _, ok := cache.Timings[label]; !ok {
			t.Errorf("Timings[%q] missing: %v", label, cache.Timings)
		}
	}
}
