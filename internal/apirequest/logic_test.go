package apirequest

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLogic(t *testing.T) {
	f := func(field, op, val string) LogicNode {
		return LogicNode{Filter: &Filter{Field: field, Op: op, Value: val}}
	}
	tests := []struct {
		key, value string
		want       LogicTree
	}{
		{"or", "(a.eq.1,b.gt.2)", LogicTree{Op: "or", Children: []LogicNode{f("a", "eq", "1"), f("b", "gt", "2")}}},
		{"and", `(name.eq."a,b)c",age.not.is.null)`, LogicTree{Op: "and", Children: []LogicNode{
			f("name", "eq", "a,b)c"),
			{Filter: &Filter{Field: "age", Op: "is", Value: "null", Negate: true}},
		}}},
		{"or", "(id.in.(1,2),and(a.lt.1,not.or(b.eq.x,c.like.*y*)))", LogicTree{Op: "or", Children: []LogicNode{
			{Filter: &Filter{Field: "id", Op: "in", Value: "(1,2)", Values: []string{"1", "2"}}},
			{Tree: &LogicTree{Op: "and", Children: []LogicNode{
				f("a", "lt", "1"),
				{Tree: &LogicTree{Negate: true, Op: "or", Children: []LogicNode{f("b", "eq", "x"), f("c", "like", "*y*")}}},
			}}},
		}}},
		// Array literals hold commas, as PostgREST's pPgArray reads them.
		{"or", "(tags.cs.{a,b},arr.ov.{1,2})", LogicTree{Op: "or", Children: []LogicNode{
			f("tags", "cs", "{a,b}"), f("arr", "ov", "{1,2}")}}},
		{"books.not.and", "(pages.gte.100)", LogicTree{EmbedPath: []string{"books"}, Negate: true, Op: "and",
			Children: []LogicNode{f("pages", "gte", "100")}}},
	}
	for _, tt := range tests {
		got, err := parseLogic(tt.key, tt.value)
		if err != nil {
			t.Fatalf("%s=%s: %v", tt.key, tt.value, err)
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%s=%s:\n got %+v\nwant %+v", tt.key, tt.value, *got, tt.want)
		}
	}
}

func TestParseLogicErrors(t *testing.T) {
	for _, v := range []string{"a.eq.1", "(a.eq.1", "(a.eq.1))", "(a.equals.1)", "()", "(and(a.eq.1)", "(.eq.1)"} {
		_, err := parseLogic("or", v)
		if err == nil {
			t.Errorf("or=%s parsed", v)
			continue
		}
		if err.Status != 400 || err.Code != "PGRST100" || !strings.Contains(err.Message, "failed to parse logic tree") {
			t.Errorf("or=%s: %d %s %s", v, err.Status, err.Code, err.Message)
		}
	}
}
