package main

import (
	"strconv"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// diffMediaHandlers lists media type handlers added and removed, and those
// whose body changed between text and bytes (the domain's base type).
func diffMediaHandlers(a, b *schemacache.SchemaCache) []change {
	ha, hb := handlersByKey(a), handlersByKey(b)
	var out []change
	for _, k := range unionKeys(ha, hb) {
		x, y := ha[k], hb[k]
		switch {
		case x == nil:
			out = append(out, change{"+", "handler", k, ""})
		case y == nil:
			out = append(out, change{"-", "handler", k, ""})
		case x.Binary != y.Binary:
			out = append(out, change{"~", "handler", k,
				"binary " + strconv.FormatBool(x.Binary) + " -> " + strconv.FormatBool(y.Binary)})
		}
	}
	return out
}

func handlersByKey(sc *schemacache.SchemaCache) map[string]*schemacache.MediaHandler {
	m := make(map[string]*schemacache.MediaHandler, len(sc.MediaHandlers))
	for i := range sc.MediaHandlers {
		h := &sc.MediaHandlers[i]
		m[handlerKey(h)] = h
	}
	return m
}

// handlerKey renders a handler, e.g. "text/csv for api.lines by
// api.csv_agg", "*/* for anyelement by api.any_agg" or
// "application/vnd.twkb by api.get_line()" for a function handler.
func handlerKey(h *schemacache.MediaHandler) string {
	if h.Aggregate == (schemacache.QI{}) {
		return h.Media + " by " + h.Target.String() + "()"
	}
	target := "anyelement"
	if h.Target != (schemacache.QI{}) {
		target = h.Target.String()
	}
	return h.Media + " for " + target + " by " + h.Aggregate.String()
}
