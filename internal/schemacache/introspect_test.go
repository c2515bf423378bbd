package schemacache_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	sc "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
)

func api(name string) sc.QI { return sc.QI{Schema: "api", Name: name} }

// roundTrip encodes cache as a snapshot and decodes it again, as a request
// function receives it.
func roundTrip(t *testing.T, cache *sc.SchemaCache) *sc.SchemaCache {
	t.Helper()
	blob, err := snapshot.EncodeCache(cache)
	if err != nil {
		t.Fatal(err)
	}
	got, err := snapshot.DecodeCache(blob)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func strp(s string) *string { return &s }
func i32p(n int32) *int32   { return &n }

// loadFixture loads testdata/fixture.sql into a database of its own and
// returns the schema cache of the schemas given.
func loadFixture(t *testing.T, schemas ...string) *sc.SchemaCache {
	t.Helper()
	conn := newDB(t, fixtureSQL)
	cache, err := sc.Load(context.Background(), conn, sc.LoadOptions{Schemas: schemas})
	if err != nil {
		t.Fatal(err)
	}
	return cache
}

func TestLoadTables(t *testing.T) {
	cache := loadFixture(t, "api")

	wantNames := []string{
		"author_names", "author_profiles", "author_stats", "authors", "book_counts", "book_feed",
		"book_tags", "books", "edition_reviews", "editions", "employees", "follows", "items", "likes",
		"measurements", "passports", "readings", "secret_refs", "tags",
	}
	if got := cache.TableNames("api"); !reflect.DeepEqual(got, wantNames) {
		t.Errorf("TableNames(api) =\n %v\nwant\n %v", got, wantNames)
	}
	// Tables are ordered by schema and name.
	var order []string
	for _, tb := range cache.Tables {
		order = append(order, tb.Name)
	}
	if !reflect.DeepEqual(order, wantNames) {
		t.Errorf("Tables order = %v", order)
	}
	for _, qi := range []sc.QI{
		api("measurements_2024"), api("measurements_2025"), // partitions
		{Schema: "private", Name: "secrets"}, {Schema: "private", Name: "book_notes"}, // not exposed
	} {
		if cache.Table(qi) != nil {
			t.Errorf("Table(%s) present, want absent", qi)
		}
	}
	if got := cache.TableNames("private"); got != nil {
		t.Errorf("TableNames(private) = %v, want none", got)
	}

	tests := []struct {
		name              string
		isView            bool
		ins, upd, del     bool
		pk                []string
		description       string
		firstCol, lastCol string
		columnCount       int
	}{
		{name: "authors", ins: true, upd: true, del: true, pk: []string{"id"}, description: "People who write",
			firstCol: "id", lastCol: "name", columnCount: 2},
		// PK declared (lang, isbn), reported sorted by name.
		{name: "editions", ins: true, upd: true, del: true, pk: []string{"isbn", "lang"},
			firstCol: "lang", lastCol: "isbn", columnCount: 2},
		{name: "book_tags", ins: true, upd: true, del: true, pk: []string{"book_id", "tag_id"},
			firstCol: "book_id", lastCol: "tag_id", columnCount: 2},
		// Partitioned parent: a table with its own columns only.
		{name: "measurements", ins: true, upd: true, del: true, pk: []string{"at", "id"},
			firstCol: "id", lastCol: "author_id", columnCount: 3},
		// Auto-updatable view; its primary key is the one of authors it exposes.
		{name: "author_names", isView: true, ins: true, upd: true, del: true, pk: []string{"id"}, description: "Names only",
			firstCol: "id", lastCol: "name", columnCount: 2},
		// GROUP BY: not updatable.
		{name: "book_counts", isView: true, firstCol: "author_id", lastCol: "n", columnCount: 2},
		// Join view with an INSTEAD OF INSERT trigger: insertable only. It
		// exposes the primary key of books, not the one of authors.
		{name: "book_feed", isView: true, ins: true, pk: []string{"id"}, firstCol: "id", lastCol: "author", columnCount: 3},
		{name: "author_stats", isView: true, firstCol: "author_id", lastCol: "books", columnCount: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := cache.Table(api(tt.name))
			if tb == nil {
				t.Fatalf("Table(api.%s) = nil", tt.name)
			}
			if tb.Schema != "api" || tb.Name != tt.name {
				t.Errorf("QI = %s", tb.QI())
			}
			if tb.IsView != tt.isView {
				t.Errorf("IsView = %v, want %v", tb.IsView, tt.isView)
			}
			if tb.Insertable != tt.ins || tb.Updatable != tt.upd || tb.Deletable != tt.del {
				t.Errorf("insertable/updatable/deletable = %v/%v/%v, want %v/%v/%v",
					tb.Insertable, tb.Updatable, tb.Deletable, tt.ins, tt.upd, tt.del)
			}
			if !reflect.DeepEqual(tb.PKCols, tt.pk) {
				t.Errorf("PKCols = %#v, want %#v", tb.PKCols, tt.pk)
			}
			if tb.Description != tt.description {
				t.Errorf("Description = %q, want %q", tb.Description, tt.description)
			}
			if n := len(tb.Columns); n != tt.columnCount {
				t.Fatalf("%d columns, want %d: %+v", n, tt.columnCount, tb.Columns)
			}
			if tb.Columns[0].Name != tt.firstCol || tb.Columns[len(tb.Columns)-1].Name != tt.lastCol {
				t.Errorf("columns %s..%s, want %s..%s",
					tb.Columns[0].Name, tb.Columns[len(tb.Columns)-1].Name, tt.firstCol, tt.lastCol)
			}
		})
	}
}

