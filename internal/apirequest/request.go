package apirequest

import (
	"encoding/json"
	"slices"
	"strings"
)

// TargetKind says what a request path names.
type TargetKind int

const (
	// TargetRelation is /{table}: a table or view.
	TargetRelation TargetKind = iota
	// TargetRoutine is /rpc/{fn}: a function call.
	TargetRoutine
	// TargetRoot is /, the OpenAPI description.
	TargetRoot
)

// Request is a parsed API request, ready for planning.
type Request struct {
	// Method is the HTTP method, upper case.
	Method string
	// Path is the URL path as requested (request.path).
	Path string
	// RawQuery is the query string as sent, without `?`, for the
	// canonical Content-Location of a read (CanonicalQuery).
	RawQuery string
	// Kind and Name identify the target: the relation or routine name, empty for the root.
	Kind TargetKind
	Name string
	// Schema is the exposed schema selected by Accept-Profile/Content-Profile, or the default one.
	Schema string
	// Select is the parsed select parameter; `*` when absent.
	Select []SelectItem
	// Filters are the horizontal filters of the top-level resource (query params with an operator).
	Filters []Filter
	// Order is the parsed order parameter, in request order.
	Order []OrderTerm
	// Limit and Offset page the top-level resource; nil when absent.
	Limit, Offset *int64
	// Args are the RPC arguments: query parameters without an operator (GET)
	// or the keys of the JSON body object (POST), as raw JSON values.
	Args map[string]json.RawMessage
	// TextArgs is true when Args came from the query string or a form
	// body: each value is a JSON string, or an array of strings for a name
	// given more than once.
	TextArgs bool
	// Headers are the request headers with lower-case names, one value
	// each, sorted by name.
	Headers []Header
	// Logic holds the and/or parameters (`or=(...)`, `not.and=(...)`,
	// `rel.or=(...)`), parsed, in request order.
	Logic []LogicTree
	// Columns is the parsed `columns` parameter; nil when absent.
	Columns []string
	// OnConflict is the parsed `on_conflict` parameter; nil when absent.
	OnConflict []string
	// EmbedOrders are the `rel.sub.order=...` parameters of embedded resources.
	EmbedOrders []EmbedOrder
	// EmbedRanges are the `rel.sub.limit=` / `rel.sub.offset=` parameters of
	// embedded resources, one entry per path.
	EmbedRanges []EmbedRange
	// Preferences are the parsed Prefer headers.
	Preferences Preferences
	// Accept is the Accept header decoded into media types, in negotiation order.
	Accept []MediaType
	// Payload is the body of a write on a relation (parsePayload); nil otherwise.
	Payload *Payload
	// RawBody is the body of POST /rpc/fn as sent, for a routine taking it
	// as its only argument; nil for form bodies and other methods.
	RawBody *RawBody
}

// Header is a request header under its lower-case name; a repeated
// header's values are combined into one.
type Header struct {
	Name, Value string
}

// Header is the value of the request header with the lower-case name
// name; "" when the request has none.
func (r *Request) Header(name string) string {
	return LookupHeader(r.Headers, name)
}

// LookupHeader is the value of the header with the lower-case name name
// in h, sorted by name as LowerHeaders gives them; "" when h has none.
func LookupHeader(h []Header, name string) string {
	if i, ok := slices.BinarySearchFunc(h, name, func(h Header, name string) int {
		return strings.Compare(h.Name, name)
	}); ok {
		return h[i].Value
	}
	return ""
}

// RawBody is a routine call's body passed whole to a single parameter.
type RawBody struct {
	// Type is the parameter type the body fits: json (json or jsonb),
	// text, xml or bytea.
	Type string
	// Data is the body bytes.
	Data []byte
}

// EmbedOrder is the order parameter of an embedded resource:
// `rel.sub.order=col.desc` gives Path ["rel","sub"].
type EmbedOrder struct {
	Path  []string
	Terms []OrderTerm
}

// EmbedRange pages an embedded resource: `rel.limit=` and `rel.offset=`.
type EmbedRange struct {
	Path          []string
	Limit, Offset *int64
}

// SelectItem is one entry of the select parameter: a column, `*`, or an
// embedded resource with its own select list.
type SelectItem struct {
	// Alias is the output key (`alias:col`), empty when none was given.
	Alias string
	// Column is the column name, or `*`; empty for an embedding.
	Column string
	// JSONPath follows `->`/`->>` steps into a json, jsonb or composite column.
	JSONPath []JSONStep
	// Cast is the `::type` cast, empty when none.
	Cast string
	// Aggregate is avg, count, max, min or sum for `col.sum()` and `count()`
	// (Column empty), empty otherwise.
	Aggregate string
	// AggregateCast is the cast of the aggregate's result (`col.sum()::text`).
	AggregateCast string
	// Embed is set when the item is `rel!hint(cols)`.
	Embed *Embed
}

// Embed is an embedded resource in a select list: `alias:target!hint(children)`.
type Embed struct {
	// Target is the related table, view or constraint/column name.
	Target string
	// Hint disambiguates the relationship (`!fk_name`, `!table`, `!column`); empty when none.
	Hint string
	// Inner is true for `!inner` joins.
	Inner bool
	// Spread is true for `...rel(cols)`: the columns go into the parent.
	Spread bool
	// Select is the embedded resource's own select list; empty (not nil)
	// for `rel()`, an embedding used only for filtering.
	Select []SelectItem
}

// Filter is a horizontal filter `field=[not.]op.value`.
type Filter struct {
	// EmbedPath is the embedded resource the filter applies to (`rel.sub.col=...`
	// gives ["rel","sub"]); empty for the top-level resource.
	EmbedPath []string
	// Field is the column the filter applies to.
	Field string
	// JSONPath follows `->`/`->>` steps into the column (`data->>name=eq.x`).
	JSONPath []JSONStep
	// Negate is true for `not.` prefixed operators.
	Negate bool
	// Op is the operator: eq, neq, gt, gte, lt, lte, like, ilike, in, is,
	// isdistinct, match, imatch, cs, cd, ov, sl, sr, nxr, nxl, adj, fts,
	// plfts, phfts or wfts. For `is` the Value is null, not_null, true,
	// false or unknown, lower case.
	Op string
	// Value is the operand as text; for `in` the parsed list is in Values.
	Value string
	// Values holds the items of an `in.(...)` list.
	Values []string
	// Quantifier is "any" or "all" for `eq(any).{a,b}`-style operators, empty otherwise.
	Quantifier string
	// Language is the text search configuration of `fts(english).x`, empty when none.
	Language string
}

// OrderTerm is one term of the order parameter: `col[.asc|.desc][.nullsfirst|.nullslast]`.
type OrderTerm struct {
	// Relation names a to-one embedding whose column orders the rows
	// (`order=rel(col)`); empty for the resource's own columns.
	Relation string
	Column   string
	// JSONPath follows `->`/`->>` steps into the column.
	JSONPath []JSONStep
	// Desc is true for `.desc`.
	Desc bool
	// Nulls is "", "first" or "last".
	Nulls string
}

// Payload is the body of a write (POST, PATCH, PUT on a relation), checked
// and normalised: always a JSON array of objects.
type Payload struct {
	// Keys are the keys of the objects, in the order of the first object;
	// every object has the same keys unless `columns` names them.
	Keys []string
	// JSON is the body as a JSON array of objects, sent to PostgreSQL as
	// one bind parameter.
	JSON []byte
	// Rows is the number of objects.
	Rows int
}
