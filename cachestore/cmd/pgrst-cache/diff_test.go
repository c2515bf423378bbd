package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

func TestDiff(t *testing.T) {
	s := newStore(t)
	v1 := publishSnap(t, s, newSnapshot(baseCache(), map[string]string{"db_max_rows": "10", "jwt_secret": "old-secret"}), "startup")
	v2 := publishSnap(t, s, newSnapshot(changedCache(), map[string]string{"db_max_rows": "20", "jwt_secret": "new-secret"}), "notify")

	want := []string{
		"~ setting db_max_rows: 10 -> 20",
		"~ setting jwt_secret: value changed",
		"~ column api.books.title: type text -> character varying",
		"- column api.books.isbn",
		"+ table api.notes",
		"+ relationship api.books -> api.notes o2m (notes_book_id_fkey)",
		"+ relationship api.notes -> api.books m2o (notes_book_id_fkey)",
		"~ routine api.search(text): volatility stable -> volatile",
		"+ handler text/csv for api.notes by api.csv_agg",
		"+ representation json as api.isbn",
	}
	out := mustCall(t, runDiff, s, itoa(v1), itoa(v2))
	if got := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff v1 v2:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}

	var r diffReport
	if err := json.Unmarshal([]byte(mustCall(t, runDiff, s, itoa(v1), itoa(v2), "-json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.From != v1 || r.To != v2 || len(r.Changes) != len(want) ||
		r.Changes[2] != (change{Op: "~", Kind: "column", Name: "api.books.title", Detail: "type text -> character varying"}) {
		t.Errorf("diff -json = %+v", r)
	}

	back := mustCall(t, runDiff, s, itoa(v2), itoa(v1))
	for _, line := range []string{"- table api.notes", "+ column api.books.isbn", "~ routine api.search(text): volatility volatile -> stable",
		"- handler text/csv for api.notes by api.csv_agg", "- representation json as api.isbn"} {
		if !strings.Contains(back, line+"\n") {
			t.Errorf("diff v2 v1 lacks %q:\n%s", line, back)
		}
	}
	if out := mustCall(t, runDiff, s, itoa(v1), itoa(v1)); out != "" {
		t.Errorf("diff of a version with itself = %q", out)
	}
	if _, err := call(t, runDiff, s, itoa(v1)); !isUsage(err) {
		t.Errorf("diff with one version: err = %v, want a usage error", err)
	}
	if _, err := call(t, runDiff, s, itoa(v1), "7"); err == nil || !strings.Contains(err.Error(), "version 7 is not kept") {
		t.Errorf("diff with a version not kept: err = %v", err)
	}
}

// TestDiffDetails covers the changes the migration fixture does not:
// nullability and defaults, a type modifier, overloads and signatures.
func TestDiffDetails(t *testing.T) {
	a, b := baseCache(), baseCache()
	title := &b.Tables[1].Columns[1]
	title.Nullable, title.Default = true, ptr("'untitled'::text")
	isbn := &b.Tables[1].Columns[2]
	isbn.Type, isbn.NominalType, isbn.MaxLen = "character varying", "character varying(13)", ptr(int32(13))
	a.Tables[1].Columns[2] = *isbn
	a.Tables[1].Columns[2].NominalType, a.Tables[1].Columns[2].MaxLen = "character varying(10)", ptr(int32(10))
	b.Tables[0].PKCols = []string{"id", "name"}
	b.Routines[0].Return = schemacache.ReturnType{Type: schemacache.QI{Schema: "pg_catalog", Name: "int4"}}
	b.Routines[0].Params = []schemacache.RoutineParam{{Name: "q", Type: "integer", Required: true}}
	b.Routines = append(b.Routines, schemacache.Routine{Schema: "api", Name: "search",
		Params: []schemacache.RoutineParam{{Name: "q", Type: "text"}, {Name: "n", Type: "integer"}}, Volatility: schemacache.Stable})
	b.Relationships = b.Relationships[1:]

	var got []string
	for _, c := range diffSnapshots(newSnapshot(a, nil), newSnapshot(b, nil)) {
		got = append(got, c.String())
	}
	want := []string{
		"~ table api.authors: primary key (id) -> (id, name)",
		"~ column api.books.title: nullable false -> true; default none -> 'untitled'::text",
		"~ column api.books.isbn: type character varying(10) -> character varying(13)",
		"- relationship api.authors -> api.books o2m (books_author_id_fkey)",
		"+ routine api.search(integer)",
		"+ routine api.search(text, integer)",
		"- routine api.search(text)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// One overload on each side: a changed signature, not an add and a drop.
	b.Routines = b.Routines[:1]
	got = nil
	for _, c := range diffRoutines(a, b) {
		got = append(got, c.String())
	}
	if w := "~ routine api.search(integer): params (q text) -> (q integer); returns setof api.books -> int4"; strings.Join(got, "\n") != w {
		t.Errorf("diff of a retyped routine = %q, want %q", got, w)
	}
}

func TestDiffRoutineSetClauses(t *testing.T) {
	x := &schemacache.Routine{Schema: "api", Name: "f"}
	y := &schemacache.Routine{Schema: "api", Name: "f", IsolationLevel: "serializable",
		Settings: []schemacache.Setting{{Name: "statement_timeout", Value: "5s"}}}
	if got, want := diffRoutine(x, y), "set () -> (statement_timeout=5s, default_transaction_isolation=serializable)"; got != want {
		t.Errorf("diff = %q, want %q", got, want)
	}
	if got := diffRoutine(y, y); got != "" {
		t.Errorf("same routine: %q", got)
	}
}

func TestDiffMediaHandlers(t *testing.T) {
	a, b := baseCache(), baseCache()
	b.MediaHandlers[0].Media = "application/octet-stream"
	b.MediaHandlers[1].Binary = false
	b.MediaHandlers = b.MediaHandlers[:2]
	var got []string
	for _, c := range diffMediaHandlers(a, b) {
		got = append(got, c.String())
	}
	want := []string{
		"- handler */* for anyelement by api.any_agg",
		"+ handler application/octet-stream for anyelement by api.any_agg",
		"~ handler image/png by api.cover(): binary true -> false",
		"- handler text/csv for api.books by api.csv_agg",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := diffMediaHandlers(a, baseCache()); len(got) != 0 {
		t.Errorf("equal handlers: %v", got)
	}
}

func TestDiffRepresentations(t *testing.T) {
	a, b := baseCache(), baseCache()
	b.Representations[0].Function.Name = "isbn_to_json"
	b.Representations = append(b.Representations[:1], schemacache.Representation{Source: "api.isbn", Target: "text",
		Function: schemacache.QI{Schema: "api", Name: "isbn_text"}})
	var got []string
	for _, c := range diffRepresentations(a, b) {
		got = append(got, c.String())
	}
	want := []string{
		"~ representation api.isbn as json: function api.isbn_json -> api.isbn_to_json",
		"+ representation api.isbn as text",
		"- representation text as api.isbn",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := diffRepresentations(a, baseCache()); len(got) != 0 {
		t.Errorf("equal representations: %v", got)
	}
}