func TestLoadColumns(t *testing.T) {
	cache := loadFixture(t, "api")
	moods := []string{"sad", "meh", "ok", "happy"} // enumsortorder, not creation order
	want := []sc.Column{
		// BY DEFAULT identity column: nextval of its sequence, written as PostgREST does.
		{Name: "id", Type: "integer", NominalType: "integer", Default: strp("nextval('api.items_id_seq')")},
		{Name: "serial_no", Type: "integer", NominalType: "integer", Default: strp("nextval('api.items_serial_no_seq'::regclass)")},
		{Name: "title", Type: "text", NominalType: "text", Default: strp("'untitled'::text")},
		// The dropped column "gone" is skipped.
		{Name: "code", Nullable: true, Type: "character varying", NominalType: "character varying(50)", MaxLen: i32p(50)},
		{Name: "price", Description: "Unit price", Nullable: true, Type: "numeric", NominalType: "numeric(10,2)"},
		{Name: "mood", Nullable: true, Type: "api.mood", NominalType: "api.mood", Enum: moods},
		// Domain over a pg_catalog type: reported as the base type.
		{Name: "email", Nullable: true, Type: "text", NominalType: "api.email"},
		{Name: "tags", Nullable: true, Type: "text[]", NominalType: "text[]"},
		{Name: "qty", Nullable: true, Type: "integer", NominalType: "integer", Default: strp("1")},
		// Stored generated column: no default.
		{Name: "doubled", Nullable: true, Type: "integer", NominalType: "integer"},
		// NOT NULL domain with a default, the column having none.
		{Name: "rank", Type: "integer", NominalType: "api.positive", Default: strp("7")},
		// Domain over an enum outside pg_catalog: the domain's name, the enum's labels.
		{Name: "mood2", Nullable: true, Type: "api.mood_d", NominalType: "api.mood_d", Enum: moods},
		// Domains over domains resolve to the innermost base type.
		{Name: "email2", Nullable: true, Type: "text", NominalType: "api.work_email"},
		{Name: "mood3", Nullable: true, Type: "api.mood_dd", NominalType: "api.mood_dd", Enum: moods},
		// ALWAYS identity columns take no value from clients: no default, as PostgREST.
		{Name: "always", Type: "integer", NominalType: "integer"},
	}
	items := cache.Table(api("items"))
	if items == nil {
		t.Fatal("Table(api.items) = nil")
	}
	var names, wantNames []string
	for _, c := range items.Columns {
		names = append(names, c.Name)
	}
	for _, c := range want {
		wantNames = append(wantNames, c.Name)
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("columns = %v\nwant (attnum order) %v", names, wantNames)
	}
	for _, w := range want {
		t.Run(w.Name, func(t *testing.T) {
			got := items.Column(w.Name)
			if got == nil {
				t.Fatalf("Column(%q) = nil", w.Name)
			}
			if !reflect.DeepEqual(*got, w) {
				t.Errorf("\n got %s\nwant %s", fmtColumn(*got), fmtColumn(w))
			}
		})
	}
	if items.Column("gone") != nil || items.Column("nope") != nil {
		t.Error("Column returned a dropped or unknown column")
	}
	if c := cache.Table(api("authors")).Column("name"); c == nil || c.Description != "Full name" || c.Nullable {
		t.Errorf("authors.name = %+v, want comment \"Full name\", not nullable", c)
	}
}

func fmtColumn(c sc.Column) string {
	def, maxLen := "<nil>", "<nil>"
	if c.Default != nil {
		def = *c.Default
	}
	if c.MaxLen != nil {
		maxLen = fmt.Sprint(*c.MaxLen)
	}
	return fmt.Sprintf("{%s desc=%q null=%v type=%q nominal=%q maxlen=%s default=%s enum=%v}",
		c.Name, c.Description, c.Nullable, c.Type, c.NominalType, maxLen, def, c.Enum)
}

func cols(pairs ...string) []sc.ColumnPair {
	out := make([]sc.ColumnPair, 0, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, sc.ColumnPair{Col: pairs[i], FCol: pairs[i+1]})
	}
	return out
}

func rel(from, to string, card sc.Cardinality, cons string, pairs ...string) sc.Relationship {
	return sc.Relationship{Table: api(from), ForeignTable: api(to), IsSelf: from == to,
		Cardinality: card, Constraint: cons, Columns: cols(pairs...)}
}

func parent(r sc.Relationship) sc.Relationship { r.IsParent = true; return r }

func m2m(from, to, junction, cons1, cons2 string, src, dst []sc.ColumnPair) sc.Relationship {
	return sc.Relationship{Table: api(from), ForeignTable: api(to), IsSelf: from == to, Cardinality: sc.M2M,
		Junction: &sc.Junction{Table: api(junction), Constraint1: cons1, Constraint2: cons2, ColsSource: src, ColsTarget: dst}}
}

