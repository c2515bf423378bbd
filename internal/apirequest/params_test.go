package apirequest

import (
	"reflect"
	"testing"
)

func TestOrder(t *testing.T) {
	tests := []struct {
		query string
		want  []OrderTerm
	}{
		{"order=id", []OrderTerm{{Column: "id"}}},
		{"order=id.asc", []OrderTerm{{Column: "id"}}},
		{"order=id.desc", []OrderTerm{{Column: "id", Desc: true}}},
		{"order=id.nullsfirst", []OrderTerm{{Column: "id", Nulls: "first"}}},
		{"order=id.desc.nullslast", []OrderTerm{{Column: "id", Desc: true, Nulls: "last"}}},
		{"order=a.asc.nullsfirst,b.desc,c", []OrderTerm{{Column: "a", Nulls: "first"}, {Column: "b", Desc: true}, {Column: "c"}}},
		{"order=%22a,b%22.desc,first-name", []OrderTerm{{Column: "a,b", Desc: true}, {Column: "first-name"}}},
		{"order=a&order=b.desc", []OrderTerm{{Column: "b", Desc: true}}},
	}
	for _, tt := range tests {
		req, _, code, msg, _ := get(t, tt.query)
		if code != "" {
			t.Errorf("%s: %s %s", tt.query, code, msg)
			continue
		}
		if !reflect.DeepEqual(req.Order, tt.want) {
			t.Errorf("%s: got %+v, want %+v", tt.query, req.Order, tt.want)
		}
	}
}

func i64(n int64) *int64 { return &n }

func TestReservedParams(t *testing.T) {
	req, _, code, msg, det := get(t, "limit=10&offset=0&clients.order=name.desc&clients.limit=2&clients.offset=1&"+
		"a.b.limit=3&or=(id.eq.1,id.eq.2)&not.and=(a.gte.1)&clients.or=(x.is.null)&columns=a,%22b%20c%22&on_conflict=id&id")
	if code != "" {
		t.Fatalf("%s %s %s", code, msg, det)
	}
	if req.Limit == nil || *req.Limit != 10 || req.Offset == nil || *req.Offset != 0 {
		t.Errorf("limit/offset %v %v", req.Limit, req.Offset)
	}
	wantOrders := []EmbedOrder{{Path: []string{"clients"}, Terms: []OrderTerm{{Column: "name", Desc: true}}}}
	if !reflect.DeepEqual(req.EmbedOrders, wantOrders) {
		t.Errorf("embed orders %+v", req.EmbedOrders)
	}
	wantRanges := []EmbedRange{
		{Path: []string{"clients"}, Limit: i64(2), Offset: i64(1)},
		{Path: []string{"a", "b"}, Limit: i64(3)},
	}
	if !reflect.DeepEqual(req.EmbedRanges, wantRanges) {
		t.Errorf("embed ranges %+v", req.EmbedRanges)
	}
	wantLogic := []LogicTree{
		{Op: "or", Children: []LogicNode{
			{Filter: &Filter{Field: "id", Op: "eq", Value: "1"}}, {Filter: &Filter{Field: "id", Op: "eq", Value: "2"}}}},
		{Negate: true, Op: "and", Children: []LogicNode{{Filter: &Filter{Field: "a", Op: "gte", Value: "1"}}}},
		{EmbedPath: []string{"clients"}, Op: "or", Children: []LogicNode{{Filter: &Filter{Field: "x", Op: "is", Value: "null"}}}},
	}
	if !reflect.DeepEqual(req.Logic, wantLogic) {
		t.Errorf("logic %+v", req.Logic)
	}
	if !reflect.DeepEqual(req.Columns, []string{"a", "b c"}) || !reflect.DeepEqual(req.OnConflict, []string{"id"}) {
		t.Errorf("columns %q on_conflict %q", req.Columns, req.OnConflict)
	}
	if len(req.Filters) != 0 || len(req.Order) != 0 {
		t.Errorf("reserved keys leaked: filters %+v order %+v", req.Filters, req.Order)
	}
}

func TestAbsentParams(t *testing.T) {
	req, _, code, _, _ := get(t, "")
	if code != "" {
		t.Fatal(code)
	}
	if req.Limit != nil || req.Offset != nil || req.Columns != nil || req.OnConflict != nil || req.Filters != nil || req.Order != nil {
		t.Errorf("unexpected values in %+v", req)
	}
}

func TestSplitQuery(t *testing.T) {
	tests := []struct {
		raw  string
		want []queryParam
	}{
		{"a=1&b=2", []queryParam{{"a", "1", true}, {"b", "2", true}}},
		{"a=1;b=2", []queryParam{{"a", "1", true}, {"b", "2", true}}},
		{"&&a=1&", []queryParam{{"a", "1", true}}},
		{"a+b=c+d", []queryParam{{"a b", "c d", true}}},
		{"a=%2B%26%3D", []queryParam{{"a", "+&=", true}}},
		{"a=100%&b=%zz%4", []queryParam{{"a", "100%", true}, {"b", "%zz%4", true}}},
		{"a=x=y", []queryParam{{"a", "x=y", true}}},
		{"flag", []queryParam{{"flag", "", false}}},
		{"a=%E2%82%AC", []queryParam{{"a", "€", true}}},
		{"a=%FF", []queryParam{{"a", "\uFFFD", true}}},
	}
	for _, tt := range tests {
		if got := splitQuery(tt.raw); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %+v, want %+v", tt.raw, got, tt.want)
		}
	}
}

func TestHsShow(t *testing.T) {
	tests := map[string]string{
		"abc":  `"abc"`,
		`a"b`:  `"a\"b"`,
		`a\b`:  `"a\\b"`,
		"é":    `"\233"`,
		"é1":   `"\233\&1"`,
		"a\tb": `"a\tb"`,
	}
	for in, want := range tests {
		if got := hsShow(in); got != want {
			t.Errorf("hsShow(%q) = %s, want %s", in, got, want)
		}
	}
	if got := hsShowChar('x'); got != "'x'" {
		t.Errorf("hsShowChar = %s", got)
	}
}
