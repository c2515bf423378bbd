package schemacache

// Representation is an implicit cast between a domain and json or text,
// as PostgREST's data representations: with one from the domain to json,
// the domain's values are written to JSON by Function; from text to the
// domain, filter values are read by it; from json to the domain, request
// bodies are.
type Representation struct {
	// Source and Target are the cast's types as regtype text, the way
	// Column.NominalType names them ("api.color", "json", "text").
	Source, Target string
	// Function is the cast function.
	Function QI
}

// reprKey indexes representations by their pair of types.
type reprKey struct{ source, target string }

// RepresentationOf returns the representation casting source to target,
// or nil.
func (sc *SchemaCache) RepresentationOf(source, target string) *Representation {
	if sc.reprs == nil {
		sc.Index()
	}
	return sc.reprs[reprKey{source, target}]
}

// indexRepresentations builds the representation index; on a clash the
// first wins.
func (sc *SchemaCache) indexRepresentations() {
	sc.reprs = make(map[reprKey]*Representation, len(sc.Representations))
	for i := range sc.Representations {
		r := &sc.Representations[i]
		k := reprKey{r.Source, r.Target}
		if _, dup := sc.reprs[k]; !dup {
			sc.reprs[k] = r
		}
	}
}
