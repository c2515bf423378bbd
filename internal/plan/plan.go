package plan

import (
	"encoding/json"

	"github.com/pgrest-lambda/pgrest-lambda/internal/apirequest"
	"github.com/pgrest-lambda/pgrest-lambda/internal/schemacache"
)

// ReadPlan reads one relation: the top-level resource or an embedded one.
type ReadPlan struct {
	// Table is the relation read.
	Table schemacache.QI
	// Alias is the SQL alias of the relation in this node; unique within a query.
	Alias string
	// Fields are the selected columns in select order ("*" expands to all columns).
	Fields []Field
	// Filters restrict the rows of this node.
	Filters []apirequest.Filter
	// Logic are the and/or trees restricting the rows of this node.
	Logic []apirequest.LogicTree
	// Columns are the relation's columns, shared with the schema cache,
	// for their types (see ColumnType); nil for results of routines
	// returning an unnamed composite.
	Columns []schemacache.Column
	// FromText maps the columns whose filter values are read by a domain
	// representation (a cast from text to the column's domain) to its
	// function; nil when none.
	FromText map[string]schemacache.QI
	// Order, Limit and Offset shape the rows of this node.
	Order         []apirequest.OrderTerm
	Limit, Offset *int64
	// Embeds are the embedded resources, in select order.
	Embeds []*Embed
}

// ColumnType is the type of the column name of rp's relation (full-text
// search wraps non-tsvector columns, JSON paths non-json ones); "" when
// the column is unknown.
func (rp *ReadPlan) ColumnType(name string) string {
	for i := range rp.Columns {
		if rp.Columns[i].Name == name {
			return rp.Columns[i].Type
		}
	}
	return ""
}

// Field is one selected column.
type Field struct {
	// Name is the column name, or "*".
	Name string
	// Alias is the output key; empty means the column name.
	Alias string
	// Cast is a validated type name for `::cast`, empty when none.
	Cast string
	// JSONPath follows `->`/`->>` steps into the column.
	JSONPath []apirequest.JSONStep
	// Aggregate is avg, count, max, min or sum (count with an empty Name is
	// count(*)); AggregateCast casts its result.
	Aggregate, AggregateCast string
	// ToJSON is the domain representation function writing the column's
	// value (a domain's json cast); zero for none.
	ToJSON schemacache.QI
	// embedIndex >= 0 marks the position of an embedding in the select
	// list, so output keys keep the request's order.
	embedIndex int
}

// IsEmbed reports whether the field stands for the Embeds[i] of its plan, returning i.
func (f Field) IsEmbed() (int, bool) { return f.embedIndex - 1, f.embedIndex > 0 }

// Embed is an embedded resource reached through a relationship.
type Embed struct {
	// Key is the output key: the alias, or the target name.
	Key string
	// Target is the name the select list used for the related resource.
	Target string
	// Presence is "present" or "absent" when the parent rows are filtered
	// on having related rows (`rel=not.is.null` / `rel=is.null`), "" otherwise.
	Presence string
	// Rel is the relationship from the parent to the embedded relation.
	Rel *schemacache.Relationship
	// Inner drops parent rows without a match (`!inner`).
	Inner bool
	// Spread puts the embedded columns into the parent (`...rel(cols)`).
	Spread bool
	// Plan reads the embedded relation.
	Plan *ReadPlan
	// JunctionAlias is the SQL alias of the M2M junction table, empty otherwise.
	JunctionAlias string
}

// CallPlan calls a routine.
type CallPlan struct {
	Routine *schemacache.Routine
	// Args are the given arguments by parameter name, as raw JSON values;
	// unused when Whole is set. A variadic argument is always a JSON array.
	Args map[string]json.RawMessage
	// Whole is the request body passed as the routine's only argument,
	// positionally: a single unnamed json, jsonb, text, xml or bytea
	// parameter, or any one json/jsonb parameter with
	// `Prefer: params=single-object`. nil for a call by named arguments.
	Whole *apirequest.RawBody
	// ReadOnly is true when the call runs in a READ ONLY transaction: GET and
	// HEAD always, POST for stable and immutable routines (PostgREST).
	ReadOnly bool
	// Result shapes a composite result (select, filters, order, paging) like a
	// relation read; nil for scalar results.
	Result *ReadPlan
	// Limit and Offset page a set of scalars (Result is nil then).
	Limit, Offset *int64
}

// target is what a read or call resolves to: exactly one of Read and Call.
type target struct {
	Read *ReadPlan
	Call *CallPlan
}
