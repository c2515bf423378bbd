package pgrsterr

import (
	"fmt"
	"sort"
	"strings"
)

// RelationshipNotFound is PGRST200 (400): no relationship between parent and
// child in the schema cache. hint is the embedding hint (`!hint`), empty when
// none was given; suggestion is a fuzzy "Perhaps you meant" hint, empty when
// none fits (then the seed's reload hint is used).
func RelationshipNotFound(parent, child, hint, schema, suggestion string) *Error {
	using := ""
	if hint != "" {
		using = fmt.Sprintf(" using the hint '%s'", hint)
	}
	var h any = "If a new foreign key between these entities was created in the database, try reloading the schema cache."
	if suggestion != "" {
		h = suggestion
	}
	return newErr(400, "PGRST200",
		fmt.Sprintf("Could not find a relationship between '%s' and '%s' in the schema cache", parent, child),
		fmt.Sprintf("Searched for a foreign key relationship between '%s' and '%s'%s in the schema '%s', but no matches were found.", parent, child, using, schema),
		h)
}

// AmbiguousRelationship describes one candidate of a PGRST201 error.
type AmbiguousRelationship struct {
	Cardinality  string `json:"cardinality"`
	Embedding    string `json:"embedding"`
	Relationship string `json:"relationship"`
}

// AmbiguousEmbedding is PGRST201 (300): several relationships match an
// embedding. candidates are listed in details; hints are the `child!x`
// spellings that would pick one.
func AmbiguousEmbedding(parent, child string, candidates []AmbiguousRelationship, hints []string) *Error {
	quoted := make([]string, len(hints))
	for i, h := range hints {
		quoted[i] = "'" + child + "!" + h + "'"
	}
	return newErr(300, "PGRST201",
		fmt.Sprintf("Could not embed because more than one relationship was found for '%s' and '%s'", parent, child),
		candidates,
		fmt.Sprintf("Try changing '%s' to one of the following: %s. Find the desired relationship in the 'details' key.", child, strings.Join(quoted, ", ")))
}

// FunctionNotFound is PGRST202 (404): no routine with this name accepts
// these argument names. args are the argument names; they are listed
// sorted, as PostgREST 13 does. bodyType is the single unnamed parameter
// type the request's body could also have gone to: "json" for a JSON body
// (the details add "or with a single unnamed json/jsonb parameter"),
// "text", "xml" or "bytea" for a raw body (then only that is searched
// for), "" for none. Message, details and hint follow PostgREST 13 and the
// seed documents (the seed's reload hint when no close name is found).
func FunctionNotFound(schema, name string, args []string, bodyType, suggestion string) *Error {
	sorted := append([]string(nil), args...)
	sort.Strings(sorted)
	list := strings.Join(sorted, ", ")
	msg := fmt.Sprintf("Could not find the function %s.%s(%s) in the schema cache", schema, name, list)
	params := " without parameters"
	switch {
	case bodyType != "" && bodyType != "json":
		msg = fmt.Sprintf("Could not find the function %s.%s in the schema cache", schema, name)
		params = " with a single unnamed " + bodyType + " parameter"
	case len(sorted) == 0:
		msg = fmt.Sprintf("Could not find the function %s.%s without parameters in the schema cache", schema, name)
	case len(sorted) == 1:
		params = " with parameter " + list
	default:
		params = " with parameters " + list
	}
	if bodyType == "json" {
		params += " or with a single unnamed json/jsonb parameter"
	}
	details := fmt.Sprintf("Searched for the function %s.%s%s, but no matches were found in the schema cache.", schema, name, params)
	var h any = "If a new function was created in the database with this name and arguments, try reloading the schema cache."
	if suggestion != "" {
		h = suggestion
	}
	return newErr(404, "PGRST202", msg, details, h)
}

// AmbiguousFunction is PGRST203 (300): several overloads accept the
// arguments. signatures are rendered as `s.f(a => integer, b => text)`.
func AmbiguousFunction(signatures []string) *Error {
	return newErr(300, "PGRST203",
		"Could not choose the best candidate function between: "+strings.Join(signatures, ", "),
		nil,
		"Try renaming the parameters or the function itself in the database so function overloading can be resolved")
}

// TableNotFound is PGRST205 (404): the relation is not in the schema cache.
// suggestion is a fuzzy "Perhaps you meant the table 's.x'" hint, empty when
// none fits.
func TableNotFound(schema, name, suggestion string) *Error {
	var h any
	if suggestion != "" {
		h = suggestion
	}
	return newErr(404, "PGRST205",
		fmt.Sprintf("Could not find the table '%s.%s' in the schema cache", schema, name), nil, h)
}

// NotEmbedded is PGRST108 (400): a filter, order or limit names an
// embedded resource that is not in the select list.
func NotEmbedded(name string) *Error {
	return newErr(400, "PGRST108", fmt.Sprintf("'%s' is not an embedded resource in this request", name), nil,
		fmt.Sprintf("Verify that '%s' is included in the 'select' query parameter.", name))
}

// AliasedEmbedTarget is PGRST108 (400) for a filter, order or limit naming
// an aliased embedding by its target instead of its alias.
func AliasedEmbedTarget(target, alias string) *Error {
	return newErr(400, "PGRST108", fmt.Sprintf("'%s' is not an embedded resource in this request", target),
		"Target names are not allowed in filters if they have an alias",
		fmt.Sprintf("Change '%s' to '%s' in filters, orders or limits.", target, alias))
}

// AggregatesDisabled is PGRST123 (400): aggregates in select while
// db-aggregates-enabled is off.
func AggregatesDisabled() *Error {
	return newErr(400, "PGRST123", "Use of aggregate functions is not allowed", nil, nil)
}

// RelatedOrderNotToOne is PGRST118 (400): `order=rel(col)` on an embedding
// that is not many-to-one or one-to-one.
func RelatedOrderNotToOne(origin, rel string) *Error {
	return newErr(400, "PGRST118", fmt.Sprintf("A related order on '%s' is not possible", rel),
		fmt.Sprintf("'%s' and '%s' do not form a many-to-one or one-to-one relationship", origin, rel), nil)
}