func TestLoadRelationships(t *testing.T) {
	cache := loadFixture(t, "api")
	// Every relationship, in cache order. Absent on purpose: likes is not a
	// junction (its FKs are outside its PK); FKs from/to private; the FKs
	// cloned onto the partitions of measurements. The views add theirs:
	// author_names exposes authors.id (referenced by four FKs), book_feed
	// books.id (so book_tags is a junction between it and tags), and the
	// GROUP BY views book_counts and author_stats books.author_id.
	want := []sc.Relationship{
		parent(rel("author_names", "author_profiles", sc.O2O, "author_profiles_author_id_fkey", "id", "author_id")),
		rel("author_names", "author_stats", sc.O2M, "books_author_id_fkey", "id", "author_id"),
		rel("author_names", "book_counts", sc.O2M, "books_author_id_fkey", "id", "author_id"),
		rel("author_names", "books", sc.O2M, "books_author_id_fkey", "id", "author_id"),
		rel("author_names", "measurements", sc.O2M, "measurements_author_id_fkey", "id", "author_id"),
		parent(rel("author_names", "passports", sc.O2O, "passports_author_id_fkey", "id", "author_id")),
		rel("author_profiles", "author_names", sc.O2O, "author_profiles_author_id_fkey", "author_id", "id"),
		rel("author_profiles", "authors", sc.O2O, "author_profiles_author_id_fkey", "author_id", "id"),
		rel("author_stats", "author_names", sc.M2O, "books_author_id_fkey", "author_id", "id"),
		rel("author_stats", "authors", sc.M2O, "books_author_id_fkey", "author_id", "id"),
		parent(rel("authors", "author_profiles", sc.O2O, "author_profiles_author_id_fkey", "id", "author_id")),
		rel("authors", "author_stats", sc.O2M, "books_author_id_fkey", "id", "author_id"),
		rel("authors", "book_counts", sc.O2M, "books_author_id_fkey", "id", "author_id"),
		rel("authors", "books", sc.O2M, "books_author_id_fkey", "id", "author_id"),
		rel("authors", "measurements", sc.O2M, "measurements_author_id_fkey", "id", "author_id"),
		parent(rel("authors", "passports", sc.O2O, "passports_author_id_fkey", "id", "author_id")),
		rel("book_counts", "author_names", sc.M2O, "books_author_id_fkey", "author_id", "id"),
		rel("book_counts", "authors", sc.M2O, "books_author_id_fkey", "author_id", "id"),
		rel("book_feed", "book_tags", sc.O2M, "book_tags_book_id_fkey", "id", "book_id"),
		rel("book_feed", "likes", sc.O2M, "likes_book_id_fkey", "id", "book_id"),
		m2m("book_feed", "tags", "book_tags", "book_tags_book_id_fkey", "book_tags_tag_id_fkey",
			cols("book_id", "id"), cols("tag_id", "id")),
		rel("book_tags", "book_feed", sc.M2O, "book_tags_book_id_fkey", "book_id", "id"),
		rel("book_tags", "books", sc.M2O, "book_tags_book_id_fkey", "book_id", "id"),
		rel("book_tags", "tags", sc.M2O, "book_tags_tag_id_fkey", "tag_id", "id"),
		rel("books", "author_names", sc.M2O, "books_author_id_fkey", "author_id", "id"),
		rel("books", "authors", sc.M2O, "books_author_id_fkey", "author_id", "id"),
		rel("books", "book_tags", sc.O2M, "book_tags_book_id_fkey", "id", "book_id"),
		rel("books", "likes", sc.O2M, "likes_book_id_fkey", "id", "book_id"),
		m2m("books", "tags", "book_tags", "book_tags_book_id_fkey", "book_tags_tag_id_fkey",
			cols("book_id", "id"), cols("tag_id", "id")),
		rel("edition_reviews", "editions", sc.M2O, "edition_reviews_edition_fkey", "ed_lang", "lang", "ed_isbn", "isbn"),
		rel("editions", "edition_reviews", sc.O2M, "edition_reviews_edition_fkey", "lang", "ed_lang", "isbn", "ed_isbn"),
		rel("employees", "employees", sc.O2M, "employees_manager_id_fkey", "id", "manager_id"),
		rel("employees", "employees", sc.M2O, "employees_manager_id_fkey", "manager_id", "id"),
		m2m("employees", "employees", "follows", "follows_followee_id_fkey", "follows_follower_id_fkey",
			cols("followee_id", "id"), cols("follower_id", "id")),
		m2m("employees", "employees", "follows", "follows_follower_id_fkey", "follows_followee_id_fkey",
			cols("follower_id", "id"), cols("followee_id", "id")),
		rel("employees", "follows", sc.O2M, "follows_followee_id_fkey", "id", "followee_id"),
		rel("employees", "follows", sc.O2M, "follows_follower_id_fkey", "id", "follower_id"),
		rel("follows", "employees", sc.M2O, "follows_followee_id_fkey", "followee_id", "id"),
		rel("follows", "employees", sc.M2O, "follows_follower_id_fkey", "follower_id", "id"),
		rel("likes", "book_feed", sc.M2O, "likes_book_id_fkey", "book_id", "id"),
		rel("likes", "books", sc.M2O, "likes_book_id_fkey", "book_id", "id"),
		rel("likes", "tags", sc.M2O, "likes_tag_id_fkey", "tag_id", "id"),
		rel("measurements", "author_names", sc.M2O, "measurements_author_id_fkey", "author_id", "id"),
		rel("measurements", "authors", sc.M2O, "measurements_author_id_fkey", "author_id", "id"),
		rel("measurements", "readings", sc.O2M, "readings_m_id_m_at_fkey", "id", "m_id", "at", "m_at"),
		rel("passports", "author_names", sc.O2O, "passports_author_id_fkey", "author_id", "id"),
		rel("passports", "authors", sc.O2O, "passports_author_id_fkey", "author_id", "id"),
		rel("readings", "measurements", sc.M2O, "readings_m_id_m_at_fkey", "m_id", "id", "m_at", "at"),
		m2m("tags", "book_feed", "book_tags", "book_tags_tag_id_fkey", "book_tags_book_id_fkey",
			cols("tag_id", "id"), cols("book_id", "id")),
		rel("tags", "book_tags", sc.O2M, "book_tags_tag_id_fkey", "id", "tag_id"),
		m2m("tags", "books", "book_tags", "book_tags_tag_id_fkey", "book_tags_book_id_fkey",
			cols("tag_id", "id"), cols("book_id", "id")),
		rel("tags", "likes", sc.O2M, "likes_tag_id_fkey", "id", "tag_id"),
	}
	if len(cache.Relationships) != len(want) {
		t.Errorf("%d relationships, want %d", len(cache.Relationships), len(want))
	}
	for i := 0; i < max(len(want), len(cache.Relationships)); i++ {
		switch {
		case i >= len(cache.Relationships):
			t.Errorf("missing [%d] %s", i, fmtRel(want[i]))
		case i >= len(want):
			t.Errorf("unexpected [%d] %s", i, fmtRel(cache.Relationships[i]))
		case !reflect.DeepEqual(cache.Relationships[i], want[i]):
			t.Errorf("[%d]\n got %s\nwant %s", i, fmtRel(cache.Relationships[i]), fmtRel(want[i]))
		}
	}

	t.Run("RelationshipsFrom", func(t *testing.T) {
		for _, origin := range []string{"authors", "books", "employees", "secret_refs", "likes"} {
			var wantFrom []sc.Relationship
			for _, r := range want {
				if r.Table.Name == origin {
					wantFrom = append(wantFrom, r)
				}
			}
			var got []sc.Relationship
			for _, r := range cache.RelationshipsFrom(api(origin)) {
				got = append(got, *r)
			}
			if !reflect.DeepEqual(got, wantFrom) {
				t.Errorf("RelationshipsFrom(api.%s) = %d relationships, want %d", origin, len(got), len(wantFrom))
			}
		}
		if got := cache.RelationshipsFrom(api("book_tags")); len(got) != 3 || !got[0].IsToOne() || !got[1].IsToOne() || !got[2].IsToOne() {
			t.Errorf("book_tags relationships should be three to-one: %v", got)
		}
		for _, r := range cache.RelationshipsFrom(api("authors")) {
			if r.IsToOne() != (r.Cardinality == sc.O2O) {
				t.Errorf("IsToOne of %s = %v", fmtRel(*r), r.IsToOne())
			}
		}
	})
}

