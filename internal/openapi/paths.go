package openapi

import (
	"strings"

	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// Media types listed by the document, as PostgREST's makeMimeList renders them.
const (
	mimeJSON           = "application/json"
	mimeObjectStripped = "application/vnd.pgrst.object+json;nulls=stripped"
	mimeObject         = "application/vnd.pgrst.object+json"
	mimeCSV            = "text/csv"
	mimeOpenAPI        = "application/openapi+json"
)

func refParam(name string) ref { return ref{Ref: "#/parameters/" + name} }

func refDefinition(name string) ref { return ref{Ref: "#/definitions/" + name} }

// preferParam is a Prefer header parameter listing the given values.
func preferParam(values ...string) *param {
	return &param{Name: "Prefer", Description: "Preference", In: "header", Type: "string", Enum: values}
}

// stringParam is an optional string parameter in the query or a header.
func stringParam(name, desc, in string) *param {
	return &param{Name: name, Description: desc, In: in, Type: "string"}
}

// sharedParameters are the parameters paths refer to: PostgREST's
// makeParamDefs, then for each relation its body and one row filter per
// column.
func sharedParameters(tables []*schemacache.Table) object {
	var o object
	returns := []string{"return=representation", "return=minimal", "return=none"}
	o.add("preferParams", preferParam())
	o.add("preferReturn", preferParam(returns...))
	o.add("preferCount", preferParam("count=none"))
	o.add("preferPost", preferParam(append(returns, "resolution=ignore-duplicates", "resolution=merge-duplicates")...))
	o.add("select", stringParam("select", "Filtering Columns", "query"))
	o.add("on_conflict", stringParam("on_conflict", "On Conflict", "query"))
	o.add("order", stringParam("order", "Ordering", "query"))
	o.add("range", stringParam("Range", "Limiting and Pagination", "header"))
	rangeUnit := stringParam("Range-Unit", "Limiting and Pagination", "header")
	rangeUnit.Default = []byte(`"items"`)
	o.add("rangeUnit", rangeUnit)
	o.add("offset", stringParam("offset", "Limiting and Pagination", "query"))
	o.add("limit", stringParam("limit", "Limiting and Pagination", "query"))
	for _, t := range tables {
		o.add("body."+t.Name, &param{Name: t.Name, Description: t.Name, In: "body", Schema: &schema{Ref: refDefinition(t.Name).Ref}})
		for _, c := range t.Columns {
			o.add(rowFilter(t, c.Name), stringParam(c.Name, c.Description, "query"))
		}
	}
	return o
}

func rowFilter(t *schemacache.Table, col string) string {
	return "rowFilter." + t.Name + "." + col
}

// splitDescription makes a summary of a comment's first line and a
// description of the rest, leading newlines removed.
func splitDescription(d string) (summary, rest string) {
	summary, rest, _ = strings.Cut(d, "\n")
	return summary, strings.TrimLeft(rest, "\n")
}

func responses(code, desc string) object {
	var o object
	o.add(code, responseObj{Description: desc})
	return o
}

// tablePath is the path item of a relation: GET, and POST, PATCH and
// DELETE when the relation is insertable, updatable or deletable.
func tablePath(t *schemacache.Table) *pathItem {
	summary, desc := splitDescription(t.Description)
	op := func(params []string, resp object) *operation {
		o := &operation{Tags: []string{t.Name}, Summary: summary, Description: desc, Responses: resp}
		for _, p := range params {
			o.Parameters = append(o.Parameters, refParam(p))
		}
		return o
	}
	var filters []string
	for _, c := range t.Columns {
		filters = append(filters, rowFilter(t, c.Name))
	}
	var getResp object
	getResp.add("200", responseObj{Description: "OK", Schema: &schema{Type: "array", Items: &schema{Ref: refDefinition(t.Name).Ref}}})
	getResp.add("206", responseObj{Description: "Partial Content"})
	p := &pathItem{Get: op(concat(filters, "select", "order", "range", "rangeUnit", "offset", "limit", "preferCount"), getResp)}
	if t.Insertable || t.Updatable || t.Deletable {
		body := "body." + t.Name
		p.Post = op([]string{body, "select", "preferPost"}, responses("201", "Created"))
		p.Patch = op(concat(filters, body, "preferReturn"), responses("204", "No Content"))
		p.Delete = op(concat(filters, "preferReturn"), responses("204", "No Content"))
	}
	return p
}

func concat(a []string, b ...string) []string {
	return append(append([]string(nil), a...), b...)
}

// routinePath is the path item of /rpc/name: POST with the arguments as a
// JSON body, and GET with them as query parameters unless the function is
// volatile.
func routinePath(r *schemacache.Routine) *pathItem {
	summary, desc := splitDescription(r.Description)
	op := func(params []any) *operation {
		return &operation{
			Tags: []string{"(rpc) " + r.Name}, Summary: summary, Description: desc,
			Produces:   []string{mimeJSON, mimeObjectStripped, mimeObject},
			Parameters: params, Responses: responses("200", "OK"),
		}
	}
	p := &pathItem{Post: op([]any{
		&param{Name: "args", Required: true, In: "body", Schema: routineBody(r)},
		refParam("preferParams"),
	})}
	if r.Volatility != schemacache.Volatile {
		var params []any
		for _, a := range r.Params {
			params = append(params, queryArg(a))
		}
		p.Get = op(params)
	}
	return p
}

// queryArg is a routine argument passed in the query string; a variadic
// one may be repeated.
func queryArg(a schemacache.RoutineParam) *param {
	p := &param{Name: a.Name, Required: a.Required, In: "query"}
	if a.Variadic {
		p.Type = swaggerType(a.Type)
		if p.Type == "" {
			p.Type = "string"
		}
		elem := strings.TrimSuffix(a.Type, "[]")
		p.Items = &schema{Type: swaggerType(elem), Format: elem}
		p.CollectionFormat = "multi"
		return p
	}
	p.Format = a.Type
	p.Type = swaggerType(a.Type)
	if p.Type == "" || p.Type == "array" {
		// Query parameters need a type; arrays are written as {a,b}.
		p.Type = "string"
	}
	return p
}

// rootPath is the path item of / itself.
func rootPath() *pathItem {
	return &pathItem{Get: &operation{
		Tags:      []string{"Introspection"},
		Summary:   "OpenAPI description (this document)",
		Produces:  []string{mimeOpenAPI, mimeJSON},
		Responses: responses("200", "OK"),
	}}
}
