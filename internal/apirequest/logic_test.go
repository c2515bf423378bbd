package apirequest

import (
	"reflect"
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
		// A field may follow a JSON path, as in PostgREST's pField.
		{"or", "(data->>a.eq.1,data->b->>c.not.gt.2,d->0.is.null)", LogicTree{Op: "or", Children: []LogicNode{
			{Filter: &Filter{Field: "data", JSONPath: []JSONStep{{Text: true, Key: "a"}}, Op: "eq", Value: "1"}},
			{Filter: &Filter{Field: "data", JSONPath: []JSONStep{{Key: "b"}, {Text: true, Key: "c"}}, Negate: true, Op: "gt", Value: "2"}},
			{Filter: &Filter{Field: "d", JSONPath: []JSONStep{{Key: "0", Index: true}}, Op: "is", Value: "null"}},
		}}},
		// A quoted range literal is one value; blanks around the parts are allowed.
		{"and", `( rng.adj."[1,2)", and ( id.in.( 1, 2 ) , id.eq.3 ) )`, LogicTree{Op: "and", Children: []LogicNode{
			f("rng", "adj", "[1,2)"),
			{Tree: &LogicTree{Op: "and", Children: []LogicNode{
				{Filter: &Filter{Field: "id", Op: "in", Value: "( 1, 2 ) ", Values: []string{"1", " 2 "}}},
				f("id", "eq", "3 "), // the value keeps its blank, as in PostgREST
			}}},
		}}},
		// As PostgREST's pLogicTree, input after the closing parenthesis is
		// ignored (AndOrParamsSpec's `and=(id.eq.1,id.neq.2))`).
		{"and", "(id.eq.1,id.neq.2))", LogicTree{Op: "and", Children: []LogicNode{f("id", "eq", "1"), f("id", "neq", "2")}}},
		{"not.or", "(a.is.null)x,y", LogicTree{Negate: true, Op: "or", Children: []LogicNode{f("a", "is", "null")}}},
		// As for PostgREST, `or=.eq.1` is a condition on a column named "or".
		{"or", ".eq.1", LogicTree{Op: "and", Children: []LogicNode{f("or", "eq", "1")}}},
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

// TestParseLogicErrors pins PGRST100 messages, most of them PostgREST's
// own doctests of pLogicTree and spec expectations. Columns count over the
// operator and the value joined, as PostgREST's do.
func TestParseLogicErrors(t *testing.T) {
	tests := []struct{ key, value, column, details string }{
		{"or", "()", "4", `unexpected ")" expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`},
		{"or", "(id.in.1,2,id.eq.3)", "10", `unexpected "1" expecting "("`},
		{"or", ")(", "3", `unexpected ")" expecting "("`},
		{"and", "(ord(id.eq.1,id.eq.1),id.eq.2)", "7", `unexpected "d" expecting "("`},
		{"or", "(id.eq.1,not.xor(id.eq.2,id.eq.3))", "16", `unexpected "x" expecting logic operator (and, or)`},
		// Range literals hold a comma or a parenthesis, which end a value:
		// PostgREST rejects them unquoted too.
		{"or", "(rng.adj.[1,2),rng.cs.[3,4])", "16", `unexpected ")" expecting letter, digit, "-", "->>", "->" or delimiter (.)`},
		{"and", "(x.ov.(1,2])", "14", `unexpected "]" expecting letter, digit, "-", "->>", "->" or delimiter (.)`},
		{"not.or", "(a.eq.1", "14", `unexpected end of input expecting "," or ")"`},
		{"or", "(a.eq.", "9", `unexpected end of input expecting "\"", "{", "," or ")"`},
		{"or", "(a.equals.1)", "8", `unexpected "u" expecting operator (eq, gt, ...)`},
		{"or", "(a.is.nul)", "12", `unexpected ")" expecting isVal: (null, not_null, true, false, unknown)`},
		{"or", "(a.in.(1,2)x)", "14", `unexpected "x" expecting "," or ")"`},
		{"or", "(a.cs.{1} )", "13", `unexpected ")" expecting ","`},
		{"or", "(.eq.1)", "4", `unexpected "." expecting field name (* or [a..z0..9_$]), negation operator (not) or logic operator (and, or)`},
		{"or", "(ox(a.eq.1))", "4", `unexpected "x" expecting "or"`},
		{"or", "x(a.eq.1)", "3", `unexpected "x" expecting "("`},
	}
	for _, tt := range tests {
		_, err := parseLogic(tt.key, tt.value)
		if err == nil {
			t.Errorf("%s=%s parsed", tt.key, tt.value)
			continue
		}
		msg := `"failed to parse logic tree (` + tt.value + `)" (line 1, column ` + tt.column + `)`
		if err.Status != 400 || err.Code != "PGRST100" || err.Message != msg || err.Details != tt.details {
			t.Errorf("%s=%s:\n got %d %s %s | %v\nwant 400 PGRST100 %s | %s", tt.key, tt.value, err.Status, err.Code, err.Message, err.Details, msg, tt.details)
		}
	}
}