func fmtRel(r sc.Relationship) string {
	s := r.Table.String() + " -> " + r.ForeignTable.String() + " " + string(r.Cardinality) + " " + r.Constraint
	for _, c := range r.Columns {
		s += " " + c.Col + "=" + c.FCol
	}
	if r.IsSelf {
		s += " self"
	}
	if r.IsParent {
		s += " parent"
	}
	if j := r.Junction; j != nil {
		s += " via " + j.Table.String() + " " + j.Constraint1 + "/" + j.Constraint2
		for _, c := range j.ColsSource {
			s += " src:" + c.Col + "=" + c.FCol
		}
		for _, c := range j.ColsTarget {
			s += " dst:" + c.Col + "=" + c.FCol
		}
	}
	return s
}

func TestLoadExposedSchemasDecideRelationships(t *testing.T) {
	cache := loadFixture(t, "api", "private")
	if cache.Table(sc.QI{Schema: "private", Name: "secrets"}) == nil {
		t.Error("private.secrets absent with private exposed")
	}
	if !reflect.DeepEqual(cache.Schemas, []string{"api", "private"}) {
		t.Errorf("Schemas = %v", cache.Schemas)
	}
	want := sc.Relationship{Table: api("secret_refs"), ForeignTable: sc.QI{Schema: "private", Name: "secrets"},
		Cardinality: sc.M2O, Constraint: "secret_refs_secret_id_fkey", Columns: cols("secret_id", "id")}
	got := cache.RelationshipsFrom(api("secret_refs"))
	if len(got) != 1 || !reflect.DeepEqual(*got[0], want) {
		t.Errorf("RelationshipsFrom(api.secret_refs) = %v, want [%s]", got, fmtRel(want))
	}
	if got := cache.RoutineNames("private"); !reflect.DeepEqual(got, []string{"hidden"}) {
		t.Errorf("RoutineNames(private) = %v", got)
	}
}

