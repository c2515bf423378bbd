package main

import (
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// diffRelationships lists relationships added and removed. A relationship
// is identified by its origin, target, cardinality and constraint (or, for
// many-to-many, junction table and its two constraints).
func diffRelationships(a, b *schemacache.SchemaCache) []change {
	ka, kb := relKeys(a), relKeys(b)
	var out []change
	for _, k := range unionKeys(ka, kb) {
		switch {
		case !ka[k]:
			out = append(out, change{"+", "relationship", k, ""})
		case !kb[k]:
			out = append(out, change{"-", "relationship", k, ""})
		}
	}
	return out
}

func relKeys(sc *schemacache.SchemaCache) map[string]bool {
	m := make(map[string]bool, len(sc.Relationships))
	for i := range sc.Relationships {
		m[relKey(&sc.Relationships[i])] = true
	}
	return m
}

// relKey renders a relationship, e.g. "api.books -> api.authors m2o
// (books_author_id_fkey)" or "api.books -> api.tags m2m via api.book_tags
// (book_tags_book_id_fkey, book_tags_tag_id_fkey)".
func relKey(r *schemacache.Relationship) string {
	s := r.Table.String() + " -> " + r.ForeignTable.String() + " " + string(r.Cardinality)
	if j := r.Junction; j != nil {
		return s + " via " + j.Table.String() + " (" + j.Constraint1 + ", " + j.Constraint2 + ")"
	}
	if r.Cardinality == schemacache.Computed {
		return s + " by " + r.Function.String() + "()"
	}
	return s + " (" + r.Constraint + ")"
}

// diffRoutines lists routines added, removed and changed. Overloads are
// matched by name and parameter types, as PostgreSQL identifies functions;
// a name with exactly one unmatched overload on each side is reported as
// one routine whose parameters changed.
func diffRoutines(a, b *schemacache.SchemaCache) []change {
	ra, rb := routinesByName(a), routinesByName(b)
	var out []change
	for _, name := range unionKeys(ra, rb) {
		xs, ys := ra[name], rb[name]
		var onlyX, onlyY []*schemacache.Routine
		matched := map[*schemacache.Routine]bool{}
		for _, x := range xs {
			y := findOverload(ys, x)
			if y == nil {
				onlyX = append(onlyX, x)
				continue
			}
			matched[y] = true
			if d := diffRoutine(x, y); d != "" {
				out = append(out, change{"~", "routine", identity(y), d})
			}
		}
		for _, y := range ys {
			if !matched[y] {
				onlyY = append(onlyY, y)
			}
		}
		if len(onlyX) == 1 && len(onlyY) == 1 {
			out = append(out, change{"~", "routine", identity(onlyY[0]), diffRoutine(onlyX[0], onlyY[0])})
			continue
		}
		for _, y := range onlyY {
			out = append(out, change{"+", "routine", identity(y), ""})
		}
		for _, x := range onlyX {
			out = append(out, change{"-", "routine", identity(x), ""})
		}
	}
	return out
}

func routinesByName(sc *schemacache.SchemaCache) map[string][]*schemacache.Routine {
	m := map[string][]*schemacache.Routine{}
	for i := range sc.Routines {
		r := &sc.Routines[i]
		m[r.QI().String()] = append(m[r.QI().String()], r)
	}
	return m
}

// findOverload returns the overload in ys with x's parameter types, or nil.
func findOverload(ys []*schemacache.Routine, x *schemacache.Routine) *schemacache.Routine {
	for _, y := range ys {
		if argTypes(y) == argTypes(x) {
			return y
		}
	}
	return nil
}

func argTypes(r *schemacache.Routine) string {
	ts := make([]string, len(r.Params))
	for i, p := range r.Params {
		ts[i] = p.Type
	}
	return strings.Join(ts, ", ")
}

// identity renders a routine as PostgreSQL identifies it: "api.add(integer, integer)".
func identity(r *schemacache.Routine) string {
	return r.QI().String() + "(" + argTypes(r) + ")"
}

// diffRoutine describes how a routine's signature changed, "" when it did not.
func diffRoutine(x, y *schemacache.Routine) string {
	var parts []string
	if px, py := params(x), params(y); px != py {
		parts = append(parts, "params "+px+" -> "+py)
	}
	if rx, ry := returns(x.Return), returns(y.Return); rx != ry {
		parts = append(parts, "returns "+rx+" -> "+ry)
	}
	if x.Volatility != y.Volatility {
		parts = append(parts, "volatility "+volatility(x.Volatility)+" -> "+volatility(y.Volatility))
	}
	if sx, sy := setClauses(x), setClauses(y); sx != sy {
		parts = append(parts, "set "+sx+" -> "+sy)
	}
	return strings.Join(parts, "; ")
}

// setClauses renders a routine's hoisted SET clauses and isolation level:
// "(statement_timeout=5s, default_transaction_isolation=serializable)".
func setClauses(r *schemacache.Routine) string {
	var ss []string
	for _, st := range r.Settings {
		ss = append(ss, st.Name+"="+st.Value)
	}
	if r.IsolationLevel != "" {
		ss = append(ss, "default_transaction_isolation="+r.IsolationLevel)
	}
	return "(" + strings.Join(ss, ", ") + ")"
}

// params renders the parameter list as in pg_get_function_arguments:
// "(a integer, b text DEFAULT)", with VARIADIC where it applies.
func params(r *schemacache.Routine) string {
	ps := make([]string, len(r.Params))
	for i, p := range r.Params {
		s := p.Name + " " + p.Type
		if p.Variadic {
			s = "VARIADIC " + s
		}
		if !p.Required {
			s += " DEFAULT"
		}
		ps[i] = s
	}
	return "(" + strings.Join(ps, ", ") + ")"
}

// returns renders a return type, "setof api.books" or "integer"
// (pg_catalog types unqualified).
func returns(r schemacache.ReturnType) string {
	s := r.Type.String()
	if r.Type.Schema == "pg_catalog" {
		s = r.Type.Name
	}
	if r.SetOf {
		s = "setof " + s
	}
	return s
}
