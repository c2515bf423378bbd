package apirequest

import (
	"net/http/httptest"
	"reflect"
	"testing"
)

func TestJSONPaths(t *testing.T) {
	r := httptest.NewRequest("GET", "/items?select=id,data->owner->>name,n:data->tags->0,data->>-1::int&data->>kind=eq.book&data->size=gt.3&order=data->>name.desc,data->0", nil)
	req, err := Parse(r, nil, []string{"api"})
	if err != nil {
		t.Fatal(err)
	}
	wantSel := []SelectItem{
		{Column: "id"},
		{Column: "data", JSONPath: []JSONStep{{Key: "owner"}, {Text: true, Key: "name"}}},
		{Alias: "n", Column: "data", JSONPath: []JSONStep{{Key: "tags"}, {Key: "0", Index: true}}},
		{Column: "data", Cast: "int", JSONPath: []JSONStep{{Text: true, Key: "-1", Index: true}}},
	}
	if !reflect.DeepEqual(req.Select, wantSel) {
		t.Errorf("select:\n got %+v\nwant %+v", req.Select, wantSel)
	}
	wantFilters := []Filter{
		{Field: "data", JSONPath: []JSONStep{{Text: true, Key: "kind"}}, Op: "eq", Value: "book"},
		{Field: "data", JSONPath: []JSONStep{{Key: "size"}}, Op: "gt", Value: "3"},
	}
	if !reflect.DeepEqual(req.Filters, wantFilters) {
		t.Errorf("filters:\n got %+v\nwant %+v", req.Filters, wantFilters)
	}
	wantOrder := []OrderTerm{
		{Column: "data", JSONPath: []JSONStep{{Text: true, Key: "name"}}, Desc: true},
		{Column: "data", JSONPath: []JSONStep{{Key: "0", Index: true}}},
	}
	if !reflect.DeepEqual(req.Order, wantOrder) {
		t.Errorf("order:\n got %+v\nwant %+v", req.Order, wantOrder)
	}
	if k := JSONKey("data", wantSel[1].JSONPath); k != "name" {
		t.Errorf("output key %q", k)
	}
	// The last key names a path ending with an index, as PostgREST's
	// lastJsonKey; the column names a path of indexes only.
	if k := JSONKey("data", wantSel[2].JSONPath); k != "tags" {
		t.Errorf("output key of a key then an index %q", k)
	}
	if k := JSONKey("data", wantSel[3].JSONPath); k != "data" {
		t.Errorf("output key of an index path %q", k)
	}
}

func TestJSONPathErrors(t *testing.T) {
	for _, q := range []string{"select=data->", "select=data->>,id", "data->=eq.1", "order=data->.desc"} {
		r := httptest.NewRequest("GET", "/items?"+q, nil)
		if _, err := Parse(r, nil, []string{"api"}); err == nil || err.Code != "PGRST100" {
			t.Errorf("%s: %v", q, err)
		}
	}
}