func TestLoadRoutines(t *testing.T) {
	cache := loadFixture(t, "api")
	// Everything the fixture's catalog prints passes the cache's checks.
	if err := cache.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	wantNames := []string{"add", "current_mood", "list_pairs", "noop", "over", "raw_body", "search",
		"some_email", "split", "sum_all"}
	if got := cache.RoutineNames("api"); !reflect.DeepEqual(got, wantNames) {
		t.Errorf("RoutineNames(api) = %v\nwant %v", got, wantNames)
	}
	pgc := func(name string) sc.QI { return sc.QI{Schema: "pg_catalog", Name: name} }
	tests := []struct {
		name string
		want sc.Routine
	}{
		{"add", sc.Routine{Description: "Adds two numbers", Volatility: sc.Immutable,
			Params: []sc.RoutineParam{{Name: "a", Type: "integer", Required: true}, {Name: "b", Type: "integer"}},
			Return: sc.ReturnType{Type: pgc("int4")}}},
		{"sum_all", sc.Routine{Volatility: sc.Immutable, HasVariadic: true,
			Params: []sc.RoutineParam{{Name: "nums", Type: "integer[]", Required: true, Variadic: true}},
			Return: sc.ReturnType{Type: pgc("int8")}}},
		// OUT parameters: a single composite record, only the IN parameter listed.
		{"split", sc.Routine{Volatility: sc.Stable,
			Params: []sc.RoutineParam{{Name: "s", Type: "text", Required: true}},
			Return: sc.ReturnType{Type: pgc("record"), Composite: true}}},
		{"list_pairs", sc.Routine{Volatility: sc.Stable,
			Params: []sc.RoutineParam{{Name: "lim", Type: "integer", Required: true}},
			Return: sc.ReturnType{SetOf: true, Type: pgc("record"), Composite: true}}},
		{"search", sc.Routine{Volatility: sc.Stable,
			Params: []sc.RoutineParam{{Name: "q", Type: "text", Required: true}},
			Return: sc.ReturnType{SetOf: true, Type: api("books"), Composite: true}}},
		{"noop", sc.Routine{Volatility: sc.Volatile, Return: sc.ReturnType{Type: pgc("void")}}},
		{"current_mood", sc.Routine{Volatility: sc.Stable, Return: sc.ReturnType{Type: api("mood")}}},
		// A domain return type is resolved to its base type.
		{"some_email", sc.Routine{Volatility: sc.Immutable, Return: sc.ReturnType{Type: pgc("text")}}},
		{"raw_body", sc.Routine{Volatility: sc.Volatile,
			Params: []sc.RoutineParam{{Name: "", Type: "json", Required: true}},
			Return: sc.ReturnType{Type: pgc("json")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ov := cache.Overloads(api(tt.name))
			if len(ov) != 1 {
				t.Fatalf("%d overloads, want 1", len(ov))
			}
			want := tt.want
			want.Schema, want.Name = "api", tt.name
			if !reflect.DeepEqual(*ov[0], want) {
				t.Errorf("\n got %+v\nwant %+v", *ov[0], want)
			}
			if got, wantVoid := ov[0].Return.IsVoid(), tt.name == "noop"; got != wantVoid {
				t.Errorf("IsVoid = %v, want %v", got, wantVoid)
			}
		})
	}

	t.Run("overloads", func(t *testing.T) {
		ov := cache.Overloads(api("over"))
		var got [][]sc.RoutineParam
		for _, r := range ov {
			got = append(got, r.Params)
		}
		want := [][]sc.RoutineParam{
			nil,
			{{Name: "a", Type: "integer", Required: true}},
			{{Name: "a", Type: "integer", Required: true}, {Name: "b", Type: "text", Required: true}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Overloads(api.over) params = %+v\nwant fewer params first %+v", got, want)
		}
	})

	t.Run("excluded", func(t *testing.T) {
		for _, name := range []string{
			"unnamed_int", "half_named", // unnamed parameter that cannot take a body
			"a_proc", "my_sum", // procedure, aggregate
			"trg", "book_feed_insert", // trigger functions
			"hidden", // not exposed (and in private)
		} {
			if ov := cache.Overloads(api(name)); ov != nil {
				t.Errorf("Overloads(api.%s) = %v, want none", name, ov)
			}
		}
		if ov := cache.Overloads(sc.QI{Schema: "private", Name: "hidden"}); ov != nil {
			t.Errorf("private.hidden present: %v", ov)
		}
	})
}

// unnamedSQL declares functions whose input parameters lack names.
const unnamedSQL = `
CREATE SCHEMA api;
CREATE DOMAIN api.txt AS text;
CREATE FUNCTION api.body_text(text) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.body_xml(xml) RETURNS xml LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.body_bytea(bytea) RETURNS bytea LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.body_json(json) RETURNS json LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.body_jsonb(jsonb) RETURNS jsonb LANGUAGE sql AS $$ SELECT $1 $$;
-- OUT parameters are not inputs: still one unnamed text input.
CREATE FUNCTION api.body_out(text, OUT n integer) LANGUAGE sql AS $$ SELECT length($1) $$;
CREATE FUNCTION api.unnamed_int(integer) RETURNS integer LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.unnamed_varchar(varchar) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.unnamed_array(text[]) RETURNS text LANGUAGE sql AS $$ SELECT $1[1] $$;
CREATE FUNCTION api.unnamed_domain(api.txt) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION api.two_unnamed(text, text) RETURNS text LANGUAGE sql AS $$ SELECT $1 || $2 $$;
`

// A function with a single unnamed parameter of a type a whole request body
// can be passed as stays in the cache, as in PostgREST; other unnamed
// parameters make it uncallable by name, so it is dropped.
func TestLoadRoutinesSingleUnnamedParam(t *testing.T) {
	cache, err := sc.Load(context.Background(), newDB(t, unnamedSQL), sc.LoadOptions{Schemas: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"body_bytea", "body_json", "body_jsonb", "body_out", "body_text", "body_xml"}
	if got := cache.RoutineNames("api"); !reflect.DeepEqual(got, want) {
		t.Errorf("RoutineNames(api) = %v\nwant %v", got, want)
	}
	for name, typ := range map[string]string{
		"body_text": "text", "body_xml": "xml", "body_bytea": "bytea", "body_json": "json", "body_jsonb": "jsonb",
		"body_out": "text",
	} {
		ov := cache.Overloads(api(name))
		wantParams := []sc.RoutineParam{{Name: "", Type: typ, Required: true}}
		if len(ov) != 1 || !reflect.DeepEqual(ov[0].Params, wantParams) {
			t.Errorf("Overloads(api.%s) = %+v, want one with params %+v", name, ov, wantParams)
		}
	}
}

// settingsSQL declares functions with SET clauses. plan_filter.* and
// myapp.* are placeholder settings, which PostgreSQL accepts without the
// extension that would define them.
const settingsSQL = `
CREATE SCHEMA api;
CREATE FUNCTION api.tuned() RETURNS integer LANGUAGE sql
  SET statement_timeout = '5s' SET default_transaction_isolation = 'serializable' SET work_mem = '1MB'
  AS $$ SELECT 1 $$;
CREATE FUNCTION api.costly() RETURNS integer LANGUAGE sql
  SET plan_filter.statement_cost_limit = '1e6'
  SET myapp.statement_timeout_note = 'off'
  SET default_transaction_isolation = 'REPEATABLE READ'
  SET statement_timeout = '2s'
  AS $$ SELECT 1 $$;
CREATE FUNCTION api.plain() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
`

func TestLoadRoutineSettings(t *testing.T) {
	conn := newDB(t, settingsSQL)
	load := func(t *testing.T, hoisted []string) *sc.SchemaCache {
		t.Helper()
		cache, err := sc.Load(context.Background(), conn, sc.LoadOptions{Schemas: []string{"api"}, HoistedTxSettings: hoisted})
		if err != nil {
			t.Fatal(err)
		}
		return cache
	}
	check := func(t *testing.T, cache *sc.SchemaCache, name, iso string, settings []sc.Setting) {
		t.Helper()
		ov := cache.Overloads(api(name))
		if len(ov) != 1 {
			t.Fatalf("%d overloads of api.%s, want 1", len(ov), name)
		}
		if ov[0].IsolationLevel != iso {
			t.Errorf("api.%s: IsolationLevel = %q, want %q", name, ov[0].IsolationLevel, iso)
		}
		if !reflect.DeepEqual(ov[0].Settings, settings) {
			t.Errorf("api.%s: Settings = %#v, want %#v", name, ov[0].Settings, settings)
		}
	}
	set := func(kv ...string) []sc.Setting {
		var out []sc.Setting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, sc.Setting{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}

	t.Run("default hoisted list", func(t *testing.T) {
		cache := load(t, nil)
		// work_mem is not hoisted by default; the isolation level is a
		// field of its own, never a setting.
		check(t, cache, "tuned", "serializable", set("statement_timeout", "5s"))
		// Settings keep proconfig order; names match whole, so a setting
		// merely containing a hoisted name (which PostgREST's regular
		// expression would take) is left out.
		check(t, cache, "costly", "repeatable read",
			set("plan_filter.statement_cost_limit", "1e6", "statement_timeout", "2s"))
		check(t, cache, "plain", "", nil)
	})
	t.Run("custom hoisted list", func(t *testing.T) {
		cache := load(t, []string{"work_mem", " MyApp.Statement_Timeout_Note "})
		check(t, cache, "tuned", "serializable", set("work_mem", "1MB"))
		check(t, cache, "costly", "repeatable read", set("myapp.statement_timeout_note", "off"))
	})
	t.Run("nothing hoisted", func(t *testing.T) {
		// The isolation level does not depend on the hoisted list.
		cache := load(t, []string{})
		check(t, cache, "tuned", "serializable", nil)
		check(t, cache, "costly", "repeatable read", nil)
	})
	t.Run("round trip", func(t *testing.T) {
		cache := load(t, nil)
		got := roundTrip(t, cache)
		check(t, got, "tuned", "serializable", set("statement_timeout", "5s"))
	})
}

func TestLoadTimingsAndVersion(t *testing.T) {
	conn := newDB(t, fixtureSQL)
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cache, err := sc.Load(context.Background(), conn, sc.LoadOptions{Schemas: []string{"api"}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	// The tests run on every major from 13 on (PGRST_TEST_PG_BINDIR).
	var want int
	if err := conn.QueryRow(context.Background(), "SELECT current_setting('server_version_num')::int").Scan(&want); err != nil {
		t.Fatal(err)
	}
	if cache.PgVersion != want || want < 130000 {
		t.Errorf("PgVersion = %d, want the server's server_version_num %d (13 or later)", cache.PgVersion, want)
	}
	for _, label := range []string{"tables", "columns", "rels", "funcs", "dreps", "mhandlers"} {
		ms, ok := cache.Timings[label]
		if !ok {
			t.Errorf("Timings has no %q: %v", label, cache.Timings)
		} else if ms < 0 {
			t.Errorf("Timings[%q] = %v", label, ms)
		}
		if !strings.Contains(logBuf.String(), "query="+label+" ") {
			t.Errorf("no debug log line for %q in:\n%s", label, logBuf.String())
		}
	}
}

func TestLoadSleep(t *testing.T) {
	conn := newDB(t, "")
	start := time.Now()
	cache, err := sc.Load(context.Background(), conn, sc.LoadOptions{Schemas: []string{"public"}, SleepMs: 200})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("Load with SleepMs=200 took %v", d)
	}
	if len(cache.Tables) != 0 || len(cache.Routines) != 0 || len(cache.Relationships) != 0 {
		t.Errorf("empty schema gave %d tables, %d routines, %d relationships",
			len(cache.Tables), len(cache.Routines), len(cache.Relationships))
	}
}

func TestLoadErrors(t *testing.T) {
	conn := newDB(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sc.Load(ctx, conn, sc.LoadOptions{Schemas: []string{"api"}}); err == nil {
		t.Error("Load with a canceled context succeeded")
	}

	closed := newDB(t, "")
	if err := closed.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, err := sc.Load(context.Background(), closed, sc.LoadOptions{Schemas: []string{"api"}})
	if err == nil || !strings.Contains(err.Error(), "begin schema cache transaction") {
		t.Errorf("Load on a closed connection: err = %v", err)
	}
}

// mediaSQL declares media type domains and the functions and aggregates
// returning them, with the look-alikes that are not handlers.
const mediaSQL = `
CREATE SCHEMA api;
CREATE SCHEMA private;
CREATE SCHEMA media;
CREATE DOMAIN media."application/vnd.twkb" AS bytea;
CREATE DOMAIN "text/csv" AS text;
CREATE DOMAIN "*/*" AS xml;
CREATE DOMAIN "application/x-blob" AS bytea;
CREATE DOMAIN "application/x-blob2" AS "application/x-blob";
CREATE DOMAIN api.not_media AS text;
CREATE TABLE api.lines (id int PRIMARY KEY, geom bytea);
CREATE VIEW api.line_ids AS SELECT id FROM api.lines;
CREATE TABLE private.hidden (id int);

CREATE FUNCTION api.get_line(id int) RETURNS media."application/vnd.twkb" LANGUAGE sql
  AS $$ SELECT geom FROM api.lines WHERE lines.id = get_line.id $$;
CREATE FUNCTION media.csv_trans(state "text/csv", next api.lines) RETURNS "text/csv" LANGUAGE sql
  AS $$ SELECT (state || next.id::text || E'\n')::"text/csv" $$;
CREATE AGGREGATE api.csv_agg(api.lines) (SFUNC = media.csv_trans, STYPE = "text/csv", INITCOND = '');
CREATE FUNCTION media.ids_trans(state "text/csv", next api.line_ids) RETURNS "text/csv" LANGUAGE sql
  AS $$ SELECT (state || next.id::text)::"text/csv" $$;
CREATE AGGREGATE api.csv_agg(api.line_ids) (SFUNC = media.ids_trans, STYPE = "text/csv", INITCOND = '');
-- A table of another schema is a valid target of an exposed aggregate.
CREATE FUNCTION media.hidden_trans(state "text/csv", next private.hidden) RETURNS "text/csv" LANGUAGE sql
  AS $$ SELECT state $$;
CREATE AGGREGATE api.hidden_csv(private.hidden) (SFUNC = media.hidden_trans, STYPE = "text/csv", INITCOND = '');
CREATE FUNCTION media.any_trans(state "*/*", next anyelement) RETURNS "*/*" LANGUAGE sql
  AS $$ SELECT state $$;
CREATE AGGREGATE api.any_agg(anyelement) (SFUNC = media.any_trans, STYPE = "*/*");
-- Binary through a domain over a media domain over bytea.
CREATE FUNCTION api.blob() RETURNS "application/x-blob2" LANGUAGE sql AS $$ SELECT '\x00'::bytea $$;

-- Not handlers: a function outside the exposed schemas, a SETOF function,
-- a domain not named like a media type, an aggregate over a scalar, an
-- aggregate of two arguments, an ordered-set aggregate.
CREATE FUNCTION private.secret_line() RETURNS media."application/vnd.twkb" LANGUAGE sql AS $$ SELECT '\x00'::bytea $$;
CREATE AGGREGATE private.csv_agg(api.lines) (SFUNC = media.csv_trans, STYPE = "text/csv", INITCOND = '');
CREATE FUNCTION api.all_lines() RETURNS SETOF media."application/vnd.twkb" LANGUAGE sql AS $$ SELECT geom FROM api.lines $$;
CREATE FUNCTION api.plain_text() RETURNS api.not_media LANGUAGE sql AS $$ SELECT 'x' $$;
CREATE FUNCTION media.int_trans(state "text/csv", next int) RETURNS "text/csv" LANGUAGE sql AS $$ SELECT state $$;
CREATE AGGREGATE api.int_csv(int) (SFUNC = media.int_trans, STYPE = "text/csv", INITCOND = '');
CREATE FUNCTION media.two_trans(state "text/csv", a api.lines, b int) RETURNS "text/csv" LANGUAGE sql AS $$ SELECT state $$;
CREATE AGGREGATE api.two_csv(api.lines, int) (SFUNC = media.two_trans, STYPE = "text/csv", INITCOND = '');
CREATE FUNCTION media.os_trans(state "text/csv", next api.lines) RETURNS "text/csv" LANGUAGE sql AS $$ SELECT state $$;
CREATE AGGREGATE api.os_csv(api.lines ORDER BY api.lines) (SFUNC = media.os_trans, STYPE = "text/csv", INITCOND = '');
`

func TestLoadMediaHandlers(t *testing.T) {
	conn := newDB(t, mediaSQL)
	cache, err := sc.Load(context.Background(), conn, sc.LoadOptions{Schemas: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []sc.MediaHandler{
		{Media: "*/*", Aggregate: api("any_agg")},
		{Media: "application/vnd.twkb", Target: api("get_line"), Binary: true},
		{Media: "application/x-blob2", Target: api("blob"), Binary: true},
		{Media: "text/csv", Target: api("line_ids"), Aggregate: api("csv_agg")},
		{Media: "text/csv", Target: api("lines"), Aggregate: api("csv_agg")},
		{Media: "text/csv", Target: sc.QI{Schema: "private", Name: "hidden"}, Aggregate: api("hidden_csv")},
	}
	if !reflect.DeepEqual(cache.MediaHandlers, want) {
		t.Errorf("MediaHandlers =\n %+v\nwant\n %+v", cache.MediaHandlers, want)
	}
	if h := cache.MediaHandlerFor(api("lines"), "Text/CSV"); h == nil || h.Aggregate != api("csv_agg") {
		t.Errorf("MediaHandlerFor(api.lines, Text/CSV) = %+v", h)
	}
	if _, ok := cache.Timings["mhandlers"]; !ok {
		t.Errorf("Timings has no mhandlers: %v", cache.Timings)
	}

	got := roundTrip(t, cache)
	if !reflect.DeepEqual(got.MediaHandlers, want) {
		t.Errorf("MediaHandlers after a round trip = %+v", got.MediaHandlers)
	}

	// Handlers live in the exposed schemas only.
	other, err := sc.Load(context.Background(), conn, sc.LoadOptions{Schemas: []string{"private"}})
	if err != nil {
		t.Fatal(err)
	}
	wantPrivate := []sc.MediaHandler{
		{Media: "application/vnd.twkb", Target: sc.QI{Schema: "private", Name: "secret_line"}, Binary: true},
		{Media: "text/csv", Target: api("lines"), Aggregate: sc.QI{Schema: "private", Name: "csv_agg"}},
	}
	if !reflect.DeepEqual(other.MediaHandlers, wantPrivate) {
		t.Errorf("MediaHandlers of private =\n %+v\nwant\n %+v", other.MediaHandlers, wantPrivate)
	}
}

// drepsSQL declares a domain with its json and text representations, and
// the casts that are not representations.
const drepsSQL = `
CREATE SCHEMA api;
CREATE SCHEMA private;
CREATE DOMAIN api.color AS text;
CREATE DOMAIN api."Hue" AS text;
CREATE DOMAIN api.shade AS text;
CREATE DOMAIN api.size AS int;
CREATE DOMAIN api.secret AS text;
CREATE DOMAIN private.code AS text;
CREATE TYPE api.pair AS (a int, b int);
CREATE TABLE api.paint (id int, c api.color, h api."Hue");

CREATE FUNCTION api.color_json(api.color) RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT to_json($1::text) $$;
CREATE FUNCTION api.color_from_text(text) RETURNS api.color LANGUAGE sql IMMUTABLE AS $$ SELECT lower($1)::api.color $$;
CREATE FUNCTION api.color_from_json(json) RETURNS api.color LANGUAGE sql IMMUTABLE AS $$ SELECT ($1 #>> '{}')::api.color $$;
CREATE CAST (api.color AS json) WITH FUNCTION api.color_json(api.color) AS IMPLICIT;
CREATE CAST (text AS api.color) WITH FUNCTION api.color_from_text(text) AS IMPLICIT;
CREATE CAST (json AS api.color) WITH FUNCTION api.color_from_json(json) AS IMPLICIT;
CREATE FUNCTION api.hue_json(api."Hue") RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT to_json($1::text) $$;
CREATE CAST (api."Hue" AS json) WITH FUNCTION api.hue_json(api."Hue") AS IMPLICIT;
-- A domain and a function outside the exposed schemas still count.
CREATE FUNCTION private.code_text(private.code) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT upper($1::text) $$;
CREATE CAST (private.code AS text) WITH FUNCTION private.code_text(private.code) AS IMPLICIT;
-- Counts only for a role allowed to execute the function.
CREATE FUNCTION api.secret_json(api.secret) RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT to_json($1::text) $$;
REVOKE EXECUTE ON FUNCTION api.secret_json(api.secret) FROM PUBLIC;
CREATE CAST (api.secret AS json) WITH FUNCTION api.secret_json(api.secret) AS IMPLICIT;

-- Not representations: an explicit cast, an assignment cast, a cast to
-- neither json nor text (integer, jsonb), a cast from a type that is not a
-- domain, an I/O conversion cast (castmethod 'i'; PostgreSQL refuses
-- binary-coercible ones, 'b', for domains).
CREATE FUNCTION api.color_text(api.color) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::text $$;
CREATE CAST (api.color AS text) WITH FUNCTION api.color_text(api.color);
CREATE FUNCTION api.size_text(api.size) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1::int::text $$;
CREATE CAST (api.size AS text) WITH FUNCTION api.size_text(api.size) AS ASSIGNMENT;
CREATE FUNCTION api.color_int(api.color) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT length($1) $$;
CREATE CAST (api.color AS integer) WITH FUNCTION api.color_int(api.color) AS IMPLICIT;
CREATE FUNCTION api.color_jsonb(api.color) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$ SELECT to_jsonb($1::text) $$;
CREATE CAST (api.color AS jsonb) WITH FUNCTION api.color_jsonb(api.color) AS IMPLICIT;
CREATE FUNCTION api.pair_json(api.pair) RETURNS json LANGUAGE sql IMMUTABLE AS $$ SELECT json_build_array($1.a, $1.b) $$;
CREATE CAST (api.pair AS json) WITH FUNCTION api.pair_json(api.pair) AS IMPLICIT;
CREATE CAST (api.shade AS json) WITH INOUT AS IMPLICIT;
`

func TestLoadRepresentations(t *testing.T) {
	ctx := context.Background()
	conn := newDB(t, drepsSQL)
	cache, err := sc.Load(ctx, conn, sc.LoadOptions{Schemas: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	secret := sc.Representation{Source: "api.secret", Target: "json", Function: api("secret_json")}
	want := []sc.Representation{
		{Source: `api."Hue"`, Target: "json", Function: api("hue_json")},
		{Source: "api.color", Target: "json", Function: api("color_json")},
		secret,
		{Source: "json", Target: "api.color", Function: api("color_from_json")},
		{Source: "private.code", Target: "text", Function: sc.QI{Schema: "private", Name: "code_text"}},
		{Source: "text", Target: "api.color", Function: api("color_from_text")},
	}
	if !reflect.DeepEqual(cache.Representations, want) {
		t.Errorf("Representations =\n %+v\nwant\n %+v", cache.Representations, want)
	}
	if _, ok := cache.Timings["dreps"]; !ok {
		t.Errorf("Timings has no dreps: %v", cache.Timings)
	}

	// A column of a domain names it as the representation does, so a
	// column's NominalType finds its representations.
	paint := cache.Table(api("paint"))
	if paint == nil {
		t.Fatal("no api.paint")
	}
	for _, col := range []string{"c", "h"} {
		c := paint.Column(col)
		if c == nil {
			t.Fatalf("no api.paint.%s", col)
		}
		if r := cache.RepresentationOf(c.NominalType, "json"); r == nil {
			t.Errorf("api.paint.%s: NominalType %q has no json representation", col, c.NominalType)
		}
	}
	if r := cache.RepresentationOf("text", paint.Column("c").NominalType); r == nil || r.Function != api("color_from_text") {
		t.Errorf("RepresentationOf(text, api.color) = %+v", r)
	}

	got := roundTrip(t, cache)
	if !reflect.DeepEqual(got.Representations, want) {
		t.Errorf("Representations after a round trip = %+v", got.Representations)
	}

	// The connection is a superuser's, which may execute anything: as a
	// plain role, the cast whose function it may not execute is left out.
	if _, err := conn.Exec(ctx, `DO $$ BEGIN EXECUTE format('CREATE ROLE %I', current_database() || '_anon'); END $$`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `SELECT set_config('role', current_database() || '_anon', false)`); err != nil {
		t.Fatal(err)
	}
	anon, err := sc.Load(ctx, conn, sc.LoadOptions{Schemas: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	wantAnon := slices.DeleteFunc(slices.Clone(want), func(r sc.Representation) bool { return r == secret })
	if !reflect.DeepEqual(anon.Representations, wantAnon) {
		t.Errorf("Representations as a plain role =\n %+v\nwant\n %+v", anon.Representations, wantAnon)
	}
}
