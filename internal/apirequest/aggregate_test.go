package apirequest

import (
	"reflect"
	"testing"
)

func TestParseAggregatesAndSpreads(t *testing.T) {
	got, err := parseSelect("author_id,total:count(),pages.sum(),p:pages::int.avg()::text,count()::int,...authors(name),books(count())")
	if err != nil {
		t.Fatal(err)
	}
	want := []SelectItem{
		{Column: "author_id"},
		{Alias: "total", Aggregate: "count"},
		{Column: "pages", Aggregate: "sum"},
		{Alias: "p", Column: "pages", Cast: "int", Aggregate: "avg", AggregateCast: "text"},
		{Aggregate: "count", AggregateCast: "int"},
		{Embed: &Embed{Target: "authors", Spread: true, Select: []SelectItem{{Column: "name"}}}},
		{Embed: &Embed{Target: "books", Select: []SelectItem{{Aggregate: "count"}}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{"pages.total()", "count()x", "...a:authors(name)", "...authors", "pages.sum()::"} {
		if _, err := parseSelect(bad); err == nil || err.Code != "PGRST100" {
			t.Errorf("select=%s: %v", bad, err)
		}
	}
}
