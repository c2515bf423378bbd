package plan

import (
	"math"
	"testing"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// TestFuzzyMatches holds the fuzzyset library's documented results, which
// PostgREST's hints rely on.
func TestFuzzyMatches(t *testing.T) {
	states := []string{"Alabama", "Alaska", "American Samoa", "Arizona", "Arkansas", "California", "Colorado",
		"Connecticut", "Delaware", "District of Columbia", "Florida", "Georgia", "Guam", "Hawaii", "Idaho",
		"Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts",
		"Michigan", "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire",
		"New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Northern Marianas Islands",
		"Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Puerto Rico", "Rhode Island", "South Carolina",
		"South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Virgin Islands", "Washington",
		"West Virginia", "Wisconsin", "Wyoming"}
	for _, c := range []struct {
		query      string
		candidates []string
		want       []fuzzyMatch
	}{
		{"Burger Islands", states, []fuzzyMatch{{"Virgin Islands", 0.7142857142857143}, {"Rhode Island", 0.5714285714285714},
			{"Northern Marianas Islands", 0.44}, {"Maryland", 0.35714285714285715}}},
		{"Why-oh-me-ing", states, []fuzzyMatch{{"Wyoming", 0.5384615384615384}}},
		{"Connect a cat", states, []fuzzyMatch{{"Connecticut", 0.6923076923076923}}},
		{"CanOfSauce", states, []fuzzyMatch{{"Kansas", 0.4}}},
		{"Alaska", states, []fuzzyMatch{{"Alaska", 1}}},
		{"Shaggy Jones", []string{"Shaggy Rogers", "Fred Jones", "Daphne Blake", "Velma Dinkley"},
			[]fuzzyMatch{{"Shaggy Rogers", 0.7692307692307693}, {"Fred Jones", 0.5}}},
	} {
		got := fuzzyMatches(c.query, c.candidates, minFuzzyScore)
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v, want %v", c.query, got, c.want)
			continue
		}
		for i := range got {
			if got[i].value != c.want[i].value || math.Abs(got[i].score-c.want[i].score) > 1e-9 {
				t.Errorf("%q: got %v, want %v", c.query, got, c.want)
				break
			}
		}
	}
	if got := fuzzyBest("percolator", []string{"Jurassic Park", "Terminator", "The Matrix"}, minFuzzyScore); got != "Terminator" {
		t.Errorf("percolator: %q", got)
	}
}

// TestSuggestions holds PostgREST's doctests of noRpcHint and
// noRelBetweenHint.
func TestSuggestions(t *testing.T) {
	params := func(names ...string) *schemacache.Routine {
		r := &schemacache.Routine{}
		for _, n := range names {
			r.Params = append(r.Params, schemacache.RoutineParam{Name: n})
		}
		return r
	}
	overloads := []*schemacache.Routine{params("val", "param", "name"), params("id", "attr")}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"vall", "pqaram", "nam"}, "Perhaps you meant to call the function api.test(name, param, val)"},
		{[]string{"val", "param"}, "Perhaps you meant to call the function api.test(name, param, val)"},
		{[]string{"id", "attrs"}, "Perhaps you meant to call the function api.test(attr, id)"},
		{[]string{"id"}, "Perhaps you meant to call the function api.test(attr, id)"},
		{[]string{"noclosealternative"}, ""},
	} {
		if got := suggestRoutine(nil, "api", "test", c.args, overloads); got != c.want {
			t.Errorf("%v: %q, want %q", c.args, got, c.want)
		}
	}
	rels := []*schemacache.Relationship{
		{ForeignTable: schemacache.QI{Schema: "api", Name: "directors"}},
		{ForeignTable: schemacache.QI{Schema: "api", Name: "roles"}},
		{ForeignTable: schemacache.QI{Schema: "api", Name: "actors"}},
	}
	for child, want := range map[string]string{
		"role":               "Perhaps you meant 'roles' instead of 'role'.",
		"actors":             "",
		"noclosealternative": "",
	} {
		if got := suggestChild(rels, child); got != want {
			t.Errorf("child %q: %q, want %q", child, got, want)
		}
	}
	for name, want := range map[string]string{"testt": "test", "other": "", "noclosealternative": ""} {
		if got := fuzzyBest(name, []string{"test", "another"}, minSimilarity); got != want {
			t.Errorf("routine %q: %q, want %q", name, got, want)
		}
	}
}

// TestSuggestRelationship holds the doctests of PostgREST's
// noRelBetweenHint: a parent without relationships gets the closest
// parent that has some, a known parent the closest child it leads to.
func TestSuggestRelationship(t *testing.T) {
	qi := func(n string) schemacache.QI { return schemacache.QI{Schema: "api", Name: n} }
	sc := &schemacache.SchemaCache{Relationships: []schemacache.Relationship{
		{Table: qi("films"), ForeignTable: qi("directors")},
		{Table: qi("films"), ForeignTable: qi("roles")},
		{Table: qi("films"), ForeignTable: qi("actors")},
	}}
	for _, c := range []struct{ parent, child, want string }{
		{"film", "directors", "Perhaps you meant 'films' instead of 'film'."},
		{"films", "role", "Perhaps you meant 'roles' instead of 'role'."},
		{"films", "actors", ""},
		{"noclosealternative", "roles", ""},
		{"films", "noclosealternative", ""},
	} {
		got := suggestRelationship(sc, "api", c.parent, c.child, sc.RelationshipsFrom(qi(c.parent)))
		if got != c.want {
			t.Errorf("%s, %s: %q, want %q", c.parent, c.child, got, c.want)
		}
	}
	if got := suggestRelationship(sc, "other", "film", "roles", nil); got != "" {
		t.Errorf("another schema's parents: %q", got)
	}
}
