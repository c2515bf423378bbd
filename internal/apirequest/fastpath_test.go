package apirequest

import (
	"reflect"
	"testing"
)

// FuzzPlainOpExpr checks that the fast path of the filter parser gives
// exactly what the full parser gives, whenever it takes an input.
func FuzzPlainOpExpr(f *testing.F) {
	for _, s := range []string{"eq.1", "not.eq.x", "gte.5", "gtx.5", "eq.", "like.a.b", "fts.x", "fts(english).x",
		"eq(any).{1,2}", "in.(1,2)", "is.null", "not.isdistinct.3", "neq", "not.", "cs.{a}", "\xff.eq.1", "eq.\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fast, ok := plainOpExpr(raw)
		if !ok {
			return
		}
		full, err, committed := parseOpExprFull(raw)
		if err != nil || committed || !reflect.DeepEqual(fast, full) {
			t.Fatalf("%q: fast %+v, full %+v (err %v, committed %v)", raw, fast, full, err, committed)
		}
	})
}
