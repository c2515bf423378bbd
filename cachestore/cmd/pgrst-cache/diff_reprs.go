package main

import (
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// diffRepresentations lists domain representations added and removed, and
// those whose cast function changed. A representation is named as its cast
// is declared: "api.color as json".
func diffRepresentations(a, b *schemacache.SchemaCache) []change {
	ra, rb := reprsByKey(a), reprsByKey(b)
	var out []change
	for _, k := range unionKeys(ra, rb) {
		x, y := ra[k], rb[k]
		switch {
		case x == nil:
			out = append(out, change{"+", "representation", k, ""})
		case y == nil:
			out = append(out, change{"-", "representation", k, ""})
		case x.Function != y.Function:
			out = append(out, change{"~", "representation", k,
				"function " + x.Function.String() + " -> " + y.Function.String()})
		}
	}
	return out
}

func reprsByKey(sc *schemacache.SchemaCache) map[string]*schemacache.Representation {
	m := make(map[string]*schemacache.Representation, len(sc.Representations))
	for i := range sc.Representations {
		r := &sc.Representations[i]
		m[r.Source+" as "+r.Target] = r
	}
	return m
}
