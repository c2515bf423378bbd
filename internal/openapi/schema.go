package openapi

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// swaggerType maps a PostgreSQL type name to a Swagger type, as
// PostgREST's toSwaggerType: "" (no type) for json and jsonb, "array" for
// array types, "string" for everything not numeric or boolean.
func swaggerType(pgType string) string {
	switch pgType {
	case "character varying", "character", "text":
		return "string"
	case "boolean":
		return "boolean"
	case "smallint", "integer", "bigint":
		return "integer"
	case "numeric", "real", "double precision":
		return "number"
	case "json", "jsonb":
		return ""
	}
	if strings.HasSuffix(pgType, "[]") {
		return "array"
	}
	return "string"
}

// itemsOf is the items schema of an array type: the element's Swagger
// type; nil for other types.
func itemsOf(pgType string) *schema {
	if swaggerType(pgType) != "array" {
		return nil
	}
	return &schema{Type: swaggerType(strings.TrimSuffix(pgType, "[]"))}
}

// defaultValue is a column default as a JSON value, as PostgREST's
// parseDefault: for string-typed columns the `::type` cast and the
// surrounding single quotes are removed and the rest is quoted; the result
// is kept only if it is valid JSON (so `now()` on a number column, or
// `nextval(...)`, give no default).
func defaultValue(pgType string, def *string) json.RawMessage {
	if def == nil {
		return nil
	}
	v := *def
	if swaggerType(pgType) == "string" {
		if s, ok := strings.CutSuffix(v, "::"+pgType); ok {
			v = strings.Trim(s, "'")
		}
		v = `"` + v + `"`
	}
	if !json.Valid([]byte(v)) {
		return nil
	}
	return json.RawMessage(strings.TrimSpace(v))
}

// tableDefinition is the definitions entry of a relation: its columns as
// properties, in column order, and the non-nullable ones as required.
func tableDefinition(sc *schemacache.SchemaCache, t *schemacache.Table) *schema {
	s := &schema{Description: t.Description, Type: "object"}
	for i := range t.Columns {
		c := &t.Columns[i]
		s.Properties.add(c.Name, columnProperty(sc, t, c))
		if !c.Nullable {
			s.Required = append(s.Required, c.Name)
		}
	}
	return s
}

// columnProperty describes one column; its description gets PostgREST's
// notes for primary and single-column foreign keys.
func columnProperty(sc *schemacache.SchemaCache, t *schemacache.Table, c *schemacache.Column) *schema {
	notes := []string{"Note:"}
	for _, pk := range t.PKCols {
		if pk == c.Name {
			notes = append(notes, "This is a Primary Key.<pk/>")
			break
		}
	}
	if ft, fc, ok := foreignKey(sc, t, c.Name); ok {
		notes = append(notes, "This is a Foreign Key to `"+ft+"."+fc+"`.<fk table='"+ft+"' column='"+fc+"'/>")
	}
	desc := c.Description
	if len(notes) > 1 {
		if desc != "" {
			desc += "\n\n"
		}
		desc += strings.Join(notes, "\n")
	}
	return &schema{
		Default:     defaultValue(c.Type, c.Default),
		Description: desc,
		Enum:        c.Enum,
		Format:      c.Type,
		MaxLength:   c.MaxLen,
		Type:        swaggerType(c.Type),
		Items:       itemsOf(c.Type),
	}
}

// foreignKey finds the relation and column col references through a
// single-column many-to-one (or child one-to-one) relationship to a
// relation of the same schema, tables before views, as PostgREST does.
func foreignKey(sc *schemacache.SchemaCache, t *schemacache.Table, col string) (string, string, bool) {
	var cands []*schemacache.Relationship
	for _, r := range sc.RelationshipsFrom(t.QI()) {
		if r.ForeignTable.Schema != t.Schema || len(r.Columns) != 1 || r.Columns[0].Col != col {
			continue
		}
		if r.Cardinality == schemacache.M2O || (r.Cardinality == schemacache.O2O && !r.IsParent) {
			cands = append(cands, r)
		}
	}
	isView := func(r *schemacache.Relationship) bool {
		ft := sc.Table(r.ForeignTable)
		return ft != nil && ft.IsView
	}
	sort.SliceStable(cands, func(i, j int) bool { return !isView(cands[i]) && isView(cands[j]) })
	if len(cands) == 0 {
		return "", "", false
	}
	return cands[0].ForeignTable.Name, cands[0].Columns[0].FCol, true
}

// routineBody is the schema of a routine's JSON arguments object.
func routineBody(r *schemacache.Routine) *schema {
	s := &schema{Description: r.Description, Type: "object"}
	for _, p := range r.Params {
		s.Properties.add(p.Name, &schema{Type: swaggerType(p.Type), Items: itemsOf(p.Type), Format: p.Type})
		if p.Required {
			s.Required = append(s.Required, p.Name)
		}
	}
	return s
}
