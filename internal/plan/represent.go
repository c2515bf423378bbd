package plan

import "github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"

// represent applies the domain representations of t's columns to the node
// rp, as PostgREST's field transforms: a selected column whose domain has
// a json cast is written through it (`*` is expanded so each column can
// be), and filters on a column whose domain has a cast from text read
// their values through it.
func represent(sc *schemacache.SchemaCache, rp *ReadPlan, t *schemacache.Table) {
	if len(sc.Representations) == 0 {
		return
	}
	toJSON := map[string]schemacache.QI{}
	for _, c := range t.Columns {
		if r := representationOf(sc, c.NominalType, "json"); r != nil {
			toJSON[c.Name] = r.Function
		}
		if r := representationOf(sc, "text", c.NominalType); r != nil {
			if rp.FromText == nil {
				rp.FromText = map[string]schemacache.QI{}
			}
			rp.FromText[c.Name] = r.Function
		}
	}
	if len(toJSON) == 0 {
		return
	}
	fields := make([]Field, 0, len(rp.Fields))
	for _, f := range rp.Fields {
		plain := f.Cast == "" && len(f.JSONPath) == 0 && f.Aggregate == "" && f.embedIndex == 0
		switch {
		case plain && f.Name == "*" && f.Alias == "":
			for _, c := range t.Columns {
				fields = append(fields, Field{Name: c.Name, ToJSON: toJSON[c.Name]})
			}
			continue
		case plain:
			f.ToJSON = toJSON[f.Name]
		}
		fields = append(fields, f)
	}
	rp.Fields = fields
}

// representationOf is sc.RepresentationOf(source, target). A short list
// is searched in place, which is cheaper than hashing the pair for every
// column; the first match is the one the cache's index keeps.
func representationOf(sc *schemacache.SchemaCache, source, target string) *schemacache.Representation {
	if len(sc.Representations) > 8 {
		return sc.RepresentationOf(source, target)
	}
	for i := range sc.Representations {
		if r := &sc.Representations[i]; r.Target == target && r.Source == source {
			return r
		}
	}
	return nil
}

// jsonInputs maps the columns whose JSON body values are read by a domain
// representation (a cast from json to the column's domain) to its
// function; nil when none.
func jsonInputs(sc *schemacache.SchemaCache, cols []schemacache.Column) map[string]schemacache.QI {
	if len(sc.Representations) == 0 {
		return nil
	}
	var out map[string]schemacache.QI
	for _, c := range cols {
		if r := sc.RepresentationOf("json", c.NominalType); r != nil {
			if out == nil {
				out = map[string]schemacache.QI{}
			}
			out[c.Name] = r.Function
		}
	}
	return out
}
