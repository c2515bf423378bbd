package apirequest

import (
	"reflect"
	"testing"
)

func TestFilters(t *testing.T) {
	tests := []struct {
		query string
		want  Filter
	}{
		{"id=eq.1", Filter{Field: "id", Op: "eq", Value: "1"}},
		{"id=neq.1", Filter{Field: "id", Op: "neq", Value: "1"}},
		{"id=gt.1", Filter{Field: "id", Op: "gt", Value: "1"}},
		{"id=gte.1", Filter{Field: "id", Op: "gte", Value: "1"}},
		{"id=lt.1", Filter{Field: "id", Op: "lt", Value: "1"}},
		{"id=lte.1", Filter{Field: "id", Op: "lte", Value: "1"}},
		{"name=like.*a*", Filter{Field: "name", Op: "like", Value: "*a*"}},
		{"name=ilike.A%25", Filter{Field: "name", Op: "ilike", Value: "A%"}},
		{"name=eq.a.b.c", Filter{Field: "name", Op: "eq", Value: "a.b.c"}},
		{"name=eq.", Filter{Field: "name", Op: "eq", Value: ""}},
		{"name=eq.hello+world%21", Filter{Field: "name", Op: "eq", Value: "hello world!"}},
		{"id=not.eq.1", Filter{Field: "id", Negate: true, Op: "eq", Value: "1"}},
		{"id=in.(1,2,3)", Filter{Field: "id", Op: "in", Value: "(1,2,3)", Values: []string{"1", "2", "3"}}},
		{`id=in.("a,b","c)d",e)`, Filter{Field: "id", Op: "in", Value: `("a,b","c)d",e)`, Values: []string{"a,b", "c)d", "e"}}},
		{`id=in.("a\"b","x\\y")`, Filter{Field: "id", Op: "in", Value: `("a\"b","x\\y")`, Values: []string{`a"b`, `x\y`}}},
		{`id=in.("a"b)`, Filter{Field: "id", Op: "in", Value: `("a"b)`, Values: []string{`"a"b`}}},
		{"id=in.()", Filter{Field: "id", Op: "in", Value: "()", Values: []string{""}}},
		{`id=in.("")`, Filter{Field: "id", Op: "in", Value: `("")`, Values: []string{""}}},
		{"id=not.in.(1)", Filter{Field: "id", Negate: true, Op: "in", Value: "(1)", Values: []string{"1"}}},
		{"id=is.null", Filter{Field: "id", Op: "is", Value: "null"}},
		{"id=is.NULL", Filter{Field: "id", Op: "is", Value: "null"}},
		{"id=is.Not_Null", Filter{Field: "id", Op: "is", Value: "not_null"}},
		{"id=is.TRUE", Filter{Field: "id", Op: "is", Value: "true"}},
		{"id=is.false", Filter{Field: "id", Op: "is", Value: "false"}},
		{"id=not.is.unknown", Filter{Field: "id", Negate: true, Op: "is", Value: "unknown"}},
		// As PostgREST's pOpExpr, whose parser need not reach the end of
		// its input, what follows `in.(…)` or `is.x` is ignored.
		{"id=in.(1,2)x", Filter{Field: "id", Op: "in", Value: "(1,2)", Values: []string{"1", "2"}}},
		{"id=not.in.(3) ,4)", Filter{Field: "id", Negate: true, Op: "in", Value: "(3) ", Values: []string{"3"}}},
		{"id=is.nullx", Filter{Field: "id", Op: "is", Value: "null"}},
		{"id=is.true.false", Filter{Field: "id", Op: "is", Value: "true"}},
		{"id=isdistinct.2", Filter{Field: "id", Op: "isdistinct", Value: "2"}},
		{"arr=cs.{1,2}", Filter{Field: "arr", Op: "cs", Value: "{1,2}"}},
		{"r=adj.(3,10]", Filter{Field: "r", Op: "adj", Value: "(3,10]"}},
		{"n=match.^a", Filter{Field: "n", Op: "match", Value: "^a"}},
		{"n=imatch.^a", Filter{Field: "n", Op: "imatch", Value: "^a"}},
		{"n=like(all).{a*,*b}", Filter{Field: "n", Op: "like", Quantifier: "all", Value: "{a*,*b}"}},
		{"n=eq(any).{1,2}", Filter{Field: "n", Op: "eq", Quantifier: "any", Value: "{1,2}"}},
		{"t=fts.cat", Filter{Field: "t", Op: "fts", Value: "cat"}},
		{"t=plfts(english).fat+cat", Filter{Field: "t", Op: "plfts", Language: "english", Value: "fat cat"}},
		{"t=not.wfts(simple).x", Filter{Field: "t", Negate: true, Op: "wfts", Language: "simple", Value: "x"}},
		{"clients.name=eq.x", Filter{EmbedPath: []string{"clients"}, Field: "name", Op: "eq", Value: "x"}},
		{"a.b.c.d=eq.x", Filter{EmbedPath: []string{"a", "b", "c"}, Field: "d", Op: "eq", Value: "x"}},
		{"Just%20A%20Model=like.*91*", Filter{Field: "Just A Model", Op: "like", Value: "*91*"}},
		{`"a.b"=eq.1`, Filter{Field: "a.b", Op: "eq", Value: "1"}},
		{"%C3%A9t%C3%A9=eq.%C3%A9", Filter{Field: "été", Op: "eq", Value: "é"}},
	}
	for _, tt := range tests {
		req, _, code, msg, det := get(t, tt.query)
		if code != "" {
			t.Errorf("%s: unexpected %s %s %s", tt.query, code, msg, det)
			continue
		}
		if len(req.Filters) != 1 {
			t.Errorf("%s: %d filters", tt.query, len(req.Filters))
			continue
		}
		got := req.Filters[0]
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.query, got, tt.want)
		}
	}
}

func TestFiltersKeepOrder(t *testing.T) {
	req, _, code, _, _ := get(t, "b=eq.2&a=eq.1&b=gt.0")
	if code != "" {
		t.Fatal(code)
	}
	var got []string
	for _, f := range req.Filters {
		got = append(got, f.Field+"."+f.Op)
	}
	if want := []string{"b.eq", "a.eq", "b.gt"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
