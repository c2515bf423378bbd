package main

import (
	"bytes"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgrest-lambda/pgrest-lambda/cachestore"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
	"github.com/pgrest-lambda/pgrest-lambda/internal/snapshot"
	"github.com/pgrest-lambda/pgrest-lambda/internal/testharness"
)

var (
	rds       *testharness.Redis //nolint:gochecknoglobals // started once per test binary
	prefixSeq atomic.Int64       //nolint:gochecknoglobals // unique key prefix per test
)

func TestMain(m *testing.M) { testharness.Main(m, nil, &rds) }

// newStore returns a store over the shared server in a namespace of its own.
func newStore(t *testing.T) *cachestore.Store {
	t.Helper()
	rdb, err := cachestore.Dial(rds.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	s := cachestore.New(rdb, fmt.Sprintf("cli%d-%d", time.Now().UnixNano(), prefixSeq.Add(1)))
	if s.Keys, err = snapshot.NewKeys([]byte("pgrst-cache test key 0123456789abcdef"), nil); err != nil {
		t.Fatal(err)
	}
	return s
}

// builtAt is the build time of every fixture snapshot.
var builtAt = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// baseCache is the first fixture schema: authors and books with a foreign
// key between them and one search function.
func baseCache() *schemacache.SchemaCache {
	id := schemacache.Column{Name: "id", Type: "integer", NominalType: "integer", Default: ptr("nextval('seq')")}
	return &schemacache.SchemaCache{
		Schemas: []string{"api"}, PgVersion: 170004,
		Tables: []schemacache.Table{
			{Schema: "api", Name: "authors", Insertable: true, Updatable: true, Deletable: true, PKCols: []string{"id"},
				Columns: []schemacache.Column{id, {Name: "name", Type: "text", NominalType: "text"}}},
			{Schema: "api", Name: "books", Insertable: true, Updatable: true, Deletable: true, PKCols: []string{"id"},
				Columns: []schemacache.Column{
					id,
					{Name: "title", Type: "text", NominalType: "text"},
					{Name: "isbn", Type: "text", NominalType: "text", Nullable: true},
					{Name: "author_id", Type: "integer", NominalType: "integer", Nullable: true},
				}},
		},
		Relationships: []schemacache.Relationship{
			{Table: schemacache.QI{Schema: "api", Name: "authors"}, ForeignTable: schemacache.QI{Schema: "api", Name: "books"},
				Cardinality: schemacache.O2M, Constraint: "books_author_id_fkey", Columns: []schemacache.ColumnPair{{Col: "id", FCol: "author_id"}}},
			{Table: schemacache.QI{Schema: "api", Name: "books"}, ForeignTable: schemacache.QI{Schema: "api", Name: "authors"},
				Cardinality: schemacache.M2O, Constraint: "books_author_id_fkey", Columns: []schemacache.ColumnPair{{Col: "author_id", FCol: "id"}}},
		},
		Routines: []schemacache.Routine{
			{Schema: "api", Name: "search", Params: []schemacache.RoutineParam{{Name: "q", Type: "text", Required: true}},
				Return:     schemacache.ReturnType{SetOf: true, Composite: true, Type: schemacache.QI{Schema: "api", Name: "books"}},
				Volatility: schemacache.Stable},
		},
		MediaHandlers: []schemacache.MediaHandler{
			{Media: "*/*", Aggregate: schemacache.QI{Schema: "api", Name: "any_agg"}},
			{Media: "image/png", Target: schemacache.QI{Schema: "api", Name: "cover"}, Binary: true},
			{Media: "text/csv", Target: schemacache.QI{Schema: "api", Name: "books"}, Aggregate: schemacache.QI{Schema: "api", Name: "csv_agg"}},
		},
		Representations: []schemacache.Representation{
			{Source: "api.isbn", Target: "json", Function: schemacache.QI{Schema: "api", Name: "isbn_json"}},
			{Source: "text", Target: "api.isbn", Function: schemacache.QI{Schema: "api", Name: "isbn_from_text"}},
		},
	}
}

// changedCache is baseCache after a migration: a notes table referencing
// books, books.isbn dropped, books.title retyped, search made volatile, a
// CSV handler for notes, isbn values read from JSON bodies.
func changedCache() *schemacache.SchemaCache {
	sc := baseCache()
	books := &sc.Tables[1]
	books.Columns = []schemacache.Column{books.Columns[0], books.Columns[1], books.Columns[3]}
	books.Columns[1].Type, books.Columns[1].NominalType = "character varying", "character varying(200)"
	sc.Tables = append(sc.Tables, schemacache.Table{
		Schema: "api", Name: "notes", PKCols: []string{"id"},
		Columns: []schemacache.Column{sc.Tables[0].Columns[0], {Name: "book_id", Type: "integer", NominalType: "integer"}},
	})
	sc.Relationships = append(sc.Relationships,
		schemacache.Relationship{Table: schemacache.QI{Schema: "api", Name: "books"}, ForeignTable: schemacache.QI{Schema: "api", Name: "notes"},
			Cardinality: schemacache.O2M, Constraint: "notes_book_id_fkey", Columns: []schemacache.ColumnPair{{Col: "id", FCol: "book_id"}}},
		schemacache.Relationship{Table: schemacache.QI{Schema: "api", Name: "notes"}, ForeignTable: schemacache.QI{Schema: "api", Name: "books"},
			Cardinality: schemacache.M2O, Constraint: "notes_book_id_fkey", Columns: []schemacache.ColumnPair{{Col: "book_id", FCol: "id"}}},
	)
	sc.Routines[0].Volatility = schemacache.Volatile
	sc.MediaHandlers = append(sc.MediaHandlers, schemacache.MediaHandler{Media: "text/csv",
		Target: schemacache.QI{Schema: "api", Name: "notes"}, Aggregate: schemacache.QI{Schema: "api", Name: "csv_agg"}})
	sc.Representations = append(sc.Representations, schemacache.Representation{Source: "json", Target: "api.isbn",
		Function: schemacache.QI{Schema: "api", Name: "isbn_from_json"}})
	return sc
}

// newSnapshot wraps a cache as the listener worker does.
func newSnapshot(sc *schemacache.SchemaCache, settings map[string]string) *snapshot.Snapshot {
	return &snapshot.Snapshot{
		Header: snapshot.Header{
			PgVersion: sc.PgVersion, Schemas: sc.Schemas, ConfigFingerprint: "cfg-1",
			BuiltAt: builtAt, QueryMs: map[string]float64{"tables": 1.5},
		},
		Cache: sc, DBSettings: settings,
	}
}

// publishSnap encodes and publishes snap as worker "w-1" and returns its version.
func publishSnap(t *testing.T, s *cachestore.Store, snap *snapshot.Snapshot, trigger string) int64 {
	t.Helper()
	ctx := context.Background()
	blob, err := snap.EncodeWith(s.Keys)
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Reserve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc := snap.Cache
	res, err := s.Publish(ctx, v, blob, cachestore.Meta{
		Trigger: trigger, WorkerID: "w-1", BuildMs: 12.5, BuiltAt: snap.Header.BuiltAt.Format(time.RFC3339Nano),
		ContentHash: snap.Header.ContentHash,
		Tables:      len(sc.Tables), Relationships: len(sc.Relationships), Routines: len(sc.Routines),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Published {
		t.Fatalf("publish v%d: %s", v, res.Outcome)
	}
	return v
}

// call runs a command and returns its output.
func call(t *testing.T, cmd command, s *cachestore.Store, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := cmd(context.Background(), s, args, &out)
	return out.String(), err
}

// mustCall is call that fails the test on an error.
func mustCall(t *testing.T, cmd command, s *cachestore.Store, args ...string) string {
	t.Helper()
	out, err := call(t, cmd, s, args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out
}

func itoa(v int64) string { return fmt.Sprint(v) }
